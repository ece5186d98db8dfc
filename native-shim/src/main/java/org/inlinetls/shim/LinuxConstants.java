package org.inlinetls.shim;

/**
 * Kernel ABI numbers used by the shim, each with the header it comes from (checked against Debian 12's
 * linux-libc-dev and glibc headers; identical on x86_64 and aarch64).
 */
final class LinuxConstants
{
    // ---- bits/socket.h, bits/socket_type.h ----
    /** AF_INET (bits/socket.h): the family of the throw-away socket used for interface ioctls. */
    static final int AF_INET = 2;
    /** AF_NETLINK (bits/socket.h). */
    static final int AF_NETLINK = 16;
    /** AF_PACKET (bits/socket.h). */
    static final int AF_PACKET = 17;
    /** SOCK_DGRAM (bits/socket_type.h). */
    static final int SOCK_DGRAM = 2;
    /** SOCK_RAW (bits/socket_type.h). */
    static final int SOCK_RAW = 3;
    /** SOCK_CLOEXEC (bits/socket_type.h): same value as O_CLOEXEC. */
    static final int SOCK_CLOEXEC = 0x80000;
    /** SOL_PACKET (bits/socket.h): setsockopt level of AF_PACKET options. */
    static final int SOL_PACKET = 263;

    // ---- linux/if_packet.h ----
    /** PACKET_ADD_MEMBERSHIP (linux/if_packet.h). */
    static final int PACKET_ADD_MEMBERSHIP = 1;
    /** PACKET_DROP_MEMBERSHIP (linux/if_packet.h). */
    static final int PACKET_DROP_MEMBERSHIP = 2;
    /** PACKET_MR_PROMISC (linux/if_packet.h): packet_mreq.mr_type asking for promiscuous mode. */
    static final int PACKET_MR_PROMISC = 1;
    /** ETH_P_ALL (linux/if_ether.h), host byte order; the packet socket passes 0 so it receives nothing. */
    static final int ETH_P_ALL = 0x0003;
    /** PACKET_RX_RING (linux/if_packet.h): struct tpacket_req3 describing the receive ring. */
    static final int PACKET_RX_RING = 5;
    /** PACKET_STATISTICS (linux/if_packet.h): struct tpacket_stats_v3, reset by each read. */
    static final int PACKET_STATISTICS = 6;
    /** PACKET_VERSION (linux/if_packet.h): int, one of enum tpacket_versions. */
    static final int PACKET_VERSION = 10;
    /** PACKET_TX_RING (linux/if_packet.h). */
    static final int PACKET_TX_RING = 13;
    /** PACKET_LOSS (linux/if_packet.h): int; a TX ring frame the kernel refuses is skipped, not left blocking. */
    static final int PACKET_LOSS = 14;
    /** PACKET_QDISC_BYPASS (linux/if_packet.h): int; frames sent skip the qdisc layer (since 3.14). */
    static final int PACKET_QDISC_BYPASS = 20;
    /** PACKET_IGNORE_OUTGOING (linux/if_packet.h): int; the socket no longer sees frames sent on its device (4.20). */
    static final int PACKET_IGNORE_OUTGOING = 23;
    /** TPACKET_V3 (linux/if_packet.h, enum tpacket_versions): block-based rings with variable-size frames. */
    static final int TPACKET_V3 = 2;
    /** TP_STATUS_KERNEL (linux/if_packet.h): block_status of a block the kernel owns. */
    static final int TP_STATUS_KERNEL = 0;
    /** TP_STATUS_USER (linux/if_packet.h): block_status bit of a block handed to user space. */
    static final int TP_STATUS_USER = 1;
    /** TP_STATUS_LOSING (linux/if_packet.h): the kernel dropped frames since the last PACKET_STATISTICS read. */
    static final int TP_STATUS_LOSING = 1 << 2;
    /** TP_STATUS_VLAN_VALID (linux/if_packet.h): tp_status bit; hv1.tp_vlan_tci holds the tag the kernel stripped. */
    static final int TP_STATUS_VLAN_VALID = 1 << 4;
    /** TP_STATUS_VLAN_TPID_VALID (linux/if_packet.h): tp_status bit; hv1.tp_vlan_tpid holds the stripped TPID. */
    static final int TP_STATUS_VLAN_TPID_VALID = 1 << 6;
    /** ETH_P_8021Q (linux/if_ether.h): the 802.1Q TPID, assumed when the kernel does not report one. */
    static final int ETH_P_8021Q = 0x8100;
    /** TPACKET_ALIGNMENT (linux/if_packet.h): frame sizes are multiples of it. */
    static final int TPACKET_ALIGNMENT = 16;

