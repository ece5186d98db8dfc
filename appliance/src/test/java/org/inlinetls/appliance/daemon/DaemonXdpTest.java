package org.inlinetls.appliance.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.agrona.concurrent.UnsafeBuffer;
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
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * Root-only: the daemon on {@code io.driver: xdp} bridging b ⇄ c of two veth pairs a–b and c–d. With b and c ports
 * of a Linux bridge and {@code redirect: intercepted}, a TLS transfer to the direct-mode service 10.99.0.1:443 goes
 * through the AF_XDP sockets and the engine (the client's segments to :443 and the server's from :80 are the
 * intercept keys) while other frames ride the kernel bridge without the daemon seeing them; with {@code redirect:
 * all} every frame goes through the daemon. Without XDP (simulated, or the NICs not bridged) the daemon starts on the
 * ring and says why. Dedicated threading with several workers works on AF_XDP too: the dispatcher reads the sockets,
 * each worker transmits through AF_PACKET sockets of its own.
 */
@SuppressWarnings("try") // namespace handles are held for their scope, not referenced
class DaemonXdpTest
{
    private static final int TEST_ETHER_TYPE = 0x88B5;
    private static final int FRAMES = 300;
    private static final byte[] SERVICE = {10, 99, 0, 1};
    private static final byte[] CLIENT = {10, 99, 1, 1};
    private static final int DOWN_BYTES = 1 << 20;
    private static final int UP_BYTES = 128 << 10;
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(120);

    @TempDir
    Path runtime;
    private NetnsLab lab;
    private Path journal;
    private RingPort a;
    private RingPort d;
    private final TransferPump transfers = new TransferPump(WAIT_NS);
    private final Logger log = (Logger)LoggerFactory.getLogger(PortOpening.class);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    @BeforeEach
    void createLab() throws IOException
    {
        lab = DaemonLab.create();
        journal = Path.of("/dev/shm/itls-daemon-xdp-" + ProcessHandle.current().pid() + ".dat");
        appender.start();
        log.addAppender(appender);
    }

    @AfterEach
    void deleteLab() throws IOException
    {
        log.detachAppender(appender);
        if (lab != null)
        {
            lab.close();
        }
        Files.deleteIfExists(journal);
        Files.deleteIfExists(journal.resolveSibling(journal.getFileName() + ".lock"));
        Files.deleteIfExists(journal.resolveSibling(
            journal.getFileName().toString().replaceFirst("\\.dat$", "-parked.dat")));
    }

    @Test
    void shouldStartOnTheRingAndSaySoWhenXdpIsUnavailable() throws Exception
    {
        bridgeBAndC();
        final ApplianceConfig config = DaemonLab.config(runtime, "io: {driver: xdp}\n");
        try (Daemon daemon = lab.openInside(() -> Daemon.start(config, (c, clock) ->
            new PortOpening(c, clock, RingPort::unavailabilityCause, () -> "simulated: no XDP here",
                XdpIntercepts::ipLinkDetails))))
        {
            assertEquals(ApplianceConfig.IoDriver.RING, daemon.ioDriver());
            assertTrue(messages().contains("falling back to the ring driver: simulated: no XDP here"),
                "the fallback and its reason are logged: " + messages());
            assertEquals(1L, counters().get("io driver_ring"));
            assertEquals(0L, counters().get("io driver_xdp"));
        }
    }

    @Test
    void shouldStartOnTheRingWhenTheNicsAreNotPortsOfOneBridge() throws Exception
    {
        final ApplianceConfig config = DaemonLab.config(runtime, "io: {driver: xdp}\n");
        try (Daemon daemon = lab.openInside(() -> Daemon.start(config, (c, clock) ->
            new PortOpening(c, clock, RingPort::unavailabilityCause, () -> null, XdpIntercepts::ipLinkDetails))))
        {
            assertEquals(ApplianceConfig.IoDriver.RING, daemon.ioDriver());
            assertTrue(messages().stream().anyMatch(m -> m.startsWith("falling back to the ring driver: with " +
                "io.xdp.redirect: intercepted the kernel forwards what is not intercepted, so b and c must be " +
                "ports of one Linux bridge, but b is in no bridge and c in no bridge")), messages().toString());
            openEnds();
            try (RingPort ignoredA = a; RingPort ignoredD = d)
            {
                assertEquals(FRAMES, pass(a, d, 0), "bridged by the daemon on the ring");
            }
        }
    }

