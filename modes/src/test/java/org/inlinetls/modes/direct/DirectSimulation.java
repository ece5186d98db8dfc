package org.inlinetls.modes.direct;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.bouncycastle.tls.NamedGroup;
import org.bouncycastle.tls.ProtocolVersion;
import org.inlinetls.crypto.record.AlertDescription;
import org.inlinetls.crypto.record.IntegrityMode;
import org.inlinetls.crypto.record.RecordDecoder;
import org.inlinetls.packet.checksum.Checksums;
import org.inlinetls.handshake.BcTestClient;
import org.inlinetls.handshake.HandshakeConfig;
import org.inlinetls.handshake.TestPki;
import org.inlinetls.modes.TlsClientApp;
import org.inlinetls.packet.counter.PortCounters;
import org.inlinetls.packet.engine.BridgeAgent;
import org.inlinetls.packet.engine.FrameClassifier;
import org.inlinetls.packet.engine.MalformedPolicy;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.frame.FrameAnomaly;
import org.inlinetls.packet.frame.FrameParser;
import org.inlinetls.packet.frame.ParsedFrame;
import org.inlinetls.packet.port.InMemoryPort;
import org.inlinetls.packet.tcp.TcpConfig;
import org.inlinetls.packet.tcp.TcpEndpoint;
import org.inlinetls.seqdb.FlowJournal;

/**
 * One seed of the direct mode's deterministic simulation: a userspace TCP client speaking TLS (BouncyCastle) to the
 * server's address on 443, a userspace TCP server speaking plain bytes on 80, and the engine (a {@link BridgeAgent}
 * with a {@link DirectEngine}) between them over in-memory ports; four seeded lossy, reordering, duplicating links;
 * a simulated clock that jumps to the next deadline when nothing is left to do.
 * <p>
 * Besides the applications' own checks (every byte each way arrives once and identical, both ends close cleanly),
 * two oracles watch the wire: every payload byte the appliance sends the server must equal the client's plaintext at
 * that position, and the appliance must never send the client two different bytes for one position (which would
 * mean a record number reused for other plaintext).
 * <p>
 * Public for the other modes' simulations: a {@link Wiring} puts a mode's stages in front of the engine (the
 * load-balancing NAT) and moves the client's destination and the servers, under the same seeds and oracles.
 */
public final class DirectSimulation
{
    static final int SERVER_ADDRESS = 0xC6336402; // 198.51.100.2
    static final byte[] SERVER_IP = {(byte)198, 51, 100, 2};
    static final byte[] CLIENT_IP = {(byte)192, 0, 2, 1};
    static final long CLIENT_MAC = 0x02_00_00_00_00_01L;
    static final long SERVER_MAC = 0x02_00_00_00_00_02L;
    private static final long MAX_SIM_NS = 600_000_000_000L;
    private static final int MAX_STEPS = 5_000_000;
    /** The window scale Linux offers with the default tcp_rmem (6 MiB), whatever the socket's buffer. */
    private static final int LINUX_WINDOW_SHIFT = 7;
    /** -Ddirect.trace=true prints every frame on the four links (for replaying one seed). */
    private static final boolean TRACE = Boolean.getBoolean("direct.trace");

    /**
     * What a mode puts between the four links in place of the bare direct engine (load balancing: its NAT stage in
     * front of the engine), where the client connects to and where the servers listen. Its checks throw
     * {@link AssertionError} with what is wrong; the simulation reports it with the seed's state.
     */
    public interface Wiring
    {
        /** The address the client connects to on 443. */
        byte[] serviceIp();

        /** The MAC the client sends its frames to. */
        long serviceMac();

        /** The servers' addresses: a server endpoint listens on port 80 at each. */
        List<byte[]> serverIps();

        /** The MAC of server {@code index}. */
        long serverMac(int index);

        /**
         * Builds the mode's engine and stages over the bridge's ports from the direct engine's settings (their
         * services replaced as the mode needs).
         *
         * @return what the bridge runs.
         */
        FrameClassifier wire(DirectEngine.Settings settings, FlowJournal journal, FrameOut ports);

        /** The engine the last {@link #wire} built. */
        DirectEngine engine();

        /** The earliest timer of what {@link #wire} returned. */
        long nextDeadlineNs();

        /** Checks a frame the appliance sent the client. */
        void checkToClient(DirectBuffer frame, ParsedFrame parsed);

        /** Checks a TCP frame the appliance sent the server side; returns the index of the server it is for. */
        int serverOf(DirectBuffer frame, ParsedFrame parsed);

        /** Checks what must hold once both ends closed and the engine let the flow go ({@code server}: its index). */
        void verifyEnd(int server);

        /** The mode's figures, printed with a failure. */
        String state();
    }

    /** A TLS version and suite the client offers alone. */
    public record Suite(String name, ProtocolVersion version, int code)
    {
    }

