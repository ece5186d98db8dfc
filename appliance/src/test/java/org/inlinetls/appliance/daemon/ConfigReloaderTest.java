package org.inlinetls.appliance.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.appliance.config.ConfigLoader;
import org.inlinetls.modes.direct.DirectCounter;
import org.inlinetls.packet.counter.PortCounters;
import org.inlinetls.packet.engine.Side;
import org.inlinetls.packet.engine.Verdict;
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
 * The reload machinery over a real direct engine on in-memory ports, the conductor's and the engine's duty cycles
 * driven by the test: the watched file edited in place, renamed into place and swapped as a symlink; a broken file
 * rejected with its file, line and field while the last good configuration stays; SIGHUP; settings that need a
 * restart kept.
 */
class ConfigReloaderTest
{
    private static final byte[] WWW = {(byte)198, 51, 100, 2};
    private static final byte[] API = {(byte)198, 51, 100, 3};
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(20);

    @TempDir
    Path dir;
    private Path file;
    private Path journal;
    private DirectWiring direct;
    private ConfigReloader reloader;
    private final Logger log = (Logger)LoggerFactory.getLogger(ConfigReloader.class);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private int clientPort = 40_000;

    @BeforeEach
    void start() throws Exception
    {
        TestCertificates.write(dir, "www");
        TestCertificates.write(dir, "api");
        file = dir.resolve("appliance.yaml");
        journal = Path.of("/dev/shm/itls-reload-test-" + ProcessHandle.current().pid() + ".dat");
        Files.writeString(file, yaml("  - {name: www, listen: 198.51.100.2}\n"));
        final ApplianceConfig config = ConfigLoader.load(file);
        final CountersManager manager = new CountersManager(new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 512)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 128)));
        direct = new DirectWiring(config, new InMemoryPort("outside", 1 << 20), new InMemoryPort("inside", 1 << 20),
            new PortCounters(manager, "outside"), new PortCounters(manager, "inside"));
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
    }

    private String yaml(final String services)
    {
        return "interfaces: {outside: o0, inside: i0}\n" +
            "journal: {path: " + journal + "}\n" +
            "tls: {sessionCache: {enabled: false}}\n" +
            "certificates:\n" +
            "  - {chain: www.chain.pem, key: www.key.pem}\n" +
            "  - {chain: api.chain.pem, key: api.key.pem}\n" +
            "services:\n" + services;
    }

    @Test
    void shouldApplyAnEditedFileAndRejectABrokenOneKeepingTheLastGood() throws Exception
    {
        assertEquals(Verdict.CONSUMED, syn(WWW));
        assertEquals(Verdict.FORWARD, syn(API));

        // written in full under another name and renamed over the file, as vim and Ansible do
        final Path next = dir.resolve(".appliance.yaml.tmp");
        Files.writeString(next, yaml("  - {name: www, listen: 198.51.100.2}\n  - {name: api, listen: 198.51.100.3}\n"));
        Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        runUntil(() -> direct.engine.counter(DirectCounter.SERVICE_TABLES_APPLIED) == 1, "the new table");
        assertEquals(2, reloader.running().services().size());
        assertEquals(Verdict.CONSUMED, syn(API), "a SYN to the added service is intercepted");
        assertTrue(logged("config reloaded (file changed): services +api"), messages().toString());

        // edited in place with a mistake on line 9
        Files.writeString(file, yaml("  - {name: www, listen: 198.51.100.2}\n" +
            "  - {name: api, listen: 198.51.100.3, backendPort: 99999}\n"));
        runUntil(() -> logged("reload rejected: "), "the rejection");
        assertTrue(logged("reload rejected: " + file + ":9: field 'services[1].backendPort': "), messages().toString());
        assertEquals(2, reloader.running().services().size(), "the last good configuration stays");
        assertEquals(Verdict.CONSUMED, syn(API));

        // SIGHUP reloads even an unchanged file: still broken, rejected again
        appender.list.clear();
        reloader.requestReload();
        runUntil(() -> logged("reload rejected: "), "the second rejection");

        // a symlink swapped to another file, as Kubernetes and release directories do: api removed
        final Path release = Files.createDirectory(dir.resolve("release-2"));
        Files.writeString(release.resolve("appliance.yaml"), yaml("  - {name: www, listen: 198.51.100.2}\n")
            .replace("www.chain.pem", dir + "/www.chain.pem").replace("www.key.pem", dir + "/www.key.pem")
            .replace("api.chain.pem", dir + "/api.chain.pem").replace("api.key.pem", dir + "/api.key.pem"));
        final Path link = dir.resolve(".appliance.yaml.link");
        Files.createSymbolicLink(link, release.resolve("appliance.yaml"));
        Files.move(link, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        runUntil(() -> direct.engine.counter(DirectCounter.SERVICE_TABLES_APPLIED) == 2, "the swapped file's table");
        assertEquals(List.of("www"), reloader.running().services().stream().map(ApplianceConfig.Service::name)
            .toList());
        assertEquals(Verdict.FORWARD, syn(API), "a SYN to the removed service is bridged");
        assertEquals(Verdict.CONSUMED, syn(WWW));

        // the link's target edited in place: its directory is watched too
        Files.writeString(release.resolve("appliance.yaml"), Files.readString(release.resolve("appliance.yaml"))
            .replace("198.51.100.2}", "198.51.100.2, backendPort: 8080}"));
        runUntil(() -> direct.engine.counter(DirectCounter.SERVICE_TABLES_APPLIED) == 3, "the edited target's table");
        assertEquals(8080, reloader.running().services().get(0).backendPort());
    }

    @Test
    void shouldKeepSettingsThatNeedARestartAndApplyTheRest() throws Exception
    {
        Files.writeString(file, yaml("  - {name: api, listen: 198.51.100.3}\n")
            .replace("outside: o0", "outside: o1").replace("journal: {", "journal: {maxFlows: 1000, "));
        runUntil(() -> direct.engine.counter(DirectCounter.SERVICE_TABLES_APPLIED) == 1, "the new table");
        assertTrue(logged("needs a restart, ignored: interfaces.outside, journal"), messages().toString());
        assertEquals("o0", reloader.running().outside());
        assertEquals(Verdict.FORWARD, syn(WWW));
        assertEquals(Verdict.CONSUMED, syn(API));
    }

    @Test
    void shouldNotReloadWhenOnlyAnotherFileOfTheDirectoryChanges() throws Exception
    {
        Files.writeString(dir.resolve("notes.txt"), "not the config");
        final long deadline = System.nanoTime() + 2 * ConfigReloader.DEBOUNCE_NS + 500_000_000L;
        while (System.nanoTime() - deadline < 0)
        {
            step();
        }
        assertEquals(0, direct.engine.counter(DirectCounter.SERVICE_TABLES_APPLIED));
        assertEquals(List.of(), messages());
    }

    /** Runs the conductor's reloader and the data path's duty cycle until {@code condition} holds. */
    private void runUntil(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadline = System.nanoTime() + WAIT_NS;
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() - deadline < 0, "waited 20 s for " + what + ": " + messages());
            step();
        }
    }

    private void step() throws InterruptedException
    {
        final long nowNs = System.nanoTime();
        reloader.doWork(nowNs);
        direct.classifier().onTick(nowNs); // the bridge's duty cycle: the modes' change, then the engines' ticks
        Thread.sleep(10);
    }

    private boolean logged(final String prefix)
    {
        return messages().stream().anyMatch(message -> message.startsWith(prefix));
    }

    private List<String> messages()
    {
        return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    /** A client SYN to {@code server}:443 through the engine's classifier (a new flow each time). */
    private Verdict syn(final byte[] server)
    {
        final TcpEndpoint client = new TcpEndpoint(new TcpConfig().localMac(0x02_00_00_00_00_01L)
            .remoteMac(0x02_00_00_00_00_02L).localAddress(new byte[] {(byte)192, 0, 2, 1}).remoteAddress(server)
            .localPort(clientPort++).remotePort(443).isnSeed(clientPort).validate());
        final long nowNs = System.nanoTime();
        client.connect(nowNs);
        final byte[][] frame = new byte[1][];
        client.poll(nowNs, (buffer, offset, length) ->
        {
            frame[0] = new byte[length];
            buffer.getBytes(offset, frame[0]);
            return true;
        });
        final UnsafeBuffer buffer = new UnsafeBuffer(frame[0]);
        final ParsedFrame parsed = new ParsedFrame();
        new FrameParser().parse(buffer, 0, frame[0].length, parsed);
        return direct.engine.classify(Side.OUTSIDE, buffer, parsed, nowNs);
    }
}
