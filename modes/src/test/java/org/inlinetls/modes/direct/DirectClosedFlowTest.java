package org.inlinetls.modes.direct;

import org.inlinetls.modes.TestJournals;
import org.inlinetls.seqdb.FlowJournal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A server whose FIN's ACK is lost resends the FIN on its timer, after the flow has left the engine (2 s linger):
 * the engine answers it with the flow's last ACK ({@link ClosedFlows}), so the server closes instead of being reset.
 * Every ACK of the server's FIN is lost for 5 s (its retransmissions at about 0.2, 0.6, 1.4 and 3 s go unanswered
 * too, the one at about 6 s is answered by the closed flow's record), under each seed's faults and suite; and the
 * same for the client's FIN when the server closes first.
 */
class DirectClosedFlowTest
{
    private static final int SEEDS = Integer.getInteger("direct.closedSeeds", 30);
    private static final long FIRST_SEED = 960_001;
    private static Path file;
    private static FlowJournal journal;

    @BeforeAll
    static void openJournal() throws Exception
    {
        file = TestJournals.file("closed-flows");
        journal = TestJournals.open(file, 64, 64);
    }

    @AfterAll
    static void closeJournal() throws Exception
    {
        TestJournals.delete(journal, file);
    }

    @Test
    void shouldAnswerAFinResentAfterTheFlowClosedWithItsLastAck() throws Exception
    {
        runSeeds(FIRST_SEED, "server", simulation -> simulation.loseServerFinAcks(5_000_000_000L),
            DirectSimulation::serverFinAcksLost);
    }

    /**
     * The server closes first (an HTTP server ending a connection) and every ACK of the client's FIN is lost for 5 s:
     * the client's late FIN gets the closed flow's last ACK, translated into the client's space.
     */
    @Test
    void shouldAnswerAClientsFinResentAfterTheFlowClosed() throws Exception
    {
        runSeeds(FIRST_SEED + 1_000, "client", simulation -> simulation.serverClosesFirst(5_000_000_000L),
            DirectSimulation::clientFinAcksLost);
    }

    private static void runSeeds(final long first, final String end,
        final UnaryOperator<DirectSimulation> faults, final ToIntFunction<DirectSimulation> acksLost) throws Exception
    {
        final List<String> failures = new ArrayList<>();
        long answered = 0;
        for (long seed = first; seed < first + SEEDS; seed++)
        {
            final DirectSimulation.Setup setup = DirectSimulation.Setup.of(seed);
            final DirectSimulation simulation = faults.apply(new DirectSimulation(setup, journal));
            final String failure = simulation.run();
            final long unknown = simulation.engineCounter(DirectCounter.UNKNOWN_FLOW_SEGMENTS);
            answered += simulation.engineCounter(DirectCounter.CLOSED_FLOW_SEGMENTS);
            if (failure != null || unknown != 0 || acksLost.applyAsInt(simulation) == 0)
            {
                failures.add("seed " + seed + ": " + (failure != null ? failure : unknown != 0 ?
                    unknown + " segments of no known flow (reset)" : "no ACK of the " + end + "'s FIN was lost: " +
                    setup));
            }
        }
        assertEquals(List.of(), failures, String.join("\n\n", failures));
        assertTrue(answered >= SEEDS, "late FINs answered from closed flows' records: " + answered);
    }
}
