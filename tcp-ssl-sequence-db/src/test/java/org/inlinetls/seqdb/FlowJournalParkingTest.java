package org.inlinetls.seqdb;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.inlinetls.seqdb.Direction.CLIENT_TO_SERVER;
import static org.inlinetls.seqdb.Direction.SERVER_TO_CLIENT;
import static org.inlinetls.seqdb.JournalTestSupport.ipv4Key;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Parked flows: a quiet flow's entry shrinks to its fixed part and newest checkpoints in the second file, and comes
 * back whole on its next lookup.
 */
class FlowJournalParkingTest
{
    private Path directory;
    private FlowJournal journal;

    @BeforeEach
    void before() throws Exception
    {
        directory = JournalTestSupport.newShmDirectory("parking");
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

    private static byte[] blob(final int seed)
    {
        final byte[] blob = new byte[JournalConfig.AEAD_CHECKPOINT_LENGTH];
        for (int i = 0; i < blob.length; i++)
        {
            blob[i] = (byte)(seed * 31 + i);
        }
        return blob;
    }

    /** A flow in cut-through with history in its rings, then everything acknowledged: one checkpoint each way. */
    private void writeQuietFlow(final FlowKey key)
    {
        assertEquals(InsertResult.INSERTED, journal.insert(key, 100));
        try (FlowEntry entry = journal.acquire(key))
        {
            entry.state(5).mode(1).clientIsn(1000).serverIsn(9000).cipherSuite(0x1301).tlsVersion(0x0304)
                .tcpOptions(0x1F7).lastActivityNs(777).recordSequence(CLIENT_TO_SERVER, 12)
                .recordSequence(SERVER_TO_CLIENT, 34).mss(CLIENT_TO_SERVER, 1400).mss(SERVER_TO_CLIENT, 1360);
            final byte[] key16 = new byte[16];
            Arrays.fill(key16, (byte)0x5A);
            entry.putKeyMaterial(CLIENT_TO_SERVER, KeyMaterial.KEY, key16, 0, 16);
            entry.putKeyMaterial(SERVER_TO_CLIENT, KeyMaterial.IV, key16, 0, 12);
            for (int i = 0; i < 3; i++)
            {
                assertEquals(AppendResult.APPENDED,
                    entry.appendCheckpoint(CLIENT_TO_SERVER, 1000 + 100 * i, 2000 + 90 * i, 0, blob(i)));
                assertEquals(AppendResult.APPENDED,
                    entry.appendCheckpoint(SERVER_TO_CLIENT, 9000 + 50 * i, 8000 + 40 * i, 0, blob(10 + i)));
            }
            entry.dropCheckpointsUpTo(CLIENT_TO_SERVER, 1200);
            entry.dropCheckpointsUpTo(SERVER_TO_CLIENT, 9100);
            assertEquals(1, entry.ringCount(CLIENT_TO_SERVER));
            assertEquals(1, entry.ringCount(SERVER_TO_CLIENT));
        }
    }

    @Test
    void shouldParkAQuietFlowAndBringItBackWhole() throws Exception
    {
        journal = FlowJournal.open(JournalTestSupport.config(directory));
        final FlowKey key = ipv4Key(7);
        writeQuietFlow(key);

        assertTrue(journal.park(key));
        assertEquals(0, journal.activeSize());
        assertEquals(1, journal.parkedSize());
        assertEquals(1, journal.size());
        assertEquals(1, journal.parkedCount());
        assertFalse(journal.park(key), "only a flow with a full entry parks");

        final List<FlowSummary> listed = new ArrayList<>();
        journal.forEach(summary -> listed.add(summary));
        assertEquals(1, listed.size(), "a parked flow is listed");

        final FlowKey reversed = new FlowKey().set(key).reverse();
        try (FlowEntry entry = journal.acquire(reversed))
        {
            assertNotNull(entry, "the next lookup brings the flow back");
            assertEquals(SERVER_TO_CLIENT, entry.directionOf(reversed));
            assertEquals(5, entry.state());
            assertEquals(1, entry.mode());
            assertEquals(1000, entry.clientIsn());
            assertEquals(9000, entry.serverIsn());
            assertEquals(0x1301, entry.cipherSuite());
            assertEquals(0x1F7, entry.tcpOptions());
            assertEquals(777, entry.lastActivityNs());
            assertEquals(12, entry.recordSequence(CLIENT_TO_SERVER));
            assertEquals(34, entry.recordSequence(SERVER_TO_CLIENT));
            assertEquals(1400, entry.mss(CLIENT_TO_SERVER));
            assertEquals(1360, entry.mss(SERVER_TO_CLIENT));
            final byte[] got = new byte[32];
            assertEquals(16, entry.getKeyMaterial(CLIENT_TO_SERVER, KeyMaterial.KEY, got, 0));
            assertEquals((byte)0x5A, got[15]);
            assertEquals(1, entry.ringCount(CLIENT_TO_SERVER));
            assertEquals(1200, entry.checkpointCipherSeq(CLIENT_TO_SERVER, 0));
            assertEquals(2180, entry.checkpointPlainSeq(CLIENT_TO_SERVER, 0));
            final byte[] checkpoint = new byte[JournalConfig.AEAD_CHECKPOINT_LENGTH];
            entry.getCheckpointBlob(CLIENT_TO_SERVER, 0, checkpoint, 0);
            assertArrayEquals(blob(2), checkpoint);
            assertEquals(1, entry.ringCount(SERVER_TO_CLIENT));
            assertEquals(9100, entry.checkpointCipherSeq(SERVER_TO_CLIENT, 0));
            entry.getCheckpointBlob(SERVER_TO_CLIENT, 0, checkpoint, 0);
            assertArrayEquals(blob(12), checkpoint);
            // the ring works on from there, to its full capacity again
            for (int i = 1; i < entry.ringCapacity(); i++)
            {
                assertEquals(AppendResult.APPENDED,
                    entry.appendCheckpoint(CLIENT_TO_SERVER, 1200 + i, 2180 + i, 0, blob(i)));
            }
            assertEquals(AppendResult.FULL, entry.appendCheckpoint(CLIENT_TO_SERVER, 5000, 6000, 0, blob(0)));
        }
        assertEquals(1, journal.activeSize());
        assertEquals(0, journal.parkedSize());
        assertEquals(1, journal.unparkedCount());
    }

    @Test
    void shouldTreatAParkedFlowAsPresent() throws Exception
    {
        journal = FlowJournal.open(JournalTestSupport.config(directory));
        final FlowKey key = ipv4Key(3);
        writeQuietFlow(key);
        assertTrue(journal.park(key));
        assertEquals(InsertResult.EXISTS, journal.insert(key, 200));
        assertEquals(1, journal.size());
        assertTrue(journal.remove(key));
        assertEquals(0, journal.size());
        assertNull(journal.acquire(key));
        assertEquals(InsertResult.INSERTED, journal.insert(key, 300));
    }

    @Test
    void shouldBoundFullEntriesButNotParkedOnes() throws Exception
    {
        journal = FlowJournal.open(JournalTestSupport.config(directory).maxFlows(4).maxActiveFlows(2));
        writeQuietFlow(ipv4Key(1));
        writeQuietFlow(ipv4Key(2));
        assertEquals(InsertResult.FULL, journal.insert(ipv4Key(3), 1), "every full entry is taken");
        assertTrue(journal.park(ipv4Key(1)));
        writeQuietFlow(ipv4Key(3));
        assertNull(journal.acquire(ipv4Key(1)), "no full entry free to come back to");
        assertEquals(1, journal.unparkRefusedCount());
        assertEquals(1, journal.parkedSize());
        assertTrue(journal.park(ipv4Key(2)));
        assertTrue(journal.park(ipv4Key(3)));
        writeQuietFlow(ipv4Key(4));
        assertEquals(InsertResult.FULL, journal.insert(ipv4Key(5), 1), "maxFlows counts parked flows");
        try (FlowEntry entry = journal.acquire(ipv4Key(1)))
        {
            assertNotNull(entry);
        }
        assertEquals(2, journal.activeSize());
        assertEquals(2, journal.parkedSize());
    }

    @Test
    void shouldKeepParkedFlowsAcrossAReopenAndExpireThemIdle() throws Exception
    {
        final JournalConfig config = JournalTestSupport.config(directory);
        journal = FlowJournal.open(config);
        writeQuietFlow(ipv4Key(1));
        writeQuietFlow(ipv4Key(2));
        assertTrue(journal.park(ipv4Key(1)));
        assertTrue(journal.park(ipv4Key(2)));
        assertTrue(Files.size(config.parkedPath()) > 0);
        journal.close();

        journal = FlowJournal.open(config);
        assertEquals(2, journal.parkedSize());
        try (FlowEntry entry = journal.acquire(ipv4Key(2)))
        {
            assertEquals(777, entry.lastActivityNs());
            entry.lastActivityNs(10_000);
        }
        assertEquals(1, journal.expireIdle(5_000, 1_000, 64), "the parked flow idle since 777 goes");
        assertEquals(0, journal.parkedSize());
        assertEquals(1, journal.activeSize());
        assertEquals(1, journal.expiredCount());
    }

    @Test
    void shouldStartEmptyWhenTheJournalIsNew() throws Exception
    {
        final JournalConfig config = JournalTestSupport.config(directory);
        journal = FlowJournal.open(config);
        writeQuietFlow(ipv4Key(1));
        assertTrue(journal.park(ipv4Key(1)));
        journal.close();
        journal = null;
        Files.delete(config.path()); // the flows' file gone: its parked flows cannot be continued either

        journal = FlowJournal.open(config);
        assertEquals(0, journal.size());
        assertNull(journal.acquire(ipv4Key(1)));
    }
}