    public static final List<Suite> SUITES = List.of(
        new Suite("TLS13_AES_128_GCM", ProtocolVersion.TLSv13, org.bouncycastle.tls.CipherSuite.TLS_AES_128_GCM_SHA256),
        new Suite("TLS13_AES_256_GCM", ProtocolVersion.TLSv13, org.bouncycastle.tls.CipherSuite.TLS_AES_256_GCM_SHA384),
        new Suite("TLS13_CHACHA20", ProtocolVersion.TLSv13,
            org.bouncycastle.tls.CipherSuite.TLS_CHACHA20_POLY1305_SHA256),
        new Suite("TLS12_ECDHE_ECDSA_AES_128_GCM", ProtocolVersion.TLSv12,
            org.bouncycastle.tls.CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
        new Suite("TLS12_ECDHE_ECDSA_AES_256_GCM", ProtocolVersion.TLSv12,
            org.bouncycastle.tls.CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384),
        new Suite("TLS12_ECDHE_ECDSA_CHACHA20", ProtocolVersion.TLSv12,
            org.bouncycastle.tls.CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256),
        new Suite("TLS12_ECDHE_RSA_AES_128_GCM", ProtocolVersion.TLSv12,
            org.bouncycastle.tls.CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256));

    /**
     * The legacy CBC suites, off by default in the appliance: a seed that uses one switches them on and needs a journal
     * sized for the CBC decoder's checkpoints ({@code JournalConfig.CBC_CHECKPOINT_LENGTH}).
     */
    public static final List<Suite> CBC_SUITES = List.of(
        new Suite("TLS12_ECDHE_ECDSA_AES_128_CBC_SHA", ProtocolVersion.TLSv12,
            org.bouncycastle.tls.CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA),
        new Suite("TLS12_ECDHE_RSA_AES_128_CBC_SHA256", ProtocolVersion.TLSv12,
            org.bouncycastle.tls.CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256));

    /** What one seed chose, printed with any failure. */
    public record Setup(long seed, Suite suite, IntegrityMode integrity, int clientPort, int upload, int download,
        int clientMss, int serverMss, int clientWindow, int serverWindow, boolean timestamps, double[] loss,
        double duplicate, long jitterNs, boolean clientSack, boolean serverSack)
    {
        /** A setup without SACK on either end. */
        Setup(final long seed, final Suite suite, final IntegrityMode integrity, final int clientPort, final int upload,
            final int download, final int clientMss, final int serverMss, final int clientWindow,
            final int serverWindow, final boolean timestamps, final double[] loss, final double duplicate,
            final long jitterNs)
        {
            this(seed, suite, integrity, clientPort, upload, download, clientMss, serverMss, clientWindow,
                serverWindow, timestamps, loss, duplicate, jitterNs, false, false);
        }

        /** The same setup with SACK offered by the client, the server, both or neither. */
        Setup withSack(final boolean client, final boolean server)
        {
            return new Setup(seed, suite, integrity, clientPort, upload, download, clientMss, serverMss, clientWindow,
                serverWindow, timestamps, loss, duplicate, jitterNs, client, server);
        }

        public static Setup of(final long seed)
        {
            // from its own stream, so every seed keeps the rest of the setup it had before SACK was simulated:
            // both ends offer SACK (translated by the engine) in half the seeds, one end in a quarter, none in the
            // last quarter
            final int sack = new SplittableRandom(seed ^ 0x5ACC_5ACCL).nextInt(4);
            return ofWithoutSack(seed).withSack(sack <= 1 || sack == 2, sack <= 1 || sack == 3);
        }

        private static Setup ofWithoutSack(final long seed)
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
                IntegrityMode.DEFERRED, // the only mode the direct engine accepts
                1024 + (int)(Math.floorMod(seed, 60_000)), upload, download,
                536 + r.nextInt(1460 - 536 + 1), 536 + r.nextInt(1460 - 536 + 1),
                r.nextInt(4) == 0 ? 2_048 + r.nextInt(8_192) : 16_384 + r.nextInt(256 * 1024),
                r.nextInt(4) == 0 ? 2_048 + r.nextInt(8_192) : 16_384 + r.nextInt(256 * 1024),
                r.nextInt(5) != 0, loss, r.nextInt(3) == 0 ? r.nextDouble(0.03) : 0,
                r.nextInt(2) == 0 ? 0 : r.nextLong(3_000_000));
        }

