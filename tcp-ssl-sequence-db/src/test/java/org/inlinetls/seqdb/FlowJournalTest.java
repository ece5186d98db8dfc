package org.inlinetls.seqdb;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.inlinetls.seqdb.Direction.CLIENT_TO_SERVER;
import static org.inlinetls.seqdb.Direction.SERVER_TO_CLIENT;
import static org.inlinetls.seqdb.JournalTestSupport.ipv4Key;
import static org.junit.jupiter.api.Assertions.*;

class FlowJournalTest
{
    private Path directory;
    private FlowJournal journal;

    @BeforeEach
    void before() throws Exception
    {
        directory = JournalTestSupport.newShmDirectory("journal");
    }

    @AfterEach
    void after()
    {
        if (journal != null)
        {
            journal.close();
        }
        JournalTestSupport.deleteRecursively(directory);
    }

    @Test
    void shouldInsertLookUpUpdateAndRemoveAFlow() throws Exception
    {
        journal = FlowJournal.open(JournalTestSupport.config(directory));
        final FlowKey key = ipv4Key(1);
        assertNull(journal.acquire(key));
        assertEquals(InsertResult.INSERTED, journal.insert(key, 100));
        assertEquals(InsertResult.EXISTS, journal.insert(key, 200));
        assertEquals(InsertResult.EXISTS, journal.insert(new FlowKey().set(key).reverse(), 200));
        assertEquals(1, journal.size());

        try (FlowEntry entry = journal.acquire(key))
        {
            assertNotNull(entry);
            assertEquals(key, entry.readKey(new FlowKey()));
            assertEquals(100, entry.createdNs());
            assertEquals(100, entry.lastActivityNs());
            assertEquals(0, entry.cipherSuite());
            assertThrows(IllegalStateException.class, () -> journal.acquire(key));
            entry.lastActivityNs(300).clientIsn(77).cipherSuite(0x1301).recordSequence(SERVER_TO_CLIENT, 5);
            entry.putKeyMaterial(CLIENT_TO_SERVER, KeyMaterial.KEY, new byte[16], 0, 16);
            assertEquals(AppendResult.APPENDED, entry.appendCheckpoint(CLIENT_TO_SERVER, 10, 20, 30,
                new byte[JournalConfig.AEAD_CHECKPOINT_LENGTH]));
        }

        final FlowKey reversed = new FlowKey().set(key).reverse();
        try (FlowEntry entry = journal.acquire(reversed))
        {
            assertEquals(SERVER_TO_CLIENT, entry.directionOf(reversed));
            assertEquals(300, entry.lastActivityNs());
            assertEquals(77, entry.clientIsn());
            assertEquals(0x1301, entry.cipherSuite());
            assertEquals(5, entry.recordSequence(SERVER_TO_CLIENT));
            assertEquals(16, entry.keyMaterialLength(CLIENT_TO_SERVER, KeyMaterial.KEY));
            assertEquals(1, entry.ringCount(CLIENT_TO_SERVER));
            assertEquals(0, entry.findCheckpointAtOrBefore(CLIENT_TO_SERVER, 15));
        }

        assertTrue(journal.remove(reversed));
        assertFalse(journal.remove(key));
        assertNull(journal.acquire(key));
        assertEquals(0, journal.size());
        assertEquals(1, journal.insertedCount());
        assertEquals(1, journal.removedCount());
        assertEquals(InsertResult.INSERTED, journal.insert(key, 400));
        try (FlowEntry entry = journal.acquire(key))
        {
            assertEquals(0, entry.clientIsn(), "a new entry starts from zero");
            assertEquals(0, entry.ringCount(CLIENT_TO_SERVER));
        }
    }

