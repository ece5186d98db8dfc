package org.inlinetls.modes.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.NamedGroup;
import org.bouncycastle.tls.ProtocolVersion;
import org.inlinetls.crypto.record.IntegrityMode;
import org.inlinetls.handshake.BcTestClient;
import org.inlinetls.handshake.HandshakeConfig;
import org.inlinetls.handshake.TestPki;
import org.inlinetls.modes.TlsClientApp;
import org.inlinetls.modes.direct.FrameOut;
import org.inlinetls.modes.lb.Backend;
import org.inlinetls.modes.lb.BackendHealth;
import org.inlinetls.modes.lb.BackendPool;
import org.inlinetls.modes.lb.BalancingAlgorithm;
import org.inlinetls.modes.lb.VirtualService;
import org.inlinetls.packet.engine.Side;
import org.inlinetls.packet.flyweight.Ipv4HeaderFlyweight;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.frame.FrameAnomaly;
import org.inlinetls.packet.frame.FrameParser;
import org.inlinetls.packet.frame.ParsedFrame;
import org.inlinetls.packet.tcp.TcpConfig;
import org.inlinetls.packet.tcp.TcpEndpoint;

/**
 * A {@link ProxyEngine} serving one load-balanced service with delayed binding ({@link Balancing}) over in-memory
 * frames, clean links and a hand-advanced clock: userspace TCP clients speaking TLS 1.3 (BouncyCastle, SNI
 * {@link TestPki#EC_HOST}, ALPN http/1.1) to the virtual address 192.0.2.100:443, and two userspace TCP backends
 * 10.0.0.4:80 ({@code web1}) and 10.0.0.5:80 ({@code web2}) that answer each request with
 * {@code Set-Cookie: SERVERID=<name>} and their name as the body, as the lab's nginx do.
 */
final class BalancedProxyHarness
{
    static final int VIP = 0xC0000264; // 192.0.2.100
    static final byte[] VIP_IP = {(byte)192, 0, 2, 100};
    static final int CLIENT_ADDRESS = 0xC6336407; // 198.51.100.7
    static final byte[] CLIENT_IP = {(byte)198, 51, 100, 7};
    static final int CHECK_ADDRESS = 0x0A0000FE; // 10.0.0.254, the appliance's health checks
    static final String[] NAMES = {"web1", "web2"};
    static final int[] BACKEND_ADDRESSES = {0x0A000004, 0x0A000005};
    static final long CLIENT_MAC = 0x02_00_00_00_00_01L;
    static final long OUTSIDE_MAC = 0x02_00_00_00_00_A0L;
    static final long[] BACKEND_MACS = {0x02_00_00_00_00_04L, 0x02_00_00_00_00_05L};
    private static final long STEP_NS = 1_000_000L;
    private static final int MAX_STEPS = 200_000;

    final BackendHealth health = new BackendHealth(2);
    final BackendPool pool;
    final ProxyEngine engine;
    private final List<byte[]> toClient = new ArrayList<>();
    private final List<byte[]> toServer = new ArrayList<>();
    private final FrameParser parser = new FrameParser();
    private final ParsedFrame parsed = new ParsedFrame();
    private final Ipv4HeaderFlyweight ipv4 = new Ipv4HeaderFlyweight();
    private final TcpHeaderFlyweight tcp = new TcpHeaderFlyweight();
    long nowNs = 1_000_000_000L;
    private int nextClientPort = 40_000;
    /** Padding after the backend's name in each response body (a download). */
    int bodyPaddingBytes;
    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
    private boolean measuring;
    /** Bytes the engine's calls allocated while a download was between a quarter and three quarters through. */
    long steadyAllocatedBytes;
    long steadyCalls;
    /** What the frame copies of this harness allocated (inside the engine's calls, so taken off the measure). */
    private long harnessAllocatedBytes;

