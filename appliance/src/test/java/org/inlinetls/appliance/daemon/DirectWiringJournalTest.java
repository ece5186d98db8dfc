package org.inlinetls.appliance.daemon;

import org.inlinetls.seqdb.FlowJournal;
import org.inlinetls.seqdb.FlowKey;
import org.inlinetls.seqdb.JournalConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A journal left by another layout (an upgrade changed the checkpoint format, or the ring capacity changed) does not
 * keep the daemon from starting: it is set aside, kept, and a new one starts.
 */
class DirectWiringJournalTest
{
    @Test
    void shouldStartANewJournalBesideOneOfAnotherLayout() throws Exception
    {
        final Path directory = Files.createTempDirectory(Path.of("/dev/shm"), "itls-wiring-journal-");
        try
        {
            final JournalConfig old = new JournalConfig().path(directory.resolve("journal.dat")).maxFlows(16)
                .ringCapacity(32);
            try (FlowJournal journal = FlowJournal.open(old))
            {
                journal.insert(new FlowKey().ipv4(0xC0000201, 40000, 0xC6336402, 443), 1L);
            }
            final JournalConfig upgraded = new JournalConfig().path(directory.resolve("journal.dat")).maxFlows(16)
                .ringCapacity(64);
            try (FlowJournal journal = DirectWiring.openJournal(upgraded))
            {
                assertEquals(0, journal.size(), "a new journal");
            }
            assertTrue(Files.size(directory.resolve("journal.dat.incompatible")) > 0, "the old one kept aside");
        }
        finally
        {
            try (var files = Files.list(directory))
            {
                for (final Path file : files.toList())
                {
                    Files.delete(file);
                }
            }
            Files.delete(directory);
        }
    }
}
