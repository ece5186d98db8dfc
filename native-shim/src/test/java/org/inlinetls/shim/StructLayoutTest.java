package org.inlinetls.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the hand-written struct table and constants two ways: against JNR's own C layout rules, and (when a C
 * compiler is installed) against {@code sizeof}/{@code offsetof} and the macros of the real headers.
 */
class StructLayoutTest
{
    /** Which C expression each StructLayout constant stands for. */
    private static final Map<String, String> LAYOUT_EXPRESSIONS = new HashMap<>();

    static
    {
        LAYOUT_EXPRESSIONS.put("IFREQ_SIZE", "sizeof(struct ifreq)");
        LAYOUT_EXPRESSIONS.put("IFREQ_NAME_OFFSET", "offsetof(struct ifreq, ifr_name)");
        LAYOUT_EXPRESSIONS.put("IFREQ_FLAGS_OFFSET", "offsetof(struct ifreq, ifr_flags)");
        LAYOUT_EXPRESSIONS.put("IFREQ_DATA_OFFSET", "offsetof(struct ifreq, ifr_data)");
        LAYOUT_EXPRESSIONS.put("ETHTOOL_VALUE_SIZE", "sizeof(struct ethtool_value)");
        LAYOUT_EXPRESSIONS.put("ETHTOOL_VALUE_CMD_OFFSET", "offsetof(struct ethtool_value, cmd)");
        LAYOUT_EXPRESSIONS.put("ETHTOOL_VALUE_DATA_OFFSET", "offsetof(struct ethtool_value, data)");
        LAYOUT_EXPRESSIONS.put("SSET_INFO_MASK_OFFSET", "offsetof(struct ethtool_sset_info, sset_mask)");
        LAYOUT_EXPRESSIONS.put("SSET_INFO_DATA_OFFSET", "offsetof(struct ethtool_sset_info, data)");
        LAYOUT_EXPRESSIONS.put("GSTRINGS_SET_OFFSET", "offsetof(struct ethtool_gstrings, string_set)");
        LAYOUT_EXPRESSIONS.put("GSTRINGS_LEN_OFFSET", "offsetof(struct ethtool_gstrings, len)");
        LAYOUT_EXPRESSIONS.put("GSTRINGS_DATA_OFFSET", "offsetof(struct ethtool_gstrings, data)");
        LAYOUT_EXPRESSIONS.put("FEATURES_SIZE_OFFSET", "offsetof(struct ethtool_gfeatures, size)");
        LAYOUT_EXPRESSIONS.put("FEATURES_BLOCKS_OFFSET", "offsetof(struct ethtool_sfeatures, features)");
        LAYOUT_EXPRESSIONS.put("GET_FEATURES_BLOCK_SIZE", "sizeof(struct ethtool_get_features_block)");
        LAYOUT_EXPRESSIONS.put("GET_FEATURES_AVAILABLE_OFFSET", "offsetof(struct ethtool_get_features_block, available)");
        LAYOUT_EXPRESSIONS.put("GET_FEATURES_REQUESTED_OFFSET", "offsetof(struct ethtool_get_features_block, requested)");
        LAYOUT_EXPRESSIONS.put("GET_FEATURES_ACTIVE_OFFSET", "offsetof(struct ethtool_get_features_block, active)");
        LAYOUT_EXPRESSIONS.put("GET_FEATURES_NEVER_CHANGED_OFFSET",
            "offsetof(struct ethtool_get_features_block, never_changed)");
        LAYOUT_EXPRESSIONS.put("SET_FEATURES_BLOCK_SIZE", "sizeof(struct ethtool_set_features_block)");
        LAYOUT_EXPRESSIONS.put("SET_FEATURES_VALID_OFFSET", "offsetof(struct ethtool_set_features_block, valid)");
        LAYOUT_EXPRESSIONS.put("SET_FEATURES_REQUESTED_OFFSET",
            "offsetof(struct ethtool_set_features_block, requested)");
        LAYOUT_EXPRESSIONS.put("PACKET_MREQ_SIZE", "sizeof(struct packet_mreq)");
        LAYOUT_EXPRESSIONS.put("PACKET_MREQ_IFINDEX_OFFSET", "offsetof(struct packet_mreq, mr_ifindex)");
        LAYOUT_EXPRESSIONS.put("PACKET_MREQ_TYPE_OFFSET", "offsetof(struct packet_mreq, mr_type)");
        LAYOUT_EXPRESSIONS.put("PACKET_MREQ_ALEN_OFFSET", "offsetof(struct packet_mreq, mr_alen)");
        LAYOUT_EXPRESSIONS.put("PACKET_MREQ_ADDRESS_OFFSET", "offsetof(struct packet_mreq, mr_address)");
        LAYOUT_EXPRESSIONS.put("NLMSGHDR_SIZE", "sizeof(struct nlmsghdr)");
        LAYOUT_EXPRESSIONS.put("NLMSGHDR_LEN_OFFSET", "offsetof(struct nlmsghdr, nlmsg_len)");
        LAYOUT_EXPRESSIONS.put("NLMSGHDR_TYPE_OFFSET", "offsetof(struct nlmsghdr, nlmsg_type)");
        LAYOUT_EXPRESSIONS.put("NLMSGHDR_FLAGS_OFFSET", "offsetof(struct nlmsghdr, nlmsg_flags)");
        LAYOUT_EXPRESSIONS.put("NLMSGHDR_SEQ_OFFSET", "offsetof(struct nlmsghdr, nlmsg_seq)");
        LAYOUT_EXPRESSIONS.put("IFINFOMSG_SIZE", "sizeof(struct ifinfomsg)");
        LAYOUT_EXPRESSIONS.put("IFINFOMSG_FAMILY_OFFSET", "offsetof(struct ifinfomsg, ifi_family)");
        LAYOUT_EXPRESSIONS.put("IFINFOMSG_INDEX_OFFSET", "offsetof(struct ifinfomsg, ifi_index)");
        LAYOUT_EXPRESSIONS.put("RTATTR_SIZE", "sizeof(struct rtattr)");
        LAYOUT_EXPRESSIONS.put("RTATTR_LEN_OFFSET", "offsetof(struct rtattr, rta_len)");
        LAYOUT_EXPRESSIONS.put("RTATTR_TYPE_OFFSET", "offsetof(struct rtattr, rta_type)");
        LAYOUT_EXPRESSIONS.put("NETLINK_ALIGN", "NLMSG_ALIGNTO");
        LAYOUT_EXPRESSIONS.put("SOCKADDR_LL_SIZE", "sizeof(struct sockaddr_ll)");
        LAYOUT_EXPRESSIONS.put("SOCKADDR_LL_FAMILY_OFFSET", "offsetof(struct sockaddr_ll, sll_family)");
        LAYOUT_EXPRESSIONS.put("SOCKADDR_LL_PROTOCOL_OFFSET", "offsetof(struct sockaddr_ll, sll_protocol)");
        LAYOUT_EXPRESSIONS.put("SOCKADDR_LL_IFINDEX_OFFSET", "offsetof(struct sockaddr_ll, sll_ifindex)");
        LAYOUT_EXPRESSIONS.put("TPACKET_REQ3_SIZE", "sizeof(struct tpacket_req3)");
        LAYOUT_EXPRESSIONS.put("TPACKET_REQ3_BLOCK_SIZE_OFFSET", "offsetof(struct tpacket_req3, tp_block_size)");
        LAYOUT_EXPRESSIONS.put("TPACKET_REQ3_BLOCK_NR_OFFSET", "offsetof(struct tpacket_req3, tp_block_nr)");
        LAYOUT_EXPRESSIONS.put("TPACKET_REQ3_FRAME_SIZE_OFFSET", "offsetof(struct tpacket_req3, tp_frame_size)");
        LAYOUT_EXPRESSIONS.put("TPACKET_REQ3_FRAME_NR_OFFSET", "offsetof(struct tpacket_req3, tp_frame_nr)");
        LAYOUT_EXPRESSIONS.put("TPACKET_REQ3_RETIRE_TOV_OFFSET", "offsetof(struct tpacket_req3, tp_retire_blk_tov)");
        LAYOUT_EXPRESSIONS.put("BLOCK_DESC_STATUS_OFFSET", "offsetof(struct tpacket_block_desc, hdr.bh1.block_status)");
        LAYOUT_EXPRESSIONS.put("BLOCK_DESC_NUM_PKTS_OFFSET", "offsetof(struct tpacket_block_desc, hdr.bh1.num_pkts)");
        LAYOUT_EXPRESSIONS.put("BLOCK_DESC_FIRST_PKT_OFFSET", "offsetof(struct tpacket_block_desc, hdr.bh1.offset_to_first_pkt)");
        LAYOUT_EXPRESSIONS.put("TPACKET3_NEXT_OFFSET", "offsetof(struct tpacket3_hdr, tp_next_offset)");
        LAYOUT_EXPRESSIONS.put("TPACKET3_SEC_OFFSET", "offsetof(struct tpacket3_hdr, tp_sec)");
        LAYOUT_EXPRESSIONS.put("TPACKET3_NSEC_OFFSET", "offsetof(struct tpacket3_hdr, tp_nsec)");
        LAYOUT_EXPRESSIONS.put("TPACKET3_SNAPLEN_OFFSET", "offsetof(struct tpacket3_hdr, tp_snaplen)");
        LAYOUT_EXPRESSIONS.put("TPACKET3_LEN_OFFSET", "offsetof(struct tpacket3_hdr, tp_len)");
        LAYOUT_EXPRESSIONS.put("TPACKET3_MAC_OFFSET", "offsetof(struct tpacket3_hdr, tp_mac)");
        LAYOUT_EXPRESSIONS.put("TPACKET3_STATUS_OFFSET", "offsetof(struct tpacket3_hdr, tp_status)");
        LAYOUT_EXPRESSIONS.put("TPACKET3_VLAN_TCI_OFFSET", "offsetof(struct tpacket3_hdr, hv1.tp_vlan_tci)");
        LAYOUT_EXPRESSIONS.put("TPACKET3_VLAN_TPID_OFFSET", "offsetof(struct tpacket3_hdr, hv1.tp_vlan_tpid)");
        LAYOUT_EXPRESSIONS.put("TPACKET3_HDRLEN", "TPACKET3_HDRLEN");
        LAYOUT_EXPRESSIONS.put("IOVEC_SIZE", "sizeof(struct iovec)");
        LAYOUT_EXPRESSIONS.put("IOVEC_BASE_OFFSET", "offsetof(struct iovec, iov_base)");
        LAYOUT_EXPRESSIONS.put("IOVEC_LEN_OFFSET", "offsetof(struct iovec, iov_len)");
        LAYOUT_EXPRESSIONS.put("MSGHDR_SIZE", "sizeof(struct msghdr)");
        LAYOUT_EXPRESSIONS.put("MSGHDR_NAME_OFFSET", "offsetof(struct msghdr, msg_name)");
        LAYOUT_EXPRESSIONS.put("MSGHDR_IOV_OFFSET", "offsetof(struct msghdr, msg_iov)");
        LAYOUT_EXPRESSIONS.put("MSGHDR_IOVLEN_OFFSET", "offsetof(struct msghdr, msg_iovlen)");
        LAYOUT_EXPRESSIONS.put("MSGHDR_FLAGS_OFFSET", "offsetof(struct msghdr, msg_flags)");
        LAYOUT_EXPRESSIONS.put("MMSGHDR_SIZE", "sizeof(struct mmsghdr)");
        LAYOUT_EXPRESSIONS.put("MMSGHDR_HDR_OFFSET", "offsetof(struct mmsghdr, msg_hdr)");
        LAYOUT_EXPRESSIONS.put("MMSGHDR_LEN_OFFSET", "offsetof(struct mmsghdr, msg_len)");
        LAYOUT_EXPRESSIONS.put("TPACKET_STATS_V3_SIZE", "sizeof(struct tpacket_stats_v3)");
        LAYOUT_EXPRESSIONS.put("TPACKET_STATS_PACKETS_OFFSET", "offsetof(struct tpacket_stats_v3, tp_packets)");
        LAYOUT_EXPRESSIONS.put("TPACKET_STATS_DROPS_OFFSET", "offsetof(struct tpacket_stats_v3, tp_drops)");
    }

