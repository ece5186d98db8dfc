#!/usr/bin/env python3
"""A TLS client that forges one record, for the lab's forgery check (scripts/lab.sh).

It completes a real handshake with the appliance (OpenSSL through ssl.SSLObject over memory BIOs, so it sees
every record it sends), then sends an HTTP PUT whose body spans several records, with one bit flipped in the
middle of the ciphertext of one body record, and nothing after that record. The appliance must answer with a
fatal bad_record_mac alert (encrypted under the session keys: OpenSSL decrypts it and reports it as an
SSLError) and reset the server before the forged record's last plaintext bytes reach it; the second half is
checked by the caller on a capture of the server's interface (pcap_flow.py), with the offsets printed here.

Prints key=value lines: local_port, protocol, cipher, request_bytes, forged_record, forged_plain_start,
forged_plain_end (offsets in the plaintext HTTP stream the server sees), result. Exit status: 0 when the
alert was bad_record_mac, 1 when the client got anything else, 2 when no handshake or request was possible.

TLS 1.3 suites cannot be chosen through Python's ssl API: the script re-executes itself with an OpenSSL
configuration file that sets Ciphersuites, and checks the negotiated suite either way.
"""
import argparse
import os
import socket
import sys
import tempfile
import time

RECORD_HEADER_BYTES = 5
CONTENT_TYPE_APPLICATION_DATA = 23
CONF_ENV = "FORGE_RECORD_OPENSSL_CONF"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--connect", required=True, help="HOST:PORT of the protected service")
    p.add_argument("--tls", choices=("1.2", "1.3"), required=True)
    p.add_argument("--cipher", required=True, help="TLS 1.2 OpenSSL cipher name or TLS 1.3 suite name")
    p.add_argument("--path", default="/upload/forged.bin", help="request target of the PUT")
    p.add_argument("--body-bytes", type=int, default=64 * 1024)
    p.add_argument("--record-bytes", type=int, default=16 * 1024, help="plaintext bytes per body record")
    p.add_argument("--forge", type=int, default=2, help="index of the body record to tamper with (from 0)")
    p.add_argument("--timeout-s", type=float, default=30.0, help="for the handshake and for the answer")
    p.add_argument("--intact", action="store_true",
                   help="a control: flip nothing and send the whole request (the check must then fail)")
    return p.parse_args()


def pin_tls13_suite(suite):
    """Re-executes this script with OPENSSL_CONF naming the one TLS 1.3 suite to offer (before ssl loads)."""
    if os.environ.get(CONF_ENV):
        return
    fd, path = tempfile.mkstemp(prefix="forge-record-", suffix=".cnf")
    with os.fdopen(fd, "w") as conf:
        conf.write("openssl_conf = forge_conf\n[forge_conf]\nssl_conf = forge_ssl\n[forge_ssl]\n"
                   "system_default = forge_default\n[forge_default]\nCiphersuites = %s\n" % suite)
    os.environ["OPENSSL_CONF"] = path
    os.environ[CONF_ENV] = path
    os.execv(sys.executable, [sys.executable] + sys.argv)


def split_records(wire):
    """(content type, whole record bytes) of each complete record in wire."""
    records = []
    at = 0
    while at + RECORD_HEADER_BYTES <= len(wire):
        length = int.from_bytes(wire[at + 3:at + 5], "big")
        records.append((wire[at], wire[at:at + RECORD_HEADER_BYTES + length]))
        at += RECORD_HEADER_BYTES + length
    if at != len(wire):
        raise ValueError("a partial record in the output")
    return records


def handshake(ssl, sock, args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the lab's certificate is a throw-away self-signed one
    version = ssl.TLSVersion.TLSv1_3 if args.tls == "1.3" else ssl.TLSVersion.TLSv1_2
    ctx.minimum_version = version
    ctx.maximum_version = version
    if args.tls == "1.2":
        ctx.set_ciphers(args.cipher)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_side=False)
    while True:
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            sock.sendall(outgoing.read())
            data = sock.recv(65536)
            if not data:
                raise ConnectionError("the connection closed during the handshake")
            incoming.write(data)
    sock.sendall(outgoing.read())  # the client's Finished
    return obj, incoming, outgoing


