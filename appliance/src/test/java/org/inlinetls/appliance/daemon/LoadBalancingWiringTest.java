package org.inlinetls.appliance.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.appliance.config.ConfigLoader;
import org.inlinetls.modes.direct.DirectCounter;
import org.inlinetls.modes.ServiceModeClassifier;
import org.inlinetls.packet.counter.PortCounters;
import org.inlinetls.packet.engine.Side;
import org.inlinetls.packet.engine.Verdict;
import org.inlinetls.packet.flyweight.ArpFlyweight;
import org.inlinetls.packet.flyweight.EtherType;
import org.inlinetls.packet.flyweight.EthernetFlyweight;
import org.inlinetls.packet.flyweight.Ipv4HeaderFlyweight;
import org.inlinetls.packet.frame.FrameParser;
import org.inlinetls.packet.frame.ParsedFrame;
import org.inlinetls.packet.port.InMemoryPort;
import org.inlinetls.packet.tcp.TcpConfig;
import org.inlinetls.packet.tcp.TcpEndpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * The daemon's load-balancing wiring over in-memory ports: a SYN to the virtual address reaches a backend once its
 * MAC is known; a reload that leaves the load-balanced service alone keeps it working (the new service table carries
 * its internal services); one that changes its pool applies to new flows at once. The backends are loopback
 * addresses and checked once an hour from 127.0.0.1 (the appliance's own address here), so the health checks reach
 * nothing outside this machine.
 */
class LoadBalancingWiringTest
{
    private static final byte[] CLIENT = {(byte)192, 0, 2, 1};
    private static final byte[] VIP = {(byte)127, 0, 0, 20};
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(20);
    private static final String SHOP = "  - {name: shop, mode: load-balancing, listen: 127.0.0.20, algorithm: %s, " +
        "backends: [{address: 127.0.0.2}, {address: 127.0.0.3}], " +
        "healthCheck: {intervalMs: 3600000, sourceAddress: 127.0.0.1}}\n";

    @TempDir
    Path dir;
    private Path file;
    private Path journal;
    private DirectWiring direct;
    private ConfigReloader reloader;
    private final InMemoryPort outside = new InMemoryPort("outside", 1 << 20);
    private final InMemoryPort inside = new InMemoryPort("inside", 1 << 20);
    private final Logger log = (Logger)LoggerFactory.getLogger(ConfigReloader.class);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private int clientPort = 41_000;
    private CountersManager manager;

    @BeforeEach
    void start() throws Exception
    {
        TestCertificates.write(dir, "www");
        file = dir.resolve("appliance.yaml");
        journal = Path.of("/dev/shm/itls-lbwiring-test-" + ProcessHandle.current().pid() + ".dat");
        Files.writeString(file, yaml("  - {name: www, listen: 198.51.100.2}\n" + String.format(SHOP,
            "round-robin")));
        final ApplianceConfig config = ConfigLoader.load(file);
        manager = new CountersManager(new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 512)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 128)));
        direct = new DirectWiring(config, outside, inside, new PortCounters(manager, "outside"),
            new PortCounters(manager, "inside"));
        direct.publishLoadBalancingCounters(manager);
        reloader = new ConfigReloader(config, direct, manager);
        appender.start();
        log.addAppender(appender);
    }

    @AfterEach
    void stop() throws Exception
    {
        log.detachAppender(appender);
        if (null != reloader)
        {
            reloader.close();
        }
        if (null != direct)
        {
            direct.close();
        }
        Files.deleteIfExists(journal);
        Files.deleteIfExists(journal.resolveSibling(journal.getFileName() + ".lock"));
        // the parked flows' sibling file (NAME-parked.dat) stays when flows were still parked at close
        Files.deleteIfExists(journal.resolveSibling(journal.getFileName().toString().replaceFirst("\\.dat$", "-parked.dat")));
    }

    private String yaml(final String services)
    {
        return "interfaces: {outside: lo, inside: i0}\n" +
            "journal: {path: " + journal + "}\n" +
            "tls: {sessionCache: {enabled: false}}\n" +
            "certificates:\n" +
            "  - {chain: www.chain.pem, key: www.key.pem}\n" +
            "services:\n" + services;
    }

    @Test
    void shouldCarryASynToTheVirtualAddressToABackendAcrossAReloadThatLeavesTheServiceAlone() throws Exception
    {
        assertTrue(direct.classifier() instanceof ServiceModeClassifier, "every mode's engine on the bridge");
        assertSame(direct.engine, direct.stage().engine(), "the stage in front of the engine");
        assertEquals(Verdict.CONSUMED, synToVip());
        assertNull(sentToBackend(), "no backend MAC known yet: the SYN waits for the client's retry");
        for (final int backend : new int[] {2, 3})
        {
            assertEquals(Verdict.DROP, classify(Side.INSIDE, arpFromBackend(backend)),
                "not bridged: the backend asks for the appliance's own (loopback) address");
        }
        // (the dropped SYN took backend .2's turn)
        assertEquals(Verdict.CONSUMED, synToVip());
        assertArrayEquals(new byte[] {127, 0, 0, 3}, sentToBackend());
        assertEquals(Verdict.CONSUMED, synToVip());
        assertArrayEquals(new byte[] {127, 0, 0, 2}, sentToBackend(), "round robin");

        // www gets another backend port; shop stays as it was
        Files.writeString(file, yaml("  - {name: www, listen: 198.51.100.2, backendPort: 8080}\n" +
            String.format(SHOP, "round-robin")));
        runUntil(() -> direct.engine.counter(DirectCounter.SERVICE_TABLES_APPLIED) == 1, "the new table");
        assertTrue(logged("config reloaded (file changed): services ~www"), messages().toString());
        assertEquals(Verdict.CONSUMED, synToVip());
        assertArrayEquals(new byte[] {127, 0, 0, 3}, sentToBackend(), "still carried after the reload");
        assertEquals(0, direct.engine.counter(DirectCounter.FLOWS_RESET_SERVICE_REMOVED), "no flow lost");

        // the load-balanced service changes too (a reload applies it: a new pool, algorithm and health checks)
        Files.writeString(file, yaml("  - {name: www, listen: 198.51.100.2, backendPort: 8080}\n" +
            "  - {name: shop, mode: load-balancing, listen: 127.0.0.20, algorithm: round-robin, " +
            "backends: [{address: 127.0.0.3}], healthCheck: {intervalMs: 3600000, sourceAddress: 127.0.0.1}}\n"));
        runUntil(() -> direct.engine.counter(DirectCounter.SERVICE_TABLES_APPLIED) == 2, "the changed pool");
        assertTrue(logged("config reloaded (file changed): services ~shop"), messages().toString());
        assertEquals(Verdict.CONSUMED, synToVip());
        assertArrayEquals(new byte[] {127, 0, 0, 3}, sentToBackend(), "the one backend left (its MAC still known)");
        assertEquals(Verdict.CONSUMED, synToVip());
        assertArrayEquals(new byte[] {127, 0, 0, 3}, sentToBackend());
        assertEquals(0, direct.engine.counter(DirectCounter.FLOWS_RESET_SERVICE_REMOVED),
            "the flows in flight to 127.0.0.2 stay (their pool's internal service is kept as served elsewhere)");

        // the counters reach the shared counters file (appliance stats, /metrics) on the next idle sweep
        direct.classifier().onTick(System.nanoTime() + 5_000_000_000L);
        assertEquals(5, sharedCounter("lb flows_mapped"), "six SYNs, the first before any MAC was known");
        assertEquals(1, sharedCounter("lb syn_dropped_backend_mac_unknown"));
        assertEquals(2, sharedCounter("lb own_address_frames"));
    }

    @Test
    void shouldCarryACookieServiceOnTheFullProxyEngineAndHandItBackToTheNatStageOnAReload() throws Exception
    {
        for (final int backend : new int[] {2, 3})
        {
            classify(Side.INSIDE, arpFromBackend(backend)); // the MACs are known: a NATed SYN would reach a backend
        }
        Files.writeString(file, yaml("  - {name: www, listen: 198.51.100.2}\n" +
            "  - {name: shop, mode: load-balancing, listen: 127.0.0.20, algorithm: round-robin, " +
            "backends: [{address: 127.0.0.2, cookie: a}, {address: 127.0.0.3, cookie: b}], " +
            "persistence: {type: cookie, cookieName: SERVERID}, proxyProtocol: v2, " +
            "healthCheck: {intervalMs: 3600000, sourceAddress: 127.0.0.1}}\n"));
        runUntil(() -> direct.engine.counter(DirectCounter.SERVICE_TABLES_APPLIED) == 1, "the cookie service");
        assertEquals(Verdict.CONSUMED, synToVip());
        assertNull(sentToBackend(), "no backend leg before the TLS handshake and the first request");
        assertEquals(1, direct.proxyEngine.flowCount(), "the full-proxy engine answers the SYN itself");
        assertEquals(0, direct.stage().mappingCount(), "nothing NATed");
        assertTrue(sentToClient() > 0, "its SYN-ACK, from the virtual address");

        Files.writeString(file, yaml("  - {name: www, listen: 198.51.100.2}\n" + String.format(SHOP,
            "round-robin")));
        runUntil(() -> direct.engine.counter(DirectCounter.SERVICE_TABLES_APPLIED) == 2, "the NATed service");
        assertEquals(1, direct.proxyEngine.flowCount(), "the flow in flight finishes on the full-proxy engine");
        assertEquals(Verdict.CONSUMED, synToVip());
        assertArrayEquals(new byte[] {127, 0, 0, 2}, sentToBackend(), "new flows are NATed at their SYN again");
        assertEquals(1, direct.proxyEngine.flowCount());
    }

    /** Frames sent to the outside since the last call. */
    private int sentToClient()
    {
        return outside.drainSent((buffer, offset, length, ts) -> { }, 100);
    }

    private long sharedCounter(final String label)
    {
        final long[] value = {-1};
        manager.forEach((v, id, l) ->
        {
            if (l.equals(label))
            {
                value[0] = v;
            }
        });
        return value[0];
    }

    @Test
    void shouldReadAMacFromItsText()
    {
        assertArrayEquals(new byte[] {2, 0, (byte)0xc6, 0x12, 0, (byte)0xa0},
            LoadBalancingWiring.parseMac("02:00:c6:12:00:a0"));
        assertNull(LoadBalancingWiring.parseMac("02:00:c6:12:00"));
        assertNull(LoadBalancingWiring.parseMac("02:00:c6:12:00:zz"));
    }

    /** A new client SYN to the virtual address:443 through the wiring's classifier. */
    private Verdict synToVip()
    {
        final TcpEndpoint client = new TcpEndpoint(new TcpConfig().localMac(0x02_00_00_00_00_01L)
            .remoteMac(0x02_00_00_00_00_A0L).localAddress(CLIENT).remoteAddress(VIP).localPort(clientPort++)
            .remotePort(443).isnSeed(clientPort).validate());
        client.connect(System.nanoTime());
        final List<byte[]> syn = new ArrayList<>();
        client.poll(System.nanoTime(), (buffer, offset, length) ->
        {
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            syn.add(copy);
            return true;
        });
        return classify(Side.OUTSIDE, syn.get(0));
    }

    private Verdict classify(final Side side, final byte[] frame)
    {
        final ParsedFrame parsed = new ParsedFrame();
        new FrameParser().parse(new UnsafeBuffer(frame), 0, frame.length, parsed);
        return direct.classifier().classify(side, new UnsafeBuffer(frame), parsed, System.nanoTime());
    }

    /** The destination address of the one frame sent to the inside since the last call, or null when none. */
    private byte[] sentToBackend()
    {
        final List<byte[]> sent = new ArrayList<>();
        inside.drainSent((buffer, offset, length, ts) ->
        {
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            sent.add(copy);
        }, 100);
        if (sent.isEmpty())
        {
            return null;
        }
        assertEquals(1, sent.size());
        final ParsedFrame parsed = new ParsedFrame();
        final UnsafeBuffer frame = new UnsafeBuffer(sent.get(0));
        new FrameParser().parse(frame, 0, frame.capacity(), parsed);
        assertEquals(80, parsed.dstPort);
        final int address = new Ipv4HeaderFlyweight().wrap(frame, parsed.l3Offset).destinationAddress();
        assertEquals(0x02_00_00_00_00_10L | (address & 0xFF), new EthernetFlyweight().wrap(frame, 0).destinationMac(),
            "the backend's learned MAC");
        return ByteBuffer.allocate(4).putInt(address).array();
    }

    /** Backend 127.0.0.{@code last} (MAC 02:00:00:00:00:1x) asks who has 127.0.0.1. */
    private static byte[] arpFromBackend(final int last)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[60]);
        final long mac = 0x02_00_00_00_00_10L | last;
        new EthernetFlyweight().wrap(frame, 0).destinationMac(0xFFFF_FFFF_FFFFL).sourceMac(mac)
            .etherType(EtherType.ARP);
        new ArpFlyweight().wrap(frame, EthernetFlyweight.HEADER_LENGTH, ArpFlyweight.ETHERNET_IPV4_LENGTH)
            .hardwareType(ArpFlyweight.HARDWARE_TYPE_ETHERNET).protocolType(EtherType.IPV4).hardwareLength(6)
            .protocolLength(4).operation(ArpFlyweight.OPERATION_REQUEST).senderHardwareAddress(mac)
            .senderProtocolAddress(0x7F00_0000 | last).targetHardwareAddress(0).targetProtocolAddress(0x7F00_0001);
        return frame.byteArray();
    }

    private void runUntil(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadline = System.nanoTime() + WAIT_NS;
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() - deadline < 0, "waited 20 s for " + what + ": " + messages());
            final long nowNs = System.nanoTime();
            reloader.doWork(nowNs);
            direct.classifier().onTick(nowNs);
            Thread.sleep(10);
        }
    }

    private boolean logged(final String prefix)
    {
        return messages().stream().anyMatch(message -> message.startsWith(prefix));
    }

    private List<String> messages()
    {
        return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }
}
