package org.inlinetls.shim;

import static org.inlinetls.shim.LinuxConstants.AF_PACKET;
import static org.inlinetls.shim.LinuxConstants.ENOPROTOOPT;
import static org.inlinetls.shim.LinuxConstants.ETH_P_8021Q;
import static org.inlinetls.shim.LinuxConstants.ETH_P_ALL;
import static org.inlinetls.shim.LinuxConstants.MAP_SHARED;
import static org.inlinetls.shim.LinuxConstants.MSG_DONTWAIT;
import static org.inlinetls.shim.LinuxConstants.PACKET_ADD_MEMBERSHIP;
import static org.inlinetls.shim.LinuxConstants.PACKET_IGNORE_OUTGOING;
import static org.inlinetls.shim.LinuxConstants.PACKET_LOSS;
import static org.inlinetls.shim.LinuxConstants.PACKET_MR_PROMISC;
import static org.inlinetls.shim.LinuxConstants.PACKET_QDISC_BYPASS;
import static org.inlinetls.shim.LinuxConstants.PACKET_RX_RING;
import static org.inlinetls.shim.LinuxConstants.PACKET_STATISTICS;
import static org.inlinetls.shim.LinuxConstants.PACKET_TX_RING;
import static org.inlinetls.shim.LinuxConstants.PACKET_VERSION;
import static org.inlinetls.shim.LinuxConstants.PROT_READ;
import static org.inlinetls.shim.LinuxConstants.PROT_WRITE;
import static org.inlinetls.shim.LinuxConstants.SOCK_CLOEXEC;
import static org.inlinetls.shim.LinuxConstants.SOCK_RAW;
import static org.inlinetls.shim.LinuxConstants.SOL_PACKET;
import static org.inlinetls.shim.LinuxConstants.TPACKET_ALIGNMENT;
import static org.inlinetls.shim.LinuxConstants.TPACKET_V3;
import static org.inlinetls.shim.LinuxConstants.TP_STATUS_KERNEL;
import static org.inlinetls.shim.LinuxConstants.TP_STATUS_USER;
import static org.inlinetls.shim.LinuxConstants.TP_STATUS_VLAN_TPID_VALID;
import static org.inlinetls.shim.LinuxConstants.TP_STATUS_VLAN_VALID;
import static org.inlinetls.shim.StructLayout.BLOCK_DESC_FIRST_PKT_OFFSET;
import static org.inlinetls.shim.StructLayout.BLOCK_DESC_NUM_PKTS_OFFSET;
import static org.inlinetls.shim.StructLayout.BLOCK_DESC_STATUS_OFFSET;
import static org.inlinetls.shim.StructLayout.PACKET_MREQ_IFINDEX_OFFSET;
import static org.inlinetls.shim.StructLayout.PACKET_MREQ_SIZE;
import static org.inlinetls.shim.StructLayout.PACKET_MREQ_TYPE_OFFSET;
import static org.inlinetls.shim.StructLayout.SOCKADDR_LL_FAMILY_OFFSET;
import static org.inlinetls.shim.StructLayout.SOCKADDR_LL_IFINDEX_OFFSET;
import static org.inlinetls.shim.StructLayout.SOCKADDR_LL_PROTOCOL_OFFSET;
import static org.inlinetls.shim.StructLayout.SOCKADDR_LL_SIZE;
import static org.inlinetls.shim.StructLayout.TPACKET3_HDRLEN;
import static org.inlinetls.shim.StructLayout.TPACKET3_LEN_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET3_MAC_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET3_NEXT_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET3_NSEC_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET3_SEC_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET3_SNAPLEN_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET3_STATUS_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET3_VLAN_TCI_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET3_VLAN_TPID_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET_REQ3_BLOCK_NR_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET_REQ3_BLOCK_SIZE_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET_REQ3_FRAME_NR_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET_REQ3_FRAME_SIZE_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET_REQ3_RETIRE_TOV_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET_REQ3_SIZE;
import static org.inlinetls.shim.StructLayout.TPACKET_STATS_DROPS_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET_STATS_PACKETS_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET_STATS_V3_SIZE;

