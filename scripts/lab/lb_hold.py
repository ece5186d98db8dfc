#!/usr/bin/env python3
"""Holds TLS connections to a load-balanced virtual address open, for scripts/lab.sh's least-connections check.

usage: lb_hold.py ADDRESS [PORT] [--source ADDRESS] [--parallel N] [--timeout SECONDS]

Reads one command a line on stdin and answers each with one line on stdout:

  open N      opens N new connections (up to --parallel at a time, default 8), each kept open after one keep-alive
              GET /whoami.txt; answers the names the backends gave, in the order the connections were opened
              ("-" for a connection that failed; why goes to stderr)
  close NAME  closes the held connections whose backend answered NAME; answers how many it closed
  count       answers the held connections per name, "b0=3 b1=2" (sorted by name)
  quit        closes them all and exits (so does the end of stdin)

Certificates are not verified (the lab's is a throw-away self-signed one). A connection is TLS through the appliance
to one backend's nginx, which keeps it open for its keepalive_timeout.
"""
import argparse
import concurrent.futures
import socket
import ssl
import sys

MAX_HEADER_BYTES = 16384
MAX_BODY_BYTES = 4096


def read_response(sock):
    """The body of one HTTP/1.1 response with a Content-Length read from sock (bytes beyond it are not read)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(1)  # byte by byte up to the body: never read into the next response
        if not chunk:
            raise EOFError("connection closed in the response header (%d bytes)" % len(data))
        data += chunk
        if len(data) > MAX_HEADER_BYTES:
            raise ValueError("response header longer than %d bytes" % MAX_HEADER_BYTES)
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    lines = head.split("\r\n")
    status = lines[0].split(" ")
    if len(status) < 2 or status[1] != "200":
        raise ValueError("status line %r" % lines[0])
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    if length is None or length > MAX_BODY_BYTES:
        raise ValueError("no usable Content-Length in %r" % head)
    body = b""
    while len(body) < length:
        chunk = sock.recv(length - len(body))
        if not chunk:
            raise EOFError("connection closed in the body")
        body += chunk
    return body


class Holder:
    """The connections held open, with the name of the backend each reached."""

    def __init__(self, address, port, timeout_s, parallel, source=None):
        self.address = address
        self.port = port
        self.source = (source, 0) if source else None
        self.timeout_s = timeout_s
        self.parallel = parallel
        self.context = ssl.create_default_context()
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE
        self.held = []  # (name, socket)

    def open_one(self):
        raw = socket.create_connection((self.address, self.port), timeout=self.timeout_s,
                                       source_address=self.source)
        try:
            sock = self.context.wrap_socket(raw)
            sock.sendall(b"GET /whoami.txt HTTP/1.1\r\nHost: %s\r\n\r\n" % self.address.encode())
            name = read_response(sock).decode("ascii", "replace").strip()
            return name, sock
        except BaseException:
            raw.close()
            raise

    def open(self, count):
        names = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=self.parallel) as pool:
            for future in [pool.submit(self.open_one) for _ in range(count)]:
                try:
                    name, sock = future.result()
                except (OSError, ValueError, EOFError) as e:
                    print("open: %s: %s" % (type(e).__name__, e), file=sys.stderr, flush=True)
                    names.append("-")
                    continue
                self.held.append((name, sock))
                names.append(name)
        return " ".join(names)

    def close(self, name):
        keep, closed = [], 0
        for held_name, sock in self.held:
            if held_name == name:
                sock.close()
                closed += 1
            else:
                keep.append((held_name, sock))
        self.held = keep
        return str(closed)

    def count(self):
        counts = {}
        for name, _ in self.held:
            counts[name] = counts.get(name, 0) + 1
        return " ".join("%s=%d" % (name, counts[name]) for name in sorted(counts))

    def close_all(self):
        for _, sock in self.held:
            sock.close()
        self.held = []


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("address")
    parser.add_argument("port", nargs="?", type=int, default=443)
    parser.add_argument("--source", help="the client address to connect from (default: the kernel's choice)")
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()
    holder = Holder(args.address, args.port, args.timeout, args.parallel, args.source)
    try:
        for line in sys.stdin:
            words = line.split()
            if not words:
                continue
            if words[0] == "quit":
                break
            if words[0] == "open" and len(words) == 2:
                answer = holder.open(int(words[1]))
            elif words[0] == "close" and len(words) == 2:
                answer = holder.close(words[1])
            elif words[0] == "count" and len(words) == 1:
                answer = holder.count()
            else:
                answer = "error: unknown command %r" % line.strip()
            print(answer, flush=True)
    finally:
        holder.close_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
