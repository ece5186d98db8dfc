package org.inlinetls.appliance.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.appliance.config.ConfigLoader;
import org.inlinetls.packet.counter.CountersFile;
import org.inlinetls.packet.flyweight.ArpFlyweight;
import org.inlinetls.packet.flyweight.EtherType;
import org.inlinetls.packet.flyweight.EthernetFlyweight;
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
 * Root-only: the daemon bridging b ⇄ c of two veth pairs a–b and c–d while its configuration file moves one service
 * (10.99.0.1:443) through every mode: direct → full-proxy → load-balancing (pool: 10.99.0.2) → direct, each time with
 * a TLS transfer in flight that must finish whole in the mode it started in while the next one runs in the new mode
 * (the counters of each mode say which carried it); then a broken file is refused with the last good configuration
 * still serving, and a reload that removes the service resets its flow in flight on both legs, counted.
 */
@SuppressWarnings("try") // namespace handles are held for their scope, not referenced
class DaemonModeSwitchTest
{
    private static final byte[] SERVICE = {10, 99, 0, 1};
    private static final byte[] POOL_BACKEND = {10, 99, 0, 2};
    private static final long POOL_BACKEND_MAC = 0x02_00_00_00_00_03L;
    private static final byte[] CLIENT = {10, 99, 1, 1};
    private static final int DOWN_BYTES = 3 << 20;
    private static final int UP_BYTES = 128 << 10;
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(Long.getLong("modeswitch.timeoutSec", 120));
    private static final String DIRECT = "  - {name: www, listen: 10.99.0.1}\n";
    private static final String FULL_PROXY = "  - {name: www, mode: full-proxy, listen: 10.99.0.1, backendPort: 80}\n";
    private static final String LOAD_BALANCING = "  - {name: www, mode: load-balancing, listen: 10.99.0.1, " +
        "backends: [{address: 10.99.0.2}], healthCheck: {intervalMs: 3600000}}\n";

    @TempDir
    Path runtime;
    private NetnsLab lab;
    private Path journal;
    private Path file;
    private RingPort a;
    private RingPort d;
    private final TransferPump transfers = new TransferPump(WAIT_NS);
    private final byte[] upload = new byte[UP_BYTES];
    private final byte[] download = new byte[DOWN_BYTES];
    private final Logger log = (Logger)LoggerFactory.getLogger(ConfigReloader.class);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    @BeforeEach
    void createLab() throws IOException
    {
        lab = DaemonLab.create();
        journal = Path.of("/dev/shm/itls-daemon-modeswitch-" + ProcessHandle.current().pid() + ".dat");
        appender.start();
        log.addAppender(appender);
        final SplittableRandom random = new SplittableRandom(17);
        for (int i = 0; i < upload.length; i++)
        {
            upload[i] = (byte)random.nextInt();
        }
        for (int i = 0; i < download.length; i++)
        {
            download[i] = (byte)random.nextInt();
        }
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
        Files.deleteIfExists(journal.resolveSibling(journal.getFileName().toString().replaceFirst("\\.dat$", "-parked.dat")));
    }

    private String yaml(final String services)
    {
        return "interfaces: {outside: b, inside: c}\n" +
            "runtime: {directory: " + runtime + "}\n" +
            "threading: {mode: dedicated}\n" +
            "journal: {path: " + journal + "}\n" +
            "tls: {sessionCache: {enabled: false}}\n" +
            "certificates:\n" +
            "  - {chain: www.chain.pem, key: www.key.pem}\n" +
            "services:\n" + services;
    }