    @Test
    void shouldRefuseNewFlowsWhenFullAndKeepTheOthers() throws Exception
    {
        journal = FlowJournal.open(JournalTestSupport.config(directory).maxFlows(300));
        for (int i = 0; i < 300; i++)
        {
            assertEquals(InsertResult.INSERTED, journal.insert(ipv4Key(i), i), "flow " + i);
        }
        assertEquals(InsertResult.FULL, journal.insert(ipv4Key(300), 1000));
        assertEquals(InsertResult.FULL, journal.insert(ipv4Key(301), 1000));
        assertEquals(InsertResult.EXISTS, journal.insert(ipv4Key(7), 1000));
        assertEquals(2, journal.refusedFullCount());
        assertEquals(300, journal.size());
        for (int i = 0; i < 300; i++)
        {
            try (FlowEntry entry = journal.acquire(ipv4Key(i)))
            {
                assertEquals(i, entry.createdNs());
            }
        }
        assertNull(journal.acquire(ipv4Key(300)));
        assertTrue(journal.remove(ipv4Key(0)));
        assertEquals(InsertResult.INSERTED, journal.insert(ipv4Key(300), 1000));
    }

    @Test
    void shouldExpireIdleFlowsWithBoundedWorkPerCall() throws Exception
    {
        journal = FlowJournal.open(JournalTestSupport.config(directory));
        final int flows = 500;
        for (int i = 0; i < flows; i++)
        {
            journal.insert(ipv4Key(i), 0);
        }
        // every third flow stays active
        for (int i = 0; i < flows; i += 3)
        {
            try (FlowEntry entry = journal.acquire(ipv4Key(i)))
            {
                entry.lastActivityNs(900);
            }
        }
        final int idle = flows - (flows + 2) / 3;
        int total = 0;
        int calls = 0;
        while (total < idle && calls < 1000)
        {
            final int expired = journal.expireIdle(1000, 500, 40);
            assertTrue(expired <= 40, "expired " + expired + " in one call");
            total += expired;
            calls++;
        }
        assertEquals(idle, total);
        assertTrue(calls >= idle / 40, "calls " + calls);
        assertEquals(idle, journal.expiredCount());
        assertEquals(flows - idle, journal.size());
        for (int i = 0; i < flows; i++)
        {
            try (FlowEntry entry = journal.acquire(ipv4Key(i)))
            {
                assertEquals(i % 3 == 0, entry != null, "flow " + i);
            }
        }
        assertEquals(0, journal.expireIdle(1000, 500, 1000));
        assertEquals(flows - idle, journal.expireIdle(1400, 500, 1000));
        assertEquals(0, journal.size());
    }

    @Test
    void shouldListFlowsWithoutKeyMaterial() throws Exception
    {
        journal = FlowJournal.open(JournalTestSupport.config(directory));
        for (int i = 0; i < 10; i++)
        {
            journal.insert(ipv4Key(i), i);
            try (FlowEntry entry = journal.acquire(ipv4Key(i)))
            {
                entry.mode(1).cipherSuite(0xC02F).tlsVersion(0x0303);
                entry.putKeyMaterial(CLIENT_TO_SERVER, KeyMaterial.KEY, FlowEntryTest.filled(16, 0xAB), 0, 16);
                entry.appendCheckpoint(SERVER_TO_CLIENT, 1, 2, 3, new byte[JournalConfig.AEAD_CHECKPOINT_LENGTH]);
            }
        }
        final List<String> lines = new ArrayList<>();
        final List<FlowKey> keys = new ArrayList<>();
        journal.forEach(
            (summary) ->
            {
                lines.add(summary.toString());
                keys.add(summary.key(new FlowKey()));
                assertEquals(1, summary.serverCheckpoints());
                assertEquals(0xC02F, summary.cipherSuite());
            });
        assertEquals(10, lines.size());
        for (int i = 0; i < 10; i++)
        {
            assertTrue(keys.contains(ipv4Key(i)));
        }
        for (final String line : lines)
        {
            assertFalse(line.toLowerCase().contains("abab"), line);
        }
        assertFalse(journal.toString().toLowerCase().contains("abab"));
    }

