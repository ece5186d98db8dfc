package org.inlinetls.appliance.cli;

import org.agrona.concurrent.status.CountersManager;
import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.appliance.config.ConfigLoader;
import org.inlinetls.appliance.daemon.Daemon;
import org.inlinetls.crypto.suite.CipherSuite;
import org.inlinetls.packet.counter.CounterDescriptor;
import org.inlinetls.packet.counter.CountersFile;
import org.inlinetls.packet.counter.LatencyHistogram;
import org.inlinetls.packet.counter.PortCounters;
import org.inlinetls.seqdb.FlowEntry;
import org.inlinetls.seqdb.FlowJournal;
import org.inlinetls.seqdb.FlowKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code appliance stats} and {@code appliance flows} read what a running daemon writes: its counters file (with the
 * per-agent latency summary) and its journal, while the writer holds them open; and say so when there is nothing.
 */
class OperatorCommandsTest
{
    @TempDir
    Path dir;

    @Test
    void shouldPrintTheCountersAndLatencySummaryOfARunningDaemon() throws IOException
    {
        try (CountersFile file = CountersFile.create(dir.resolve(Daemon.COUNTERS_FILE_NAME), 128))
        {
            final CountersManager manager = file.newManager();
            final PortCounters outside = new PortCounters(manager, "outside");
            new PortCounters(manager, "inside");
            outside.get(CounterDescriptor.FRAMES_IN).setOrdered(1234);
            final LatencyHistogram latency = new LatencyHistogram(manager, "bridge");
            for (int i = 0; i < 98; i++)
            {
                latency.record(1_000);      // <= 1.0 us
            }
            latency.record(30_000);         // <= 32.8 us
            latency.record(100_000_000);    // over 16.8 ms

            final Captured out = run("stats", "--runtime-dir", dir.toString());

            assertEquals(0, out.exitCode, out.err);
            assertTrue(out.out.startsWith("daemon pid " + ProcessHandle.current().pid() + " (running)"), out.out);
            assertTrue(out.out.matches("(?s).*\\n  outside frames_in +1234\\n.*"), out.out);
            assertTrue(out.out.matches("(?s).*\\n  inside frames_in +0\\n.*"), out.out);
            assertTrue(out.out.matches("(?s).*\\n  latency bridge frame_le_1024ns +98\\n.*"), out.out);
            assertFalse(out.out.contains("frame_le_128ns"), "zero buckets are left out: " + out.out);
            // mean: (98 x 1 us + 30 us + 100 ms) / 100 = 1001.28 us
            assertTrue(out.out.matches("(?s).*\\n  latency bridge summary +100 frames, mean 1001\\.3 us, " +
                "p50 <= 1\\.0 us, p99 <= 32\\.8 us, p99\\.9 <= inf \\(over 16777 us\\)\\n.*"), out.out);
        }
    }

    @Test
    void shouldSayThereAreNoCountersWithoutADaemon()
    {
        final Captured out = run("stats", "--runtime-dir", dir.resolve("nothing-here").toString());
        assertEquals(1, out.exitCode);
        assertTrue(out.err.startsWith("no counters: "), out.err);
    }

    @Test
    void shouldListTheJournalsFlowsWithoutKeysWhileTheDaemonHoldsIt() throws Exception
    {
        final Path shm = Files.createTempDirectory(Path.of("/dev/shm"), "itls-flows-cmd-");
        try
        {
            final Path config = dir.resolve("appliance.yaml");
            Files.writeString(config, "interfaces: {outside: out0, inside: in0}\n" +
                "journal:\n  path: " + shm.resolve("journal.dat") + "\n  maxFlows: 64\n");
            final ApplianceConfig loaded = ConfigLoader.load(config);
            try (FlowJournal journal = FlowJournal.open(loaded.journal().toJournalConfig(false)))
            {
                final FlowKey key = new FlowKey().ipv4(0xC6120001, 40001, 0xC6120002, 443);
                final long nowNs = System.nanoTime();
                journal.insert(key, nowNs - 2_000_000_000L);
                journal.insert(new FlowKey().ipv4(0xC6120001, 40002, 0xC6120002, 443), nowNs);
                try (FlowEntry entry = journal.acquire(key))
                {
                    entry.state(cutThroughState())
                        .cipherSuite(CipherSuite.TLS_AES_128_GCM_SHA256.code())
                        .tlsVersion(CipherSuite.TlsVersion.TLS13.ordinal());
                }

                final Captured out = run("flows", "--config", config.toString());

                assertEquals(0, out.exitCode, out.err);
                assertTrue(out.out.startsWith("2 flows in " + shm.resolve("journal.dat")), out.out);
                assertTrue(out.out.contains("client -> server"), out.out);
                final String line = out.out.lines().filter(l -> l.contains(":40001")).findFirst().orElse("");
                assertTrue(line.matches(".*198\\.18\\.0\\.1:40001.*198\\.18\\.0\\.2:443.*"), out.out);
                assertTrue(line.matches(".* cut-through +TLS13 +TLS_AES_128_GCM_SHA256 .*"), line);
                final String[] columns = line.trim().split(" +");
                final double ageSec = Double.parseDouble(columns[columns.length - 2]);
                assertTrue(ageSec >= 2.0 && ageSec < 60, line);
                final String other = out.out.lines().filter(l -> l.contains(":40002")).findFirst().orElse("");
                assertTrue(other.matches(".* - +- .*"), "no suite before the handshake: " + other);
            }
        }
        finally
        {
            try (Stream<Path> files = Files.walk(shm))
            {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void shouldSayWhenTheDaemonsJournalIsMissing() throws IOException
    {
        final Path config = dir.resolve("appliance.yaml");
        Files.writeString(config, "interfaces: {outside: out0, inside: in0}\n" +
            "journal:\n  path: /dev/shm/itls-no-such-dir-" + ProcessHandle.current().pid() + "/journal.dat\n");
        final Captured out = run("flows", "--config", config.toString());
        assertEquals(1, out.exitCode);
        assertTrue(out.err.startsWith("cannot read the journal: "), out.err);
    }

    /** The journal's number for the state {@code flows} prints as {@code cut-through}. */
    private static int cutThroughState()
    {
        for (int state = 0; state < 64; state++)
        {
            if ("cut-through".equals(org.inlinetls.modes.direct.DirectEngine.stateName(state)))
            {
                return state;
            }
        }
        throw new AssertionError("no cut-through state");
    }

    private static Captured run(final String... args)
    {
        final PrintStream oldOut = System.out;
        final PrintStream oldErr = System.err;
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        try
        {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            final int code = ApplianceMain.execute(args);
            return new Captured(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }
        finally
        {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    private record Captured(int exitCode, String out, String err)
    {
    }
}
