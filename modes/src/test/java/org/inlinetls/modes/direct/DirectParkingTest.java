package org.inlinetls.modes.direct;

import org.inlinetls.seqdb.FlowJournal;
import org.inlinetls.seqdb.JournalConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Quiet flows leave the heap and shrink to a parked journal entry, and their next segment brings them back: the
 * simulation's server waits 3 s (past the 2 s default) between the upload and its reply, or between the client's FIN
 * and its own, under the seeds' faults, for every suite; every byte must still arrive once and identical, the
 * connection must close cleanly, and each flow must have been parked and brought back.
 */
class DirectParkingTest
{
    private static final int SEEDS = Integer.getInteger("direct.parkingSeeds", 60);
    private static Path directory;
    private static FlowJournal journal;

    @BeforeAll
    static void openJournal() throws Exception
    {
        directory = Files.createTempDirectory(Path.of("/dev/shm"), "itls-parking-");
        journal = FlowJournal.open(new JournalConfig().path(directory.resolve("journal.dat")).maxFlows(64)
            .maxActiveFlows(4).ringCapacity(64));
    }

    @AfterAll
    static void closeJournal() throws Exception
    {
        journal.close();
        try (var files = Files.list(directory))
        {
            for (final Path file : files.toList())
            {
                Files.delete(file);
            }
        }
        Files.delete(directory);
    }

    @Test
    void shouldParkAQuietFlowAndContinueItByteExact() throws Exception
    {
        runSeeds(700_001, false);
    }

    @Test
    void shouldParkAHalfClosedFlowAndCloseItCleanly() throws Exception
    {
        runSeeds(710_001, true);
    }

    private static void runSeeds(final long firstSeed, final boolean halfClosed) throws Exception
    {
        final List<String> failures = new ArrayList<>();
        for (long seed = firstSeed; seed < firstSeed + SEEDS; seed++)
        {
            final DirectSimulation.Setup setup = DirectSimulation.Setup.of(seed);
            final DirectSimulation simulation = new DirectSimulation(setup, journal);
            if (halfClosed)
            {
                simulation.pauseBeforeClose(3_000_000_000L);
            }
            else
            {
                simulation.pauseBeforeReply(3_000_000_000L);
            }
            final String failure = simulation.run();
            final long parked = simulation.engineCounter(DirectCounter.FLOWS_PARKED);
            final long unparked = simulation.engineCounter(DirectCounter.FLOWS_UNPARKED);
            if (failure != null)
            {
                failures.add("seed " + seed + " (" + setup + "): " + failure);
            }
            else if (parked < 1 || unparked != parked)
            {
                failures.add("seed " + seed + " (" + setup + "): parked " + parked + ", brought back " + unparked);
            }
        }
        assertEquals(List.of(), failures, String.join("\n\n", failures));
        assertEquals(0, journal.size(), "every flow closed and left the journal, parked or not");
    }
}
