package org.inlinetls.modes.direct;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.inlinetls.modes.TestJournals;
import org.inlinetls.seqdb.FlowJournal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The direct mode under the deterministic simulation ({@link DirectSimulation}): many seeds, each its own fault
 * pattern (loss 0–10% per link, reordering, duplication), window sizes, MSS, suite and integrity mode.
 * <p>
 * {@code -Ddirect.seed=S} replays one seed and prints its setup; {@code -Ddirect.seeds=N} runs N seeds (1,000 by
 * default; {@code scripts/soak.sh} runs 10,000); {@code -Ddirect.firstSeed=F} moves the range.
 */
class DirectModeSimulationTest
{
    private static final int SEEDS = Integer.getInteger("direct.seeds", 1_000);
    private static final long FIRST_SEED = Long.getLong("direct.firstSeed", 1L);
    private static final Long ONE_SEED = Long.getLong("direct.seed");

    private static Path file;
    private static FlowJournal journal;

    @BeforeAll
    static void openJournal() throws IOException
    {
        file = TestJournals.file("sim");
        journal = TestJournals.open(file, (ONE_SEED != null ? 1 : SEEDS) + 64, 64);
    }

    @AfterAll
    static void closeJournal() throws IOException
    {
        TestJournals.delete(journal, file);
    }

    @Test
    void shouldDeliverEveryByteOnceAndIdenticalForEverySeed() throws Exception
    {
        final List<String> failures = new ArrayList<>();
        final long first = ONE_SEED != null ? ONE_SEED : FIRST_SEED;
        final int count = ONE_SEED != null ? 1 : SEEDS;
        final long[] sack = new long[4];
        for (long seed = first; seed < first + count; seed++)
        {
            final DirectSimulation.Setup setup = DirectSimulation.Setup.of(seed);
            if (ONE_SEED != null)
            {
                System.out.println("replaying " + setup);
            }
            final DirectSimulation simulation = new DirectSimulation(setup, journal);
            final String failure = simulation.run();
            sack[0] += simulation.engine().counter(DirectCounter.SACK_BLOCKS_TRANSLATED);
            sack[1] += simulation.engine().counter(DirectCounter.SACK_BLOCKS_HELD);
            sack[2] += simulation.client().counters().sackRetransmissions();
            sack[3] += simulation.server().counters().sackRetransmissions();
            if (failure != null)
            {
                failures.add("seed " + seed + " (replay with -Ddirect.seed=" + seed + "): " + failure);
                if (failures.size() >= 5)
                {
                    break;
                }
            }
        }
        assertEquals(List.of(), failures, String.join("\n\n", failures));
        if (ONE_SEED == null && count >= 100)
        {
            // SACK on both ends in half the seeds: blocks translated both ways, held segments reported, and both
            // endpoints recovering holes from the (translated) scoreboard
            for (int i = 0; i < sack.length; i++)
            {
                assertTrue(sack[i] > 0, "no seed exercised SACK figure " + i + ": " + java.util.Arrays.toString(sack));
            }
        }
    }

    @Test
    void shouldContinueTheFlowAfterAnEngineRestartWithSackTranslated() throws Exception
    {
        // the daemon killed mid-download (its flows, held segments and frames in flight lost, the journal kept) and
        // a new engine continuing from the journal, SACK on both ends in most seeds: blocks the dead engine sent
        // (translated or for held segments) must not make either end wait for bytes nobody will send
        final List<String> failures = new ArrayList<>();
        int restored = 0;
        final int seeds = ONE_SEED != null ? 0 : Math.max(20, SEEDS / 10);
        for (long seed = 700_001; seed <= 700_000 + seeds; seed++)
        {
            final DirectSimulation.Setup base = DirectSimulation.Setup.of(seed);
            final DirectSimulation.Setup setup = new DirectSimulation.Setup(seed, base.suite(), base.integrity(),
                base.clientPort(), base.upload(), 60_000 + (int)(seed * 7919 % 400_000), base.clientMss(),
                base.serverMss(), base.clientWindow(), base.serverWindow(), base.timestamps(), base.loss(),
                base.duplicate(), base.jitterNs(), seed % 4 != 0 || base.clientSack(),
                seed % 4 != 0 || base.serverSack());
            final DirectSimulation simulation = new DirectSimulation(setup, journal)
                .restartAt(setup.download() / 3, seed % 3 * 700_000_000L);
            final String failure = simulation.run();
            restored += (int)simulation.engine().counter(DirectCounter.FLOWS_RESTORED);
            if (failure != null)
            {
                failures.add("restart seed " + seed + ": " + failure);
                if (failures.size() >= 5)
                {
                    break;
                }
            }
        }
        assertEquals(List.of(), failures, String.join("\n\n", failures));
        assertTrue(seeds == 0 || restored >= seeds / 2, restored + " of " + seeds + " flows restored");
    }