    // ---- sys/mman.h (asm-generic/mman-common.h) ----
    /** PROT_READ (asm-generic/mman-common.h). */
    static final int PROT_READ = 1;
    /** PROT_WRITE (asm-generic/mman-common.h). */
    static final int PROT_WRITE = 2;
    /** MAP_SHARED (linux/mman.h): the ring is shared with the kernel. */
    static final int MAP_SHARED = 1;
    /** MAP_PRIVATE (linux/mman.h): the TX arena is this process's own memory. */
    static final int MAP_PRIVATE = 2;
    /** MAP_ANONYMOUS (asm-generic/mman-common.h; the same on x86_64 and arm64): zero-filled, no file. */
    static final int MAP_ANONYMOUS = 0x20;

    // ---- bits/socket.h ----
    /** MSG_DONTWAIT (bits/socket.h): a full device queue gives EAGAIN/ENOBUFS instead of blocking. */
    static final int MSG_DONTWAIT = 0x40;

    // ---- linux/sockios.h ----
    /** SIOCGIFFLAGS (linux/sockios.h): get ifreq.ifr_flags. */
    static final long SIOCGIFFLAGS = 0x8913;
    /** SIOCETHTOOL (linux/sockios.h): ifreq.ifr_data points at an ethtool command struct. */
    static final long SIOCETHTOOL = 0x8946;

    // ---- linux/if.h ----
    /** IFNAMSIZ (linux/if.h): interface name buffer including the terminating NUL. */
    static final int IFNAMSIZ = 16;
    /** IFF_UP (linux/if.h, enum net_device_flags). */
    static final int IFF_UP = 1;
    /** IFF_PROMISC (linux/if.h, enum net_device_flags). */
    static final int IFF_PROMISC = 1 << 8;

    // ---- linux/ethtool.h ----
    /** ETH_FLAG_LRO (linux/ethtool.h, enum ethtool_flags): the LRO bit of ETHTOOL_GFLAGS/SFLAGS data. */
    static final int ETH_FLAG_LRO = 1 << 15;
    /** ETHTOOL_GTXCSUM (linux/ethtool.h). */
    static final int ETHTOOL_GTXCSUM = 0x16;
    /** ETHTOOL_STXCSUM (linux/ethtool.h). */
    static final int ETHTOOL_STXCSUM = 0x17;
    /** ETHTOOL_GTSO (linux/ethtool.h). */
    static final int ETHTOOL_GTSO = 0x1e;
    /** ETHTOOL_STSO (linux/ethtool.h). */
    static final int ETHTOOL_STSO = 0x1f;
    /** ETHTOOL_GGSO (linux/ethtool.h). */
    static final int ETHTOOL_GGSO = 0x23;
    /** ETHTOOL_SGSO (linux/ethtool.h). */
    static final int ETHTOOL_SGSO = 0x24;
    /** ETHTOOL_GFLAGS (linux/ethtool.h). */
    static final int ETHTOOL_GFLAGS = 0x25;
    /** ETHTOOL_SFLAGS (linux/ethtool.h). */
    static final int ETHTOOL_SFLAGS = 0x26;
    /** ETHTOOL_GSTRINGS (linux/ethtool.h): names of a string set (struct ethtool_gstrings). */
    static final int ETHTOOL_GSTRINGS = 0x1b;
    /** ETHTOOL_GSSET_INFO (linux/ethtool.h): sizes of string sets (struct ethtool_sset_info). */
    static final int ETHTOOL_GSSET_INFO = 0x37;
    /** ETHTOOL_GFEATURES (linux/ethtool.h): every named feature's bits (struct ethtool_gfeatures). */
    static final int ETHTOOL_GFEATURES = 0x3a;
    /** ETHTOOL_SFEATURES (linux/ethtool.h): change named features (struct ethtool_sfeatures). */
    static final int ETHTOOL_SFEATURES = 0x3b;
    /** ETH_SS_FEATURES (linux/ethtool.h, enum ethtool_stringset): the feature-name string set. */
    static final int ETH_SS_FEATURES = 4;
    /** ETH_GSTRING_LEN (linux/ethtool.h): bytes per name in a string set, NUL padded. */
    static final int ETH_GSTRING_LEN = 32;
    /** ETHTOOL_GGRO (linux/ethtool.h). */
    static final int ETHTOOL_GGRO = 0x2b;
    /** ETHTOOL_SGRO (linux/ethtool.h). */
    static final int ETHTOOL_SGRO = 0x2c;