    private static long allocatedBytes()
    {
        return THREADS.getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    BalancedProxyHarness(final String cookieName, final boolean proxyProtocol)
    {
        pool = new BackendPool(List.of(
            new Backend(new InetSocketAddress("10.0.0.4", 80), 1, NAMES[0]),
            new Backend(new InetSocketAddress("10.0.0.5", 80), 1, NAMES[1])), BalancingAlgorithm.ROUND_ROBIN, health);
        final VirtualService service = new VirtualService("shop", VIP, 443, pool, null, false, true);
        final Balancing balancing = new Balancing(service, cookieName, proxyProtocol, new int[] {CHECK_ADDRESS});
        final HandshakeConfig handshake = HandshakeConfig.builder(TestPki.get().selector())
            .alpnProtocols("http/1.1").build();
        engine = new ProxyEngine(new ProxyEngine.Settings(List.of(ProxyEngine.Service.balanced(VIP, 443, balancing)),
            handshake, IntegrityMode.DEFERRED, 1460, 65_536, 65_536, ProxyEngine.Settings.MIN_STAGE_BYTES, 64L << 20,
            300_000_000_000L, 1_000_000L, true, 7), new FrameOut()
            {
                @Override
                public boolean toClient(final DirectBuffer buffer, final int offset, final int length)
                {
                    final long before = allocatedBytes();
                    toClient.add(copy(buffer, offset, length));
                    harnessAllocatedBytes += allocatedBytes() - before; // the test's copy, not the engine's
                    return true;
                }

                @Override
                public boolean toServer(final DirectBuffer buffer, final int offset, final int length)
                {
                    final long before = allocatedBytes();
                    toServer.add(copy(buffer, offset, length));
                    harnessAllocatedBytes += allocatedBytes() - before;
                    return true;
                }
            });
        engine.backendMacs(address -> address == BACKEND_ADDRESSES[0] ? BACKEND_MACS[0] :
            address == BACKEND_ADDRESSES[1] ? BACKEND_MACS[1] : 0);
    }

    /** One client connection: its request written in {@code pieces} (each its own TLS record and TCP segment). */
    Connection connection(final String... pieces) throws NoSuchAlgorithmException
    {
        return new Connection(nextClientPort++, pieces);
    }

    /** One connection of a client: TLS over a userspace TCP endpoint, and the backend endpoint that got it. */
    final class Connection
    {
        final int port;
        final TcpEndpoint client;
        final BcTestClient tls;
        private final List<byte[]> pieces = new ArrayList<>();
        private final int requests;
        private int piecesWritten;
        private final TlsClientApp app;
        final ByteArrayOutputStream got;
        /** The backend (index into {@link #NAMES}) whose endpoint got the flow's SYN, or -1. */
        int backend = -1;
        TcpEndpoint server;
        final ByteArrayOutputStream backendGot = new ByteArrayOutputStream();
        private int responses;
        /** When false the backend never answers (the flow stays open until the test does something). */
        boolean backendAnswers = true;
        private boolean started;
        private byte[] pendingResponse;
        private int pendingResponseOffset;

        /** The requests the backend has whole (after a PROXY header, whose signature holds a CRLF CRLF). */
        private int requestsSeen()
        {
            final byte[] bytes = backendGot.toByteArray();
            int from = 0;
            if (bytes.length >= 16 && bytes[12] == 0x21 && bytes[0] == 0x0D && bytes[4] == 0)
            {
                from = 16 + ((bytes[14] & 0xFF) << 8 | (bytes[15] & 0xFF));
            }
            return from > bytes.length ? 0 :
                count(new String(bytes, from, bytes.length - from, StandardCharsets.ISO_8859_1), "\r\n\r\n");
        }

        Connection(final int port, final String... pieces) throws NoSuchAlgorithmException
        {
            this.port = port;
            final StringBuilder all = new StringBuilder();
            for (final String piece : pieces)
            {
                this.pieces.add(piece.getBytes(StandardCharsets.US_ASCII));
                all.append(piece);
            }
            requests = count(all.toString(), "\r\n\r\n");
            client = new TcpEndpoint(new TcpConfig().localMac(CLIENT_MAC).remoteMac(OUTSIDE_MAC)
                .localAddress(CLIENT_IP).remoteAddress(VIP_IP).localPort(port).remotePort(443)
                .timeWaitNs(STEP_NS).isnSeed(port).validate());
            final SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
            random.setSeed(port);
            tls = new BcTestClient(random, new ProtocolVersion[] {ProtocolVersion.TLSv13},
                new int[] {CipherSuite.TLS_AES_128_GCM_SHA256}, new int[] {NamedGroup.x25519}, TestPki.EC_HOST,
                "http/1.1");
            app = new TlsClientApp(tls, client);
            got = app.got();
        }

        /** Runs the connection until both ends closed or one was reset, or {@code untilBackendGotBytes} arrived. */
        Connection run(final int untilBackendGotBytes) throws IOException
        {
            if (!started)
            {
                started = true;
                client.connect(nowNs);
                tls.connect();
            }
            for (int step = 0; step < MAX_STEPS; step++)
            {
                boolean progress = clientApp();
                progress |= client.poll(nowNs, (b, o, l) -> classify(Side.OUTSIDE, copy(b, o, l))) > 0;
                progress |= deliver();
                progress |= serverApp();
                if (null != server)
                {
                    progress |= server.poll(nowNs, (b, o, l) -> classify(Side.INSIDE, copy(b, o, l))) > 0;
                }
                progress |= deliver();
                tick();
                if (untilBackendGotBytes > 0 && backendGot.size() >= untilBackendGotBytes)
                {
                    return this;
                }
                if (client.isAborted() && (null == server || server.isClosed() || server.isAborted()))
                {
                    return settle();
                }
                if (client.isClosed() && (null == server || server.isClosed()))
                {
                    return settle();
                }
                if (!progress)
                {
                    nowNs += STEP_NS;
                }
            }
            throw new AssertionError("connection from port " + port + " did not finish: " + engine.describeFlows());
        }

        Connection run() throws IOException
        {
            return run(0);
        }

        /** Lets the engine's timers run out (TIME-WAIT of its endpoints), so the flow is let go. */
        private Connection settle()
        {
            for (int i = 0; i < 300; i++)
            {
                nowNs += STEP_NS;
                engine.onTick(nowNs);
                deliver();
            }
            return this;
        }

        String backendName()
        {
            return backend < 0 ? null : NAMES[backend];
        }

        String response()
        {
            return got.toString(StandardCharsets.US_ASCII);
        }

        byte[] backendBytes()
        {
            return backendGot.toByteArray();
        }

        private boolean clientApp() throws IOException
        {
            boolean progress = app.flushToTcp();
            progress |= app.feedFromTcp(new byte[1 << 16], 1 << 16) > 0;
            if (app.isOpen())
            {
                // one piece at a time, once the previous one was acknowledged: each its own record and segment
                if (piecesWritten < pieces.size() && app.isFlushed() && client.isSendBufferEmpty())
                {
                    final byte[] piece = pieces.get(piecesWritten++);
                    app.write(piece, 0, piece.length);
                    progress = true;
                }
                progress |= app.readPlain();
                final long expected = (long)requests * responseBytes(NAMES[0]).length;
                measuring = expected > 1_000_000 && got.size() > expected / 4 && got.size() < expected * 3 / 4;
                if (piecesWritten == pieces.size() && got.size() >= expected)
                {
                    app.closeTls(); // close_notify
                    progress = true;
                }
            }
            return app.closeTcpWhenFlushed(true) || progress;
        }

        private boolean serverApp()
        {
            if (null == server)
            {
                return false;
            }
            boolean progress = false;
            final byte[] buffer = new byte[1 << 16];
            final int n = server.read(buffer, 0, buffer.length);
            if (n > 0)
            {
                backendGot.write(buffer, 0, n);
                progress = true;
            }
            while (backendAnswers && responses < requestsSeen())
            {
                pendingResponse = responseBytes(NAMES[backend]);
                pendingResponseOffset = 0;
                responses++;
            }
            if (null != pendingResponse && pendingResponseOffset < pendingResponse.length)
            {
                final int written = server.write(pendingResponse, pendingResponseOffset,
                    pendingResponse.length - pendingResponseOffset);
                pendingResponseOffset += written;
                progress |= written > 0;
            }
            if (server.isEndOfStream() && !server.isClosed() && server.state() ==
                org.inlinetls.packet.tcp.TcpState.CLOSE_WAIT)
            {
                server.close();
                progress = true;
            }
            return progress;
        }

        /** A frame the engine sent toward a backend: the backend's endpoint (made at the SYN) takes it. */
        private void toBackend(final byte[] frame)
        {
            parse(frame);
            final int destination = ipv4.wrap(new UnsafeBuffer(frame), parsed.l3Offset).destinationAddress();
            final int index = destination == BACKEND_ADDRESSES[0] ? 0 : destination == BACKEND_ADDRESSES[1] ? 1 : -1;
            if (index < 0 || parsed.dstPort != 80 || parsed.srcPort != port)
            {
                throw new AssertionError("a frame to " + Integer.toHexString(destination) + ":" + parsed.dstPort +
                    " from port " + parsed.srcPort);
            }
            final int flags = tcp.wrap(new UnsafeBuffer(frame), parsed.l4Offset).flags();
            if (null == server && (flags & TcpHeaderFlyweight.SYN) != 0)
            {
                backend = index;
                server = new TcpEndpoint(new TcpConfig().localMac(BACKEND_MACS[index]).remoteMac(CLIENT_MAC)
                    .localAddress(ip(BACKEND_ADDRESSES[index])).remoteAddress(CLIENT_IP).localPort(80).remotePort(port)
                    .timeWaitNs(STEP_NS).isnSeed(~port).validate());
                server.listen();
            }
            if (null == server || index != backend)
            {
                throw new AssertionError("a frame to backend " + NAMES[index] + " of no connection there");
            }
            server.onFrame(new UnsafeBuffer(frame), 0, frame.length, nowNs);
        }

        private boolean deliver()
        {
            boolean progress = false;
            while (!toServer.isEmpty() || !toClient.isEmpty())
            {
                progress = true;
                final List<byte[]> server = new ArrayList<>(toServer);
                toServer.clear();
                server.forEach(this::toBackend);
                final List<byte[]> clientFrames = new ArrayList<>(toClient);
                toClient.clear();
                for (final byte[] frame : clientFrames)
                {
                    client.onFrame(new UnsafeBuffer(frame), 0, frame.length, nowNs);
                }
            }
            return progress;
        }
    }

    private boolean classify(final Side side, final byte[] frame)
    {
        parse(frame);
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        final long before = measuring ? allocatedBytes() : 0;
        final long harnessBefore = harnessAllocatedBytes;
        engine.classify(side, buffer, parsed, nowNs);
        if (measuring)
        {
            steadyAllocatedBytes += allocatedBytes() - before - (harnessAllocatedBytes - harnessBefore);
            steadyCalls++;
        }
        return true;
    }

    private void tick()
    {
        final long before = measuring ? allocatedBytes() : 0;
        final long harnessBefore = harnessAllocatedBytes;
        engine.onTick(nowNs);
        if (measuring)
        {
            steadyAllocatedBytes += allocatedBytes() - before - (harnessAllocatedBytes - harnessBefore);
        }
    }

    /** A backend's answer: its persistence cookie, then its name and {@link #bodyPaddingBytes} of padding. */
    byte[] responseBytes(final String name)
    {
        final String body = name + "-".repeat(bodyPaddingBytes);
        return ("HTTP/1.1 200 OK\r\nSet-Cookie: SERVERID=" + name + "; Path=/\r\nContent-Length: " + body.length() +
            "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII);
    }

    private void parse(final byte[] frame)
    {
        if (parser.parse(new UnsafeBuffer(frame), 0, frame.length, parsed) != FrameAnomaly.NONE)
        {
            throw new AssertionError("an unparseable frame");
        }
    }

    static int count(final String text, final String what)
    {
        int n = 0;
        for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + what.length()))
        {
            n++;
        }
        return n;
    }

    static byte[] ip(final int address)
    {
        return new byte[] {(byte)(address >>> 24), (byte)(address >>> 16), (byte)(address >>> 8), (byte)address};
    }

    private static byte[] copy(final DirectBuffer buffer, final int offset, final int length)
    {
        final byte[] copy = new byte[length];
        buffer.getBytes(offset, copy);
        return copy;
    }
}