    /**
     * TLS 1.3 clients uploading 20-byte records (each held whole by the decoder until its tag) in interactive
     * stretches, with loss on both legs and switching to proxy handling off: cut-through alone must acknowledge and
     * resume at segment boundaries inside such records (their checkpoints carry the record's ciphertext so far), or a
     * client resending a segment that ends inside one waits forever. Every other seed kills the engine half-way
     * through the upload: the new one restores the client's decoder from the newest checkpoint, often inside such a
     * record. {@code -Ddirect.smallRecordSeeds=N} changes the number of seeds; {@code -Ddirect.seed=S} replays one (of
     * the 720,001 range).
     */
    @Test
    void shouldCarrySmallTls13RecordsInCutThroughUnderLoss() throws Exception
    {
        final List<String> failures = new ArrayList<>();
        final List<DirectSimulation.Suite> tls13 = DirectSimulation.SUITES.stream()
            .filter(suite -> suite.version() == org.bouncycastle.tls.ProtocolVersion.TLSv13).toList();
        final int seeds = Integer.getInteger("direct.smallRecordSeeds", 40);
        long clientRetransmissions = 0;
        int restored = 0;
        int restarts = 0;
        for (long seed = 720_001; seed <= 720_000 + seeds; seed++)
        {
            if (ONE_SEED != null && ONE_SEED != seed)
            {
                continue;
            }
            final DirectSimulation.Setup base = DirectSimulation.Setup.of(seed);
            final double[] loss = {0.02 + base.loss()[0], 0.02 + base.loss()[1], base.loss()[2], base.loss()[3]};
            final DirectSimulation.Setup setup = new DirectSimulation.Setup(seed, tls13.get((int)(seed % tls13.size())),
                base.integrity(), base.clientPort(), 20_000 + (int)(seed * 104_729 % 20_000), base.download() % 20_000,
                base.clientMss(), base.serverMss(), base.clientWindow(), base.serverWindow(), base.timestamps(), loss,
                base.duplicate(), base.jitterNs(), base.clientSack(), base.serverSack());
            if (ONE_SEED != null)
            {
                System.out.println("replaying " + setup);
            }
            final DirectSimulation simulation = new DirectSimulation(setup, journal).switching(SwitchPolicy.DISABLED)
                .interactiveWritePhases(20, 12_000);
            if (seed % 2 == 0)
            {
                simulation.restartAtUpload(setup.upload() / 2, seed % 3 * 300_000_000L);
            }
            final String failure = simulation.run();
            clientRetransmissions += simulation.engine().counter(DirectCounter.CLIENT_RETRANSMISSIONS);
            restored += (int)simulation.engine().counter(DirectCounter.FLOWS_RESTORED);
            restarts += simulation.restarts();
            if (failure != null)
            {
                failures.add("small-record seed " + seed + " (replay with -Ddirect.seed=" + seed + "): " + failure);
                if (failures.size() >= 5)
                {
                    break;
                }
            }
        }
        assertEquals(List.of(), failures, String.join("\n\n", failures));
        assertTrue(ONE_SEED != null || clientRetransmissions > 0, "no client retransmission was replayed");
        assertTrue(ONE_SEED != null || restored >= restarts / 2 && restarts > 0,
            restored + " of " + restarts + " flows restored after a restart");
    }

    @Test
    void shouldResetTheServerAndAlertTheClientOnAForgedRecord() throws Exception
    {
        final List<String> failures = new ArrayList<>();
        for (long seed = 900_001; seed <= 900_000 + DirectSimulation.SUITES.size() * 3L; seed++)
        {
            final int index = (int)(seed % DirectSimulation.SUITES.size());
            final DirectSimulation.Setup setup = new DirectSimulation.Setup(seed, DirectSimulation.SUITES.get(index),
                org.inlinetls.crypto.record.IntegrityMode.DEFERRED, 50_000 + (int)(seed % 1000), 100_000, 1_000,
                1460, 1460, 65_536, 65_536, seed % 2 == 0, new double[4], 0, 0);
            // inside the first record (16 KiB) or well into a later one, sometimes in its tag
            final int offset = (int)(seed * 7919 % 40_000);
            final String failure = new DirectSimulation(setup, journal).runForgery(offset);
            if (failure != null)
            {
                failures.add("seed " + seed + " flipping app byte " + offset + ": " + failure);
            }
        }
        assertEquals(List.of(), failures, String.join("\n\n", failures));
    }

    @Test
    void shouldResetAFlowThatDoesNotStartWithATlsHandshake() throws Exception
    {
        final DirectSimulation.Setup setup = new DirectSimulation.Setup(77, DirectSimulation.SUITES.get(0),
            org.inlinetls.crypto.record.IntegrityMode.DEFERRED, 59_000, 1, 0, 1460, 1460, 65_536, 65_536, true,
            new double[4], 0, 0);
        assertNull(new DirectSimulation(setup, journal).runNotTls());
    }

    @Test
    void shouldCarryAPlainTransferWithoutFaults() throws Exception
    {
        final DirectSimulation.Setup base = DirectSimulation.Setup.of(42);
        final DirectSimulation.Setup clean = new DirectSimulation.Setup(42, DirectSimulation.SUITES.get(0),
            base.integrity(), 61_000, 5_000, 300_000, 1460, 1460, 65_536, 65_536, true, new double[4], 0, 0);
        assertNull(new DirectSimulation(clean, journal).run());
    }
}
