package org.inlinetls.modes.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.NamedGroup;
import org.bouncycastle.tls.ProtocolVersion;
import org.inlinetls.crypto.cbc.CbcSuite;
import org.inlinetls.crypto.record.AlertDescription;
import org.inlinetls.crypto.record.IntegrityMode;
import org.inlinetls.handshake.BcTestClient;
import org.inlinetls.handshake.HandshakeConfig;
import org.inlinetls.handshake.TestPki;
import org.inlinetls.modes.TlsClientApp;
import org.inlinetls.modes.ServiceModeClassifier;
import org.inlinetls.modes.direct.DirectEngine;
import org.inlinetls.modes.direct.FrameOut;
import org.inlinetls.modes.direct.SimLink;
import org.inlinetls.packet.checksum.Checksums;
import org.inlinetls.packet.counter.PortCounters;
import org.inlinetls.packet.engine.BridgeAgent;
import org.inlinetls.packet.engine.FrameClassifier;
import org.inlinetls.packet.engine.MalformedPolicy;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.frame.FrameAnomaly;
import org.inlinetls.packet.frame.FrameParser;
import org.inlinetls.packet.frame.ParsedFrame;
import org.inlinetls.packet.port.InMemoryPort;
import org.inlinetls.packet.tcp.AbortReason;
import org.inlinetls.packet.tcp.TcpConfig;
import org.inlinetls.packet.tcp.TcpEndpoint;
import org.inlinetls.seqdb.FlowJournal;

/**
 * One seed of the full-proxy mode's deterministic simulation, built as the direct mode's: a userspace TCP client
 * speaking TLS (BouncyCastle) to the service address on 443, a userspace TCP backend speaking plain bytes on 80, and
 * the {@link ProxyEngine} in a {@link BridgeAgent} between them over in-memory ports; four seeded lossy, reordering,
 * duplicating, re-segmenting links; a simulated clock that jumps to the next deadline when nothing is left to do.
 * <p>
 * Besides the applications' checks (every byte each way arrives once and identical, both ends close cleanly, the
 * engine lets the flow go and its memory), two oracles watch the wire: every payload byte the appliance sends the
 * backend equals the client's plaintext at that position, and the appliance never sends the client two different
 * bytes for one position.
 */
final class ProxySimulation
{
    static final int SERVER_ADDRESS = 0xC6336402; // 198.51.100.2
    static final byte[] SERVER_IP = {(byte)198, 51, 100, 2};
    static final byte[] CLIENT_IP = {(byte)192, 0, 2, 1};
    static final long CLIENT_MAC = 0x02_00_00_00_00_01L;
    static final long SERVER_MAC = 0x02_00_00_00_00_02L;
    static final long TIME_WAIT_NS = 1_000_000_000L;
    private static final long MAX_SIM_NS = 600_000_000_000L;
    private static final int MAX_STEPS = 5_000_000;
    /** -Dproxy.trace=true prints every frame on the four links (for replaying one seed). */
    private static final boolean TRACE = Boolean.getBoolean("proxy.trace");

    /** A TLS version and suite the client offers alone. */
    record Suite(String name, ProtocolVersion version, int code)
    {
    }

