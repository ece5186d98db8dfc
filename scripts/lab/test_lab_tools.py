#!/usr/bin/env python3
"""Unit tests of the lab's own analysis tools (run by scripts/test.sh: python3 -m unittest)."""
import os
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_PORT, ISN, MSS = 40000, 7000, 1448
SYN, RST_ACK, ACK = 0x02, 0x14, 0x10


def frame(seq, flags, payload_bytes, from_client=True):
    """An Ethernet + IPv4 + TCP header whose IP total length claims payload_bytes (captures are cut short)."""
    sport, dport = (CLIENT_PORT, 80) if from_client else (80, CLIENT_PORT)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq % (1 << 32), 0, 5 << 4, flags, 1000, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + payload_bytes, 0, 0, 64, 6, 0, bytes([10, 0, 0, 1]),
                     bytes([10, 0, 0, 2]))
    return b"\0" * 12 + b"\x08\x00" + ip + tcp


class PcapFlowTest(unittest.TestCase):
    def run_tool(self, frames, *extra):
        with tempfile.NamedTemporaryFile(suffix=".pcap") as f:
            f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for fr in frames:
                f.write(struct.pack("<IIII", 0, 0, len(fr), len(fr)) + fr)
            f.flush()
            r = subprocess.run([sys.executable, os.path.join(HERE, "pcap_flow.py"), f.name, "--client-port",
                                str(CLIENT_PORT), "--max-bytes", "5000", *extra], capture_output=True, text=True)
        facts = dict(kv.split("=") for kv in r.stdout.split())
        return r.returncode, facts

    # two full segments, then a RST at byte 2896 (the forged record would end at 5000)
    BEFORE = [frame(ISN, SYN, 0), frame(ISN + 1, ACK, MSS), frame(ISN + 1 + MSS, ACK, MSS),
              frame(ISN + 1 + 2 * MSS, RST_ACK, 0)]

    def test_reset_before_the_forged_end_passes(self):
        rc, facts = self.run_tool(self.BEFORE)
        self.assertEqual(0, rc)
        self.assertEqual("2896", facts["first_rst_at"])

    def test_old_segment_after_the_reset_fails_unless_the_path_reorders(self):
        frames = self.BEFORE + [frame(ISN + 1 + MSS, ACK, MSS)]  # overtaken by the RST
        self.assertEqual(1, self.run_tool(frames)[0])
        rc, facts = self.run_tool(frames, "--reordering")
        self.assertEqual(0, rc)
        self.assertEqual(("1448", "0"), (facts["bytes_after_rst"], facts["new_bytes_after_rst"]))

    def test_new_bytes_after_the_reset_fail_even_when_the_path_reorders(self):
        frames = self.BEFORE + [frame(ISN + 1 + 2 * MSS - 100, ACK, MSS)]  # reaches 100 bytes below the RST, then on
        rc, facts = self.run_tool(frames, "--reordering")
        self.assertEqual(1, rc)
        self.assertEqual("1348", facts["new_bytes_after_rst"])

    def test_forged_end_reached_fails(self):
        frames = [frame(ISN, SYN, 0)] + [frame(ISN + 1 + i * MSS, ACK, MSS) for i in range(4)] + \
            [frame(ISN + 1 + 4 * MSS, RST_ACK, 0)]
        self.assertEqual(1, self.run_tool(frames, "--reordering")[0])

    def test_no_reset_fails_and_no_syn_is_exit_2(self):
        self.assertEqual(1, self.run_tool(self.BEFORE[:3])[0])
        self.assertEqual(2, self.run_tool(self.BEFORE[1:])[0])