    @Test
    void shouldCarryInterceptedFlowsThroughAfXdpAndLeaveTheRestToTheKernelBridge() throws Exception
    {
        assumeXdp();
        bridgeBAndC();
        TestCertificates.write(runtime, "www");
        final ApplianceConfig config = DaemonLab.config(runtime, "io: {driver: xdp, xdp: {attach: generic}}\n" +
            "journal: {path: " + journal + "}\n" +
            "tls: {sessionCache: {enabled: false}}\n" +
            "certificates:\n  - {chain: www.chain.pem, key: www.key.pem}\n" +
            "services:\n  - {name: www, listen: 10.99.0.1:443, backendPort: 80}\n");
        try (Daemon daemon = lab.openInside(() -> Daemon.start(config)))
        {
            assertEquals(ApplianceConfig.IoDriver.XDP, daemon.ioDriver(), messages().toString());
            assertTrue(lab.exec(NetnsLab.IP, "link", "show", "dev", "b").contains("xdp"), "attached to b");
            assertEquals(1L, counters().get("io driver_xdp"));
            assertEquals(4L, counters().get("io xdp_intercept_keys"));
            openEnds();
            try (RingPort ignoredA = a; RingPort ignoredD = d)
            {
                // not intercepted: the kernel bridge carries it, the daemon never sees it
                assertEquals(FRAMES, pass(a, d, 0), "outside to inside by the kernel bridge");
                assertEquals(FRAMES, pass(d, a, FRAMES), "inside to outside by the kernel bridge");
                final Map<String, Long> before = counters();
                assertEquals(0L, before.get("outside frames_in"), "nothing redirected: " + before);
                assertEquals(0L, before.get("inside frames_in"), "nothing redirected: " + before);

                // intercepted: the engine terminates TLS and talks plain HTTP to the server's port 80
                final byte[] upload = random(UP_BYTES, 1);
                final byte[] download = random(DOWN_BYTES, 2);
                final TlsTransfer transfer = new TlsTransfer(CLIENT, 45_001, SERVICE, SERVICE,
                    TlsTransfer.SERVER_MAC, upload, download).start(System.nanoTime());
                transfers.add(transfer);
                runUntil(transfer::isDone, "the transfer through AF_XDP");
                assertArrayEquals(download, transfer.clientGot.toByteArray(), transfer.toString());
                assertArrayEquals(upload, transfer.serverGot.toByteArray(), transfer.toString());
                final Map<String, Long> after = counters();
                assertEquals(1L, after.get("direct flows_opened"), after.toString());
                assertTrue(after.get("outside frames_in") > 50 && after.get("inside frames_in") > 50,
                    "both legs redirected to the daemon: " + after);
            }
            assertEquals(4, daemon.xdpIntercepts().keysInMap());

            // a reload adds a service's keys, another removes them; a load-balanced service is refused
            Files.writeString(config.source(), Files.readString(config.source()) +
                "  - {name: more, mode: full-proxy, listen: 10.99.0.5:8443, backendPort: 8080}\n");
            daemon.requestReload();
            awaitGauge(7, "a full-proxy service's 3 keys added");
            Files.writeString(config.source(), Files.readString(config.source()) +
                "  - {name: pool, mode: load-balancing, listen: 10.99.0.6, backends: [{address: 10.99.0.7}]}\n");
            daemon.requestReload();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (counters().get("config reloads_rejected") < 1L)
            {
                assertTrue(System.nanoTime() - deadline < 0, "the load-balanced service refused: " + counters());
                Thread.sleep(20);
            }
            assertEquals(7, daemon.xdpIntercepts().keysInMap(), "the last good keys stay");
            Files.writeString(config.source(), Files.readString(config.source())
                .replaceAll("  - \\{name: (more|pool).*\n", ""));
            daemon.requestReload();
            awaitGauge(4, "the full-proxy service's keys removed");
            assertEquals(4, daemon.xdpIntercepts().keysInMap());
        }
        // fail closed: the program stays at stop (the services' flows held for the next start)
        assertTrue(lab.exec(NetnsLab.IP, "link", "show", "dev", "b").contains("xdp"), "left attached at stop");
        assertTrue(lab.exec(NetnsLab.IP, "link", "show", "dev", "c").contains("xdp"), "left attached at stop");
        // a start on the ring detaches it: it would drop the services' frames before an AF_PACKET socket saw them
        final ApplianceConfig ring = DaemonLab.config(runtime, "io: {driver: ring}\n");
        try (Daemon daemon = lab.openInside(() -> Daemon.start(ring)))
        {
            assertEquals(ApplianceConfig.IoDriver.RING, daemon.ioDriver());
        }
        assertFalse(lab.exec(NetnsLab.IP, "link", "show", "dev", "b").contains("xdp"), "detached by the ring's start");
        assertFalse(lab.exec(NetnsLab.IP, "link", "show", "dev", "c").contains("xdp"), "detached by the ring's start");
        assertTrue(messages().contains("xdp: detached the XDP program a previous run left on b (io.driver is ring now)"),
            messages().toString());
    }