    // ---- linux/sched.h, asm-generic/fcntl.h ----
    /** CLONE_NEWNET (linux/sched.h): setns nstype for network namespaces. */
    static final int CLONE_NEWNET = 0x40000000;
    /** O_RDONLY (asm-generic/fcntl.h). */
    static final int O_RDONLY = 0;
    /** O_CLOEXEC (asm-generic/fcntl.h; x86_64 and arm64 use the generic value). */
    static final int O_CLOEXEC = 0x80000;

    // ---- asm-generic/errno-base.h, asm-generic/errno.h ----
    /** EPERM (asm-generic/errno-base.h). */
    static final int EPERM = 1;
    /** ENOENT (asm-generic/errno-base.h). */
    static final int ENOENT = 2;
    /** ENODEV (asm-generic/errno-base.h). */
    static final int ENODEV = 19;
    /** EINVAL (asm-generic/errno-base.h). */
    static final int EINVAL = 22;
    /** EOPNOTSUPP (asm-generic/errno.h). */
    static final int EOPNOTSUPP = 95;
    /** EAGAIN (asm-generic/errno-base.h). */
    static final int EAGAIN = 11;
    /** ENOPROTOOPT (asm-generic/errno.h): a socket option this kernel does not know. */
    static final int ENOPROTOOPT = 92;
    /** ENOBUFS (asm-generic/errno.h): the device or qdisc queue is full (transient for a transmit). */
    static final int ENOBUFS = 105;
    /** EINTR (asm-generic/errno-base.h). */
    static final int EINTR = 4;
    /** ENOMEM (asm-generic/errno-base.h): no socket buffer memory right now (transient for a transmit). */
    static final int ENOMEM = 12;
    /** EMSGSIZE (asm-generic/errno.h): a frame larger than the device MTU plus its link header. */
    static final int EMSGSIZE = 90;
    /** ENETDOWN (asm-generic/errno.h): the interface is down. */
    static final int ENETDOWN = 100;

    /** Names of the errnos the shim's calls document (asm-generic/errno-base.h, asm-generic/errno.h). */
    private static final String[] ERRNO_NAMES = new String[128];

    static
    {
        ERRNO_NAMES[1] = "EPERM";
        ERRNO_NAMES[2] = "ENOENT";
        ERRNO_NAMES[4] = "EINTR";
        ERRNO_NAMES[9] = "EBADF";
        ERRNO_NAMES[11] = "EAGAIN";
        ERRNO_NAMES[12] = "ENOMEM";
        ERRNO_NAMES[13] = "EACCES";
        ERRNO_NAMES[14] = "EFAULT";
        ERRNO_NAMES[16] = "EBUSY";
        ERRNO_NAMES[17] = "EEXIST";
        ERRNO_NAMES[19] = "ENODEV";
        ERRNO_NAMES[22] = "EINVAL";
        ERRNO_NAMES[24] = "EMFILE";
        ERRNO_NAMES[25] = "ENOTTY";
        ERRNO_NAMES[93] = "EPROTONOSUPPORT";
        ERRNO_NAMES[92] = "ENOPROTOOPT";
        ERRNO_NAMES[95] = "EOPNOTSUPP";
        ERRNO_NAMES[105] = "ENOBUFS";
        ERRNO_NAMES[100] = "ENETDOWN";
        ERRNO_NAMES[6] = "ENXIO";
        ERRNO_NAMES[90] = "EMSGSIZE";
    }

    /**
     * @return the symbolic name of an errno from the table above, or {@code "errno N"}.
     */
    static String errnoName(final int errno)
    {
        final String name = errno > 0 && errno < ERRNO_NAMES.length ? ERRNO_NAMES[errno] : null;
        return name != null ? name : "errno " + errno;
    }

    // ---- linux/netlink.h, linux/rtnetlink.h, linux/if_link.h ----
    /** NETLINK_ROUTE (linux/netlink.h). */
    static final int NETLINK_ROUTE = 0;
    /** NLM_F_REQUEST (linux/netlink.h). */
    static final int NLM_F_REQUEST = 1;
    /** NLMSG_ERROR (linux/netlink.h). */
    static final int NLMSG_ERROR = 2;
    /** RTM_NEWLINK (linux/rtnetlink.h): the reply type of RTM_GETLINK. */
    static final int RTM_NEWLINK = 16;
    /** RTM_GETLINK (linux/rtnetlink.h). */
    static final int RTM_GETLINK = 18;
    /** IFLA_PROMISCUITY (linux/if_link.h): u32 count of promiscuity holders (users, packet sockets, bridges). */
    static final int IFLA_PROMISCUITY = 30;

    private LinuxConstants()
    {
    }
}
