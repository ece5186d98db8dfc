package org.inlinetls.shim;

/**
 * The one table of C struct sizes and field offsets the shim reads and writes (LP64 Linux: x86_64 and aarch64).
 *
 * <pre>
 * struct ifreq (linux/if.h)                     40 bytes
 *   0  char  ifr_name[IFNAMSIZ=16]
 *  16  union { short ifr_flags; int ifr_ifindex; void *ifr_data; struct sockaddr ...; struct ifmap (24) }
 *
 * struct ethtool_value (linux/ethtool.h)         8 bytes
 *   0  __u32 cmd
 *   4  __u32 data
 *
 * struct ethtool_sset_info (linux/ethtool.h)    16 bytes + 4 per set in sset_mask
 *   0  __u32 cmd;  4 __u32 reserved;  8 __u64 sset_mask;  16 __u32 data[]
 *
 * struct ethtool_gstrings (linux/ethtool.h)     12 bytes + len * ETH_GSTRING_LEN
 *   0  __u32 cmd;  4 __u32 string_set;  8 __u32 len;  12 __u8 data[]
 *
 * struct ethtool_gfeatures (linux/ethtool.h)     8 bytes + 16 per 32-feature block
 *   0  __u32 cmd;  4 __u32 size;  8 struct ethtool_get_features_block { available, requested, active,
 *                                                                       never_changed: __u32 each }[]
 *
 * struct ethtool_sfeatures (linux/ethtool.h)     8 bytes + 8 per 32-feature block
 *   0  __u32 cmd;  4 __u32 size;  8 struct ethtool_set_features_block { valid, requested: __u32 each }[]
 *
 * struct packet_mreq (linux/if_packet.h)        16 bytes
 *   0  int            mr_ifindex
 *   4  unsigned short mr_type
 *   6  unsigned short mr_alen
 *   8  unsigned char  mr_address[8]
 *
 * struct nlmsghdr (linux/netlink.h)             16 bytes
 *   0  __u32 nlmsg_len;  4 __u16 nlmsg_type;  6 __u16 nlmsg_flags;  8 __u32 nlmsg_seq;  12 __u32 nlmsg_pid
 *
 * struct ifinfomsg (linux/rtnetlink.h)          16 bytes
 *   0  unsigned char ifi_family; 1 pad; 2 unsigned short ifi_type; 4 int ifi_index;
 *   8  unsigned ifi_flags; 12 unsigned ifi_change
 *
 * struct rtattr (linux/rtnetlink.h)              4 bytes, payload follows, aligned to 4 (RTA_ALIGNTO)
 *   0  unsigned short rta_len;  2 unsigned short rta_type
 *
 * struct sockaddr_ll (linux/if_packet.h)        20 bytes
 *   0  unsigned short sll_family;  2 __be16 sll_protocol;  4 int sll_ifindex;  8 unsigned short sll_hatype;
 *  10  unsigned char sll_pkttype;  11 unsigned char sll_halen;  12 unsigned char sll_addr[8]
 *
 * struct tpacket_req3 (linux/if_packet.h)       28 bytes, all unsigned int
 *   0  tp_block_size;  4 tp_block_nr;  8 tp_frame_size;  12 tp_frame_nr;  16 tp_retire_blk_tov (ms);
 *  20  tp_sizeof_priv;  24 tp_feature_req_word
 *
 * struct tpacket_block_desc (linux/if_packet.h), at the start of each ring block
 *   0  __u32 version;  4 __u32 offset_to_priv;  8 union tpacket_bd_header_u hdr: struct tpacket_hdr_v1 bh1 {
 *   8  __u32 block_status;  12 __u32 num_pkts;  16 __u32 offset_to_first_pkt;  20 __u32 blk_len;
 *  24  __aligned_u64 seq_num;  32 struct tpacket_bd_ts ts_first_pkt, ts_last_pkt }
 *
 * struct tpacket3_hdr (linux/if_packet.h), before each frame of a block      48 bytes
 *   0  __u32 tp_next_offset;  4 __u32 tp_sec;  8 __u32 tp_nsec;  12 __u32 tp_snaplen;  16 __u32 tp_len;
 *  20  __u32 tp_status;  24 __u16 tp_mac;  26 __u16 tp_net;  28 struct tpacket_hdr_variant1 hv1 {
 *  28  __u32 tp_rxhash;  32 __u32 tp_vlan_tci;  36 __u16 tp_vlan_tpid;  38 __u16 tp_padding }  40 __u8 tp_padding[8]
 *
 * A received frame in a TPACKET_V3 block (af_packet.c tpacket_rcv, Ethernet, no PACKET_RESERVE):
 *   0  struct tpacket3_hdr   48  struct sockaddr_ll   68 (TPACKET3_HDRLEN)  gap   tp_mac = 82  Ethernet header
 * tp_mac = TPACKET_ALIGN(TPACKET3_HDRLEN + 16) + PACKET_RESERVE - 14, so a stripped 802.1Q tag (4 bytes) can be put
 * back in place in the 14-byte gap.
 *
 * struct tpacket_stats_v3 (linux/if_packet.h)   12 bytes
 *   0  unsigned int tp_packets;  4 tp_drops;  8 tp_freeze_q_cnt
 *
 * struct iovec (bits/types/struct_iovec.h)      16 bytes
 *   0  void *iov_base;  8 size_t iov_len
 *
 * struct msghdr (bits/socket.h)                 56 bytes
 *   0  void *msg_name;  8 socklen_t msg_namelen; (4 pad)  16 struct iovec *msg_iov;  24 size_t msg_iovlen;
 *  32  void *msg_control;  40 size_t msg_controllen;  48 int msg_flags; (4 pad)
 *
 * struct mmsghdr (bits/socket.h, _GNU_SOURCE)   64 bytes: one message of sendmmsg(2)
 *   0  struct msghdr msg_hdr;  56 unsigned int msg_len (bytes sent, written by the kernel); (4 pad)
 * </pre>
 *
 * The pure tests check this table against JNR's own layout rules and, when a C compiler is present, against
 * {@code offsetof}/{@code sizeof} from the real headers.
 */