    @Test
    void shouldBridgeEveryFrameThroughAfXdpWithRedirectAll() throws Exception
    {
        assumeXdp();
        final ApplianceConfig config = DaemonLab.config(runtime,
            "io: {driver: xdp, xdp: {attach: generic, redirect: all}}\n");
        try (Daemon daemon = lab.openInside(() -> Daemon.start(config)))
        {
            assertEquals(ApplianceConfig.IoDriver.XDP, daemon.ioDriver(), messages().toString());
            openEnds();
            try (RingPort ignoredA = a; RingPort ignoredD = d)
            {
                assertEquals(FRAMES, pass(a, d, 0), "outside to inside through the daemon");
                assertEquals(FRAMES, pass(d, a, FRAMES), "inside to outside through the daemon");
            }
            final Map<String, Long> counters = counters();
            assertTrue(counters.get("outside frames_in") >= FRAMES && counters.get("inside frames_in") >= FRAMES,
                counters.toString());
        }
        assertTrue(lab.exec(NetnsLab.IP, "link", "show", "dev", "b").contains("xdp"), "left attached at stop");
    }

    @Test
    void shouldDispatchAfXdpFramesToWorkersThatTransmitThroughAfPacket() throws Exception
    {
        assumeXdp();
        final ApplianceConfig config = DaemonLab.config(runtime,
            "io: {driver: xdp, xdp: {attach: generic, redirect: all}}\nthreading: {mode: dedicated, workers: 2}\n");
        try (Daemon daemon = lab.openInside(() -> Daemon.start(config)))
        {
            assertEquals(ApplianceConfig.IoDriver.XDP, daemon.ioDriver(), messages().toString());
            openEnds();
            try (RingPort ignoredA = a; RingPort ignoredD = d)
            {
                assertEquals(FRAMES, pass(a, d, 0), "outside to inside through the dispatcher and a worker");
                assertEquals(FRAMES, pass(d, a, FRAMES), "inside to outside through the dispatcher and a worker");
            }
        }
    }

    private void awaitGauge(final long keys, final String what) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (counters().get("io xdp_intercept_keys") != keys)
        {
            assertTrue(System.nanoTime() - deadline < 0, what + ": " + counters());
            Thread.sleep(20);
        }
    }

    private static void assumeXdp()
    {
        final String cause = PortOpening.xdpUnavailabilityCause();
        assumeTrue(null == cause, "XDP not available here: " + cause);
    }

    private void bridgeBAndC() throws IOException
    {
        lab.exec(NetnsLab.IP, "link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0");
        lab.exec(NetnsLab.IP, "link", "set", "dev", "b", "master", "br0");
        lab.exec(NetnsLab.IP, "link", "set", "dev", "c", "master", "br0");
        lab.exec(NetnsLab.IP, "link", "set", "dev", "br0", "up");
    }

    private void openEnds() throws IOException
    {
        try (NetNamespace.Entered ignored = NetNamespace.enter(lab.name))
        {
            a = RingPort.open("a");
            d = RingPort.open("d");
        }
    }

    private List<String> messages()
    {
        return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    private static byte[] random(final int length, final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)random.nextInt();
        }
        return bytes;
    }

    private void runUntil(final BooleanSupplier condition, final String what) throws Exception
    {
        transfers.runUntil(a, d, condition, what);
    }

    private Map<String, Long> counters() throws IOException
    {
        final Map<String, Long> values = new HashMap<>()
        {
            @Override
            public Long get(final Object key)
            {
                return getOrDefault(key, -1L);
            }
        };
        try (CountersFile counters = CountersFile.open(runtime.resolve(Daemon.COUNTERS_FILE_NAME)))
        {
            CountersFile.forEach(counters.reader(), values::put);
        }
        return values;
    }

    /** Sends numbered frames on one port and counts the distinct numbers arriving on the other. */
    private static int pass(final RingPort from, final RingPort to, final int firstNumber)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[600]);
        for (int i = 0; i < 12; i++)
        {
            frame.putByte(i, (byte)(i < 6 ? 0x02 : 0x04)); // locally administered unicast MACs
        }
        frame.putShort(12, (short)TEST_ETHER_TYPE, ByteOrder.BIG_ENDIAN);
        final Set<Integer> seen = new HashSet<>();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        int sent = 0;
        while (seen.size() < FRAMES && System.nanoTime() < deadline)
        {
            if (sent < FRAMES && sent - seen.size() < 32)
            {
                frame.putInt(14, firstNumber + sent);
                if (from.send(frame, 0, frame.capacity()))
                {
                    sent++;
                }
                from.flush(System.nanoTime());
            }
            to.receive((buffer, offset, length, ts) ->
            {
                if (length == 600 && buffer.getShort(offset + 12, ByteOrder.BIG_ENDIAN) == (short)TEST_ETHER_TYPE &&
                    buffer.getInt(offset + 14) >= firstNumber)
                {
                    seen.add(buffer.getInt(offset + 14));
                }
            }, 64);
            Thread.onSpinWait();
        }
        return seen.size();
    }
}
