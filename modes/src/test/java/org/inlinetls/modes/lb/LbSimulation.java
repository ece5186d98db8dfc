package org.inlinetls.modes.lb;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.agrona.DirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.bouncycastle.tls.NamedGroup;
import org.bouncycastle.tls.ProtocolVersion;
import org.inlinetls.crypto.record.IntegrityMode;
import org.inlinetls.handshake.BcTestClient;
import org.inlinetls.handshake.HandshakeConfig;
import org.inlinetls.handshake.TestPki;
import org.inlinetls.modes.TlsClientApp;
import org.inlinetls.modes.direct.DirectCounter;
import org.inlinetls.modes.direct.DirectEngine;
import org.inlinetls.modes.direct.FrameOut;
import org.inlinetls.packet.checksum.Checksums;
import org.inlinetls.packet.counter.PortCounters;
import org.inlinetls.packet.engine.BridgeAgent;
import org.inlinetls.packet.engine.MalformedPolicy;
import org.inlinetls.packet.flyweight.ArpFlyweight;
import org.inlinetls.packet.flyweight.EtherType;
import org.inlinetls.packet.flyweight.EthernetFlyweight;
import org.inlinetls.packet.flyweight.Ipv4HeaderFlyweight;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.frame.FrameAnomaly;
import org.inlinetls.packet.frame.FrameParser;
import org.inlinetls.packet.frame.ParsedFrame;
import org.inlinetls.packet.port.InMemoryPort;
import org.inlinetls.packet.tcp.TcpConfig;
import org.inlinetls.packet.tcp.TcpEndpoint;
import org.inlinetls.seqdb.FlowJournal;

/**
 * The load-balancing mode's deterministic simulation: userspace TCP clients (with BouncyCastle TLS, or plain TCP that
 * only connects) on many client addresses connect to a virtual address; a {@link BridgeAgent} runs the
 * {@link LbNatStage} over a {@link DirectEngine}; on the inside, a userspace TCP server is created at whichever
 * backend a client's SYN arrives at. Lossless in-memory links and a clock that jumps to the next deadline.
 * <p>
 * Oracles on the wire: every frame to a client comes from the virtual address and the outside MAC (the client
 * endpoints also drop anything not from the address they connected to, and any bad checksum); every frame to a
 * backend carries that backend's IP and MAC; all frames of one flow reach one backend; the appliance never bridges
 * frames to or from its own inside address.
 */
final class LbSimulation
{
    static final int VIP = 0xC6336414; // 198.51.100.20
    static final byte[] VIP_IP = {(byte)198, 51, 100, 20};
    static final int APPLIANCE_INSIDE = 0xC63364FE; // 198.51.100.254
    static final long OUTSIDE_MAC = 0x02_00_00_00_00_A0L;
    static final long APPLIANCE_INSIDE_MAC = 0x02_00_00_00_00_A1L;
    static final int BACKEND_PORT = 80;
    private static final long MAX_SIM_NS = 600_000_000_000L;

    /** One client connection and, once its SYN reached a backend, the server end. */
    final class Connection
    {
        final byte[] clientIp;
        final int clientPort;
        final long clientMac;
        final TcpEndpoint client;
        final BcTestClient tls;
        final byte[] upload;
        final byte[] download;
        TcpEndpoint server;
        int backend = -1;
        /** The last segment without payload and with only ACK set each end sent, or null. */
        byte[] lastPureAckFromClient;
        byte[] lastPureAckFromServer;
        final ByteArrayOutputStream clientGot;
        private final TlsClientApp app;
        final ByteArrayOutputStream serverGot = new ByteArrayOutputStream();
        private int uploadWritten;
        private int downloadWritten;
        private boolean serverTcpClosed;

        Connection(final byte[] clientIp, final int clientPort, final boolean withTls, final int upload,
            final int download) throws NoSuchAlgorithmException
        {
            this.clientIp = clientIp.clone();
            this.clientPort = clientPort;
            this.clientMac = 0x02_00_00_01_00_00L | (clientIp[2] & 0xFF) << 8 | (clientIp[3] & 0xFF);
            client = new TcpEndpoint(new TcpConfig().localMac(clientMac).remoteMac(OUTSIDE_MAC)
                .localAddress(clientIp).remoteAddress(VIP_IP).localPort(clientPort).remotePort(443)
                .mss(1460).receiveBufferBytes(65_536).sendBufferBytes(64 * 1024).timestamps(true)
                .maxRtoNs(2_000_000_000L).timeWaitNs(1_000_000_000L).isnSeed(seed * 131 + clientPort).validate());
            tls = withTls ? new BcTestClient(seeded(seed ^ clientPort), new ProtocolVersion[] {ProtocolVersion.TLSv13},
                new int[] {org.bouncycastle.tls.CipherSuite.TLS_AES_128_GCM_SHA256},
                new int[] {NamedGroup.x25519}, TestPki.EC_HOST) : null;
            app = withTls ? new TlsClientApp(tls, client) : null;
            clientGot = withTls ? app.got() : new ByteArrayOutputStream();
            final SplittableRandom r = new SplittableRandom(seed * 7 + clientPort);
            this.upload = new byte[upload];
            this.download = new byte[download];
            r.nextBytes(this.upload);
            r.nextBytes(this.download);
        }

