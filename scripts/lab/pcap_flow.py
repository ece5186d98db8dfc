#!/usr/bin/env python3
"""What a server received on one TCP connection, from a classic pcap (tcpdump -w), for scripts/lab.sh.

Given the client's port and the server's port, it finds the connection's SYN from the client, then counts the
payload bytes the client side sent, as the highest sequence offset reached (retransmissions count once; an
upper bound of what the server could have read), and the RSTs that came from the client side, with the offset
of the first one and the payload bytes captured after it: bytes_after_rst all of them, new_bytes_after_rst those
past the RST's own sequence number (stream bytes the sender had not sent when it reset).

With --max-bytes N it checks that a RST came from the client side, that fewer than N payload bytes reached
the server and that nothing was captured after the RST (exit 0), else exit 1. With --reordering (the path
reorders frames, as the lab's fault injector does) segments captured after the RST that hold only bytes below
its sequence number are frames sent before it and overtaken by it, so only new_bytes_after_rst must be 0; exit 2 when the capture holds no SYN of that connection. Prints one line of
key=value facts either way. Only Ethernet (or Linux cooked) captures of IPv4 are read.
"""
import argparse
import struct
import sys

LINKTYPE_ETHERNET = 1
LINKTYPE_LINUX_SLL = 113
ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_VLAN = 0x8100
IPPROTO_TCP = 6
TCP_FIN, TCP_SYN, TCP_RST, TCP_ACK = 0x01, 0x02, 0x04, 0x10
SEQ_MOD = 1 << 32


def packets(path):
    """(captured frame bytes) of each record of a classic pcap file, with its link type."""
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) < 24:
            raise ValueError("%s: not a pcap file (%d bytes)" % (path, len(head)))
        magic = head[:4]
        if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
            endian = "<"
        elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
            endian = ">"
        else:
            raise ValueError("%s: not a classic pcap file (magic %s)" % (path, magic.hex()))
        linktype = struct.unpack(endian + "I", head[20:24])[0] & 0xFFFF
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            incl_len = struct.unpack(endian + "IIII", rec)[2]
            data = f.read(incl_len)
            if len(data) < incl_len:
                return  # tcpdump stopped mid-record
            yield linktype, data


def tcp_of(linktype, frame):
    """(src port, dst port, seq, flags, payload bytes) of an IPv4 TCP frame, or None."""
    if linktype == LINKTYPE_ETHERNET:
        at, ethertype = 14, struct.unpack("!H", frame[12:14])[0] if len(frame) >= 14 else 0
        if ethertype == ETHERTYPE_VLAN and len(frame) >= 18:
            at, ethertype = 18, struct.unpack("!H", frame[16:18])[0]
    elif linktype == LINKTYPE_LINUX_SLL:
        at, ethertype = 16, struct.unpack("!H", frame[14:16])[0] if len(frame) >= 16 else 0
    else:
        raise ValueError("link type %d is not read here" % linktype)
    if ethertype != ETHERTYPE_IPV4 or len(frame) < at + 20 or frame[at + 9] != IPPROTO_TCP:
        return None
    ihl_bytes = (frame[at] & 0x0F) * 4
    total_bytes = struct.unpack("!H", frame[at + 2:at + 4])[0]
    tcp = at + ihl_bytes
    if len(frame) < tcp + 14:
        return None
    sport, dport, seq = struct.unpack("!HHI", frame[tcp:tcp + 8])
    data_offset_bytes = (frame[tcp + 12] >> 4) * 4
    flags = frame[tcp + 13]
    # from the IP header, not the captured length: the capture may be cut short (-s)
    payload_bytes = total_bytes - ihl_bytes - data_offset_bytes
    return sport, dport, seq, flags, max(payload_bytes, 0)


def analyse(path, client_port, server_port):
    facts = {"packets": 0, "syn": 0, "received_bytes": 0, "client_rsts": 0, "first_rst_at": -1,
             "bytes_after_rst": 0, "new_bytes_after_rst": 0, "server_rsts": 0, "client_fins": 0}
    isn = None
    for linktype, frame in packets(path):
        t = tcp_of(linktype, frame)
        if t is None:
            continue
        sport, dport, seq, flags, payload_bytes = t
        from_client = sport == client_port and dport == server_port
        if not from_client and not (sport == server_port and dport == client_port):
            continue
        facts["packets"] += 1
        if not from_client:
            facts["server_rsts"] += 1 if flags & TCP_RST else 0
            continue
        if flags & TCP_SYN:
            facts["syn"] += 1
            isn = seq
            continue
        if isn is None:
            continue
        offset = (seq - isn - 1) % SEQ_MOD  # bytes of the stream before this segment
        if payload_bytes > 0:
            end = offset + payload_bytes
            facts["received_bytes"] = max(facts["received_bytes"], end)
            if facts["client_rsts"]:
                facts["bytes_after_rst"] += payload_bytes
                facts["new_bytes_after_rst"] += max(0, end - max(offset, facts["first_rst_at"]))
        if flags & TCP_FIN:
            facts["client_fins"] += 1
        if flags & TCP_RST:
            facts["client_rsts"] += 1
            if facts["first_rst_at"] < 0:
                facts["first_rst_at"] = offset
    return facts


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("pcap")
    p.add_argument("--client-port", type=int, required=True)
    p.add_argument("--server-port", type=int, default=80)
    p.add_argument("--max-bytes", type=int, help="pass only if a client-side RST came and fewer bytes arrived")
    p.add_argument("--reordering", action="store_true",
                   help="the path reorders frames: old bytes captured after the RST were sent before it")
    args = p.parse_args()
    try:
        facts = analyse(args.pcap, args.client_port, args.server_port)
    except (OSError, ValueError) as ex:
        print("error=%s" % str(ex).replace(" ", "_"))
        return 2
    print(" ".join("%s=%s" % kv for kv in facts.items()))
    if not facts["syn"]:
        return 2
    if args.max_bytes is None:
        return 0
    after = facts["new_bytes_after_rst"] if args.reordering else facts["bytes_after_rst"]
    ok = facts["client_rsts"] > 0 and facts["received_bytes"] < args.max_bytes and after == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