    @Test
    void shouldFinishEachFlowInItsModeAndStartTheNextInTheNewOneAsTheFileMovesAServiceThroughEveryMode()
        throws Exception
    {
        TestCertificates.write(runtime, "www");
        file = runtime.resolve("appliance.yaml");
        Files.writeString(file, yaml(DIRECT));
        final ApplianceConfig config = ConfigLoader.load(file);
        // the JDK lists only interfaces with an address, and this JVM's /sys is not the namespace's: an address on b
        // lets the daemon read b's MAC for the load-balancing mode's ARP answers (never a target of the test)
        lab.exec(NetnsLab.IP, "address", "add", "198.18.255.254/32", "dev", "b");
        try (Daemon daemon = lab.openInside(() -> Daemon.start(config)))
        {
            try (NetNamespace.Entered ignored = NetNamespace.enter(lab.name))
            {
                a = RingPort.open("a");
                d = RingPort.open("d");
            }
            try (RingPort ignoredA = a; RingPort ignoredD = d)
            {
                // direct: t1 in flight when the service turns full-proxy
                final TlsTransfer t1 = begin(44_001, SERVICE, TlsTransfer.SERVER_MAC);
                runUntil(() -> t1.clientGot.size() > DOWN_BYTES / 4, "t1 under way");
                rewrite(FULL_PROXY);
                final TlsTransfer t2 = begin(44_002, SERVICE, TlsTransfer.SERVER_MAC);
                runUntil(() -> t1.isDone() && t2.clientGot.size() > DOWN_BYTES / 4, "t1 done, t2 under way");
                assertWhole(t1);
                awaitCounters(c -> c.get("full_proxy flows_opened") == 1 && c.get("direct flows_closed") == 1,
                    "t1 carried to its end by the direct mode, t2 by the full proxy");

                // full-proxy: t2 in flight when the service turns load-balancing
                rewrite(LOAD_BALANCING);
                sendArpFromPoolBackend(); // the stage learns the backend's MAC from its frames
                final TlsTransfer t3 = begin(44_003, POOL_BACKEND, POOL_BACKEND_MAC);
                runUntil(() -> t2.isDone() && t3.clientGot.size() > DOWN_BYTES / 4, "t2 done, t3 under way");
                assertWhole(t2);
                awaitCounters(c -> c.get("lb flows_mapped") == 1 && c.get("full_proxy flows_closed") == 1 &&
                    c.get("full_proxy flows_opened") == 1, "t2 finished by the full proxy, t3 NATed to the pool");

                // load-balancing: t3 in flight when the service turns direct again
                rewrite(DIRECT);
                final TlsTransfer t4 = begin(44_004, SERVICE, TlsTransfer.SERVER_MAC);
                runUntil(() -> t3.isDone() && t4.isDone(), "t3 and t4 done");
                assertWhole(t3);
                assertWhole(t4);
                awaitCounters(c -> c.get("direct flows_opened") == 3 && c.get("direct flows_closed") == 3 &&
                    c.get("lb flows_mapped") == 1 && c.get("full_proxy flows_opened") == 1 &&
                    c.get("direct flows_reset") == 0 && c.get("full_proxy flows_reset") == 0,
                    "t3 finished through the pool, t4 direct (t1, t3 and t4 through the engine), nothing reset");

                // a broken file is refused; the last good configuration (direct) keeps serving
                clearLog();
                Files.writeString(file, yaml(DIRECT).replace("listen: 10.99.0.1}", "listen: 10.99.0.1, mode: fast}"));
                awaitLog("reload rejected: " + file + ":9: ");
                final TlsTransfer t5 = begin(44_005, SERVICE, TlsTransfer.SERVER_MAC);
                runUntil(() -> t5.clientGot.size() > DOWN_BYTES / 4, "t5 under way");

                // the service removed: its flow in flight is reset on both legs and counted
                clearLog();
                rewriteNoWait("  - {name: other, listen: 10.99.0.9}\n");
                awaitLog("config reloaded (file changed): services +other -www");
                runUntil(() -> t5.client.isAborted() && t5.server.isAborted(), "t5 reset on both legs");
                awaitCounters(c -> c.get("direct flows_reset_service_removed") == 1 &&
                    c.get("direct flows_opened") == 4, "t5 reset as its service went");
                assertEquals(4, counters().get("config reloads_applied"), "four reloads applied");
                assertEquals(1, counters().get("config reloads_rejected"), "the broken file not");
            }
        }
    }

    private TlsTransfer begin(final int clientPort, final byte[] backend, final long backendMac)
        throws IOException
    {
        final TlsTransfer transfer = new TlsTransfer(CLIENT, clientPort, SERVICE, backend, backendMac,
            upload, download).start(System.nanoTime());
        transfers.add(transfer);
        return transfer;
    }