        @Override
        public String toString()
        {
            return String.format("seed=%d suite=%s integrity=%s upload=%d download=%d mss c/s=%d/%d " +
                    "window c/s=%d/%d ts=%s sack c/s=%s/%s loss c->a=%.3f a->c=%.3f a->s=%.3f s->a=%.3f dup=%.3f " +
                    "jitter=%dus",
                seed, suite.name(), integrity, upload, download, clientMss, serverMss, clientWindow, serverWindow,
                timestamps, clientSack, serverSack, loss[0], loss[1], loss[2], loss[3], duplicate, jitterNs / 1000);
        }
    }

    private final Setup setup;
    private final FlowJournal journal;
    private final boolean linuxEndpoints;
    private final InMemoryPort outside = new InMemoryPort("outside", 1 << 22);
    private final InMemoryPort inside = new InMemoryPort("inside", 1 << 22);
    private DirectEngine.Settings settings;
    private DirectEngine engine;
    private BridgeAgent bridge;
    /** Client download bytes after which the engine is killed and a new one continues from the journal, or -1. */
    private long restartAtBytes = -1;
    /** Upload bytes the server has after which the engine is killed (as {@link #restartAtBytes}), or -1. */
    private long restartAtUploadBytes = -1;
    private long restartDowntimeNs;
    private long downUntilNs;
    private int restarts;
    private final TcpEndpoint client;
    /** The server the flow reached: the only one without a {@link Wiring}, else the one its SYN went to. */
    private TcpEndpoint server;
    private final TcpEndpoint[] servers;
    /** The index of {@link #server} once the appliance sent it a frame, or -1. */
    private int serverIndex = -1;
    private final Wiring wiring;
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
    private int slowReadBytesPerMs;
    private int slowReadPhaseBytes;
    private long clientTcpBytesRead;
    private long slowReadAllowance;
    private long slowReadLastNs = -1;
    private int interactiveWriteBytes;
    private int interactivePhaseBytes;
    private long nextInteractiveWriteNs = -1;
    private int uploadWritten;
    private int clientIsnSent;
    // server application
    private final ByteArrayOutputStream serverGot = new ByteArrayOutputStream();
    private int downloadWritten;
    private boolean serverTcpClosed;
    /** The server application thinks this long after the whole upload came before it replies (0: at once). */
    private long pauseBeforeReplyNs;
    private long uploadCompleteNs = -1;
    /** The server application waits this long after the client's end of stream before it closes (0: at once). */
    private long pauseBeforeCloseNs;
    private long endOfStreamNs = -1;
    /** ACKs of the server's FIN lost on their way to the server, of the client's FIN on theirs to the client. */
    private final FinAckLoss serverFinAckLoss = new FinAckLoss();
    private final FinAckLoss clientFinAckLoss = new FinAckLoss();
    /** The server application closes once it has written the download, before the client closes. */
    private boolean serverClosesFirst;
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
    /** Client stream offset (after its handshake) whose byte an attacker flips on the way in, or -1. */
    private int forgeAtAppOffset = -1;
    private int forgeAt = -1;
    private boolean forged;
    private long handshakeBytes = -1;
    private int maxPlainSent;
    private int firstForgedPlain = Integer.MAX_VALUE;
    /** Run once, mid-transfer (the server has half the upload), with the engine; null for none. */
    private java.util.function.Consumer<DirectEngine> midTransfer;
    private boolean midTransferDone;
    /** Frames the appliance sent toward the server to a port other than the backend's 80 (bridged unchanged). */
    private int framesToOtherServerPorts;

    DirectSimulation(final Setup setup, final FlowJournal journal) throws NoSuchAlgorithmException
    {
        this(setup, journal, null, false);
    }

    /** @param wiring the mode in front of the engine, or null for the direct mode. */
    public DirectSimulation(final Setup setup, final FlowJournal journal, final Wiring wiring)
        throws NoSuchAlgorithmException
    {
        this(setup, journal, wiring, false);
    }

    /**
     * @param wiring        the mode in front of the engine, or null for the direct mode.
     * @param linuxEndpoints whether the endpoints behave as Linux's TCP where the userspace one differs and it matters
     *                      to the appliance: the server ends each retransmission at the right edge of the window it
     *                      is offered now (so a window that shrank has it resend an interval in a smaller piece)
     *                      and takes no smaller window from a reordered older ACK;
     *                      the client offers window scale 7 whatever its buffer (windows in steps of 128 bytes) and
     *                      acknowledges data on receipt, before its application reads it (the ACK's window is smaller
     *                      by the unread bytes, and the window update after the read is sent once: it may be lost).
     */
    DirectSimulation(final Setup setup, final FlowJournal journal, final Wiring wiring, final boolean linuxEndpoints)
        throws NoSuchAlgorithmException
    {
        this.setup = setup;
        this.journal = journal;
        this.wiring = wiring;
        this.linuxEndpoints = linuxEndpoints;
        final SplittableRandom r = new SplittableRandom(setup.seed() * 31 + 7);
        upload = new byte[setup.upload()];
        download = new byte[setup.download()];
        fill(r, upload);
        fill(r, download);
        toClientStream = new byte[setup.download() * 2 + 64 * 1024];

        final boolean cbc = CBC_SUITES.contains(setup.suite());
        final HandshakeConfig.Builder builder = HandshakeConfig.builder(TestPki.get().selector())
            .random(seeded(setup.seed() ^ 0x5EED));
        if (cbc)
        {
            builder.allowCbc(true).cbcSuites(org.inlinetls.crypto.cbc.CbcSuite.values());
        }
        final HandshakeConfig handshake = builder.build();
        settings = new DirectEngine.Settings(
            List.of(new DirectEngine.Service(SERVER_ADDRESS, 443, 80)), handshake, setup.integrity(), false,
            cbc ? DirectEngine.Settings.CBC_MAX_RECORD_OVERHEAD : DirectEngine.Settings.AEAD_MAX_RECORD_OVERHEAD,
            300_000_000_000L, 2_000_000_000L, true);
        startEngine();

        client = new TcpEndpoint(new TcpConfig().localMac(CLIENT_MAC)
            .remoteMac(null == wiring ? SERVER_MAC : wiring.serviceMac())
            .localAddress(CLIENT_IP).remoteAddress(null == wiring ? SERVER_IP : wiring.serviceIp())
            .localPort(setup.clientPort()).remotePort(443)
            .mss(setup.clientMss()).receiveBufferBytes(setup.clientWindow()).sendBufferBytes(64 * 1024)
            .timestamps(setup.timestamps()).sackPermitted(setup.clientSack()).sackKeptOnTimeout(true)
            .windowShift(linuxEndpoints ? LINUX_WINDOW_SHIFT : -1)
            .maxRtoNs(2_000_000_000L).timeWaitNs(120_000_000_000L).isnSeed(setup.seed()).validate());
        final List<byte[]> serverIps = null == wiring ? List.of(SERVER_IP) : wiring.serverIps();
        servers = new TcpEndpoint[serverIps.size()];
        for (int i = 0; i < servers.length; i++)
        {
            servers[i] = new TcpEndpoint(new TcpConfig().localMac(null == wiring ? SERVER_MAC : wiring.serverMac(i))
                .remoteMac(CLIENT_MAC)
                .localAddress(serverIps.get(i)).remoteAddress(CLIENT_IP).localPort(80).remotePort(setup.clientPort())
                .mss(setup.serverMss()).receiveBufferBytes(setup.serverWindow()).sendBufferBytes(64 * 1024)
                .timestamps(setup.timestamps()).sackPermitted(setup.serverSack()).sackKeptOnTimeout(true)
                .retransmitWithinWindow(linuxEndpoints).windowGrowsOnStaleAck(linuxEndpoints)
                .maxRtoNs(2_000_000_000L).timeWaitNs(120_000_000_000L).isnSeed(~setup.seed()).validate());
        }
        server = servers[0];
        final long[] linkSeeds = {setup.seed() * 4 + 1, setup.seed() * 4 + 2, setup.seed() * 4 + 3, setup.seed() * 4};
        clientToAppliance = new SimLink(linkSeeds[0], setup.loss()[0], setup.duplicate(), 100_000, setup.jitterNs());
        applianceToClient = new SimLink(linkSeeds[1], setup.loss()[1], setup.duplicate(), 100_000, setup.jitterNs());
        applianceToServer = new SimLink(linkSeeds[2], setup.loss()[2], setup.duplicate(), 100_000, setup.jitterNs());
        serverToAppliance = new SimLink(linkSeeds[3], setup.loss()[3], setup.duplicate(), 100_000, setup.jitterNs());

        final Suite suite = setup.suite();
        tls = new BcTestClient(seeded(setup.seed()), new ProtocolVersion[] {suite.version()}, new int[] {suite.code()},
            new int[] {NamedGroup.x25519, NamedGroup.secp256r1},
            suite.name().contains("RSA") ? TestPki.RSA_HOST : TestPki.EC_HOST);
        app = new TlsClientApp(tls, client);
        clientGot = app.got();
    }

    /**
     * Flips one bit of the client's ciphertext on the way to the appliance, {@code appOffset} bytes after the
     * client's handshake, and runs until the dust settles.
     *
     * @return null when the forgery was handled as it must be: the server reset before it got the forged record's
     * end (and only authentic plaintext before that), the client told bad_record_mac; else what went wrong.
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
                    if (server.abortReason() != org.inlinetls.packet.tcp.AbortReason.RESET_RECEIVED)
                    {
                        return "server aborted for " + server.abortReason() + "\n" + state();
                    }
                    if (serverGot.size() >= upload.length)
                    {
                        return "the server got the whole upload despite the forgery\n" + state();
                    }
                    if (firstForgedPlain != Integer.MAX_VALUE)
                    {
                        // the client wrote the upload in 16 KiB pieces, one record each
                        final int recordEnd = (firstForgedPlain / 16_384 + 1) * 16_384;
                        if (maxPlainSent > Math.min(upload.length, recordEnd) - RecordDecoder.HELD_TAIL_MAX)
                        {
                            return "the server was sent plaintext up to " + maxPlainSent + ", past the forged " +
                                "record's held end " + (recordEnd - RecordDecoder.HELD_TAIL_MAX) + "\n" + state();
                        }
                    }
                    return forged ? null : "nothing was forged\n" + state();
                }
                if (!progress && !advanceClock())
                {
                    return "stalled: client alert " + tls.alertReceived + ", server aborted " + server.isAborted() +
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
     * A client that speaks plain HTTP to port 443: the appliance (configured to reset such flows) resets both ends.
     *
     * @return null when both ends were reset and nothing reached the server's application, else what went wrong.
     */
    String runNotTls()
    {
        try
        {
            server.listen();
            client.connect(nowNs);
            final byte[] request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
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
                progress |= serverApp();
                progress |= pump();
                if (client.isAborted() && server.isAborted())
                {
                    return serverGot.size() == 0 && engine.counter(DirectCounter.FLOWS_NOT_TLS_RESET) == 1 ? null :
                        "server application got " + serverGot.size() + " bytes\n" + state();
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
     * Has {@code action} run once in the middle of the transfer, when the flow is in cut-through and the server has
     * half the upload (a test changes the engine's services there).
     */
    DirectSimulation midTransfer(final java.util.function.Consumer<DirectEngine> action)
    {
        midTransfer = action;
        return this;
    }

    private boolean runMidTransfer()
    {
        if (null == midTransfer || midTransferDone || handshakeBytes < 0 ||
            serverGot.size() < Math.max(1, upload.length / 2))
        {
            return false;
        }
        midTransferDone = true;
        midTransfer.accept(engine);
        return true;
    }

    /**
     * Runs until both ends were reset (what the {@link #midTransfer} action must cause).
     *
     * @return null when both ends were reset by a RST after the action ran and the engine holds no flow, else what
     * went wrong.
     */
    String runUntilReset()
    {
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
                    // a reset connection may leave BouncyCastle mid-record
                }
                progress |= serverApp();
                progress |= runMidTransfer();
                progress |= pump();
                if (client.isAborted() && server.isAborted())
                {
                    if (!midTransferDone)
                    {
                        return "reset before the action ran\n" + state();
                    }
                    if (client.abortReason() != org.inlinetls.packet.tcp.AbortReason.RESET_RECEIVED ||
                        server.abortReason() != org.inlinetls.packet.tcp.AbortReason.RESET_RECEIVED)
                    {
                        return "aborted: client " + client.abortReason() + " server " + server.abortReason() + "\n" +
                            state();
                    }
                    return engine.flowCount() == 0 ? null : "the engine still holds the flow\n" + state();
                }
                if (!progress && !advanceClock())
                {
                    return "stalled: client aborted " + client.isAborted() + ", server aborted " +
                        server.isAborted() + "\n" + state();
                }
            }
            return "did not settle\n" + state();
        }
        catch (final RuntimeException | AssertionError ex)
        {
            return ex + "\n" + state();
        }
    }

    /** Frames sent toward the server to a port other than 80: bridged unchanged, or a wrong backend port. */
    int framesToOtherServerPorts()
    {
        return framesToOtherServerPorts;
    }

    /**
     * Makes the server application wait after the whole upload came before it replies: a quiet connection, as an
     * HTTP keep-alive one between requests.
     *
     * @return this simulation.
     */
    DirectSimulation pauseBeforeReply(final long pauseNs)
    {
        this.pauseBeforeReplyNs = pauseNs;
        return this;
    }

    /**
     * Makes the server application wait after the client's FIN before it closes its side: a half-closed connection
     * stays quiet a while.
     *
     * @return this simulation.
     */
    DirectSimulation pauseBeforeClose(final long pauseNs)
    {
        this.pauseBeforeCloseNs = pauseNs;
        return this;
    }

    /**
     * Loses every ACK of the server's FIN on its way from the appliance to the server for {@code forNs} after the
     * first: the server, in LAST-ACK, resends its FIN on its timer, the later ones after the flow left the engine.
     *
     * @return this simulation.
     */
    public DirectSimulation loseServerFinAcks(final long forNs)
    {
        serverFinAckLoss.forNs = forNs;
        return this;
    }

    /** ACKs of the server's FIN lost by {@link #loseServerFinAcks}. */
    public int serverFinAcksLost()
    {
        return serverFinAckLoss.lost;
    }

    /**
     * The server application closes first, once it has written the whole download (an HTTP server closing a
     * connection), and the client closes when it has seen the server's end; every ACK of the client's FIN is lost on
     * its way from the appliance to the client for {@code forNs} after the first (0: none lost): the client, in
     * LAST-ACK, resends its FIN on its timer, the later ones after the flow left the engine.
     *
     * @return this simulation.
     */
    public DirectSimulation serverClosesFirst(final long loseClientFinAcksNs)
    {
        serverClosesFirst = true;
        clientFinAckLoss.forNs = loseClientFinAcksNs;
        return this;
    }

    /** ACKs of the client's FIN lost by {@link #serverClosesFirst}. */
    public int clientFinAcksLost()
    {
        return clientFinAckLoss.lost;
    }

    /** A counter of the engine, for tests that check what it did. */
    long engineCounter(final DirectCounter counter)
    {
        return engine.counter(counter);
    }

    /** A new engine (and bridge) over the journal: at construction, and as the daemon restarted after a kill. */
    private void startEngine()
    {
        final FrameOut ports = new FrameOut()
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
        };
        final FrameClassifier classifier;
        if (null == wiring)
        {
            engine = new DirectEngine(settings, journal, ports);
            classifier = engine;
        }
        else
        {
            classifier = wiring.wire(settings, journal, ports);
            engine = wiring.engine();
        }
        final CountersManager manager = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 512)), new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 128)));
        bridge = new BridgeAgent(outside, inside, new PortCounters(manager, "outside"),
            new PortCounters(manager, "inside"), classifier, MalformedPolicy.defaults(), () -> nowNs, 64);
    }

    /**
     * Kills the engine once the client has {@code atBytes} of the download (as SIGKILL would: its flows, held
     * segments and the frames in its ports are lost, the journal stays) and starts a new one {@code downtimeNs}
     * later, which continues the flow from the journal ({@link FlowRestorer}).
     */
    /** Runs the engine with this switching policy (before {@link #run}). */
    DirectSimulation switching(final SwitchPolicy policy)
    {
        final DirectEngine.Settings s = settings;
        settings = new DirectEngine.Settings(s.services(), s.handshake(), s.integrity(), s.passNonTls(),
            s.maxRecordOverhead(), s.idleTimeoutNs(), s.finLingerNs(), s.translateSack(), s.parkAfterNs(), policy);
        startEngine();
        return this;
    }

    /**
     * A client application that reads slowly in alternate stretches of the download: for {@code phaseBytes} it takes
     * at most {@code bytesPerMs} a millisecond from its TCP receive buffer (the window it advertises shrinks), for the
     * next {@code phaseBytes} all there is (the window opens), and so on.
     */
    DirectSimulation slowReadPhases(final int bytesPerMs, final int phaseBytes)
    {
        this.slowReadBytesPerMs = bytesPerMs;
        this.slowReadPhaseBytes = phaseBytes;
        return this;
    }

    /**
     * A client application that uploads interactively in alternate stretches: for {@code phaseBytes} of the upload it
     * writes {@code writeBytes} a millisecond, each its own TLS record (tiny TCP segments), for the next
     * {@code phaseBytes} 16 KiB records as fast as it can, and so on.
     */
    DirectSimulation interactiveWritePhases(final int writeBytes, final int phaseBytes)
    {
        this.interactiveWriteBytes = writeBytes;
        this.interactivePhaseBytes = phaseBytes;
        return this;
    }

    DirectSimulation restartAt(final long atBytes, final long downtimeNs)
    {
        this.restartAtBytes = atBytes;
        this.restartDowntimeNs = downtimeNs;
        return this;
    }

    /** As {@link #restartAt}, once the server has {@code atBytes} of the upload. */
    DirectSimulation restartAtUpload(final long atBytes, final long downtimeNs)
    {
        this.restartAtUploadBytes = atBytes;
        this.restartDowntimeNs = downtimeNs;
        return this;
    }

    int restarts()
    {
        return restarts;
    }

    private void restartIfDue()
    {
        if (restarts == 0 && (restartAtBytes >= 0 && clientGot.size() >= restartAtBytes ||
            restartAtUploadBytes >= 0 && serverGot.size() >= restartAtUploadBytes))
        {
            restarts++;
            engine = null;
            bridge = null;
            downUntilNs = nowNs + restartDowntimeNs;
        }
        if (null == engine)
        {
            // down: what reaches the appliance is lost
            outside.receive((b, o, l, ts) -> { }, Integer.MAX_VALUE);
            inside.receive((b, o, l, ts) -> { }, Integer.MAX_VALUE);
            outside.drainSent((b, o, l, ts) -> { }, Integer.MAX_VALUE);
            inside.drainSent((b, o, l, ts) -> { }, Integer.MAX_VALUE);
            if (nowNs - downUntilNs >= 0)
            {
                startEngine();
            }
        }
    }

    /** Runs the seed to its end; returns null when everything held, else what went wrong. */
    public String run()
    {
        try
        {
            return runOrThrow();
        }
        catch (final RuntimeException | IOException | AssertionError ex)
        {
            // another mode's oracles fail with the seed's state (the mode's figures and pool)
            return ex + " at " + nowNs / 1_000_000 + " ms" +
                (null == wiring || null == engine ? "" : "\n" + state());
        }
    }

    private String runOrThrow() throws IOException
    {
        for (final TcpEndpoint s : servers)
        {
            s.listen();
        }
        client.connect(nowNs);
        tls.connect();
        for (int step = 0; step < MAX_STEPS; step++)
        {
            boolean progress = clientApp() | serverApp();
            progress |= runMidTransfer();
            progress |= pump();
            if (client.isAborted() || server.isAborted())
            {
                return "aborted: client " + client.abortReason() + " server " + server.abortReason() + "\n" + state();
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

    /** How much the client application may read now (see {@link #slowReadPhases}). */
    private int readLimit()
    {
        if (slowReadBytesPerMs <= 0 || clientTcpBytesRead / slowReadPhaseBytes % 2 == 1)
        {
            slowReadLastNs = -1;
            return buffer.length;
        }
        if (slowReadLastNs < 0)
        {
            slowReadLastNs = nowNs;
            slowReadAllowance = slowReadBytesPerMs;
        }
        final long ms = (nowNs - slowReadLastNs) / 1_000_000L;
        if (ms > 0)
        {
            slowReadAllowance = Math.min(slowReadAllowance + ms * slowReadBytesPerMs, 4L * slowReadBytesPerMs);
            slowReadLastNs += ms * 1_000_000L;
        }
        return (int)Math.max(0, Math.min(buffer.length, slowReadAllowance));
    }

    /** Moves frames one step through endpoints, links and the engine; true when anything moved. */
    private boolean pump()
    {
        boolean progress = client.poll(nowNs, (b, o, l) -> sendFrom(clientToAppliance, b, o, l)) > 0;
        progress |= server.poll(nowNs, (b, o, l) -> sendFrom(serverToAppliance, b, o, l)) > 0;
        progress |= clientToAppliance.deliver(nowNs, outside::inject) > 0;
        progress |= serverToAppliance.deliver(nowNs, inside::inject) > 0;
        restartIfDue();
        progress |= null != bridge && bridge.doWork() > 0;
        progress |= outside.drainSent((b, o, l, ts) -> toClient(b, o, l), Integer.MAX_VALUE) > 0;
        progress |= inside.drainSent((b, o, l, ts) -> toServer(b, o, l), Integer.MAX_VALUE) > 0;
        final boolean toClient = applianceToClient.deliver(nowNs, f -> client.onFrame(new UnsafeBuffer(f), 0,
            f.length, nowNs)) > 0;
        if (toClient && linuxEndpoints)
        {
            // the kernel acknowledges on receipt, before the application reads: the ACK's window counts unread bytes
            client.poll(nowNs, (b, o, l) -> sendFrom(clientToAppliance, b, o, l));
        }
        progress |= toClient;
        progress |= applianceToServer.deliver(nowNs, f -> server.onFrame(new UnsafeBuffer(f), 0, f.length,
            nowNs)) > 0;
        return progress;
    }

    /** Jumps the clock to the next deadline; false when there is none within the simulation's limit. */
    private boolean advanceClock()
    {
        long next = Math.min(client.nextDeadlineNs(), server.nextDeadlineNs());
        next = Math.min(next, Math.min(clientToAppliance.nextDeliveryNs(), applianceToClient.nextDeliveryNs()));
        next = Math.min(next, Math.min(applianceToServer.nextDeliveryNs(), serverToAppliance.nextDeliveryNs()));
        next = Math.min(next, null == engine ? downUntilNs :
            null == wiring ? engine.nextDeadlineNs() : wiring.nextDeadlineNs());
        if (nextInteractiveWriteNs > 0)
        {
            next = Math.min(next, nextInteractiveWriteNs); // the interactive writer's next record
        }
        if (slowReadLastNs >= 0 && client.readableBytes() > 0)
        {
            next = Math.min(next, slowReadLastNs + 1_000_000L); // the slow reader's next millisecond
        }
        if (uploadCompleteNs >= 0 && downloadWritten == 0 && pauseBeforeReplyNs > 0 &&
            nowNs - uploadCompleteNs < pauseBeforeReplyNs)
        {
            // the engine's sweep runs during the pause, as the daemon's timer would
            next = Math.min(next, Math.min(uploadCompleteNs + pauseBeforeReplyNs, nowNs + 100_000_000L));
        }
        if (endOfStreamNs >= 0 && !serverTcpClosed && pauseBeforeCloseNs > 0 &&
            nowNs - endOfStreamNs < pauseBeforeCloseNs)
        {
            next = Math.min(next, Math.min(endOfStreamNs + pauseBeforeCloseNs, nowNs + 100_000_000L));
        }
        if (next == Long.MAX_VALUE || next - 1_000_000_000L > MAX_SIM_NS)
        {
            return false;
        }
        nowNs = Math.max(nowNs + 1, next);
        return true;
    }

    private String verify()
    {
        // after the FIN exchange the flow lingers briefly for the last ACKs, then leaves the engine and the journal
        nowNs += 3_000_000_000L;
        for (int i = 0; i < 3; i++)
        {
            bridge.doWork();
        }
        if (engine.flowCount() != 0)
        {
            return "the flow is still held after both ends closed\n" + state();
        }
        if (null != wiring)
        {
            try
            {
                wiring.verifyEnd(serverIndex);
            }
            catch (final AssertionError ex)
            {
                return ex.getMessage() + "\n" + state();
            }
        }
        if (!Arrays.equals(serverGot.toByteArray(), upload))
        {
            return "server got " + serverGot.size() + " bytes, not the " + upload.length + " sent\n" + state();
        }
        if (!Arrays.equals(clientGot.toByteArray(), download))
        {
            return "client got " + clientGot.size() + " bytes, not the " + download.length + " sent\n" + state();
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
            clientIsnSent = new UnsafeBuffer(copy).getInt(38, java.nio.ByteOrder.BIG_ENDIAN);
        }
        if (link == clientToAppliance && forgeAt >= 0)
        {
            forge(copy);
        }
        final FinAckLoss finAckLoss = link == serverToAppliance ? serverFinAckLoss : clientFinAckLoss;
        if (finAckLoss.forNs > 0)
        {
            final UnsafeBuffer view = new UnsafeBuffer(copy);
            if (parser.parse(view, 0, copy.length, parsed) == FrameAnomaly.NONE && parsed.isTcp())
            {
                tcp.wrap(view, parsed.l4Offset);
                if (tcp.hasFlags(TcpHeaderFlyweight.FIN))
                {
                    finAckLoss.finEnd = tcp.sequenceNumber() + parsed.payloadLength + 1;
                    finAckLoss.finSent = true;
                }
            }
        }
        link.send(copy, nowNs);
        return true;
    }

    // ------------------------------------------------------------------------------------------------ the apps --

    private boolean clientApp() throws IOException
    {
        boolean progress = app.flushToTcp();
        final int n = app.feedFromTcp(buffer, readLimit());
        clientTcpBytesRead += n;
        slowReadAllowance -= n;
        progress |= n > 0;
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
            final boolean interactive = interactiveWriteBytes > 0 &&
                uploadWritten / interactivePhaseBytes % 2 == 0;
            nextInteractiveWriteNs = interactive && uploadWritten < upload.length ?
                Math.max(nextInteractiveWriteNs, 0) : -1;
            if (uploadWritten < upload.length && app.tlsOutputBytes() < 64 * 1024 &&
                (!interactive || nowNs - nextInteractiveWriteNs >= 0))
            {
                final int chunk = Math.min(upload.length - uploadWritten, interactive ? interactiveWriteBytes : 16_384);
                if (interactive)
                {
                    nextInteractiveWriteNs = nowNs + 1_000_000L;
                }
                app.write(upload, uploadWritten, chunk);
                uploadWritten += chunk;
                progress = true;
            }
            progress |= app.readPlain();
            if (clientGot.size() >= download.length && uploadWritten == upload.length &&
                (!serverClosesFirst || client.isEndOfStream()))
            {
                app.closeTls(); // close_notify
                progress = true;
            }
        }
        else if (serverClosesFirst && !app.tlsClosed() && app.isTlsClosedByPeer())
        {
            // the appliance's close_notify for the server's FIN closed the connection (answered with the client's
            // own): what came before it is still to be read
            app.readPlain();
            app.peerClosedTls();
            progress = true;
        }
        return app.closeTcpWhenFlushed(false) || progress;
    }

    private boolean serverApp()
    {
        boolean progress = false;
        final int n = server.read(buffer, 0, buffer.length);
        if (n > 0)
        {
            serverGot.write(buffer, 0, n);
            progress = true;
        }
        if (serverGot.size() >= upload.length && uploadCompleteNs < 0)
        {
            uploadCompleteNs = nowNs;
        }
        if (serverGot.size() >= upload.length && downloadWritten < download.length &&
            nowNs - uploadCompleteNs >= pauseBeforeReplyNs)
        {
            final int written = server.write(download, downloadWritten, download.length - downloadWritten);
            downloadWritten += written;
            progress |= written > 0;
        }
        if (server.isEndOfStream() && endOfStreamNs < 0)
        {
            endOfStreamNs = nowNs;
        }
        if (serverGot.size() >= upload.length && downloadWritten == download.length && !serverTcpClosed &&
            (serverClosesFirst || server.isEndOfStream() && nowNs - endOfStreamNs >= pauseBeforeCloseNs))
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
        if (null != wiring)
        {
            wiring.checkToClient(view, parsed);
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
                    throw new AssertionError("two different bytes sent to the client at position " + at +
                        ": a record number reused for other plaintext");
                }
                toClientStream[at] = value;
                toClientKnown.set(at);
            }
        }
        if (clientFinAckLoss.loses(parsed, tcp, nowNs))
        {
            trace("appl    -> client (FIN's ACK lost)", frame);
            return;
        }
        trace("appl    -> client", frame);
        applianceToClient.send(frame, nowNs);
    }

    private void toServer(final DirectBuffer b, final int offset, final int length)
    {
        final byte[] frame = new byte[length];
        b.getBytes(offset, frame);
        final UnsafeBuffer view = new UnsafeBuffer(frame);
        if (parser.parse(view, 0, length, parsed) != FrameAnomaly.NONE || !parsed.isTcp())
        {
            throw new AssertionError("the appliance sent the server a frame that does not parse: " + parsed.anomaly);
        }
        if (null != wiring)
        {
            // every frame of the flow to one server
            final int index = wiring.serverOf(view, parsed);
            if (serverIndex < 0)
            {
                serverIndex = index;
                server = servers[index];
            }
            else if (index != serverIndex)
            {
                throw new AssertionError("the flow's frames went to servers " + serverIndex + " and " + index);
            }
        }
        tcp.wrap(view, parsed.l4Offset);
        if (parsed.dstPort != 80)
        {
            framesToOtherServerPorts++; // bridged unchanged (no longer a protected service): not plaintext
        }
        else if (tcp.hasFlags(TcpHeaderFlyweight.SYN))
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
            maxPlainSent = Math.max(maxPlainSent, position + parsed.payloadLength);
            for (int i = 0; i < parsed.payloadLength; i++)
            {
                if (frame[parsed.payloadOffset + i] != upload[position + i])
                {
                    if (forgeAt < 0)
                    {
                        throw new AssertionError("plaintext sent to the server differs at position " +
                            (position + i));
                    }
                    // deferred authentication: a forged record's pieces before its end may reach the server
                    firstForgedPlain = Math.min(firstForgedPlain, position + i);
                }
            }
        }
        if (serverFinAckLoss.loses(parsed, tcp, nowNs))
        {
            trace("appl    -> server (FIN's ACK lost)", frame);
            return;
        }
        trace("appl    -> server", frame);
        applianceToServer.send(frame, nowNs);
    }

    /** Loses the pure ACKs of one end's FIN toward that end for a while ({@link #loseServerFinAcks}). */
    private static final class FinAckLoss
    {
        long forNs;
        long firstLostNs = -1;
        int finEnd;
        boolean finSent;
        int lost;

        /** @param tcp wrapping {@code frame}'s TCP header. */
        boolean loses(final ParsedFrame frame, final TcpHeaderFlyweight tcp, final long nowNs)
        {
            if (forNs <= 0 || !finSent || frame.payloadLength > 0 || tcp.hasFlags(TcpHeaderFlyweight.SYN) ||
                tcp.hasFlags(TcpHeaderFlyweight.FIN) || tcp.hasFlags(TcpHeaderFlyweight.RST) ||
                tcp.acknowledgmentNumber() != finEnd)
            {
                return false;
            }
            if (firstLostNs < 0)
            {
                firstLostNs = nowNs;
            }
            if (nowNs - firstLostNs >= forNs)
            {
                return false;
            }
            lost++;
            return true;
        }
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
        final boolean toServerSide = link.endsWith("server") || link.startsWith("client");
        final boolean fromClientSide = link.startsWith("client") || link.endsWith("server");
        final int seqBase = fromClientSide ? clientIsn : serverIsn;
        final int ackBase = fromClientSide ? serverIsn : clientIsn;
        System.out.printf("%9.3f ms %s flags=%02x seq=%d ack=%d len=%d win=%d%n", nowNs / 1e6 - 1000, link,
            tracedTcp.flags(), tracedTcp.sequenceNumber() - seqBase, tracedTcp.acknowledgmentNumber() - ackBase,
            traced.payloadLength, tracedTcp.window());
    }

    public String state()
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
        for (final DirectCounter c : DirectCounter.values())
        {
            if (engine.counter(c) != 0)
            {
                text.append(' ').append(c.name().toLowerCase()).append('=').append(engine.counter(c));
            }
        }
        text.append("\n  flows: ").append(engine.describeFlows());
        if (null != wiring)
        {
            text.append("\n  server ").append(serverIndex).append(' ').append(wiring.state());
        }
        return text.toString();
    }

    public DirectEngine engine()
    {
        return engine;
    }

    public TcpEndpoint client()
    {
        return client;
    }

    public TcpEndpoint server()
    {
        return server;
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