import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.util.EnumSet;

import jnr.ffi.Pointer;

/**
 * An AF_PACKET socket bound to one interface with a TPACKET_V3 receive ring mapped into this process: frames are
 * handed out where the kernel wrote them, and sent from a {@link TxQueue}: in {@code sendmmsg(2)} batches from an
 * arena, or through a PACKET_TX_RING mapped right after the receive ring ({@link Config#txRing}).
 *
 * <p>One owning thread polls {@link #receive} and drives {@link #txQueue()}. The ring and the TX arena are plain
 * native mappings outside the Java heap, so nothing the GC does can move or free them: they live from {@link #open}
 * to {@link #close} (which unmaps both and closes the descriptor; the kernel then drops the promiscuous membership).
 * Offsets handed to a {@link FrameConsumer} are relative to {@link #ringAddress()} and valid only during the call.
 *
 * <p>Frames are delivered as they were on the wire: the kernel strips an 802.1Q/802.1ad tag into the frame's
 * {@code tpacket3_hdr} (TP_STATUS_VLAN_VALID), and {@link #receive} writes it back in place, in the gap the kernel
 * leaves between the header and the frame (see {@link StructLayout}), without copying the payload. A frame that is
 * cut short or whose tag cannot be restored is counted by reason and never delivered.
 */
public final class PacketSocket implements AutoCloseable
{
    /** Receives one frame lying in the ring. */
    @FunctionalInterface
    public interface FrameConsumer
    {
        /**
         * @param ringOffset  of the Ethernet header from {@link #ringAddress()}.
         * @param length      bytes of the frame present in the ring (no FCS).
         * @param timestampNs kernel receive time, epoch nanoseconds.
         */
        void onFrame(int ringOffset, int length, long timestampNs);
    }

    /** The ring geometry and socket options; {@link #defaults()} suits one 1–10 Gbit/s port. */
    public static final class Config
    {
        /** Fewest TX slots: a bridge keeps 16 free for injected frames and must still be able to read. */
        public static final int MIN_TX_SLOTS = 32;

        int blockSize = 1 << 20;
        int blockCount = 8;
        int frameSize = 2048;
        int retireTimeoutMs = 1;
        boolean promiscuous = true;
        boolean ignoreOutgoing = true;
        boolean qdiscBypass;
        int txSlots = 256;
        boolean receiving = true;
        boolean txRing;

        /**
         * Sends through a PACKET_TX_RING (TPACKET_V3, {@code txSlots} frames of one page, mapped right after the
         * receive ring) instead of {@code sendmmsg(2)} batches from an anonymous arena. A frame is copied once, into
         * the ring, and the kernel attaches the ring's page to the socket buffer rather than copying it again; one
         * {@code send(2)} per flush hands every queued frame over, with no per-message header to copy in. On the
         * lab's veth bridge this cut the kernel's send path under the daemon by 30-40 % (on veth the kernel still
         * copies the pages once, for the peer's stack; a NIC sends them by DMA) and the daemon's CPU per GB by about
         * 10-20 % (benchmarks/README.md). A frame longer than the egress MTU costs a kernel log line. Differences
         * (see {@link TxQueue#flush()}): a hard error drops every frame not yet taken, not just the first; a frame
         * the kernel refuses for its length is skipped by the kernel and counted without knowing which one; and the
         * control-path {@link PacketSocket#send} is refused (EINVAL). Off by default.
         *
         * @param on send through a PACKET_TX_RING.
         */
        public Config txRing(final boolean on)
        {
            txRing = on;
            return this;
        }

        /**
         * @return 8 blocks of 1 MiB, 2 KiB frames, 1 ms block retire, promiscuous, ignoring outgoing frames, a 256
         *         frame TX queue, through the qdisc.
         */
        public static Config defaults()
        {
            return new Config();
        }

