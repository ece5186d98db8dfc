package org.inlinetls.modes.direct;

import org.inlinetls.modes.TestJournals;
import org.inlinetls.seqdb.FlowJournal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
        final List<String> failures = new ArrayList<>();
        long answered = 0;
        for (long seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++)
        {
            final DirectSimulation.Setup setup = DirectSimulation.Setup.of(seed);
            final DirectSimulation simulation = new DirectSimulation(setup, journal).loseServerFinAcks(5_000_000_000L);
            final String failure = simulation.run();
            final long closedSegments = simulation.engineCounter(DirectCounter.CLOSED_FLOW_SEGMENTS);
            final long unknown = simulation.engineCounter(DirectCounter.UNKNOWN_FLOW_SEGMENTS);
            answered += closedSegments;
            if (failure != null || unknown != 0 || simulation.serverFinAcksLost() == 0)
            {
                failures.add("seed " + seed + ": " + (failure != null ? failure : unknown != 0 ?
                    unknown + " segments of no known flow (reset)" : "no ACK of the server's FIN was lost: " + setup));
            }
        }
        assertEquals(List.of(), failures, String.join("\n\n", failures));
        assertTrue(answered >= SEEDS, "late FINs answered from closed flows' records: " + answered);
    }

    /**
     * The server closes first (an HTTP server ending a connection) and every ACK of the client's FIN is lost for 5 s:
     * the client's late FIN gets the closed flow's last ACK, translated into the client's space.
     */
    @Test
    void shouldAnswerAClientsFinResentAfterTheFlowClosed() throws Exception
    {
        final List<String> failures = new ArrayList<>();
        long answered = 0;
        for (long seed = FIRST_SEED + 1_000; seed < FIRST_SEED + 1_000 + SEEDS; seed++)
        {
            final DirectSimulation.Setup setup = DirectSimulation.Setup.of(seed);
            final DirectSimulation simulation = new DirectSimulation(setup, journal).serverClosesFirst(5_000_000_000L);
            final String failure = simulation.run();
            final long unknown = simulation.engineCounter(DirectCounter.UNKNOWN_FLOW_SEGMENTS);
            answered += simulation.engineCounter(DirectCounter.CLOSED_FLOW_SEGMENTS);
            if (failure != null || unknown != 0 || simulation.clientFinAcksLost() == 0)
            {
                failures.add("seed " + seed + ": " + (failure != null ? failure : unknown != 0 ?
                    unknown + " segments of no known flow (reset)" : "no ACK of the client's FIN was lost: " + setup));
            }
        }
        assertEquals(List.of(), failures, String.join("\n\n", failures));
        assertTrue(answered >= SEEDS, "late FINs answered from closed flows' records: " + answered);
    }
}