    /** Mirror of struct packet_mreq for JNR's layout engine. */
    static final class PacketMreq extends Struct
    {
        final Signed32 ifindex = new Signed32();
        final Unsigned16 type = new Unsigned16();
        final Unsigned16 alen = new Unsigned16();
        final Unsigned8[] address = array(new Unsigned8[8]);

        PacketMreq(final Runtime runtime)
        {
            super(runtime);
        }
    }

    /** Mirror of struct ethtool_value. */
    static final class EthtoolValue extends Struct
    {
        final Unsigned32 cmd = new Unsigned32();
        final Unsigned32 data = new Unsigned32();

        EthtoolValue(final Runtime runtime)
        {
            super(runtime);
        }
    }

    /** Mirror of struct ifreq with the pointer member of its union. */
    static final class IfreqData extends Struct
    {
        final UTF8String name = new UTF8String(LinuxConstants.IFNAMSIZ);
        final Pointer data = new Pointer();
        final Unsigned8[] restOfUnion = array(new Unsigned8[16]); // struct ifmap: the union's largest member, 24

        IfreqData(final Runtime runtime)
        {
            super(runtime);
        }
    }

    @Test
    void shouldMatchJnrLayoutOfTheStructsWritten()
    {
        final Runtime runtime = Runtime.getSystemRuntime();
        final PacketMreq mreq = new PacketMreq(runtime);
        assertEquals(StructLayout.PACKET_MREQ_SIZE, Struct.size(mreq));
        assertEquals(StructLayout.PACKET_MREQ_TYPE_OFFSET, mreq.type.offset());
        assertEquals(StructLayout.PACKET_MREQ_ALEN_OFFSET, mreq.alen.offset());
        assertEquals(StructLayout.PACKET_MREQ_ADDRESS_OFFSET, mreq.address[0].offset());

        final EthtoolValue value = new EthtoolValue(runtime);
        assertEquals(StructLayout.ETHTOOL_VALUE_SIZE, Struct.size(value));
        assertEquals(StructLayout.ETHTOOL_VALUE_DATA_OFFSET, value.data.offset());

        final IfreqData ifr = new IfreqData(runtime);
        assertEquals(StructLayout.IFREQ_SIZE, Struct.size(ifr));
        assertEquals(StructLayout.IFREQ_DATA_OFFSET, ifr.data.offset());
    }