        boolean isEstablished()
        {
            return client.isEstablished() && null != server && server.isEstablished();
        }

        /** Both ends closed cleanly and each side got every byte the other sent. */
        boolean isComplete()
        {
            return client.isClosed() && null != server && server.isClosed() &&
                java.util.Arrays.equals(serverGot.toByteArray(), upload) &&
                java.util.Arrays.equals(clientGot.toByteArray(), download);
        }

        boolean isAborted()
        {
            return client.isAborted() || (null != server && server.isAborted());
        }

        private boolean clientApp() throws IOException
        {
            if (null == app)
            {
                return false;
            }
            boolean progress = app.flushToTcp();
            progress |= app.feedFromTcp(buffer, buffer.length) > 0;
            if (app.isOpen())
            {
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
                    app.closeTls();
                    progress = true;
                }
            }
            return app.closeTcpWhenFlushed(false) || progress;
        }

        private boolean serverApp()
        {
            if (null == server || null == tls)
            {
                return false;
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
            if (downloadWritten == download.length && server.isEndOfStream() && !serverTcpClosed)
            {
                server.close();
                serverTcpClosed = true;
                progress = true;
            }
            return progress;
        }
    }

    private final long seed;
    private final List<InetSocketAddress> backendAddresses;
    private final byte[][] backendIps;
    private final long[] backendMacs;
    final BackendHealth health;
    final BackendPool pool;
    final LbNatStage stage;
    final DirectEngine engine;
    private final InMemoryPort outside = new InMemoryPort("outside", 1 << 22);
    private final InMemoryPort inside = new InMemoryPort("inside", 1 << 22);
    private final BridgeAgent bridge;
    private final List<Connection> connections = new ArrayList<>();
    private final Long2ObjectHashMap<Connection> byClient = new Long2ObjectHashMap<>();
    private final byte[] buffer = new byte[1 << 16];
    private final FrameParser parser = new FrameParser();
    private final ParsedFrame parsed = new ParsedFrame();
    private final List<String> violations = new ArrayList<>();
    private final List<byte[]> arpReplies = new ArrayList<>();
    private long nowNs = 1_000_000_000L;

    /**
     * @param weights one per backend (198.51.100.2, .3, ...).
     */
    LbSimulation(final long seed, final BalancingAlgorithm algorithm, final int[] weights,
        final SourcePersistenceTable persistence, final FlowJournal journal) throws Exception
    {
        this(seed, algorithm, weights, persistence, journal, 600_000_000_000L);
    }