        /** @param bytes per block: a power of two multiple of the page size; frames never span blocks. */
        public Config blockSize(final int bytes)
        {
            blockSize = bytes;
            return this;
        }

        /** @param count of blocks in the ring. */
        public Config blockCount(final int count)
        {
            blockCount = count;
            return this;
        }

        /** @param bytes nominal frame slot, a multiple of 16; TPACKET_V3 packs frames by their real length. */
        public Config frameSize(final int bytes)
        {
            frameSize = bytes;
            return this;
        }

        /** @param ms after which the kernel hands over a partly filled block (the receive latency bound). */
        public Config retireTimeoutMs(final int ms)
        {
            retireTimeoutMs = ms;
            return this;
        }

        /** @param on take a PACKET_MR_PROMISC membership (dropped by the kernel when the socket closes). */
        public Config promiscuous(final boolean on)
        {
            promiscuous = on;
            return this;
        }

        /** @param on do not deliver frames this host sends on the interface (PACKET_IGNORE_OUTGOING, Linux 4.20+). */
        public Config ignoreOutgoing(final boolean on)
        {
            ignoreOutgoing = on;
            return this;
        }

        /**
         * Sends past the qdisc layer (PACKET_QDISC_BYPASS, Linux 3.14+). Off by default: the appliance forwards
         * bursts at line rate, and the qdisc is what absorbs one when the driver's ring is full (with the bypass the
         * driver's busy return becomes ENOBUFS for the frame, so the burst waits in our {@link TxQueue} and the
         * receive ring behind it instead); the qdisc also keeps the operator's {@code tc} configuration and its
         * statistics meaningful. On veth (default qdisc {@code noqueue}) the two paths cost the same. Turn it on for a
         * NIC with a deep driver ring and no shaping, where it saves the qdisc lock per frame.
         *
         * @param on send past the qdisc layer.
         */
        public Config qdiscBypass(final boolean on)
        {
            qdiscBypass = on;
            return this;
        }

        /**
         * @param slots frames the TX queue holds between flushes, in [{@link #MIN_TX_SLOTS},
         *              {@link TxQueue#MAX_SLOTS}]: an engine keeps some free for frames it injects and reads only
         *              as many frames as the rest can take.
         */
        public Config txSlots(final int slots)
        {
            txSlots = slots;
            return this;
        }

        /**
         * @param on false for a transmit-only socket: no receive ring is mapped, no promiscuous membership is taken
         *           and the socket is bound with protocol 0, so the kernel queues no frame to it ({@link #receive}
         *           returns 0); frames go out through {@link #txQueue()} as usual. A dedicated worker's own transmit
         *           socket beside the dispatcher's ring on the same interface.
         */
        public Config receiving(final boolean on)
        {
            receiving = on;
            return this;
        }

        void validate()
        {
            final int page = 4096;
            if (blockSize < page || Integer.bitCount(blockSize) != 1)
            {
                throw new IllegalArgumentException("blockSize must be a power of two >= " + page + ": " + blockSize);
            }
            if (frameSize < 64 || frameSize % TPACKET_ALIGNMENT != 0 || frameSize > blockSize)
            {
                throw new IllegalArgumentException("frameSize must be a multiple of 16 in [64, blockSize]: " +
                    frameSize);
            }
            if (blockCount < 1 || (long)blockSize * blockCount > Integer.MAX_VALUE)
            {
                throw new IllegalArgumentException("blockCount must be >= 1 and the ring < 2 GiB: " + blockCount);
            }
            if (txSlots < MIN_TX_SLOTS || txSlots > TxQueue.MAX_SLOTS)
            {
                throw new IllegalArgumentException("txSlots must be in [" + MIN_TX_SLOTS + ", " + TxQueue.MAX_SLOTS +
                    "]: " + txSlots);
            }
            if (retireTimeoutMs < 1)
            {
                throw new IllegalArgumentException("retireTimeoutMs must be >= 1: " + retireTimeoutMs);
            }
        }
    }