final class StructLayout
{
    /** sizeof(struct ifreq). */
    static final int IFREQ_SIZE = 40;
    /** offsetof(struct ifreq, ifr_name). */
    static final int IFREQ_NAME_OFFSET = 0;
    /** offsetof(struct ifreq, ifr_flags): a short. */
    static final int IFREQ_FLAGS_OFFSET = 16;
    /** offsetof(struct ifreq, ifr_data): a pointer. */
    static final int IFREQ_DATA_OFFSET = 16;

    /** sizeof(struct ethtool_value). */
    static final int ETHTOOL_VALUE_SIZE = 8;
    /** offsetof(struct ethtool_value, cmd). */
    static final int ETHTOOL_VALUE_CMD_OFFSET = 0;
    /** offsetof(struct ethtool_value, data). */
    static final int ETHTOOL_VALUE_DATA_OFFSET = 4;

    /** offsetof(struct ethtool_sset_info, sset_mask). */
    static final int SSET_INFO_MASK_OFFSET = 8;
    /** offsetof(struct ethtool_sset_info, data): one u32 per set present in the mask. */
    static final int SSET_INFO_DATA_OFFSET = 16;
    /** offsetof(struct ethtool_gstrings, string_set). */
    static final int GSTRINGS_SET_OFFSET = 4;
    /** offsetof(struct ethtool_gstrings, len). */
    static final int GSTRINGS_LEN_OFFSET = 8;
    /** offsetof(struct ethtool_gstrings, data). */
    static final int GSTRINGS_DATA_OFFSET = 12;
    /** offsetof(struct ethtool_gfeatures / ethtool_sfeatures, size): the number of 32-feature blocks. */
    static final int FEATURES_SIZE_OFFSET = 4;
    /** offsetof(struct ethtool_gfeatures / ethtool_sfeatures, features). */
    static final int FEATURES_BLOCKS_OFFSET = 8;
    /** sizeof(struct ethtool_get_features_block): available, requested, active, never_changed. */
    static final int GET_FEATURES_BLOCK_SIZE = 16;
    /** offsetof(struct ethtool_get_features_block, available). */
    static final int GET_FEATURES_AVAILABLE_OFFSET = 0;
    /** offsetof(struct ethtool_get_features_block, requested). */
    static final int GET_FEATURES_REQUESTED_OFFSET = 4;
    /** offsetof(struct ethtool_get_features_block, active). */
    static final int GET_FEATURES_ACTIVE_OFFSET = 8;
    /** offsetof(struct ethtool_get_features_block, never_changed). */
    static final int GET_FEATURES_NEVER_CHANGED_OFFSET = 12;
    /** sizeof(struct ethtool_set_features_block): valid, requested. */
    static final int SET_FEATURES_BLOCK_SIZE = 8;
    /** offsetof(struct ethtool_set_features_block, valid). */
    static final int SET_FEATURES_VALID_OFFSET = 0;
    /** offsetof(struct ethtool_set_features_block, requested). */
    static final int SET_FEATURES_REQUESTED_OFFSET = 4;

