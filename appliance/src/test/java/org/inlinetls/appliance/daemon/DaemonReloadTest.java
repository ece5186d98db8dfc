package org.inlinetls.appliance.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.appliance.config.ConfigLoader;
import org.inlinetls.packet.frame.FrameParser;
import org.inlinetls.packet.frame.ParsedFrame;
import org.inlinetls.packet.port.RingPort;
import org.inlinetls.packet.tcp.TcpConfig;
import org.inlinetls.packet.tcp.TcpEndpoint;
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
 * Root-only: the daemon (dedicated threading: the conductor reloads on its own thread, the bridge applies the new
 * service table on its) bridging b ⇄ c of two veth pairs a–b and c–d, its configuration file edited as it runs.
 * Client SYNs sent in on a show on d whether they were intercepted (the backend port 80) or bridged (443).
 */
@SuppressWarnings("try") // namespace handles are held for their scope, not referenced
class DaemonReloadTest
{
    private static final byte[] ONE = {10, 99, 0, 1};
    private static final byte[] TWO = {10, 99, 0, 2};
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(20);

    @TempDir
    Path runtime;
    private NetnsLab lab;
    private Path journal;
    private int clientPort = 42_000;
    private final Logger log = (Logger)LoggerFactory.getLogger(ConfigReloader.class);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    @BeforeEach
    void createLab() throws IOException
    {
        lab = DaemonLab.create();
        journal = Path.of("/dev/shm/itls-daemon-reload-" + ProcessHandle.current().pid() + ".dat");
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
        // the parked flows' sibling file (NAME-parked.dat) stays when flows were still parked at close
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
    void shouldApplyAnEditedConfigWhileRunningAndKeepTheLastGoodOnABrokenOne() throws Exception
    {
        TestCertificates.write(runtime, "www");
        final Path file = runtime.resolve("appliance.yaml");
        Files.writeString(file, yaml("  - {name: one, listen: 10.99.0.1}\n"));
        final ApplianceConfig config = ConfigLoader.load(file);
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
                assertEquals(80, synThrough(a, d, ONE), "service one is intercepted");
                assertEquals(443, synThrough(a, d, TWO), "10.99.0.2 is no service yet: bridged");

                final Path next = runtime.resolve(".appliance.yaml.new");
                Files.writeString(next, yaml("  - {name: one, listen: 10.99.0.1}\n" +
                    "  - {name: two, listen: 10.99.0.2}\n"));
                Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                awaitLog("config reloaded (file changed): services +two");
                assertEquals(80, synThrough(a, d, TWO), "the added service is intercepted");

                Files.writeString(file, yaml("  - {name: one, listen: 10.99.0.1}\n" +
                    "  - {name: two, listen: 10.99.0.2, onNonTls: maybe}\n"));
                awaitLog("reload rejected: " + file + ":10: field 'services[1].onNonTls': ");
                assertEquals(2, daemon.runningConfig().services().size(), "the last good configuration stays");
                assertEquals(80, synThrough(a, d, TWO), "and so does its service table");

                Files.writeString(file, yaml("  - {name: two, listen: 10.99.0.2}\n"));
                awaitLog("config reloaded (file changed): services -one");
                assertEquals(443, synThrough(a, d, ONE), "the removed service is bridged");
                assertEquals(80, synThrough(a, d, TWO));

                synchronized (appender) // the daemon's threads append under the appender's lock
                {
                    appender.list.clear();
                }
                daemon.requestReload(); // what SIGHUP does
                awaitLog("config reloaded (SIGHUP): nothing");
                assertEquals(List.of("two"),
                    daemon.runningConfig().services().stream().map(ApplianceConfig.Service::name).toList());
            }
        }
    }

    private void awaitLog(final String prefix) throws InterruptedException
    {
        final long deadline = System.nanoTime() + WAIT_NS;
        while (messages().stream().noneMatch(m -> m.startsWith(prefix)))
        {
            assertTrue(System.nanoTime() - deadline < 0, () -> "waited for '" + prefix + "': " + messages());
            Thread.sleep(20);
        }
    }

    /** The messages logged so far, copied under the appender's lock (the daemon's threads append under it). */
    private List<String> messages()
    {
        synchronized (appender)
        {
            return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    /**
     * Sends a client SYN to {@code server}:443 in on a (resent each second) and returns the destination port it
     * leaves d with: 80 when the appliance intercepted it, 443 when it bridged it.
     */
    private int synThrough(final RingPort a, final RingPort d, final byte[] server)
    {
        final int port = clientPort++;
        final TcpEndpoint client = new TcpEndpoint(new TcpConfig().localMac(0x02_00_00_00_00_01L)
            .remoteMac(0x02_00_00_00_00_02L).localAddress(new byte[] {10, 99, 1, 1}).remoteAddress(server)
            .localPort(port).remotePort(443).isnSeed(port).validate());
        client.connect(System.nanoTime());
        final byte[][] syn = new byte[1][];
        client.poll(System.nanoTime(), (buffer, offset, length) ->
        {
            syn[0] = new byte[length];
            buffer.getBytes(offset, syn[0]);
            return true;
        });
        final UnsafeBuffer frame = new UnsafeBuffer(syn[0]);
        final FrameParser parser = new FrameParser();
        final ParsedFrame parsed = new ParsedFrame();
        final int[] dstPort = {-1};
        final long deadline = System.nanoTime() + WAIT_NS;
        long resendNs = 0;
        while (dstPort[0] < 0)
        {
            assertTrue(System.nanoTime() - deadline < 0, "the SYN from port " + port + " never came out on d");
            if (System.nanoTime() - resendNs >= 0)
            {
                a.send(frame, 0, frame.capacity());
                a.flush(System.nanoTime());
                resendNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            }
            d.receive((buffer, offset, length, ts) ->
            {
                parser.parse(buffer, offset, length, parsed);
                if (parsed.isTcp() && parsed.srcPort == port)
                {
                    dstPort[0] = parsed.dstPort;
                }
            }, 64);
            Thread.onSpinWait();
        }
        return dstPort[0];
    }
}
