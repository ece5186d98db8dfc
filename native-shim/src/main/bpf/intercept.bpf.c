// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * XDP half of the inline-tls appliance's XDP/AF_XDP port (issue 7, /work/notes/xdp-contract.md).
 *
 * Runs on each bridged NIC. A frame goes to the daemon's AF_XDP socket of its receive queue when
 *   - its interface's ifconf entry says redirect_all, or
 *   - it is a TCP segment (IPv4, or IPv6 whose fixed header's next header is TCP; behind at most two
 *     802.1Q/802.1ad tags) whose (ifindex, DESTINATION, dst addr, dst port) or (ifindex, SOURCE, src addr,
 *     src port) is a key of the `intercept` map.
 * Everything else, and anything short or malformed, is XDP_PASS: the kernel (a Linux bridge) forwards it and
 * it never reaches Java.
 *
 * Fail closed: a frame chosen for the daemon whose queue has no socket in `xsks` is DROPPED
 * (bpf_redirect_map(..., XDP_DROP)), never passed. XdpProgram attaches with netlink, so the program outlives a
 * crashed daemon; the kernel removes a socket from `xsks` when it closes, and the intercepted flows' segments are
 * then dropped (the client retransmits) instead of being bridged to the servers (which would answer a
 * mid-flow segment with a RST) until the next daemon swaps in its own program. redirect_all drops too: in that
 * mode the daemon is the only bridge, so a dead daemon is a cut wire, as on the AF_PACKET ring path.
 *
 * IPv4 fragments other than the first carry no TCP header and pass; a protected service whose clients fragment
 * TCP (rare: TCP sets DF after PMTU discovery) would see those fragments bridged, not intercepted.
 * Build: clang -O2 -g -target bpf -c intercept.bpf.c (the -g gives the BTF libbpf needs for the map definitions).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MATCH_DESTINATION 0
#define MATCH_SOURCE 1
#define MAX_VLAN_TAGS 2
#define IP_FRAGMENT_OFFSET_MASK 0x1fff
#define XSK_SLOTS 256

/* 24 bytes, no padding: XdpProgram writes the same layout. */
struct intercept_key {
    __u32 ifindex;
    __u8 match;   /* MATCH_DESTINATION or MATCH_SOURCE */
    __u8 family;  /* 4 or 6 */
    __u16 port;   /* network order */
    __u8 addr[16]; /* IPv4 in the first 4 bytes, the rest zero */
};

struct if_conf {
    __u32 xsk_base;     /* xsks index of this interface's queue 0 */
    __u32 redirect_all; /* non-zero: every frame of the interface goes to its sockets */
};

struct vlan_tag {
    __be16 tci;
    __be16 encapsulated_proto;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 4096);
    __type(key, struct intercept_key);
    __type(value, __u32);
} intercept SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, struct if_conf);
} ifconf SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_XSKMAP);
    __uint(max_entries, XSK_SLOTS);
    __type(key, __u32);
    __type(value, __u32);
} xsks SEC(".maps");

/* dst and src are 16 zero-padded bytes on the stack, so one key layout serves both families. */
static __always_inline int matches(struct intercept_key *key, const __u8 *dst, const __u8 *src,
                                   __be16 dst_port, __be16 src_port)
{
    key->match = MATCH_DESTINATION;
    key->port = dst_port;
    __builtin_memcpy(key->addr, dst, 16);
    if (bpf_map_lookup_elem(&intercept, key)) {
        return 1;
    }
    key->match = MATCH_SOURCE;
    key->port = src_port;
    __builtin_memcpy(key->addr, src, 16);
    return bpf_map_lookup_elem(&intercept, key) != 0;
}

SEC("xdp")
int xdp_intercept(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    __u32 ifindex = ctx->ingress_ifindex;
    struct if_conf *conf = bpf_map_lookup_elem(&ifconf, &ifindex);
    if (!conf) {
        return XDP_PASS;
    }
    __u32 slot = conf->xsk_base + ctx->rx_queue_index;
    if (conf->redirect_all) {
        return bpf_redirect_map(&xsks, slot, XDP_DROP);
    }

    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end) {
        return XDP_PASS;
    }
    __be16 proto = eth->h_proto;
    void *cursor = eth + 1;
#pragma unroll
    for (int i = 0; i < MAX_VLAN_TAGS; i++) {
        if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD)) {
            break;
        }
        struct vlan_tag *tag = cursor;
        if ((void *)(tag + 1) > data_end) {
            return XDP_PASS;
        }
        proto = tag->encapsulated_proto;
        cursor = tag + 1;
    }

    struct intercept_key key;
    __builtin_memset(&key, 0, sizeof(key));
    key.ifindex = ifindex;
    __u8 dst[16];
    __u8 src[16];
    __builtin_memset(dst, 0, sizeof(dst));
    __builtin_memset(src, 0, sizeof(src));
    struct tcphdr *tcp;

    if (proto == bpf_htons(ETH_P_IP)) {
        struct iphdr *ip = cursor;
        if ((void *)(ip + 1) > data_end) {
            return XDP_PASS;
        }
        if (ip->protocol != IPPROTO_TCP || (ip->frag_off & bpf_htons(IP_FRAGMENT_OFFSET_MASK)) != 0) {
            return XDP_PASS;
        }
        __u32 header_len = (ip->ihl & 0xf) * 4;
        if (header_len < sizeof(*ip)) {
            return XDP_PASS;
        }
        tcp = cursor + header_len;
        key.family = 4;
        __builtin_memcpy(dst, &ip->daddr, 4);
        __builtin_memcpy(src, &ip->saddr, 4);
    } else if (proto == bpf_htons(ETH_P_IPV6)) {
        struct ipv6hdr *ip6 = cursor;
        if ((void *)(ip6 + 1) > data_end) {
            return XDP_PASS;
        }
        if (ip6->nexthdr != IPPROTO_TCP) {
            return XDP_PASS;
        }
        tcp = (void *)(ip6 + 1);
        key.family = 6;
        __builtin_memcpy(dst, &ip6->daddr, 16);
        __builtin_memcpy(src, &ip6->saddr, 16);
    } else {
        return XDP_PASS;
    }
    if ((void *)(tcp + 1) > data_end) {
        return XDP_PASS;
    }
    if (matches(&key, dst, src, tcp->dest, tcp->source)) {
        return bpf_redirect_map(&xsks, slot, XDP_DROP);
    }
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