    /** Bytes per TX slot: a 1500-byte MTU frame with two VLAN tags, rounded up to a cache-line multiple. */
    public static final int TX_SLOT_BYTES = 2048;
    /** Bytes per PACKET_TX_RING frame (and block): one page, its header and a {@link #TX_SLOT_BYTES} frame. */
    static final int TX_RING_FRAME_BYTES = 4096;
    /** One 802.1Q tag: TPID and TCI (VLAN_HLEN in the kernel's linux/if_vlan.h). */
    private static final int VLAN_TAG_LENGTH = 4;
    /** Bytes of the Ethernet destination and source addresses, which move ahead of a restored tag. */
    private static final int MAC_ADDRESSES_LENGTH = 12;

    private final String ifName;
    private final int ifIndex;
    private final int blockSize;
    private final int blockCount;
    private final boolean ignoringOutgoing;
    private final Pointer statistics = LibC.allocate(TPACKET_STATS_V3_SIZE);
    private final Pointer statisticsLength = LibC.allocate(Integer.BYTES);
    private final String statisticsCall;
    private final TxQueue txQueue;
    private final long ringAddress;
    private final long ringLength;
    /** Bytes of the PACKET_TX_RING mapped right after the receive ring, 0 without one. */
    private final long txRingLength;
    /** The mapping as JNR memory: plain reads and writes, ordered by {@link VarHandle} fences. */
    private final Pointer ring;
    private int fd;

    // walk state: survives a receive() that stopped at its limit in the middle of a block
    private int blockIndex;
    private boolean holdingBlock;
    private int packetsLeftInBlock;
    private int nextPacketOffset;
    private long truncatedFrames;
    private long vlanNoRoomFrames;
    private long vlanRestoredFrames;
    private long kernelPackets;
    private long kernelDrops;

    private PacketSocket(final String ifName, final int ifIndex, final int fd, final Config config,
        final long ringAddress, final long ringLength, final long txRingLength, final boolean ignoringOutgoing)
        throws NativeIoException
    {
        this.txRingLength = txRingLength;
        this.ifName = ifName;
        this.ifIndex = ifIndex;
        this.fd = fd;
        this.blockSize = config.blockSize;
        this.blockCount = config.blockCount;
        this.ringAddress = ringAddress;
        this.ringLength = ringLength;
        this.ignoringOutgoing = ignoringOutgoing;
        this.ring = ringLength == 0 ? null : Pointer.wrap(LibC.runtime(), ringAddress, ringLength);
        this.statisticsCall = "PACKET_STATISTICS, " + ifName;
        // last: open() unmaps the ring and closes the descriptor if this fails
        this.txQueue = txRingLength == 0 ?
            TxQueue.allocate(config.txSlots, TX_SLOT_BYTES, this::sendBatch, ifName) :
            TxQueue.overRing(ringAddress + ringLength, config.txSlots, TX_RING_FRAME_BYTES, TX_SLOT_BYTES,
                this::kickTxRing, ifName);
    }

