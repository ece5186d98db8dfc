package org.inlinetls.seqdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The operators' second view of a journal: it reads what the owner writes, while the owner holds it open.
 */
class JournalReaderTest
{
    private Path directory;

    @BeforeEach
    void before() throws Exception
    {
        directory = JournalTestSupport.newShmDirectory("reader");
    }

    @AfterEach
    void after()
    {
        JournalTestSupport.deleteRecursively(directory);
    }

    @Test
    void shouldListTheFlowsTheOwnerHoldsWhileItRuns() throws Exception
    {
        final JournalConfig config = JournalTestSupport.config(directory);
        try (FlowJournal journal = FlowJournal.open(config))
        {
            for (int i = 1; i <= 3; i++)
            {
                journal.insert(JournalTestSupport.ipv4Key(i), 1_000L * i);
            }
            try (FlowEntry entry = journal.acquire(JournalTestSupport.ipv4Key(2)))
            {
                entry.state(5).cipherSuite(0x1301).recordSequence(Direction.SERVER_TO_CLIENT, 42);
            }
            try (JournalReader reader = JournalReader.open(config))
            {
                assertEquals(3, reader.size());
                final List<String> seen = new ArrayList<>();
                reader.forEach(flow -> seen.add(flow.key(new FlowKey()) + " " + flow.state() + " " +
                    Integer.toHexString(flow.cipherSuite()) + " " + flow.serverRecordSequence()));
                seen.sort(null);
                assertEquals(List.of(
                    JournalTestSupport.ipv4Key(1) + " 0 0 0",
                    JournalTestSupport.ipv4Key(2) + " 5 1301 42",
                    JournalTestSupport.ipv4Key(3) + " 0 0 0"), seen);
            }
            // the owner goes on after the reader closed
            journal.insert(JournalTestSupport.ipv4Key(4), 4_000L);
            assertEquals(4, journal.size());
        }
    }

    @Test
    void shouldSaySoWhenThereIsNoJournal()
    {
        assertThrows(NoSuchFileException.class, () -> JournalReader.open(JournalTestSupport.config(directory)));
    }
}