def encrypt_request(obj, outgoing, args, host):
    """The request as records, one per plaintext chunk: [(record bytes, plain start, plain end)]."""
    body = bytes((i * 7 + 3) & 0xFF for i in range(args.body_bytes))
    header = ("PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
              % (args.path, host, len(body))).encode("ascii")
    chunks = [header] + [body[i:i + args.record_bytes] for i in range(0, len(body), args.record_bytes)]
    records = []
    plain_at = 0
    for chunk in chunks:
        obj.write(chunk)
        recs = split_records(outgoing.read())
        if len(recs) != 1 or recs[0][0] != CONTENT_TYPE_APPLICATION_DATA:
            raise ValueError("%d bytes did not become one application_data record: %s"
                             % (len(chunk), [t for t, _ in recs]))
        records.append((bytearray(recs[0][1]), plain_at, plain_at + len(chunk)))
        plain_at += len(chunk)
    return records


def read_answer(ssl, obj, incoming, sock, timeout_s):
    """What the client got back: 'alert <reason>', 'reset', 'eof', 'timeout' or 'data ...'."""
    deadline = time.monotonic() + timeout_s
    got = b""
    while True:
        try:
            data = obj.read(65536)
            if not data:
                return "eof (close_notify) after %d bytes of data" % len(got)
            got += data
            continue
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLZeroReturnError:
            return "eof (close_notify) after %d bytes of data" % len(got)
        except ssl.SSLError as ex:
            return "alert %s (%s)" % ((ex.reason or "?").lower(), str(ex).replace("\n", " "))
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return "timeout after %d bytes of data" % len(got)
        sock.settimeout(remaining)
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            return "reset (no alert) after %d bytes of data" % len(got)
        except socket.timeout:
            return "timeout after %d bytes of data" % len(got)
        if not data:
            return "eof (no alert) after %d bytes of data" % len(got)
        incoming.write(data)


def main():
    args = parse_args()
    if args.tls == "1.3":
        pin_tls13_suite(args.cipher)
    import ssl  # after the OpenSSL configuration is in place
    conf = os.environ.get(CONF_ENV)
    if conf:
        os.unlink(conf)
    host, _, port = args.connect.rpartition(":")
    if args.forge < 0 or args.forge * args.record_bytes >= args.body_bytes:
        print("result=setup-error --forge %d is not a body record" % args.forge)
        return 2
    try:
        sock = socket.create_connection((host, int(port)), timeout=args.timeout_s)
        print("local_port=%d" % sock.getsockname()[1], flush=True)
        obj, incoming, outgoing = handshake(ssl, sock, args)
        print("protocol=%s" % obj.version())
        print("cipher=%s" % obj.cipher()[0])
        if obj.cipher()[0] != args.cipher:
            print("result=setup-error negotiated %s, not %s" % (obj.cipher()[0], args.cipher))
            return 2
        records = encrypt_request(obj, outgoing, args, host)
    except (OSError, ValueError, ssl.SSLError) as ex:
        print("result=setup-error %s" % str(ex).replace("\n", " "))
        return 2
    forged = args.forge + 1  # record 0 holds the request header
    record, plain_start, plain_end = records[forged]
    if not args.intact:
        record[len(record) // 2 + RECORD_HEADER_BYTES // 2] ^= 0x10  # one bit in the middle of the ciphertext
    print("request_bytes=%d" % records[-1][2])
    print("forged_record=%d of %d" % (forged, len(records)))
    print("forged_plain_start=%d" % plain_start)
    print("forged_plain_end=%d" % plain_end, flush=True)
    try:
        for rec, _, _ in records if args.intact else records[:forged + 1]:
            sock.sendall(rec)
    except OSError as ex:
        print("result=send-failed %s" % ex)
        return 1
    answer = read_answer(ssl, obj, incoming, sock, args.timeout_s)
    sock.close()
    print("result=%s" % answer)
    return 0 if answer.startswith("alert sslv3_alert_bad_record_mac") else 1


if __name__ == "__main__":
    sys.exit(main())