    @Test
    void shouldContinueTheFlowsAfterCloseAndReopen() throws Exception
    {
        final JournalConfig config = JournalTestSupport.config(directory);
        journal = FlowJournal.open(config);
        final long seed = journal.seed();
        for (int i = 0; i < 50; i++)
        {
            journal.insert(ipv4Key(i), i);
            try (FlowEntry entry = journal.acquire(ipv4Key(i)))
            {
                entry.serverIsn(i * 11).appendCheckpoint(CLIENT_TO_SERVER, i, i + 1, i + 2,
                    new byte[JournalConfig.AEAD_CHECKPOINT_LENGTH]);
            }
        }
        journal.close();
        journal = null;

        journal = FlowJournal.open(config);
        assertEquals(seed, journal.seed());
        assertEquals(50, journal.size());
        for (int i = 0; i < 50; i++)
        {
            try (FlowEntry entry = journal.acquire(ipv4Key(i)))
            {
                assertEquals(i * 11, entry.serverIsn());
                assertEquals(i + 2, entry.checkpointExpectedAck(CLIENT_TO_SERVER, 0));
            }
        }
    }

    @Test
    void shouldRefuseToReopenWithAnotherLayout() throws Exception
    {
        final JournalConfig config = JournalTestSupport.config(directory);
        FlowJournal.open(config).close();
        final IllegalStateException ex = assertThrows(IllegalStateException.class,
            () -> FlowJournal.open(JournalTestSupport.config(directory).ringCapacity(16)));
        assertTrue(ex.getMessage().contains("ring capacity 32"), ex.getMessage());
        journal = FlowJournal.open(config);
        assertEquals(0, journal.size());
    }

    @Test
    void shouldSetAnIncompatibleJournalAsideAndKeepItForARevert() throws Exception
    {
        final JournalConfig config = JournalTestSupport.config(directory);
        journal = FlowJournal.open(config);
        journal.insert(new FlowKey().ipv4(0xC0000201, 40000, 0xC6336402, 443), 1L);
        journal.close();
        final JournalConfig other = JournalTestSupport.config(directory).ringCapacity(16);
        final IncompatibleJournalException ex = assertThrows(IncompatibleJournalException.class,
            () -> FlowJournal.open(other));
        assertTrue(ex.getMessage().contains("ring capacity 32"), ex.getMessage());
        final Path aside = FlowJournal.setAside(other);
        assertEquals(config.path().getFileName() + ".incompatible", aside.getFileName().toString());
        journal = FlowJournal.open(other);
        assertEquals(0, journal.size(), "a new journal");
        journal.close();
        // renamed back, the old one opens with its own settings, its flow still there
        java.nio.file.Files.move(aside, config.path(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        java.nio.file.Files.deleteIfExists(config.parkedPath());
        java.nio.file.Files.move(config.parkedPath().resolveSibling(config.parkedPath().getFileName() +
            ".incompatible"), config.parkedPath());
        journal = FlowJournal.open(config);
        assertEquals(1, journal.size());
    }

    @Test
    void shouldRefuseASecondOpenOfTheSameFile() throws Exception
    {
        journal = FlowJournal.open(JournalTestSupport.config(directory));
        final IllegalStateException ex = assertThrows(IllegalStateException.class,
            () -> FlowJournal.open(JournalTestSupport.config(directory)));
        assertTrue(ex.getMessage().contains("is open"), ex.getMessage());
    }

    @Test
    void shouldBeUsableByAnOwnerThreadOtherThanTheOpener() throws Exception
    {
        journal = FlowJournal.open(JournalTestSupport.config(directory));
        final FlowJournal opened = journal;
        final Throwable[] failure = new Throwable[1];
        final Thread worker = new Thread(
            () ->
            {
                try
                {
                    assertEquals(InsertResult.INSERTED, opened.insert(ipv4Key(1), 1));
                    try (FlowEntry entry = opened.acquire(ipv4Key(1)))
                    {
                        entry.state(4);
                    }
                    assertEquals(1, opened.expireIdle(100, 10, 10));
                }
                catch (final Throwable t)
                {
                    failure[0] = t;
                }
            },
            "worker-0");
        worker.start();
        worker.join();
        if (failure[0] != null)
        {
            throw new AssertionError(failure[0]);
        }
        assertEquals(0, journal.size());
    }
}