    /** @param mappingIdleTimeoutNs how long the stage keeps a quiet mapping. */
    LbSimulation(final long seed, final BalancingAlgorithm algorithm, final int[] weights,
        final SourcePersistenceTable persistence, final FlowJournal journal, final long mappingIdleTimeoutNs)
        throws Exception
    {
        this.seed = seed;
        final List<Backend> backends = new ArrayList<>();
        backendAddresses = new ArrayList<>();
        backendIps = new byte[weights.length][];
        backendMacs = new long[weights.length];
        for (int i = 0; i < weights.length; i++)
        {
            backendIps[i] = new byte[] {(byte)198, 51, 100, (byte)(2 + i)};
            backendMacs[i] = 0x02_00_00_00_00_02L + i;
            final InetSocketAddress address = new InetSocketAddress(InetAddress.getByAddress(backendIps[i]),
                BACKEND_PORT);
            backendAddresses.add(address);
            backends.add(new Backend(address, weights[i], "b" + i));
        }
        health = new BackendHealth(weights.length);
        pool = new BackendPool(backends, algorithm, health);
        final VirtualService service = new VirtualService("shop", VIP, 443, pool, persistence, false);
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
        stage = new LbNatStage(new LbNatStage.Settings(List.of(service), OUTSIDE_MAC, new int[] {APPLIANCE_INSIDE},
            1024, mappingIdleTimeoutNs), journal.seed(), ports);
        final HandshakeConfig handshake = HandshakeConfig.builder(TestPki.get().selector())
            .random(seeded(seed ^ 0x5EED)).build();
        engine = new DirectEngine(new DirectEngine.Settings(LbNatStage.engineServices(List.of(), List.of(service)),
            handshake, IntegrityMode.DEFERRED, false, DirectEngine.Settings.AEAD_MAX_RECORD_OVERHEAD,
            300_000_000_000L, 2_000_000_000L, false), journal, stage.engineFrameOut());
        stage.engine(engine);
        final CountersManager manager = new CountersManager(new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 512)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 128)));
        bridge = new BridgeAgent(outside, inside, new PortCounters(manager, "outside"),
            new PortCounters(manager, "inside"), stage, MalformedPolicy.defaults(), () -> nowNs, 64);
    }

    /**
     * Each backend asks for the appliance's inside address (as it does when the health checks reach it): the stage
     * learns the backends' MACs from these, and must not bridge them.
     */
    LbSimulation backendsSeen()
    {
        for (int i = 0; i < backendIps.length; i++)
        {
            inside.inject(arpRequest(backendMacs[i], ipv4(backendIps[i]), APPLIANCE_INSIDE));
        }
        bridge.doWork();
        outside.drainSent((b, o, l, ts) -> violations.add("bridged a backend's ARP for the appliance"), 100);
        return this;
    }

    /** Opens a connection from 192.0.2.{@code host}:{@code port} to the virtual address. */
    Connection connect(final int host, final int port, final boolean withTls, final int upload, final int download)
        throws NoSuchAlgorithmException
    {
        final byte[] ip = {(byte)192, 0, (byte)(2 + host / 250), (byte)(1 + host % 250)};
        final Connection c = new Connection(ip, port, withTls, upload, download);
        connections.add(c);
        byClient.put(clientKey(ipv4(ip), port), c);
        c.client.connect(nowNs);
        if (withTls)
        {
            c.tls.connect();
        }
        return c;
    }

    /** Runs until {@code done} holds; returns null then, else why not (stalled, or a wire oracle failed). */
    String runUntil(final java.util.function.BooleanSupplier done)
    {
        final long startNs = nowNs;
        try
        {
            for (int step = 0; step < 2_000_000; step++)
            {
                boolean progress = false;
                for (int i = 0; i < connections.size(); i++)
                {
                    final Connection c = connections.get(i);
                    try
                    {
                        progress |= c.clientApp();
                    }
                    catch (final IOException ex)
                    {
                        // a reset connection may leave BouncyCastle mid-record
                    }
                    progress |= c.serverApp();
                }
                progress |= pump();
                if (!violations.isEmpty())
                {
                    return String.join("\n", violations) + "\n" + state();
                }
                if (done.getAsBoolean())
                {
                    return null;
                }
                if (!progress && !advanceClock(startNs))
                {
                    return "stalled\n" + state();
                }
            }
            return "did not finish\n" + state();
        }
        catch (final RuntimeException | AssertionError ex)
        {
            return ex + "\n" + state();
        }
    }

    /** Lets the clock run for {@code durationNs} (timers, sweeps) with nothing else happening. */
    void idle(final long durationNs)
    {
        final long endNs = nowNs + durationNs;
        while (nowNs - endNs < 0)
        {
            pump();
            nowNs = Math.min(endNs, nowNs + 10_000_000L);
        }
        pump();
    }

    List<Connection> connections()
    {
        return connections;
    }

    List<byte[]> arpReplies()
    {
        return arpReplies;
    }

    /** Sends an ARP request from a client for {@code target} into the outside port. */
    void clientArp(final int target)
    {
        outside.inject(arpRequest(0x02_00_00_01_00_01L, 0xC0000201, target));
    }

    long nowNs()
    {
        return nowNs;
    }

    private boolean pump()
    {
        boolean progress = false;
        for (int i = 0; i < connections.size(); i++)
        {
            final Connection c = connections.get(i);
            progress |= c.client.poll(nowNs, (b, o, l) ->
            {
                c.lastPureAckFromClient = pureAck(b, o, l, c.lastPureAckFromClient);
                return outside.inject(b, o, l, nowNs);
            }) > 0;
            if (null != c.server)
            {
                progress |= c.server.poll(nowNs, (b, o, l) ->
                {
                    c.lastPureAckFromServer = pureAck(b, o, l, c.lastPureAckFromServer);
                    return inside.inject(b, o, l, nowNs);
                }) > 0;
            }
        }
        progress |= bridge.doWork() > 0;
        progress |= outside.drainSent((b, o, l, ts) -> toClient(b, o, l), Integer.MAX_VALUE) > 0;
        progress |= inside.drainSent((b, o, l, ts) -> toServer(b, o, l), Integer.MAX_VALUE) > 0;
        return progress;
    }

    private boolean advanceClock(final long startNs)
    {
        long next = stage.nextDeadlineNs();
        for (final Connection c : connections)
        {
            next = Math.min(next, c.client.nextDeadlineNs());
            if (null != c.server)
            {
                next = Math.min(next, c.server.nextDeadlineNs());
            }
        }
        if (next - startNs > MAX_SIM_NS)
        {
            return false;
        }
        nowNs = Math.max(nowNs + 1, next);
        return true;
    }

    private void toClient(final DirectBuffer b, final int offset, final int length)
    {
        final UnsafeBuffer view = copy(b, offset, length);
        if (parser.parse(view, 0, length, parsed) != FrameAnomaly.NONE)
        {
            violations.add("a frame to the clients does not parse: " + parsed.anomaly);
            return;
        }
        final EthernetFlyweight ethernet = new EthernetFlyweight().wrap(view, 0);
        if (parsed.etherType == EtherType.ARP)
        {
            arpReplies.add(view.byteArray());
            return;
        }
        if (!parsed.isTcp())
        {
            violations.add("a frame to the clients that is not TCP");
            return;
        }
        final Ipv4HeaderFlyweight ip = new Ipv4HeaderFlyweight().wrap(view, parsed.l3Offset);
        if (ip.sourceAddress() != VIP || ethernet.sourceMac() != OUTSIDE_MAC)
        {
            violations.add(String.format("a frame to a client from %08x / %012x, not the virtual address",
                ip.sourceAddress(), ethernet.sourceMac()));
        }
        if (!Checksums.verifyIpv4HeaderChecksum(view, parsed.l3Offset, ip.headerLength()) ||
            !Checksums.verifyTcpChecksumIpv4(view, parsed.l3Offset, parsed.l4Offset, parsed.l4Length))
        {
            violations.add("a frame to a client with a bad checksum");
        }
        final Connection c = byClient.get(clientKey(ip.destinationAddress(), parsed.dstPort));
        if (null != c)
        {
            c.client.onFrame(view, 0, length, nowNs);
        }
    }

    private void toServer(final DirectBuffer b, final int offset, final int length)
    {
        final UnsafeBuffer view = copy(b, offset, length);
        if (parser.parse(view, 0, length, parsed) != FrameAnomaly.NONE || !parsed.isTcp())
        {
            return; // ARP and the rest: nothing listens
        }
        final Ipv4HeaderFlyweight ip = new Ipv4HeaderFlyweight().wrap(view, parsed.l3Offset);
        final long destinationMac = new EthernetFlyweight().wrap(view, 0).destinationMac();
        if (ip.sourceAddress() == APPLIANCE_INSIDE || ip.destinationAddress() == APPLIANCE_INSIDE)
        {
            violations.add("bridged a frame of the appliance's own address");
        }
        final Connection c = byClient.get(clientKey(ip.sourceAddress(), parsed.srcPort));
        if (null == c)
        {
            violations.add("a frame to the servers of no connection");
            return;
        }
        final int backend = backendOf(ip.destinationAddress());
        if (backend < 0 || destinationMac != backendMacs[backend] || parsed.dstPort != BACKEND_PORT)
        {
            violations.add(String.format("a frame to %08x:%d / %012x, not a backend's address", ip.destinationAddress(),
                parsed.dstPort, destinationMac));
            return;
        }
        if (!Checksums.verifyIpv4HeaderChecksum(view, parsed.l3Offset, ip.headerLength()))
        {
            violations.add("a frame to a backend with a bad IPv4 checksum");
        }
        final TcpHeaderFlyweight tcp = new TcpHeaderFlyweight().wrap(view, parsed.l4Offset);
        if (null == c.server && tcp.hasFlags(TcpHeaderFlyweight.SYN))
        {
            c.backend = backend;
            c.server = new TcpEndpoint(new TcpConfig().localMac(backendMacs[backend]).remoteMac(c.clientMac)
                .localAddress(backendIps[backend]).remoteAddress(c.clientIp).localPort(BACKEND_PORT)
                .remotePort(c.clientPort).mss(1460).receiveBufferBytes(65_536).sendBufferBytes(64 * 1024)
                .timestamps(true).maxRtoNs(2_000_000_000L).timeWaitNs(1_000_000_000L)
                .isnSeed(~seed * 31 + c.clientPort).validate());
            c.server.listen();
        }
        else if (c.backend != backend)
        {
            violations.add("a flow's frames went to backends " + c.backend + " and " + backend);
            return;
        }
        if (null != c.server)
        {
            c.server.onFrame(view, 0, length, nowNs);
        }
    }

    private int backendOf(final int address)
    {
        for (int i = 0; i < backendIps.length; i++)
        {
            if (ipv4(backendIps[i]) == address)
            {
                return i;
            }
        }
        return -1;
    }

    String state()
    {
        final StringBuilder text = new StringBuilder("  stage:");
        for (final LbCounter c : LbCounter.values())
        {
            if (stage.counter(c) != 0)
            {
                text.append(' ').append(c.name().toLowerCase()).append('=').append(stage.counter(c));
            }
        }
        text.append("\n  engine:");
        for (final DirectCounter c : DirectCounter.values())
        {
            if (engine.counter(c) != 0)
            {
                text.append(' ').append(c.name().toLowerCase()).append('=').append(engine.counter(c));
            }
        }
        text.append("\n  mappings ").append(stage.mappingCount()).append(", engine flows ").append(engine.flowCount())
            .append(", connections:");
        for (final Connection c : connections)
        {
            text.append("\n    ").append(c.clientPort).append(" backend ").append(c.backend).append(" client ")
                .append(c.client.state()).append(" server ").append(null == c.server ? "-" : c.server.state())
                .append(" got ").append(c.serverGot.size()).append('/').append(c.upload.length).append(' ')
                .append(c.clientGot.size()).append('/').append(c.download.length);
        }
        return text.toString();
    }

    /** A copy of the frame when it is a pure ACK, else {@code previous}. */
    private byte[] pureAck(final DirectBuffer b, final int offset, final int length, final byte[] previous)
    {
        final UnsafeBuffer view = copy(b, offset, length);
        if (parser.parse(view, 0, length, parsed) != FrameAnomaly.NONE || !parsed.isTcp() ||
            parsed.payloadLength != 0 ||
            new TcpHeaderFlyweight().wrap(view, parsed.l4Offset).flags() != TcpHeaderFlyweight.ACK)
        {
            return previous;
        }
        return view.byteArray();
    }

    /** The outside port (frames to the clients queue in it until the next pump). */
    InMemoryPort outsidePort()
    {
        return outside;
    }

    /** The inside port (frames to the servers queue in it until the next pump). */
    InMemoryPort insidePort()
    {
        return inside;
    }

    private static UnsafeBuffer copy(final DirectBuffer b, final int offset, final int length)
    {
        final byte[] bytes = new byte[length];
        b.getBytes(offset, bytes);
        return new UnsafeBuffer(bytes);
    }

    static byte[] arpRequest(final long senderMac, final int senderIp, final int targetIp)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[60]);
        new EthernetFlyweight().wrap(frame, 0).destinationMac(0xFFFF_FFFF_FFFFL).sourceMac(senderMac)
            .etherType(EtherType.ARP);
        new ArpFlyweight().wrap(frame, EthernetFlyweight.HEADER_LENGTH, ArpFlyweight.ETHERNET_IPV4_LENGTH)
            .hardwareType(ArpFlyweight.HARDWARE_TYPE_ETHERNET).protocolType(EtherType.IPV4).hardwareLength(6)
            .protocolLength(4).operation(ArpFlyweight.OPERATION_REQUEST).senderHardwareAddress(senderMac)
            .senderProtocolAddress(senderIp).targetHardwareAddress(0).targetProtocolAddress(targetIp);
        return frame.byteArray();
    }

    static int ipv4(final byte[] ip)
    {
        return (ip[0] & 0xFF) << 24 | (ip[1] & 0xFF) << 16 | (ip[2] & 0xFF) << 8 | (ip[3] & 0xFF);
    }

    private static long clientKey(final int address, final int port)
    {
        return (address & 0xFFFF_FFFFL) << 16 | port;
    }

    private static SecureRandom seeded(final long seed) throws NoSuchAlgorithmException
    {
        final SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
        random.setSeed(ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putLong(seed).array());
        return random;
    }

    static InetAddress address(final int ipv4) throws UnknownHostException
    {
        return InetAddress.getByAddress(ByteBuffer.allocate(4).putInt(ipv4).array());
    }
}