    private void assertWhole(final TlsTransfer transfer)
    {
        assertArrayEquals(download, transfer.clientGot.toByteArray(), transfer.toString());
        assertArrayEquals(upload, transfer.serverGot.toByteArray(), transfer.toString());
        assertTrue(!transfer.client.isAborted() && !transfer.server.isAborted(), transfer.toString());
    }

    /** The new file written aside and renamed into place, then the reload awaited with the transfers running. */
    private void rewrite(final String services) throws Exception
    {
        clearLog();
        rewriteNoWait(services);
        final long deadline = System.nanoTime() + WAIT_NS;
        while (logEvents().stream().noneMatch(e -> e.getFormattedMessage().startsWith("config reloaded (file " +
            "changed): services ~www")))
        {
            assertTrue(System.nanoTime() - deadline < 0, () -> "the reload: " + messages());
            pump();
        }
        // the data path takes the change on its next duty cycle: a few more rounds before the next SYN
        final long settle = System.nanoTime() + 50_000_000L;
        while (System.nanoTime() - settle < 0)
        {
            pump();
        }
    }

    private void rewriteNoWait(final String services) throws IOException
    {
        final Path next = runtime.resolve(".appliance.yaml.new");
        Files.writeString(next, yaml(services));
        Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private void awaitLog(final String prefix) throws Exception
    {
        final long deadline = System.nanoTime() + WAIT_NS;
        while (logEvents().stream().noneMatch(e -> e.getFormattedMessage().startsWith(prefix)))
        {
            assertTrue(System.nanoTime() - deadline < 0, () -> "waited for '" + prefix + "': " + messages());
            pump();
        }
    }

    private List<String> messages()
    {
        return logEvents().stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    /**
     * A copy of the events logged so far: the daemon's threads append while the test reads, and the appender's list
     * is only safe under the appender's own lock (AppenderBase.doAppend holds it).
     */
    private List<ILoggingEvent> logEvents()
    {
        synchronized (appender)
        {
            return new ArrayList<>(appender.list);
        }
    }

    private void clearLog()
    {
        synchronized (appender)
        {
            appender.list.clear();
        }
    }

    private void runUntil(final BooleanSupplier condition, final String what) throws Exception
    {
        transfers.runUntil(a, d, condition, what);
    }

    private void pump() throws IOException
    {
        transfers.pump(a, d);
    }

    /** The pool's backend asks who has the client's address: its MAC reaches the load-balancing stage. */
    private void sendArpFromPoolBackend()
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[60]);
        new EthernetFlyweight().wrap(frame, 0).destinationMac(0xFFFF_FFFF_FFFFL).sourceMac(POOL_BACKEND_MAC)
            .etherType(EtherType.ARP);
        new ArpFlyweight().wrap(frame, EthernetFlyweight.HEADER_LENGTH, ArpFlyweight.ETHERNET_IPV4_LENGTH)
            .hardwareType(ArpFlyweight.HARDWARE_TYPE_ETHERNET).protocolType(EtherType.IPV4).hardwareLength(6)
            .protocolLength(4).operation(ArpFlyweight.OPERATION_REQUEST).senderHardwareAddress(POOL_BACKEND_MAC)
            .senderProtocolAddress(0x0A63_0002).targetHardwareAddress(0).targetProtocolAddress(0x0A63_0101);
        d.send(frame, 0, frame.capacity());
        d.flush(System.nanoTime());
    }

    private interface CountersCheck
    {
        boolean test(Map<String, Long> counters);
    }

    private void awaitCounters(final CountersCheck check, final String what) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        Map<String, Long> counters = counters();
        while (!check.test(counters))
        {
            assertTrue(System.nanoTime() - deadline < 0, what + ": " + counters);
            final long until = System.nanoTime() + 100_000_000L;
            while (System.nanoTime() - until < 0)
            {
                pump(); // the transfers' last frames (TIME-WAIT ACKs) keep moving
            }
            counters = counters();
        }
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
}