    /**
     * Opens a socket on an interface of the calling thread's network namespace; it stays in that namespace.
     *
     * @throws IOException naming the interface when it does not exist, or the call and errno that failed
     *                     ({@link InsufficientPrivilegesException} without CAP_NET_RAW).
     */
    public static PacketSocket open(final String ifName, final Config config) throws IOException
    {
        NetDevice.validateName(ifName);
        config.validate();
        final int ifIndex;
        try
        {
            ifIndex = LibC.ifNameToIndex(ifName);
        }
        catch (final NativeIoException ex)
        {
            throw new IOException("no network interface '" + ifName + "' in network namespace " +
                NetNamespace.currentId() + " for an AF_PACKET ring", ex);
        }
        final int fd;
        try
        {
            // protocol 0: nothing is queued before bind(), so the ring never holds frames of other interfaces
            fd = LibC.socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0, "AF_PACKET ring for " + ifName);
        }
        catch (final NativeIoException ex)
        {
            if (ex.errno() == LinuxConstants.EPERM)
            {
                Privileges.require("open an AF_PACKET ring on " + ifName,
                    EnumSet.of(Capability.NET_RAW));
            }
            throw ex;
        }
        long ringAddress = 0;
        final long ringLength = config.receiving ? (long)config.blockSize * config.blockCount : 0;
        final long txRingLength = config.txRing ? (long)TX_RING_FRAME_BYTES * config.txSlots : 0;
        try
        {
            setInt(fd, PACKET_VERSION, TPACKET_V3, "PACKET_VERSION TPACKET_V3, " + ifName);
            final boolean ignoringOutgoing = config.ignoreOutgoing && setIgnoreOutgoing(fd, ifName);
            if (config.qdiscBypass)
            {
                setInt(fd, PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS, " + ifName);
            }
            if (config.txRing)
            {
                // before any ring (EBUSY after): a frame the kernel refuses (longer than the MTU) is skipped
                // rather than left blocking the TX ring
                setInt(fd, PACKET_LOSS, 1, "PACKET_LOSS, " + ifName);
            }
            if (config.receiving)
            {
                setRing(fd, PACKET_RX_RING, config.blockSize, config.blockCount, config.frameSize,
                    config.retireTimeoutMs, ifName);
            }
            if (config.txRing)
            {
                setRing(fd, PACKET_TX_RING, TX_RING_FRAME_BYTES, config.txSlots, TX_RING_FRAME_BYTES, 0, ifName);
            }
            if (ringLength + txRingLength > 0)
            {
                ringAddress = LibC.mmap(ringLength + txRingLength, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                    (ringLength + txRingLength) + " B rings of " + ifName);
            }
            if (config.receiving && config.promiscuous)
            {
                final Pointer mreq = LibC.allocate(PACKET_MREQ_SIZE);
                mreq.putInt(PACKET_MREQ_IFINDEX_OFFSET, ifIndex);
                mreq.putShort(PACKET_MREQ_TYPE_OFFSET, (short)PACKET_MR_PROMISC);
                LibC.setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq, PACKET_MREQ_SIZE,
                    "PACKET_ADD_MEMBERSHIP PACKET_MR_PROMISC, " + ifName);
            }
            final Pointer sll = LibC.allocate(SOCKADDR_LL_SIZE);
            sll.putShort(SOCKADDR_LL_FAMILY_OFFSET, (short)AF_PACKET);
            // htons on LE hosts; protocol 0 (transmit-only) binds the interface without joining its receive path
            sll.putShort(SOCKADDR_LL_PROTOCOL_OFFSET, config.receiving ? Short.reverseBytes((short)ETH_P_ALL) : 0);
            sll.putInt(SOCKADDR_LL_IFINDEX_OFFSET, ifIndex);
            LibC.bind(fd, sll, SOCKADDR_LL_SIZE, "AF_PACKET ETH_P_ALL, " + ifName);
            return new PacketSocket(ifName, ifIndex, fd, config, ringAddress, ringLength, txRingLength,
                ignoringOutgoing);
        }
        catch (final IOException | RuntimeException ex)
        {
            if (ringAddress != 0)
            {
                try
                {
                    LibC.munmap(ringAddress, ringLength + txRingLength, "rings of " + ifName);
                }
                catch (final NativeIoException suppressed)
                {
                    ex.addSuppressed(suppressed);
                }
            }
            try
            {
                LibC.close(fd, "AF_PACKET ring for " + ifName);
            }
            catch (final NativeIoException suppressed)
            {
                ex.addSuppressed(suppressed);
            }
            throw ex;
        }
    }

    private static void setRing(final int fd, final int option, final int blockSize, final int blockCount,
        final int frameSize, final int retireTimeoutMs, final String ifName) throws NativeIoException
    {
        final Pointer req = LibC.allocate(TPACKET_REQ3_SIZE);
        req.putInt(TPACKET_REQ3_BLOCK_SIZE_OFFSET, blockSize);
        req.putInt(TPACKET_REQ3_BLOCK_NR_OFFSET, blockCount);
        req.putInt(TPACKET_REQ3_FRAME_SIZE_OFFSET, frameSize);
        req.putInt(TPACKET_REQ3_FRAME_NR_OFFSET, blockSize / frameSize * blockCount);
        req.putInt(TPACKET_REQ3_RETIRE_TOV_OFFSET, retireTimeoutMs);
        LibC.setsockopt(fd, SOL_PACKET, option, req, TPACKET_REQ3_SIZE,
            (option == PACKET_RX_RING ? "PACKET_RX_RING " : "PACKET_TX_RING ") + blockCount + " x " + blockSize +
            " B, " + ifName);
    }

    /**
     * @return null when this process can open AF_PACKET sockets with TPACKET_V3 rings, else why not.
     */
    public static Throwable unavailabilityCause()
    {
        final Throwable shim = NativeShim.unavailabilityCause();
        if (shim != null)
        {
            return shim;
        }
        try
        {
            final int fd = LibC.socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0, "AF_PACKET availability probe");
            try
            {
                setInt(fd, PACKET_VERSION, TPACKET_V3, "PACKET_VERSION TPACKET_V3");
            }
            finally
            {
                LibC.close(fd, "AF_PACKET availability probe");
            }
            return null;
        }
        catch (final NativeIoException | RuntimeException ex)
        {
            return ex;
        }
    }

    /** @return true when {@link #unavailabilityCause()} is null. */
    public static boolean isAvailable()
    {
        return unavailabilityCause() == null;
    }

    private static void setInt(final int fd, final int option, final int value, final String what)
        throws NativeIoException
    {
        final Pointer v = LibC.allocate(Integer.BYTES);
        v.putInt(0, value);
        LibC.setsockopt(fd, SOL_PACKET, option, v, Integer.BYTES, what);
    }

    private static boolean setIgnoreOutgoing(final int fd, final String ifName) throws NativeIoException
    {
        try
        {
            setInt(fd, PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING, " + ifName);
            return true;
        }
        catch (final NativeIoException ex)
        {
            if (ex.errno() == ENOPROTOOPT)
            {
                return false; // kernel older than 4.20: the caller must filter its own frames
            }
            throw ex;
        }
    }

    /**
     * Hands up to {@code limit} waiting frames to the consumer without blocking, and gives each fully read block
     * back to the kernel. Frames the ring cut short (larger than a block) are counted in {@link #truncatedFrames()}
     * and not delivered.
     *
     * @return frames delivered.
     */
    public int receive(final FrameConsumer consumer, final int limit)
    {
        ensureOpen();
        final Pointer ring = this.ring;
        if (ring == null)
        {
            return 0; // transmit-only
        }
        int delivered = 0;
        while (delivered < limit)
        {
            final long block = (long)blockIndex * blockSize;
            if (!holdingBlock)
            {
                final int status = ring.getInt(block + BLOCK_DESC_STATUS_OFFSET);
                VarHandle.acquireFence(); // the block's contents are read only after seeing TP_STATUS_USER
                if ((status & TP_STATUS_USER) == 0)
                {
                    break;
                }
                holdingBlock = true;
                packetsLeftInBlock = ring.getInt(block + BLOCK_DESC_NUM_PKTS_OFFSET);
                nextPacketOffset = ring.getInt(block + BLOCK_DESC_FIRST_PKT_OFFSET);
            }
            if (packetsLeftInBlock == 0)
            {
                releaseBlock(block);
                continue;
            }
            final long header = block + nextPacketOffset;
            final int snapLength = ring.getInt(header + TPACKET3_SNAPLEN_OFFSET);
            final int wireLength = ring.getInt(header + TPACKET3_LEN_OFFSET);
            final int macOffset = ring.getShort(header + TPACKET3_MAC_OFFSET) & 0xFFFF;
            final long timestampNs = (ring.getInt(header + TPACKET3_SEC_OFFSET) & 0xFFFF_FFFFL) * 1_000_000_000L +
                ring.getInt(header + TPACKET3_NSEC_OFFSET);
            nextPacketOffset += ring.getInt(header + TPACKET3_NEXT_OFFSET);
            packetsLeftInBlock--;
            if (snapLength != wireLength)
            {
                truncatedFrames++;
                continue;
            }
            final int status = ring.getInt(header + TPACKET3_STATUS_OFFSET);
            if ((status & TP_STATUS_VLAN_VALID) != 0)
            {
                if (!restoreVlanTag(header, macOffset, snapLength, status))
                {
                    vlanNoRoomFrames++;
                    continue;
                }
                delivered++;
                consumer.onFrame((int)(header + macOffset) - VLAN_TAG_LENGTH, snapLength + VLAN_TAG_LENGTH,
                    timestampNs);
                continue;
            }
            delivered++;
            consumer.onFrame((int)(header + macOffset), snapLength, timestampNs);
        }
        if (holdingBlock && packetsLeftInBlock == 0)
        {
            releaseBlock((long)blockIndex * blockSize); // hand it back now rather than on the next call
        }
        return delivered;
    }

    /**
     * Puts the tag the kernel stripped back in front of the EtherType: the 12 address bytes move 4 bytes earlier
     * into the gap after the sockaddr_ll, then TPID and TCI follow them, big-endian.
     *
     * @return false when the gap is under 4 bytes: tp_mac = TPACKET_ALIGN(TPACKET3_HDRLEN + max(16, maclen)) - maclen
     *         leaves 14 bytes for a plain Ethernet header, but less when the kernel counts in-band tags into
     *         maclen (three or more stacked tags).
     */
    private boolean restoreVlanTag(final long header, final int macOffset, final int snapLength, final int status)
    {
        if (macOffset - VLAN_TAG_LENGTH < TPACKET3_HDRLEN || snapLength < MAC_ADDRESSES_LENGTH)
        {
            return false;
        }
        final int tpid = (status & TP_STATUS_VLAN_TPID_VALID) != 0 ?
            ring.getShort(header + TPACKET3_VLAN_TPID_OFFSET) & 0xFFFF : ETH_P_8021Q;
        final int tci = ring.getInt(header + TPACKET3_VLAN_TCI_OFFSET) & 0xFFFF;
        final long mac = header + macOffset;
        final long destinationAndHalfSource = ring.getLong(mac);
        final int restOfSource = ring.getInt(mac + Long.BYTES);
        ring.putLong(mac - VLAN_TAG_LENGTH, destinationAndHalfSource);
        ring.putInt(mac - VLAN_TAG_LENGTH + Long.BYTES, restOfSource);
        // ring memory is little-endian on x86_64 and aarch64: reverse to put the tag in network order
        ring.putShort(mac + MAC_ADDRESSES_LENGTH - VLAN_TAG_LENGTH, Short.reverseBytes((short)tpid));
        ring.putShort(mac + MAC_ADDRESSES_LENGTH - VLAN_TAG_LENGTH + Short.BYTES, Short.reverseBytes((short)tci));
        vlanRestoredFrames++;
        return true;
    }

    private void releaseBlock(final long block)
    {
        VarHandle.releaseFence(); // all reads of the block happen before the kernel may overwrite it
        ring.putInt(block + BLOCK_DESC_STATUS_OFFSET, TP_STATUS_KERNEL);
        holdingBlock = false;
        blockIndex = blockIndex + 1 == blockCount ? 0 : blockIndex + 1;
    }

    /**
     * Sends one frame from native memory out of the interface without blocking, outside the {@link TxQueue} (a
     * control-path or test frame: the queue is the data path).
     *
     * @return bytes sent, or {@code -errno}: EAGAIN/ENOBUFS when the device queue is full, ENETDOWN when it is down,
     *         EINVAL on a socket with a TX ring ({@link Config#txRing}), where only the queue can send.
     */
    public int send(final long address, final int length)
    {
        ensureOpen();
        if (txRingLength != 0)
        {
            return -LinuxConstants.EINVAL; // with a TX ring, send(2) transmits the ring and ignores the buffer
        }
        return (int)LibC.sendOrErrno(fd, address, length, MSG_DONTWAIT);
    }

    private long kickTxRing()
    {
        return LibC.sendOrErrno(fd, 0L, 0L, MSG_DONTWAIT);
    }

    private int sendBatch(final long msgvecAddress, final int count)
    {
        return LibC.sendmmsgOrErrno(fd, msgvecAddress, count, MSG_DONTWAIT);
    }

    /** @return the transmit queue sending through this socket; unmapped by {@link #close()}. */
    public TxQueue txQueue()
    {
        return txQueue;
    }

    /**
     * Reads (and so resets) the kernel's PACKET_STATISTICS into the running totals.
     */
    public void updateStatistics() throws NativeIoException
    {
        ensureOpen();
        LibC.getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, statistics, statisticsLength, TPACKET_STATS_V3_SIZE,
            statisticsCall);
        kernelPackets += statistics.getInt(TPACKET_STATS_PACKETS_OFFSET) & 0xFFFF_FFFFL;
        kernelDrops += statistics.getInt(TPACKET_STATS_DROPS_OFFSET) & 0xFFFF_FFFFL;
    }

    /** @return frames the kernel queued for this socket, as of the last {@link #updateStatistics()}. */
    public long kernelPackets()
    {
        return kernelPackets;
    }

    /** @return frames the kernel dropped because the ring was full, as of the last {@link #updateStatistics()}. */
    public long kernelDrops()
    {
        return kernelDrops;
    }

    /** @return frames dropped because they did not fit a ring block (never delivered cut short). */
    public long truncatedFrames()
    {
        return truncatedFrames;
    }

    /** @return frames dropped because their stripped VLAN tag had no room to be restored (never delivered untagged). */
    public long vlanNoRoomFrames()
    {
        return vlanNoRoomFrames;
    }

    /** @return frames delivered with the VLAN tag the kernel had stripped put back. */
    public long vlanRestoredFrames()
    {
        return vlanRestoredFrames;
    }

    /** @return the interface name. */
    public String interfaceName()
    {
        return ifName;
    }

    /** @return the interface index in the socket's namespace. */
    public int interfaceIndex()
    {
        return ifIndex;
    }

    /** @return whether PACKET_IGNORE_OUTGOING is in effect (false on kernels before 4.20 or when not asked for). */
    public boolean isIgnoringOutgoing()
    {
        return ignoringOutgoing;
    }

    /** @return the address of the mapped ring, valid until {@link #close()}. */
    public long ringAddress()
    {
        return ringAddress;
    }

    /** @return the length of the mapped ring in bytes (below 2 GiB, so offsets fit an int). */
    public int ringLength()
    {
        return (int)ringLength;
    }

    /** @return true until {@link #close()}. */
    public boolean isOpen()
    {
        return fd >= 0;
    }

    private void ensureOpen()
    {
        if (fd < 0)
        {
            throw new IllegalStateException("AF_PACKET ring of " + ifName + " is closed");
        }
    }

    /**
     * Unmaps the ring and the TX arena (frames still queued are dropped) and closes the socket; idempotent. No
     * offset or slot address handed out before may be used afterwards.
     */
    @Override
    public void close() throws NativeIoException
    {
        if (fd < 0)
        {
            return;
        }
        final int closing = fd;
        fd = -1;
        try
        {
            txQueue.close();
        }
        finally
        {
            try
            {
                if (ringLength + txRingLength != 0)
                {
                    LibC.munmap(ringAddress, ringLength + txRingLength, "rings of " + ifName);
                }
            }
            finally
            {
                LibC.close(closing, "AF_PACKET ring for " + ifName);
            }
        }
    }

    @Override
    public String toString()
    {
        return "PacketSocket{" + ifName + "#" + ifIndex + ", " + blockCount + " x " + blockSize + " B ring, " +
            txQueue.capacity() + (txRingLength != 0 ? " TX ring frames" : " TX slots") +
            (ignoringOutgoing ? ", ignoring outgoing" : "") + (fd < 0 ? ", closed" : "") + "}";
    }
}