    /** sizeof(struct packet_mreq). */
    static final int PACKET_MREQ_SIZE = 16;
    /** offsetof(struct packet_mreq, mr_ifindex). */
    static final int PACKET_MREQ_IFINDEX_OFFSET = 0;
    /** offsetof(struct packet_mreq, mr_type). */
    static final int PACKET_MREQ_TYPE_OFFSET = 4;
    /** offsetof(struct packet_mreq, mr_alen). */
    static final int PACKET_MREQ_ALEN_OFFSET = 6;
    /** offsetof(struct packet_mreq, mr_address). */
    static final int PACKET_MREQ_ADDRESS_OFFSET = 8;

    /** sizeof(struct nlmsghdr). */
    static final int NLMSGHDR_SIZE = 16;
    /** offsetof(struct nlmsghdr, nlmsg_len). */
    static final int NLMSGHDR_LEN_OFFSET = 0;
    /** offsetof(struct nlmsghdr, nlmsg_type). */
    static final int NLMSGHDR_TYPE_OFFSET = 4;
    /** offsetof(struct nlmsghdr, nlmsg_flags). */
    static final int NLMSGHDR_FLAGS_OFFSET = 6;
    /** offsetof(struct nlmsghdr, nlmsg_seq). */
    static final int NLMSGHDR_SEQ_OFFSET = 8;

    /** sizeof(struct ifinfomsg). */
    static final int IFINFOMSG_SIZE = 16;
    /** offsetof(struct ifinfomsg, ifi_family). */
    static final int IFINFOMSG_FAMILY_OFFSET = 0;
    /** offsetof(struct ifinfomsg, ifi_index). */
    static final int IFINFOMSG_INDEX_OFFSET = 4;

    /** sizeof(struct rtattr). */
    static final int RTATTR_SIZE = 4;
    /** offsetof(struct rtattr, rta_len). */
    static final int RTATTR_LEN_OFFSET = 0;
    /** offsetof(struct rtattr, rta_type). */
    static final int RTATTR_TYPE_OFFSET = 2;
    /** NLMSG_ALIGNTO and RTA_ALIGNTO (linux/netlink.h, linux/rtnetlink.h). */
    static final int NETLINK_ALIGN = 4;

    /** sizeof(struct sockaddr_ll). */
    static final int SOCKADDR_LL_SIZE = 20;
    /** offsetof(struct sockaddr_ll, sll_family). */
    static final int SOCKADDR_LL_FAMILY_OFFSET = 0;
    /** offsetof(struct sockaddr_ll, sll_protocol): network byte order. */
    static final int SOCKADDR_LL_PROTOCOL_OFFSET = 2;
    /** offsetof(struct sockaddr_ll, sll_ifindex). */
    static final int SOCKADDR_LL_IFINDEX_OFFSET = 4;

    /** sizeof(struct tpacket_req3). */
    static final int TPACKET_REQ3_SIZE = 28;
    /** offsetof(struct tpacket_req3, tp_block_size). */
    static final int TPACKET_REQ3_BLOCK_SIZE_OFFSET = 0;
    /** offsetof(struct tpacket_req3, tp_block_nr). */
    static final int TPACKET_REQ3_BLOCK_NR_OFFSET = 4;
    /** offsetof(struct tpacket_req3, tp_frame_size). */
    static final int TPACKET_REQ3_FRAME_SIZE_OFFSET = 8;
    /** offsetof(struct tpacket_req3, tp_frame_nr). */
    static final int TPACKET_REQ3_FRAME_NR_OFFSET = 12;
    /** offsetof(struct tpacket_req3, tp_retire_blk_tov): milliseconds before a partly filled block is handed over. */
    static final int TPACKET_REQ3_RETIRE_TOV_OFFSET = 16;

