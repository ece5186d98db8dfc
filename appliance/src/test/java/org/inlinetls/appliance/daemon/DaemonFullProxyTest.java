package org.inlinetls.appliance.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.appliance.config.ConfigLoader;
import org.inlinetls.packet.counter.CountersFile;
import org.inlinetls.packet.port.RingPort;
import org.inlinetls.shim.NetNamespace;
import org.inlinetls.shim.NetnsLab;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Root-only: the daemon with one full-proxy service bridging b ⇄ c of two veth pairs a–b and c–d, 5% loss injected on
 * the frames it sends out of both sides. A userspace TCP client with a BouncyCastle TLS client on a uploads, a
 * userspace TCP backend on d answers with its download; both must arrive whole (SHA-256 equal) and both connections
 * close cleanly. {@code -Dproxy.lab.upMiB} / {@code -Dproxy.lab.downMiB} scale it (the lab figures are 20 and
 * 50; the defaults keep CI short).
 */
@SuppressWarnings("try") // namespace handles are held for their scope, not referenced
class DaemonFullProxyTest
{
    private static final int UP_BYTES = (int)(Double.parseDouble(System.getProperty("proxy.lab.upMiB", "1")) * (1 << 20));
    private static final int DOWN_BYTES =
        (int)(Double.parseDouble(System.getProperty("proxy.lab.downMiB", "4")) * (1 << 20));
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(Long.getLong("proxy.lab.timeoutSec", 180));
    private static final byte[] SERVICE = {10, 99, 0, 1};
    private static final byte[] CLIENT = {10, 99, 1, 1};
    private static final int CLIENT_PORT = 43_210;

    @TempDir
    Path runtime;
    private NetnsLab lab;
    private Path journal;

    @BeforeEach
    void createLab() throws IOException
    {
        lab = DaemonLab.create();
        journal = Path.of("/dev/shm/itls-daemon-proxy-" + ProcessHandle.current().pid() + ".dat");
    }

    @AfterEach
    void deleteLab() throws IOException
    {
        if (lab != null)
        {
            lab.close();
        }
        Files.deleteIfExists(journal);
        Files.deleteIfExists(journal.resolveSibling(journal.getFileName() + ".lock"));
        // the parked flows' sibling file (NAME-parked.dat) stays when flows were still parked at close
        Files.deleteIfExists(journal.resolveSibling(journal.getFileName().toString().replaceFirst("\\.dat$", "-parked.dat")));
    }

    @Test
    void shouldCarryBothWaysWholeThroughTheFullProxyUnderFivePercentLoss() throws Exception
    {
        TestCertificates.write(runtime, "www");
        final Path file = runtime.resolve("appliance.yaml");
        Files.writeString(file, "interfaces: {outside: b, inside: c}\n" +
            "runtime: {directory: " + runtime + "}\n" +
            "journal: {path: " + journal + "}\n" +
            "tls: {sessionCache: {enabled: false}}\n" +
            "faults:\n" +
            "  outside: {seed: 11, lossPercent: 5.0}\n" +
            "  inside: {seed: 12, lossPercent: 5.0}\n" +
            "certificates:\n" +
            "  - {chain: www.chain.pem, key: www.key.pem}\n" +
            "services:\n" +
            "  - {name: www, mode: full-proxy, listen: 10.99.0.1, backendPort: 80}\n");
        final ApplianceConfig config = ConfigLoader.load(file);
        final SplittableRandom random = new SplittableRandom(7);
        final byte[] upload = new byte[UP_BYTES];
        final byte[] download = new byte[DOWN_BYTES];
        fill(random, upload);
        fill(random, download);
        try (Daemon daemon = lab.openInside(() -> Daemon.start(config)))
        {
            final RingPort a;
            final RingPort d;
            try (NetNamespace.Entered ignored = NetNamespace.enter(lab.name))
            {
                a = RingPort.open("a");
                d = RingPort.open("d");
            }
            try (a; d)
            {
                final TlsTransfer transfer = new TlsTransfer(CLIENT, CLIENT_PORT, SERVICE, SERVICE,
                    TlsTransfer.SERVER_MAC, upload, download).start(System.nanoTime());
                final long endNs = System.nanoTime() + TIMEOUT_NS;
                while (!transfer.isDone())
                {
                    assertTrue(System.nanoTime() - endNs < 0, "timed out: " + transfer);
                    final long nowNs = System.nanoTime();
                    transfer.step();
                    transfer.client.poll(nowNs, (b, o, l) -> a.send(b, o, l));
                    transfer.server.poll(nowNs, (b, o, l) -> d.send(b, o, l));
                    a.flush(nowNs);
                    d.flush(nowNs);
                    final int frames = a.receive((b, o, l, ts) -> transfer.client.onFrame(b, o, l, System.nanoTime()),
                        256) + d.receive((b, o, l, ts) -> transfer.server.onFrame(b, o, l, System.nanoTime()), 256);
                    if (frames == 0)
                    {
                        Thread.onSpinWait();
                    }
                }
                assertEquals(sha256(upload), sha256(transfer.serverGot.toByteArray()), "upload " + transfer);
                assertEquals(sha256(download), sha256(transfer.clientGot.toByteArray()), "download " + transfer);
                assertArrayEquals(download, transfer.clientGot.toByteArray());
                assertTrue(transfer.client.isClosed() && !transfer.client.isAborted(), transfer.toString());
                assertTrue(transfer.server.isClosed() && !transfer.server.isAborted(), transfer.toString());
                // the engine lets the flow go (after its endpoints' TIME-WAIT) and publishes so
                final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                Map<String, Long> counters = readCounters();
                while (counters.getOrDefault("full_proxy flows_closed", 0L) != 1 ||
                    counters.getOrDefault("full_proxy memory_used_bytes", -1L) != 0)
                {
                    assertTrue(System.nanoTime() - deadlineNs < 0, "counters: " + counters);
                    Thread.sleep(100);
                    counters = readCounters();
                }
                assertEquals(1, counters.get("full_proxy flows_established"));
                assertEquals(0, counters.get("full_proxy flows_reset"));
                assertEquals(0, counters.get("full_proxy flows"));
            }
        }
    }

    private Map<String, Long> readCounters() throws IOException
    {
        final Map<String, Long> values = new HashMap<>();
        try (CountersFile file = CountersFile.open(runtime.resolve(Daemon.COUNTERS_FILE_NAME)))
        {
            CountersFile.forEach(file.reader(), values::put);
        }
        return values;
    }

    private static String sha256(final byte[] bytes) throws Exception
    {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static void fill(final SplittableRandom r, final byte[] bytes)
    {
        for (int i = 0; i < bytes.length; i += 8)
        {
            final long v = r.nextLong();
            for (int j = 0; j < 8 && i + j < bytes.length; j++)
            {
                bytes[i + j] = (byte)(v >>> (8 * j));
            }
        }
    }
}