    @Test
    void shouldAlignNetlinkLengthsToFour()
    {
        assertEquals(0, StructLayout.netlinkAlign(0));
        assertEquals(8, StructLayout.netlinkAlign(5));
        assertEquals(8, StructLayout.netlinkAlign(8));
    }

    @Test
    void shouldMatchTheKernelHeaders(@TempDir final Path dir) throws Exception
    {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/cc")), "needs a C compiler and linux-libc-dev");
        final StringBuilder c = new StringBuilder()
            .append("#define _GNU_SOURCE\n") // struct mmsghdr
            .append("#include <stdio.h>\n#include <stddef.h>\n#include <fcntl.h>\n#include <errno.h>\n")
            .append("#include <sys/socket.h>\n#include <linux/if.h>\n#include <linux/if_packet.h>\n")
            .append("#include <linux/if_ether.h>\n#include <linux/sockios.h>\n#include <linux/ethtool.h>\n")
            .append("#include <linux/sched.h>\n#include <linux/netlink.h>\n#include <linux/rtnetlink.h>\n")
            .append("#include <linux/if_link.h>\n#include <linux/capability.h>\n#include <sys/mman.h>\n")
            .append("#include <sys/uio.h>\n")
            .append("int main(void) {\n");
        final Map<String, Long> expected = new HashMap<>();
        for (final Field f : StructLayout.class.getDeclaredFields())
        {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class)
            {
                final String expression = LAYOUT_EXPRESSIONS.get(f.getName());
                assertTrue(expression != null, "no C expression for StructLayout." + f.getName());
                addCheck(c, expected, "StructLayout." + f.getName(), expression, f.getInt(null));
            }
        }
        for (final Field f : LinuxConstants.class.getDeclaredFields())
        {
            if (Modifier.isStatic(f.getModifiers()) && (f.getType() == int.class || f.getType() == long.class))
            {
                addCheck(c, expected, "LinuxConstants." + f.getName(), f.getName(), ((Number)f.get(null)).longValue());
            }
        }
        for (final Capability cap : Capability.values())
        {
            addCheck(c, expected, "Capability." + cap, cap.kernelName(), cap.bit());
        }
        c.append("return 0; }\n");
        final Path source = dir.resolve("layout.c");
        Files.writeString(source, c);
        NetnsLab.run("/usr/bin/cc", "-o", dir.resolve("layout").toString(), source.toString());
        final String out = NetnsLab.run(dir.resolve("layout").toString());
        int checked = 0;
        for (final String line : out.split("\n"))
        {
            final String[] kv = line.split("=");
            assertEquals(expected.get(kv[0]), Long.valueOf(kv[1]), kv[0]);
            checked++;
        }
        assertEquals(expected.size(), checked);
    }

    private static void addCheck(
        final StringBuilder c, final Map<String, Long> expected, final String key, final String expr, final long value)
    {
        expected.put(key, value);
        c.append("printf(\"").append(key).append("=%lld\\n\", (long long)(").append(expr).append("));\n");
    }

    @Test
    void shouldNameErrnos()
    {
        assertEquals("ENODEV", LinuxConstants.errnoName(LinuxConstants.ENODEV));
        assertEquals("errno 500", LinuxConstants.errnoName(500));
    }
}