class MetricsCheckTest(unittest.TestCase):
    """scripts/lab/metrics_check.py: the lab's own Prometheus text checker, histograms included."""
    HISTOGRAM = """# HELP t_seconds time
# TYPE t_seconds histogram
t_seconds_bucket{agent="a",le="0.000000128"} 1
t_seconds_bucket{agent="a",le="0.000000256"} 3
t_seconds_bucket{agent="a",le="+Inf"} 4
t_seconds_sum{agent="a"} 0.5
t_seconds_count{agent="a"} 4
t_seconds_bucket{agent="b",le="0.000000128"} 0
t_seconds_bucket{agent="b",le="0.000000256"} 2
t_seconds_bucket{agent="b",le="+Inf"} 2
t_seconds_sum{agent="b"} 0.000000400
t_seconds_count{agent="b"} 2
# HELP c_total c
# TYPE c_total counter
c_total{side="outside"} 7
c_total{side="inside"} 5
"""

    def check(self, text, *wanted):
        r = subprocess.run([sys.executable, os.path.join(HERE, "metrics_check.py"), *wanted], input=text,
                           capture_output=True, text=True)
        return r.returncode, r.stdout.strip(), r.stderr

    def test_valid_histogram_and_sums_over_label_sets(self):
        self.assertEqual((0, "6 4 12 7", ""), self.check(self.HISTOGRAM, "t_seconds_count",
                                                          't_seconds_count{agent="a"}', "c_total",
                                                          'c_total{side="outside"}'))

    def test_buckets_must_be_cumulative_and_end_at_the_count(self):
        code, _, err = self.check(self.HISTOGRAM.replace('le="0.000000256"} 3', 'le="0.000000256"} 0'))
        self.assertEqual((1, True), (code, "not cumulative" in err))
        code, _, err = self.check(self.HISTOGRAM.replace('t_seconds_count{agent="a"} 4', 't_seconds_count{agent="a"} 5'))
        self.assertEqual((1, True), (code, "differs from t_seconds_count" in err))
        code, _, err = self.check(self.HISTOGRAM.replace('{agent="b",le="+Inf"}', '{agent="b",le="1"}'))
        self.assertEqual((1, True), (code, "not +Inf" in err))

    def test_histogram_samples_need_their_suffix_and_le(self):
        code, _, err = self.check(self.HISTOGRAM.replace('t_seconds_sum{agent="a"}', 't_seconds{agent="a"}'))
        self.assertEqual((1, True), (code, "before its TYPE" in err))
        code, _, err = self.check(self.HISTOGRAM.replace('{agent="a",le="0.000000128"}', '{agent="a"}'))
        self.assertEqual((1, True), (code, "bucket without le" in err))

    def test_other_types_and_duplicates_are_refused(self):
        self.assertEqual(1, self.check("# TYPE x summary\nx 1\n")[0])
        self.assertEqual(1, self.check("# TYPE x counter\nx 1\nx 2\n")[0])
        self.assertEqual(1, self.check("# TYPE x counter\nx -1\n")[0])


class LbHoldTest(unittest.TestCase):
    """lb_hold.py against a loopback TLS server that answers whoami.txt with b0, b1, b0, ... per connection."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        cert, key = os.path.join(self.dir.name, "cert.pem"), os.path.join(self.dir.name, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-days", "1", "-keyout", key, "-out", cert, "-subj", "/CN=lb-hold-test"],
                       check=True, capture_output=True)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open_connections = []
        self.accepted = 0
        threading.Thread(target=self.serve, daemon=True).start()

    def tearDown(self):
        self.listener.close()
        for c in self.open_connections:
            c.close()
        self.dir.cleanup()

    def serve(self):
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            name = b"b%d\n" % (self.accepted % 2)
            self.accepted += 1
            try:
                conn = self.context.wrap_socket(raw, server_side=True)
                request = b""
                while b"\r\n\r\n" not in request:
                    request += conn.recv(1024)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(name), name))
                self.open_connections.append(conn)
            except (OSError, ssl.SSLError):
                raw.close()

    def run_tool(self, commands, *extra):
        return subprocess.run([sys.executable, os.path.join(HERE, "lb_hold.py"), "127.0.0.1", str(self.port),
                               "--parallel", "1", "--timeout", "10", *extra], input=commands, capture_output=True,
                              text=True, timeout=60)

    def test_opens_holds_closes_by_name_and_counts(self):
        r = self.run_tool("open 4\ncount\nclose b0\ncount\nopen 1\ncount\nbogus\nquit\n")
        self.assertEqual(0, r.returncode, r.stderr)
        self.assertEqual(["b0 b1 b0 b1", "b0=2 b1=2", "2", "b1=2", "b0", "b0=1 b1=2",
                          "error: unknown command 'bogus'"], r.stdout.splitlines())

    def test_connects_from_the_source_address_given(self):
        r = self.run_tool("open 2\nquit\n", "--source", "127.0.0.1")
        self.assertEqual(0, r.returncode, r.stderr)
        self.assertEqual(["b0 b1"], r.stdout.splitlines())
        r = self.run_tool("open 1\n", "--source", "192.0.2.1")  # TEST-NET-1: not an address of this host
        self.assertEqual(["-"], r.stdout.splitlines())
        self.assertIn("open: OSError", r.stderr)

    def test_answers_a_dash_for_a_connection_that_fails(self):
        with socket.socket() as bound:  # a port bound but not listening: connections are refused
            bound.bind(("127.0.0.1", 0))
            self.port = bound.getsockname()[1]
            r = self.run_tool("open 2\ncount\n")
        self.assertEqual(0, r.returncode, r.stderr)
        self.assertEqual(["- -", ""], r.stdout.splitlines())
        self.assertIn("open: ConnectionRefusedError", r.stderr)


if __name__ == "__main__":
    unittest.main()
