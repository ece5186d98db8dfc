#!/usr/bin/env python3
"""One HTTPS GET over a socket with the smallest receive buffer Linux allows, for scripts/lab.sh.

SO_RCVBUF is set before connect() to 1 byte, which the kernel raises to its minimum (2,304 bytes here): the client
then advertises windows of about 576 bytes, less than one segment plus a TLS record's overhead, the case where the
appliance switches the flow's server->client direction to proxy handling. Writes the raw HTTP response to stdout
(pipe it into http_sha256.py) and the effective buffer size to stderr. No certificate check: the lab's own CA.
"""
import argparse
import socket
import ssl
import sys


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--connect", required=True, help="IP:PORT")
    p.add_argument("--path", required=True)
    p.add_argument("--rcvbuf", type=int, default=1, help="SO_RCVBUF before connect (the kernel enforces a minimum)")
    p.add_argument("--timeout-s", type=float, default=60.0, help="per socket operation")
    args = p.parse_args()
    host, _, port = args.connect.rpartition(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, args.rcvbuf)
    sock.settimeout(args.timeout_s)
    sock.connect((host, int(port)))
    print("rcvbuf=%d" % sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF), file=sys.stderr)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with context.wrap_socket(sock, server_hostname=host) as tls:
        print("tls=%s cipher=%s" % (tls.version(), tls.cipher()[0]), file=sys.stderr)
        tls.sendall(b"GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (args.path.encode(), host.encode()))
        out = sys.stdout.buffer
        while True:
            try:
                data = tls.recv(65536)
            except ssl.SSLZeroReturnError:
                break
            if not data:
                break
            out.write(data)
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