    /** Every suite the appliance implements, the legacy CBC ones included (switched on for the simulation). */
    static final List<Suite> SUITES = List.of(
        new Suite("TLS13_AES_128_GCM", ProtocolVersion.TLSv13, CipherSuite.TLS_AES_128_GCM_SHA256),
        new Suite("TLS13_AES_256_GCM", ProtocolVersion.TLSv13, CipherSuite.TLS_AES_256_GCM_SHA384),
        new Suite("TLS13_CHACHA20", ProtocolVersion.TLSv13, CipherSuite.TLS_CHACHA20_POLY1305_SHA256),
        new Suite("TLS12_ECDHE_ECDSA_AES_128_GCM", ProtocolVersion.TLSv12,
            CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
        new Suite("TLS12_ECDHE_ECDSA_AES_256_GCM", ProtocolVersion.TLSv12,
            CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384),
        new Suite("TLS12_ECDHE_ECDSA_CHACHA20", ProtocolVersion.TLSv12,
            CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256),
        new Suite("TLS12_ECDHE_RSA_AES_128_GCM", ProtocolVersion.TLSv12,
            CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256),
        new Suite("TLS12_ECDHE_ECDSA_AES_128_CBC_SHA", ProtocolVersion.TLSv12,
            CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA),
        new Suite("TLS12_ECDHE_RSA_AES_128_CBC_SHA256", ProtocolVersion.TLSv12,
            CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256));

    /** What one seed chose, printed with any failure. */
    record Setup(long seed, Suite suite, IntegrityMode integrity, int clientPort, int upload, int download,
        int clientMss, int serverMss, int clientWindow, int serverWindow, boolean timestamps, double[] loss,
        double duplicate, long jitterNs, int applianceWindow)
    {
        /** The direct mode's fault matrix (loss 0–10% per link, duplication, jitter, splits, small windows). */
        static Setup of(final long seed)
        {
            final SplittableRandom r = new SplittableRandom(seed);
            final double maxLoss = r.nextInt(4) == 0 ? 0 : r.nextDouble(0.10);
            final double[] loss = new double[4];
            for (int i = 0; i < 4; i++)
            {
                loss[i] = r.nextInt(3) == 0 ? 0 : r.nextDouble(maxLoss + 1e-9);
            }
            final int sizeClass = r.nextInt(10);
            final int download = sizeClass < 3 ? r.nextInt(2_000) : sizeClass < 9 ? r.nextInt(200_000) :
                r.nextInt(1_500_000);
            final int upload = 1 + (r.nextInt(3) == 0 ? r.nextInt(300_000) : r.nextInt(3_000));
            return new Setup(seed, SUITES.get(r.nextInt(SUITES.size())),
                r.nextBoolean() ? IntegrityMode.STRICT : IntegrityMode.DEFERRED,
                1024 + (int)(Math.floorMod(seed, 60_000)), upload, download,
                536 + r.nextInt(1460 - 536 + 1), 536 + r.nextInt(1460 - 536 + 1),
                r.nextInt(4) == 0 ? 2_048 + r.nextInt(8_192) : 16_384 + r.nextInt(256 * 1024),
                r.nextInt(4) == 0 ? 2_048 + r.nextInt(8_192) : 16_384 + r.nextInt(256 * 1024),
                r.nextInt(5) != 0, loss, r.nextInt(3) == 0 ? r.nextDouble(0.03) : 0,
                r.nextInt(2) == 0 ? 0 : r.nextLong(3_000_000),
                r.nextInt(4) == 0 ? 4_096 + r.nextInt(16_384) : 64 * 1024);
        }

        /** A clean run of one suite (no faults). */
        static Setup clean(final long seed, final Suite suite, final IntegrityMode integrity, final int upload,
            final int download)
        {
            return new Setup(seed, suite, integrity, 50_000 + (int)(seed % 1000), upload, download, 1460, 1460,
                65_536, 65_536, true, new double[4], 0, 0, 64 * 1024);
        }

        @Override
        public String toString()
        {
            return String.format("seed=%d suite=%s integrity=%s upload=%d download=%d mss c/s=%d/%d " +
                    "window c/s/appliance=%d/%d/%d ts=%s loss c->a=%.3f a->c=%.3f a->s=%.3f s->a=%.3f dup=%.3f " +
                    "jitter=%dus", seed, suite.name(), integrity, upload, download, clientMss, serverMss, clientWindow,
                serverWindow, applianceWindow, timestamps, loss[0], loss[1], loss[2], loss[3], duplicate,
                jitterNs / 1000);
        }
    }

    private final Setup setup;
    private final InMemoryPort outside = new InMemoryPort("outside", 1 << 22);
    private final InMemoryPort inside = new InMemoryPort("inside", 1 << 22);
    private final ProxyEngine engine;
    private DirectEngine directEngine;
    private final BridgeAgent bridge;
    private final TcpEndpoint client;
    private final TcpEndpoint server;
    private final BcTestClient tls;
    private final SimLink clientToAppliance;
    private final SimLink applianceToClient;
    private final SimLink applianceToServer;
    private final SimLink serverToAppliance;
    private final byte[] upload;
    private final byte[] download;
    private long nowNs = 1_000_000_000L;

    // client application
    private final TlsClientApp app;
    private final ByteArrayOutputStream clientGot;
    private int uploadWritten;
    private int clientIsnSent;
    // server application
    private final ByteArrayOutputStream serverGot = new ByteArrayOutputStream();
    private int downloadWritten;
    private boolean serverTcpClosed;
    /** The server application reads nothing before this time (a slow backend: back-pressure). */
    private long serverReadsFromNs;
    private long peakMemoryBytes;
    /** Client bytes the appliance had acknowledged when the slow backend started reading, or -1. */
    private long clientAckedWhenBackendReads = -1;
    // oracles
    private final FrameParser parser = new FrameParser();
    private final ParsedFrame parsed = new ParsedFrame();
    private final TcpHeaderFlyweight tcp = new TcpHeaderFlyweight();
    private final byte[] toClientStream;
    private final BitSet toClientKnown = new BitSet();
    private int clientIsn;
    private int serverIsn;
    private boolean clientIsnKnown;
    private boolean serverIsnKnown;
    private final byte[] buffer = new byte[1 << 16];
    private int forgeAtAppOffset = -1;
    private int forgeAt = -1;
    private boolean forged;
    private long handshakeBytes = -1;
    private int forgedPlainBytes;
    private int framesToServer;
    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
    private long steadyAllocatedBytes;
    private long steadyCycles;

    ProxySimulation(final Setup setup) throws NoSuchAlgorithmException
    {
        this(setup, Long.MAX_VALUE);
    }

    ProxySimulation(final Setup setup, final long memoryBudgetBytes) throws NoSuchAlgorithmException
    {
        this(setup, memoryBudgetBytes, null);
    }

    /**
     * @param directJournal when not null, a direct-mode engine runs beside the full-proxy one on the bridge (a
     *                      {@link ServiceModeClassifier}), serving the same server's port 8443 in front of the same
     *                      backend port 80, so the two modes share that backend.
     */
    ProxySimulation(final Setup setup, final long memoryBudgetBytes, final FlowJournal directJournal)
        throws NoSuchAlgorithmException
    {
        this.setup = setup;
        final SplittableRandom r = new SplittableRandom(setup.seed() * 31 + 7);
        upload = new byte[setup.upload()];
        download = new byte[setup.download()];
        fill(r, upload);
        fill(r, download);
        toClientStream = new byte[setup.download() * 2 + 64 * 1024];

        final HandshakeConfig handshake = HandshakeConfig.builder(TestPki.get().selector())
            .random(seeded(setup.seed() ^ 0x5EED)).allowCbc(true).cbcSuites(CbcSuite.values())
            .build();
        engine = new ProxyEngine(new ProxyEngine.Settings(
            List.of(new ProxyEngine.Service(SERVER_ADDRESS, 443, 80)), handshake, setup.integrity(), 1460,
            setup.applianceWindow(), setup.applianceWindow(), ProxyEngine.Settings.MIN_STAGE_BYTES, memoryBudgetBytes,
            300_000_000_000L, TIME_WAIT_NS, Math.floorMod(setup.seed(), 4) != 0, setup.seed() * 0x9E3779B97F4A7C15L),
            new FrameOut()
            {
                @Override
                public boolean toClient(final DirectBuffer b, final int offset, final int length)
                {
                    return outside.send(b, offset, length);
                }

                @Override
                public boolean toServer(final DirectBuffer b, final int offset, final int length)
                {
                    return inside.send(b, offset, length);
                }
            });
        FrameClassifier classifier = engine;
        if (null != directJournal)
        {
            final DirectEngine.Service direct = new DirectEngine.Service(SERVER_ADDRESS, 8443, 80);
            directEngine = new DirectEngine(new DirectEngine.Settings(List.of(direct), handshake,
                IntegrityMode.DEFERRED, false, DirectEngine.Settings.AEAD_MAX_RECORD_OVERHEAD, 300_000_000_000L,
                2_000_000_000L, false), directJournal, new FrameOut()
                {
                    @Override
                    public boolean toClient(final DirectBuffer b, final int offset, final int length)
                    {
                        return outside.send(b, offset, length);
                    }

                    @Override
                    public boolean toServer(final DirectBuffer b, final int offset, final int length)
                    {
                        return inside.send(b, offset, length);
                    }
                });
            engine.sharedBackends(List.of(new ProxyEngine.Service(SERVER_ADDRESS, 8443, 80)));
            classifier = new ServiceModeClassifier(engine, directEngine);
        }
        final CountersManager manager = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 512)), new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 128)));
        bridge = new BridgeAgent(outside, inside, new PortCounters(manager, "outside"),
            new PortCounters(manager, "inside"), classifier, MalformedPolicy.defaults(), () -> nowNs, 64);

        client = new TcpEndpoint(new TcpConfig().localMac(CLIENT_MAC).remoteMac(SERVER_MAC)
            .localAddress(CLIENT_IP).remoteAddress(SERVER_IP).localPort(setup.clientPort()).remotePort(443)
            .mss(setup.clientMss()).receiveBufferBytes(setup.clientWindow()).sendBufferBytes(64 * 1024)
            .timestamps(setup.timestamps()).maxRtoNs(2_000_000_000L).timeWaitNs(120_000_000_000L)
            .sackPermitted(Math.floorMod(setup.seed(), 3) != 0) // SACK on the client leg in 3/4 x 2/3 of the seeds
            .isnSeed(setup.seed()).validate());
        server = new TcpEndpoint(new TcpConfig().localMac(SERVER_MAC).remoteMac(CLIENT_MAC)
            .localAddress(SERVER_IP).remoteAddress(CLIENT_IP).localPort(80).remotePort(setup.clientPort())
            .mss(setup.serverMss()).receiveBufferBytes(setup.serverWindow()).sendBufferBytes(64 * 1024)
            .timestamps(setup.timestamps()).maxRtoNs(2_000_000_000L).timeWaitNs(120_000_000_000L)
            .sackPermitted(Math.floorMod(setup.seed(), 5) != 0)
            .isnSeed(~setup.seed()).validate());
        clientToAppliance = new SimLink(setup.seed() * 4 + 1, setup.loss()[0], setup.duplicate(), 100_000,
            setup.jitterNs());
        applianceToClient = new SimLink(setup.seed() * 4 + 2, setup.loss()[1], setup.duplicate(), 100_000,
            setup.jitterNs());
        applianceToServer = new SimLink(setup.seed() * 4 + 3, setup.loss()[2], setup.duplicate(), 100_000,
            setup.jitterNs());
        serverToAppliance = new SimLink(setup.seed() * 4, setup.loss()[3], setup.duplicate(), 100_000,
            setup.jitterNs());

        final Suite suite = setup.suite();
        tls = new BcTestClient(seeded(setup.seed()), new ProtocolVersion[] {suite.version()}, new int[] {suite.code()},
            new int[] {NamedGroup.x25519, NamedGroup.secp256r1},
            suite.name().contains("RSA") ? TestPki.RSA_HOST : TestPki.EC_HOST);
        app = new TlsClientApp(tls, client);
        clientGot = app.got();
    }

    /** The backend application reads nothing for this long after the start: the flow must stall, bounded. */
    ProxySimulation slowBackend(final long pauseNs)
    {
        serverReadsFromNs = nowNs + pauseNs;
        return this;
    }

    ProxyEngine engine()
    {
        return engine;
    }

    DirectEngine directEngine()
    {
        return directEngine;
    }

    /** Sends the appliance a backend segment of no flow (from port 80 to a client port nobody uses), as a late one. */
    void injectStrayBackendSegment()
    {
        final TcpEndpoint stray = new TcpEndpoint(new TcpConfig().localMac(SERVER_MAC).remoteMac(CLIENT_MAC)
            .localAddress(SERVER_IP).remoteAddress(CLIENT_IP).localPort(80).remotePort(setup.clientPort() + 1)
            .validate());
        stray.connect(nowNs);
        stray.poll(nowNs, (b, o, l) ->
        {
            final byte[] copy = new byte[l];
            b.getBytes(o, copy);
            inside.inject(copy);
            return true;
        });
        bridge.doWork();
    }

    long peakMemoryBytes()
    {
        return peakMemoryBytes;
    }

    long clientAckedWhenBackendReads()
    {
        return clientAckedWhenBackendReads;
    }

    TcpEndpoint clientEndpoint()
    {
        return client;
    }

    /** Runs the seed to its end; returns null when everything held, else what went wrong. */
    String run()
    {
        try
        {
            server.listen();
            client.connect(nowNs);
            tls.connect();
            for (int step = 0; step < MAX_STEPS; step++)
            {
                boolean progress = clientApp() | serverApp();
                progress |= pump();
                if (client.isAborted() || server.isAborted())
                {
                    return "aborted: client " + client.abortReason() + " server " + server.abortReason() + "\n" +
                        state();
                }
                if (tls.alertReceived > 0 || tls.alertRaised > 0) // 0 is close_notify, the normal end
                {
                    return "TLS alert: received " + tls.alertReceived + " raised " + tls.alertRaised + "\n" + state();
                }
                if (client.isClosed() && server.isClosed())
                {
                    return verify();
                }
                if (!progress && !advanceClock())
                {
                    return "stalled with nothing scheduled\n" + state();
                }
            }
            return "did not finish in " + MAX_STEPS + " steps\n" + state();
        }
        catch (final RuntimeException | IOException | AssertionError ex)
        {
            return ex + " at " + nowNs / 1_000_000 + " ms\n" + state();
        }
    }

    /**
     * Flips one bit of the client's ciphertext on the way to the appliance, {@code appOffset} bytes after the
     * client's handshake.
     *
     * @return null when the client was told bad_record_mac and the backend was reset, and (strict integrity) no
     * plaintext of the forged record reached the backend; else what went wrong.
     */
    String runForgery(final int appOffset)
    {
        forgeAtAppOffset = appOffset;
        try
        {
            server.listen();
            client.connect(nowNs);
            tls.connect();
            for (int step = 0; step < MAX_STEPS; step++)
            {
                boolean progress = false;
                try
                {
                    progress = clientApp();
                }
                catch (final IOException ex)
                {
                    // BouncyCastle raises the fatal alert it received
                }
                progress |= serverApp();
                progress |= pump();
                if (tls.alertReceived == AlertDescription.BAD_RECORD_MAC && server.isAborted())
                {
                    if (server.abortReason() != AbortReason.RESET_RECEIVED)
                    {
                        return "backend aborted for " + server.abortReason() + "\n" + state();
                    }
                    if (setup.integrity() == IntegrityMode.STRICT && forgedPlainBytes > 0)
                    {
                        return forgedPlainBytes + " bytes of forged plaintext reached the backend\n" + state();
                    }
                    return forged ? null : "nothing was forged\n" + state();
                }
                if (!progress && !advanceClock())
                {
                    return "stalled: client alert " + tls.alertReceived + ", backend aborted " + server.isAborted() +
                        "\n" + state();
                }
            }
            return "did not settle\n" + state();
        }
        catch (final RuntimeException | AssertionError ex)
        {
            return ex + "\n" + state();
        }
    }

    /**
     * The backend is down (its port answers SYNs with a RST): the client, through its handshake, must be reset.
     *
     * @return null when the client was reset and the engine let the flow go, else what went wrong.
     */
    String runBackendRefusing()
    {
        try
        {
            client.connect(nowNs); // the backend endpoint never listens: a closed port answers with a RST
            tls.connect();
            for (int step = 0; step < MAX_STEPS; step++)
            {
                boolean progress = false;
                try
                {
                    progress = clientApp();
                }
                catch (final IOException ex)
                {
                    // a reset connection may leave BouncyCastle mid-record
                }
                progress |= pump();
                if (client.isAborted())
                {
                    advancePastLinger();
                    return client.abortReason() == AbortReason.RESET_RECEIVED && engine.flowCount() == 0 &&
                        engine.counter(ProxyCounter.BACKEND_REFUSED) == 1 && engine.memoryUsedBytes() == 0 ? null :
                        "client " + client.abortReason() + ", flows " + engine.flowCount() + "\n" + state();
                }
                if (!progress && !advanceClock())
                {
                    return "stalled\n" + state();
                }
            }
            return "did not settle\n" + state();
        }
        catch (final RuntimeException | AssertionError ex)
        {
            return ex + "\n" + state();
        }
    }

    /**
     * The client resets its connection once the backend has half the upload: the backend must be reset too.
     *
     * @return null when the backend was reset and the engine let the flow go, else what went wrong.
     */
    String runClientResetMidTransfer()
    {
        try
        {
            server.listen();
            client.connect(nowNs);
            tls.connect();
            boolean reset = false;
            for (int step = 0; step < MAX_STEPS; step++)
            {
                boolean progress = clientApp() | serverApp();
                if (!reset && serverGot.size() >= upload.length / 2 && serverGot.size() > 0)
                {
                    client.abort();
                    reset = true;
                }
                progress |= pump();
                if (server.isAborted())
                {
                    advancePastLinger();
                    return reset && server.abortReason() == AbortReason.RESET_RECEIVED && engine.flowCount() == 0 &&
                        engine.counter(ProxyCounter.FLOWS_RESET) == 1 ? null :
                        "backend " + server.abortReason() + ", flows " + engine.flowCount() + "\n" + state();
                }
                if (!progress && !advanceClock())
                {
                    return "stalled\n" + state();
                }
            }
            return "did not settle\n" + state();
        }
        catch (final RuntimeException | IOException | AssertionError ex)
        {
            return ex + "\n" + state();
        }
    }

    /**
     * A client that speaks plain HTTP to port 443.
     *
     * @return null when the client was reset and the backend never saw a SYN, else what went wrong.
     */
    String runNotTls()
    {
        try
        {
            server.listen();
            client.connect(nowNs);
            final byte[] request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            int written = 0;
            for (int step = 0; step < MAX_STEPS; step++)
            {
                boolean progress = false;
                if (client.isEstablished() && written < request.length)
                {
                    final int n = client.write(request, written, request.length - written);
                    written += n;
                    progress = n > 0;
                }
                progress |= pump();
                if (client.isAborted())
                {
                    advancePastLinger();
                    return framesToServer == 0 && engine.flowCount() == 0 &&
                        engine.counter(ProxyCounter.FLOWS_NOT_TLS_RESET) == 1 ? null :
                        "frames to the backend " + framesToServer + ", flows " + engine.flowCount() + "\n" + state();
                }
                if (!progress && !advanceClock())
                {
                    return "stalled\n" + state();
                }
            }
            return "did not settle\n" + state();
        }
        catch (final RuntimeException | AssertionError ex)
        {
            return ex + "\n" + state();
        }
    }

    /** Moves frames one step through endpoints, links and the engine; true when anything moved. */
    private boolean pump()
    {
        boolean progress = client.poll(nowNs, (b, o, l) -> sendFrom(clientToAppliance, b, o, l)) > 0;
        progress |= server.poll(nowNs, (b, o, l) -> sendFrom(serverToAppliance, b, o, l)) > 0;
        progress |= clientToAppliance.deliver(nowNs, outside::inject) > 0;
        progress |= serverToAppliance.deliver(nowNs, inside::inject) > 0;
        progress |= bridgeWork() > 0;
        progress |= outside.drainSent((b, o, l, ts) -> toClient(b, o, l), Integer.MAX_VALUE) > 0;
        progress |= inside.drainSent((b, o, l, ts) -> toServer(b, o, l), Integer.MAX_VALUE) > 0;
        progress |= applianceToClient.deliver(nowNs, f -> client.onFrame(new UnsafeBuffer(f), 0, f.length,
            nowNs)) > 0;
        progress |= applianceToServer.deliver(nowNs, f -> server.onFrame(new UnsafeBuffer(f), 0, f.length,
            nowNs)) > 0;
        peakMemoryBytes = Math.max(peakMemoryBytes, engine.memoryUsedBytes());
        return progress;
    }

    /**
     * Runs the engine once; while the download is between 20% and 80% through (the steady state, after the handshake
     * and the upload), counts what its thread allocated meanwhile.
     */
    private int bridgeWork()
    {
        final boolean steady = clientGot.size() > download.length / 5 && clientGot.size() < download.length * 4 / 5 &&
            serverGot.size() == upload.length;
        if (!steady)
        {
            return bridge.doWork();
        }
        final long before = THREADS.getThreadAllocatedBytes(Thread.currentThread().getId());
        final int work = bridge.doWork();
        steadyAllocatedBytes += THREADS.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
        steadyCycles++;
        return work;
    }

    /** Bytes the engine's thread allocated in the steady state (see {@link #bridgeWork()}). */
    long steadyAllocatedBytes()
    {
        return steadyAllocatedBytes;
    }

    long steadyCycles()
    {
        return steadyCycles;
    }

    /** Jumps the clock to the next deadline; false when there is none within the simulation's limit. */
    private boolean advanceClock()
    {
        long next = Math.min(client.nextDeadlineNs(), server.nextDeadlineNs());
        next = Math.min(next, Math.min(clientToAppliance.nextDeliveryNs(), applianceToClient.nextDeliveryNs()));
        next = Math.min(next, Math.min(applianceToServer.nextDeliveryNs(), serverToAppliance.nextDeliveryNs()));
        next = Math.min(next, engine.nextDeadlineNs());
        if (null != directEngine)
        {
            next = Math.min(next, directEngine.nextDeadlineNs());
        }
        if (nowNs - serverReadsFromNs < 0)
        {
            next = Math.min(next, serverReadsFromNs);
        }
        if (next == Long.MAX_VALUE || next - 1_000_000_000L > MAX_SIM_NS)
        {
            return false;
        }
        nowNs = Math.max(nowNs + 1, next);
        return true;
    }

    private void advancePastLinger()
    {
        for (int i = 0; i < 5; i++)
        {
            nowNs += TIME_WAIT_NS;
            bridge.doWork();
            outside.drainSent((b, o, l, ts) -> { }, Integer.MAX_VALUE);
            inside.drainSent((b, o, l, ts) -> { }, Integer.MAX_VALUE);
        }
    }

    private String verify()
    {
        advancePastLinger();
        if (engine.flowCount() != 0 || engine.memoryUsedBytes() != 0)
        {
            return "the flow is still held after both ends closed (memory " + engine.memoryUsedBytes() + ")\n" +
                state();
        }
        if (!Arrays.equals(serverGot.toByteArray(), upload))
        {
            return "server got " + serverGot.size() + " bytes, not the " + upload.length + " sent\n" + state();
        }
        if (!Arrays.equals(clientGot.toByteArray(), download))
        {
            return "client got " + clientGot.size() + " bytes, not the " + download.length + " sent\n" + state();
        }
        if (engine.counter(ProxyCounter.FLOWS_CLOSED) != 1 || engine.counter(ProxyCounter.FLOWS_RESET) != 0 ||
            engine.counter(ProxyCounter.FLOWS_TRUNCATED) != 0)
        {
            return "the flow did not end cleanly\n" + state();
        }
        if (engine.counter(ProxyCounter.BYTES_FROM_CLIENTS) != upload.length ||
            engine.counter(ProxyCounter.BYTES_TO_CLIENTS) != download.length)
        {
            return "byte counters from/to the client " + engine.counter(ProxyCounter.BYTES_FROM_CLIENTS) + "/" +
                engine.counter(ProxyCounter.BYTES_TO_CLIENTS) + ", not " + upload.length + "/" + download.length +
                "\n" + state();
        }
        return null;
    }

    private boolean sendFrom(final SimLink link, final DirectBuffer b, final int offset, final int length)
    {
        final byte[] copy = new byte[length];
        b.getBytes(offset, copy);
        trace(link == clientToAppliance ? "client  -> appl  " : "server  -> appl  ", copy);
        if (link == clientToAppliance && copy.length >= 54 && (copy[47] & TcpHeaderFlyweight.SYN) != 0)
        {
            clientIsnSent = new UnsafeBuffer(copy).getInt(38, ByteOrder.BIG_ENDIAN);
        }
        if (link == clientToAppliance && forgeAt >= 0)
        {
            forge(copy);
        }
        link.send(copy, nowNs);
        return true;
    }

    // ------------------------------------------------------------------------------------------------ the apps --

    private boolean clientApp() throws IOException
    {
        boolean progress = app.flushToTcp();
        progress |= app.feedFromTcp(buffer, buffer.length) > 0;
        if (app.isOpen())
        {
            if (handshakeBytes < 0)
            {
                handshakeBytes = app.bytesWritten();
                if (forgeAtAppOffset >= 0)
                {
                    forgeAt = (int)handshakeBytes + forgeAtAppOffset;
                }
            }
            if (uploadWritten < upload.length && app.tlsOutputBytes() < 64 * 1024)
            {
                final int chunk = Math.min(upload.length - uploadWritten, 16_384);
                app.write(upload, uploadWritten, chunk);
                uploadWritten += chunk;
                progress = true;
            }
            progress |= app.readPlain();
            if (clientGot.size() >= download.length && uploadWritten == upload.length)
            {
                app.closeTls(); // close_notify
                progress = true;
            }
        }
        return app.closeTcpWhenFlushed(false) || progress;
    }

    private boolean serverApp()
    {
        if (nowNs - serverReadsFromNs < 0)
        {
            return false;
        }
        if (clientAckedWhenBackendReads < 0 && serverReadsFromNs != 0)
        {
            clientAckedWhenBackendReads = client.bytesAcknowledged();
        }
        boolean progress = false;
        final int n = server.read(buffer, 0, buffer.length);
        if (n > 0)
        {
            serverGot.write(buffer, 0, n);
            progress = true;
        }
        if (serverGot.size() >= upload.length && downloadWritten < download.length)
        {
            final int written = server.write(download, downloadWritten, download.length - downloadWritten);
            downloadWritten += written;
            progress |= written > 0;
        }
        if (serverGot.size() >= upload.length && downloadWritten == download.length && !serverTcpClosed &&
            server.isEndOfStream())
        {
            server.close();
            serverTcpClosed = true;
            progress = true;
        }
        return progress;
    }

    /** Flips a bit of the byte at client stream offset {@link #forgeAt}, in every copy of it that is sent. */
    private void forge(final byte[] frame)
    {
        final UnsafeBuffer view = new UnsafeBuffer(frame);
        if (parser.parse(view, 0, frame.length, parsed) != FrameAnomaly.NONE || parsed.payloadLength <= 0)
        {
            return;
        }
        tcp.wrap(view, parsed.l4Offset);
        final int at = forgeAt - (tcp.sequenceNumber() - clientIsnSent - 1);
        if (at >= 0 && at < parsed.payloadLength)
        {
            frame[parsed.payloadOffset + at] ^= 0x10;
            Checksums.writeTcpChecksumIpv4(view, parsed.l3Offset, parsed.l4Offset, parsed.l4Length);
            forged = true;
        }
    }

    // ------------------------------------------------------------------------------------------------ oracles --

    private void toClient(final DirectBuffer b, final int offset, final int length)
    {
        final byte[] frame = new byte[length];
        b.getBytes(offset, frame);
        final UnsafeBuffer view = new UnsafeBuffer(frame);
        if (parser.parse(view, 0, length, parsed) != FrameAnomaly.NONE || !parsed.isTcp())
        {
            throw new AssertionError("the appliance sent the client a frame that does not parse: " + parsed.anomaly);
        }
        tcp.wrap(view, parsed.l4Offset);
        if (tcp.hasFlags(TcpHeaderFlyweight.SYN))
        {
            serverIsn = tcp.sequenceNumber();
            serverIsnKnown = true;
        }
        else if (serverIsnKnown && parsed.payloadLength > 0)
        {
            final int position = tcp.sequenceNumber() - serverIsn - 1;
            for (int i = 0; i < parsed.payloadLength; i++)
            {
                final int at = position + i;
                final byte value = frame[parsed.payloadOffset + i];
                if (at < 0 || at >= toClientStream.length)
                {
                    throw new AssertionError("the appliance sent the client byte position " + at);
                }
                if (toClientKnown.get(at) && toClientStream[at] != value)
                {
                    throw new AssertionError("two different bytes sent to the client at position " + at);
                }
                toClientStream[at] = value;
                toClientKnown.set(at);
            }
        }
        trace("appl    -> client", frame);
        applianceToClient.send(frame, nowNs);
    }

    private void toServer(final DirectBuffer b, final int offset, final int length)
    {
        framesToServer++;
        final byte[] frame = new byte[length];
        b.getBytes(offset, frame);
        final UnsafeBuffer view = new UnsafeBuffer(frame);
        if (parser.parse(view, 0, length, parsed) != FrameAnomaly.NONE || !parsed.isTcp())
        {
            throw new AssertionError("the appliance sent the server a frame that does not parse: " + parsed.anomaly);
        }
        tcp.wrap(view, parsed.l4Offset);
        if (parsed.dstPort != 80 || parsed.srcPort != setup.clientPort())
        {
            throw new AssertionError("the backend leg is not from the client's address and port to port 80: " +
                parsed.srcPort + " -> " + parsed.dstPort);
        }
        if (tcp.hasFlags(TcpHeaderFlyweight.SYN))
        {
            clientIsn = tcp.sequenceNumber();
            clientIsnKnown = true;
        }
        else if (clientIsnKnown && parsed.payloadLength > 0)
        {
            final int position = tcp.sequenceNumber() - clientIsn - 1;
            if (position < 0 || position + parsed.payloadLength > upload.length)
            {
                throw new AssertionError("plaintext sent to the server at " + position + "+" + parsed.payloadLength +
                    " outside the " + upload.length + " bytes the client sent");
            }
            for (int i = 0; i < parsed.payloadLength; i++)
            {
                if (frame[parsed.payloadOffset + i] != upload[position + i])
                {
                    if (forgeAt < 0)
                    {
                        throw new AssertionError("plaintext sent to the server differs at position " +
                            (position + i));
                    }
                    forgedPlainBytes++;
                }
            }
        }
        trace("appl    -> server", frame);
        applianceToServer.send(frame, nowNs);
    }

    // ------------------------------------------------------------------------------------------------ helpers --

    private final ParsedFrame traced = new ParsedFrame();
    private final TcpHeaderFlyweight tracedTcp = new TcpHeaderFlyweight();

    private void trace(final String link, final byte[] frame)
    {
        if (!TRACE)
        {
            return;
        }
        final UnsafeBuffer view = new UnsafeBuffer(frame);
        parser.parse(view, 0, frame.length, traced);
        tracedTcp.wrap(view, traced.l4Offset);
        System.out.printf("%9.3f ms %s flags=%02x seq=%d ack=%d len=%d win=%d%n", nowNs / 1e6 - 1000, link,
            tracedTcp.flags(), tracedTcp.sequenceNumber(), tracedTcp.acknowledgmentNumber(), traced.payloadLength,
            tracedTcp.window());
    }

    String state()
    {
        final StringBuilder text = new StringBuilder();
        text.append("  setup: ").append(setup).append('\n')
            .append("  client: ").append(client).append("\n  server: ").append(server).append('\n')
            .append("  client got ").append(clientGot.size()).append('/').append(download.length)
            .append(", server got ").append(serverGot.size()).append('/').append(upload.length)
            .append(", upload written ").append(uploadWritten).append(", tls closed ").append(app.tlsClosed()).append('\n')
            .append("  links c->a ").append(clientToAppliance).append(" | a->c ").append(applianceToClient)
            .append(" | a->s ").append(applianceToServer).append(" | s->a ").append(serverToAppliance).append('\n')
            .append("  engine:");
        for (final ProxyCounter c : ProxyCounter.values())
        {
            if (engine.counter(c) != 0)
            {
                text.append(' ').append(c.name().toLowerCase()).append('=').append(engine.counter(c));
            }
        }
        text.append("\n  flows: ").append(engine.describeFlows());
        return text.toString();
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

    private static SecureRandom seeded(final long seed) throws NoSuchAlgorithmException
    {
        final SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
        random.setSeed(ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putLong(seed).array());
        return random;
    }
}
