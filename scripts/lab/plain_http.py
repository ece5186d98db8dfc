#!/usr/bin/env python3
"""Reads the appliance's plaintext export (a classic pcap) as HTTP, for scripts/lab.sh.

Reassembles nothing: it looks for an HTTP/1.1 request line naming PATH in a TCP payload toward port 80 and for an
HTTP/1.1 status line in a payload from port 80, which the export holds in clear if it works. Prints the counts;
exit 0 when both were found, 1 otherwise.
Usage: plain_http.py FILE.pcap PATH
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import struct  # noqa: E402

from pcap_flow import packets  # noqa: E402


def tcp_payload(frame):
    """(src port, dst port, payload bytes) of an Ethernet IPv4 TCP frame, or None."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
        return None
    ihl = (frame[14] & 0x0F) * 4
    total = struct.unpack("!H", frame[16:18])[0]
    tcp = 14 + ihl
    if len(frame) < tcp + 20:
        return None
    sport, dport = struct.unpack("!HH", frame[tcp:tcp + 4])
    start = tcp + (frame[tcp + 12] >> 4) * 4
    return sport, dport, frame[start:14 + total]


def main():
    path, wanted = sys.argv[1], sys.argv[2]
    requests = responses = frames = 0
    for linktype, frame in packets(path):
        frames += 1
        tcp = tcp_payload(frame) if linktype == 1 else None
        if tcp is None:
            continue
        src, dst, payload = tcp
        if dst == 80 and payload.startswith(("GET %s HTTP/1.1\r\n" % wanted).encode()):
            requests += 1
        if src == 80 and payload.startswith(b"HTTP/1.1 200 "):
            responses += 1
    print("frames=%d requests=%d responses=%d" % (frames, requests, responses))
    return 0 if requests and responses else 1


if __name__ == "__main__":
    sys.exit(main())
