package org.inlinetls.appliance.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.tls.DefaultTlsClient;
import org.bouncycastle.tls.ServerOnlyTlsAuthentication;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.appliance.config.ConfigLoader;
import org.inlinetls.packet.counter.CountersFile;
import org.inlinetls.packet.port.RingPort;
import org.inlinetls.packet.tcp.TcpConfig;
import org.inlinetls.packet.tcp.TcpEndpoint;
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
    private static final long CLIENT_MAC = 0x02_00_00_00_00_01L;
    private static final long SERVER_MAC = 0x02_00_00_00_00_02L;
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
                final Transfer transfer = new Transfer(a, d, upload, download);
                transfer.run();
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

    /** Both applications and their TCP endpoints, driven in real time on the test's thread. */
    private static final class Transfer
    {
        final TcpEndpoint client = new TcpEndpoint(new TcpConfig().localMac(CLIENT_MAC).remoteMac(SERVER_MAC)
            .localAddress(CLIENT).remoteAddress(SERVICE).localPort(CLIENT_PORT).remotePort(443)
            .receiveBufferBytes(256 * 1024).sendBufferBytes(256 * 1024).timeWaitNs(1_000_000_000L).isnSeed(1).validate());
        final TcpEndpoint server = new TcpEndpoint(new TcpConfig().localMac(SERVER_MAC).remoteMac(CLIENT_MAC)
            .localAddress(SERVICE).remoteAddress(CLIENT).localPort(80).remotePort(CLIENT_PORT)
            .receiveBufferBytes(256 * 1024).sendBufferBytes(256 * 1024).timeWaitNs(1_000_000_000L).isnSeed(2).validate());
        final ByteArrayOutputStream clientGot = new ByteArrayOutputStream();
        final ByteArrayOutputStream serverGot = new ByteArrayOutputStream();
        private final RingPort a;
        private final RingPort d;
        private final byte[] upload;
        private final byte[] download;
        private final TlsClientProtocol tls = new TlsClientProtocol();
        private final byte[] buffer = new byte[1 << 16];
        private byte[] pending = new byte[0];
        private int pendingOffset;
        private int uploadWritten;
        private int downloadWritten;
        private boolean tlsClosed;
        private boolean clientClosed;
        private boolean serverClosed;

        Transfer(final RingPort a, final RingPort d, final byte[] upload, final byte[] download)
        {
            this.a = a;
            this.d = d;
            this.upload = upload;
            this.download = download;
        }

        void run() throws IOException
        {
            tls.connect(new DefaultTlsClient(new BcTlsCrypto(new SecureRandom()))
            {
                @Override
                public TlsAuthentication getAuthentication()
                {
                    return new ServerOnlyTlsAuthentication()
                    {
                        @Override
                        public void notifyServerCertificate(final TlsServerCertificate certificate)
                        {
                            // a self-signed test certificate: the test checks the bytes, not the server's identity
                        }
                    };
                }
            });
            server.listen();
            client.connect(System.nanoTime());
            final long deadlineNs = System.nanoTime() + TIMEOUT_NS;
            while (!(client.isClosed() && server.isClosed()))
            {
                assertTrue(System.nanoTime() - deadlineNs < 0, "timed out: " + this);
                final long nowNs = System.nanoTime();
                clientApp();
                serverApp();
                client.poll(nowNs, (b, o, l) -> a.send(b, o, l));
                server.poll(nowNs, (b, o, l) -> d.send(b, o, l));
                a.flush(nowNs);
                d.flush(nowNs);
                final int frames = a.receive((b, o, l, ts) -> client.onFrame(b, o, l, System.nanoTime()), 256) +
                    d.receive((b, o, l, ts) -> server.onFrame(b, o, l, System.nanoTime()), 256);
                if (frames == 0)
                {
                    Thread.onSpinWait();
                }
            }
        }

        private void clientApp() throws IOException
        {
            if (pendingOffset == pending.length && tls.getAvailableOutputBytes() > 0)
            {
                pending = new byte[tls.getAvailableOutputBytes()];
                pendingOffset = 0;
                tls.readOutput(pending, 0, pending.length);
            }
            if (pendingOffset < pending.length)
            {
                pendingOffset += client.write(pending, pendingOffset, pending.length - pendingOffset);
            }
            final int n = client.read(buffer, 0, buffer.length);
            if (n > 0 && !tls.isClosed())
            {
                tls.offerInput(buffer, 0, n);
            }
            if (!tls.isHandshaking() && tls.isConnected() && !tlsClosed)
            {
                if (uploadWritten < upload.length && tls.getAvailableOutputBytes() < 64 * 1024)
                {
                    final int chunk = Math.min(upload.length - uploadWritten, 16_384);
                    tls.writeApplicationData(upload, uploadWritten, chunk);
                    uploadWritten += chunk;
                }
                final int available = tls.getAvailableInputBytes();
                if (available > 0)
                {
                    final byte[] data = new byte[available];
                    tls.readInput(data, 0, available);
                    clientGot.write(data);
                }
                if (clientGot.size() >= download.length && uploadWritten == upload.length)
                {
                    tls.close();
                    tlsClosed = true;
                }
            }
            if (tlsClosed && !clientClosed && pendingOffset == pending.length && tls.getAvailableOutputBytes() == 0)
            {
                client.close();
                clientClosed = true;
            }
        }

        private void serverApp()
        {
            final int n = server.read(buffer, 0, buffer.length);
            if (n > 0)
            {
                serverGot.write(buffer, 0, n);
            }
            if (serverGot.size() >= upload.length && downloadWritten < download.length)
            {
                downloadWritten += server.write(download, downloadWritten, download.length - downloadWritten);
            }
            if (downloadWritten == download.length && !serverClosed && server.isEndOfStream())
            {
                server.close();
                serverClosed = true;
            }
        }

        @Override
        public String toString()
        {
            return "client got " + clientGot.size() + "/" + download.length + ", server got " + serverGot.size() +
                "/" + upload.length + "\n  client " + client + "\n  server " + server;
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