    /** offsetof(struct tpacket_block_desc, hdr.bh1.block_status). */
    static final int BLOCK_DESC_STATUS_OFFSET = 8;
    /** offsetof(struct tpacket_block_desc, hdr.bh1.num_pkts). */
    static final int BLOCK_DESC_NUM_PKTS_OFFSET = 12;
    /** offsetof(struct tpacket_block_desc, hdr.bh1.offset_to_first_pkt): from the start of the block. */
    static final int BLOCK_DESC_FIRST_PKT_OFFSET = 16;

    /** offsetof(struct tpacket3_hdr, tp_next_offset): from this header to the next one in the block. */
    static final int TPACKET3_NEXT_OFFSET = 0;
    /** offsetof(struct tpacket3_hdr, tp_sec). */
    static final int TPACKET3_SEC_OFFSET = 4;
    /** offsetof(struct tpacket3_hdr, tp_nsec). */
    static final int TPACKET3_NSEC_OFFSET = 8;
    /** offsetof(struct tpacket3_hdr, tp_snaplen): bytes present in the ring. */
    static final int TPACKET3_SNAPLEN_OFFSET = 12;
    /** offsetof(struct tpacket3_hdr, tp_len): bytes the frame had on the wire. */
    static final int TPACKET3_LEN_OFFSET = 16;
    /** offsetof(struct tpacket3_hdr, tp_mac): from this header to the Ethernet header. */
    static final int TPACKET3_MAC_OFFSET = 24;

    /** offsetof(struct tpacket3_hdr, tp_status): TP_STATUS_VLAN_VALID and friends. */
    static final int TPACKET3_STATUS_OFFSET = 20;
    /** offsetof(struct tpacket3_hdr, hv1.tp_vlan_tci): host byte order, valid with TP_STATUS_VLAN_VALID. */
    static final int TPACKET3_VLAN_TCI_OFFSET = 32;
    /** offsetof(struct tpacket3_hdr, hv1.tp_vlan_tpid): host byte order, valid with TP_STATUS_VLAN_TPID_VALID. */
    static final int TPACKET3_VLAN_TPID_OFFSET = 36;
    /** TPACKET3_HDRLEN: the aligned tpacket3_hdr plus the sockaddr_ll the kernel writes after it. */
    static final int TPACKET3_HDRLEN = 68;

    /** sizeof(struct tpacket_stats_v3). */
    static final int TPACKET_STATS_V3_SIZE = 12;
    /** offsetof(struct tpacket_stats_v3, tp_packets). */
    static final int TPACKET_STATS_PACKETS_OFFSET = 0;
    /** offsetof(struct tpacket_stats_v3, tp_drops). */
    static final int TPACKET_STATS_DROPS_OFFSET = 4;

    /** sizeof(struct iovec). */
    static final int IOVEC_SIZE = 16;
    /** offsetof(struct iovec, iov_base). */
    static final int IOVEC_BASE_OFFSET = 0;
    /** offsetof(struct iovec, iov_len): a size_t. */
    static final int IOVEC_LEN_OFFSET = 8;

    /** sizeof(struct msghdr). */
    static final int MSGHDR_SIZE = 56;
    /** offsetof(struct msghdr, msg_name): NULL on a bound packet socket. */
    static final int MSGHDR_NAME_OFFSET = 0;
    /** offsetof(struct msghdr, msg_iov). */
    static final int MSGHDR_IOV_OFFSET = 16;
    /** offsetof(struct msghdr, msg_iovlen): a size_t. */
    static final int MSGHDR_IOVLEN_OFFSET = 24;
    /** offsetof(struct msghdr, msg_flags). */
    static final int MSGHDR_FLAGS_OFFSET = 48;

    /** sizeof(struct mmsghdr). */
    static final int MMSGHDR_SIZE = 64;
    /** offsetof(struct mmsghdr, msg_hdr). */
    static final int MMSGHDR_HDR_OFFSET = 0;
    /** offsetof(struct mmsghdr, msg_len): bytes the kernel sent of this message. */
    static final int MMSGHDR_LEN_OFFSET = 56;

    private StructLayout()
    {
    }

    /**
     * @return {@code lengthBytes} rounded up to the netlink/rtattr alignment of 4.
     */
    static int netlinkAlign(final int lengthBytes)
    {
        return (lengthBytes + NETLINK_ALIGN - 1) & -NETLINK_ALIGN;
    }
}
