package org.inlinetls.modes.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.inlinetls.modes.direct.DirectCounter;
import org.inlinetls.modes.direct.DirectSimulation;
import org.inlinetls.modes.TestJournals;
import org.inlinetls.seqdb.FlowJournal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The load-balancing mode under the direct mode's seeded fault matrix: per seed the direct mode's loss (0–10% per
 * link), reordering, duplication, re-segmentation, windows, MSS, suite and SACK mix ({@link DirectSimulation.Setup}),
 * a client to a virtual address through the NAT stage and the engine, to one backend of a pool whose size,
 * algorithm and state the seed also chooses ({@link LbSeedWiring}).
 * <p>
 * {@code -Dlb.seed=S} replays one seed and prints its setup; {@code -Dlb.seeds=N} runs N seeds (1,000 by default;
 * {@code scripts/soak.sh} runs more); {@code -Dlb.firstSeed=F} moves the range.
 */
class LbModeSimulationTest
{
    private static final int SEEDS = Integer.getInteger("lb.seeds", 1_000);
    private static final long FIRST_SEED = Long.getLong("lb.firstSeed", 1L);
    private static final Long ONE_SEED = Long.getLong("lb.seed");

    private static Path file;
    private static FlowJournal journal;

    @BeforeAll
    static void openJournal() throws IOException
    {
        file = TestJournals.file("lbsim");
        journal = TestJournals.open(file, (ONE_SEED != null ? 1 : SEEDS) + 64, 64);
    }

    @AfterAll
    static void closeJournal() throws IOException
    {
        TestJournals.delete(journal, file);
    }

    /**
     * A backend whose FIN's ACK is lost for 5 s resends its FIN after the flow left the engine: it gets the flow's
     * last ACK from the engine's closed-flow record (the NAT stage hands the backend's segments to the engine), not
     * a RST (see DirectClosedFlowTest).
     */
    @Test
    void shouldAnswerABackendsLateFinWithTheClosedFlowsLastAck() throws Exception
    {
        final List<String> failures = new ArrayList<>();
        long answered = 0;
        for (long seed = 970_001; seed < 970_011; seed++)
        {
            final LbSeedWiring wiring = new LbSeedWiring(new LbSeedWiring.Choice(BalancingAlgorithm.ROUND_ROBIN,
                new int[] {1, 1}, 0, 0, new int[2], false));
            final DirectSimulation simulation = new DirectSimulation(DirectSimulation.Setup.of(seed), journal, wiring)
                .loseServerFinAcks(5_000_000_000L);
            final String failure = simulation.run();
            answered += simulation.engine().counter(DirectCounter.CLOSED_FLOW_SEGMENTS);
            final long unknown = simulation.engine().counter(DirectCounter.UNKNOWN_FLOW_SEGMENTS);
            if (failure != null || unknown != 0 || simulation.serverFinAcksLost() == 0)
            {
                failures.add("seed " + seed + ": " + (failure != null ? failure : unknown != 0 ?
                    unknown + " segments of no known flow (reset)" : "no ACK of the backend's FIN was lost"));
            }
        }
        assertEquals(List.of(), failures, String.join("\n\n", failures));
        assertTrue(answered >= 10, "late FINs answered from closed flows' records: " + answered);
    }

    @Test
    void shouldDeliverEveryByteOnceAndIdenticalThroughTheVirtualAddressForEverySeed() throws Exception
    {
        final List<String> failures = new ArrayList<>();
        final long first = ONE_SEED != null ? ONE_SEED : FIRST_SEED;
        final int count = ONE_SEED != null ? 1 : SEEDS;
        final int[][] perAlgorithmAndBackend = new int[BalancingAlgorithm.values().length][3];
        final long[] sack = new long[2];
        final long startNs = System.nanoTime();
        int passed = 0;
        for (long seed = first; seed < first + count; seed++)
        {
            final DirectSimulation.Setup setup = DirectSimulation.Setup.of(seed);
            final LbSeedWiring wiring = new LbSeedWiring(LbSeedWiring.Choice.of(seed));
            if (ONE_SEED != null)
            {
                System.out.println("replaying " + setup + "\n  " + wiring.choice());
            }
            final DirectSimulation simulation = new DirectSimulation(setup, journal, wiring);
            final String failure = simulation.run();
            sack[0] += simulation.engine().counter(DirectCounter.SACK_BLOCKS_TRANSLATED);
            sack[1] += simulation.client().counters().sackRetransmissions();
            if (failure != null)
            {
                failures.add("seed " + seed + " (replay with -Dlb.seed=" + seed + "): " + failure +
                    (failure.contains("pool: ") ? "" : "\n  " + wiring.choice()));
                if (failures.size() >= 5)
                {
                    break;
                }
                continue;
            }
            passed++;
            perAlgorithmAndBackend[wiring.choice().algorithm().ordinal()][wiring.chosenBackend()]++;
        }
        System.out.printf("load-balancing simulation: %d of %d seeds from %d passed in %.1f s; flows per algorithm " +
            "and backend %s%n", passed, count, first, (System.nanoTime() - startNs) / 1e9,
            Arrays.deepToString(perAlgorithmAndBackend));
        assertEquals(List.of(), failures, String.join("\n\n", failures));
        if (ONE_SEED == null && count >= 200)
        {
            // the matrix is not degenerate: every algorithm sent flows to more than one backend, SACK was translated
            // and used
            for (final BalancingAlgorithm algorithm : BalancingAlgorithm.values())
            {
                final int[] backends = perAlgorithmAndBackend[algorithm.ordinal()];
                assertTrue(Arrays.stream(backends).filter(n -> n > 0).count() >= 2,
                    algorithm + " used backends " + Arrays.toString(backends));
            }
            assertTrue(sack[0] > 0 && sack[1] > 0, "SACK not exercised: " + Arrays.toString(sack));
        }
    }

    @Test
    void shouldFailTheSeedWhenNoBackendIsUp() throws Exception
    {
        // the harness's own check: with every backend down the stage resets the SYN, nothing reaches a backend, and
        // the seed must be reported as failed rather than pass silently
        final long seed = 4242;
        final LbSeedWiring wiring = new LbSeedWiring(new LbSeedWiring.Choice(BalancingAlgorithm.ROUND_ROBIN,
            new int[] {1, 1}, 0b11, 0, new int[2], false));
        final String failure = new DirectSimulation(DirectSimulation.Setup.of(seed), journal, wiring).run();
        assertTrue(failure != null && failure.startsWith("aborted: client CONNECTION_REFUSED"), failure);
        assertTrue(failure.contains("syn_reset_no_backend=1"), failure);
    }
}
