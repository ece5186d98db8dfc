package org.inlinetls.seqdb;

import java.nio.file.Path;

import static org.inlinetls.seqdb.Direction.CLIENT_TO_SERVER;
import static org.inlinetls.seqdb.Direction.SERVER_TO_CLIENT;

/**
 * Child process of {@link JournalRestartTest}: fills a journal, keeps one entry locked as if mid-packet, says READY
 * and waits to be killed.
 */
public final class JournalWriterMain
{
    private JournalWriterMain()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Path path = Path.of(args[0]);
        final int flows = Integer.parseInt(args[1]);
        final FlowJournal journal = FlowJournal.open(new JournalConfig().path(path).maxFlows(flows * 2L));
        for (int i = 0; i < flows; i++)
        {
            write(journal, i);
        }
        // killed while holding a segment lock, like a worker between acquire and close
        final FlowEntry held = journal.acquire(JournalTestSupport.ipv4Key(0));
        held.state(99);
        System.out.println("READY " + journal.seed());
        System.out.flush();
        Thread.sleep(60_000);
    }

    static void write(final FlowJournal journal, final int i)
    {
        final FlowKey key = JournalTestSupport.ipv4Key(i);
        journal.insert(key, 1_000L * i);
        try (FlowEntry entry = journal.acquire(key))
        {
            entry.mode(1).state(3).clientIsn(i * 7).serverIsn(-i).cipherSuite(0x1301).tlsVersion(0x0304)
                .recordSequence(CLIENT_TO_SERVER, i).recordSequence(SERVER_TO_CLIENT, i + 1);
            entry.putKeyMaterial(CLIENT_TO_SERVER, KeyMaterial.KEY, FlowEntryTest.filled(16, i), 0, 16);
            final byte[] blob = FlowEntryTest.filled(JournalConfig.AEAD_CHECKPOINT_LENGTH, i + 1);
            for (int c = 0; c < 3; c++)
            {
                entry.appendCheckpoint(SERVER_TO_CLIENT, i * 1000 + c * 100, c, c + 1, blob);
            }
        }
    }

    static void check(final FlowJournal journal, final int i)
    {
        try (FlowEntry entry = journal.acquire(JournalTestSupport.ipv4Key(i)))
        {
            if (entry == null)
            {
                throw new AssertionError("flow " + i + " lost");
            }
            final byte[] out = new byte[JournalConfig.AEAD_CHECKPOINT_LENGTH];
            final boolean ok = entry.createdNs() == 1_000L * i && entry.mode() == 1 &&
                entry.state() == (i == 0 ? 99 : 3) && entry.clientIsn() == i * 7 && entry.serverIsn() == -i &&
                entry.cipherSuite() == 0x1301 && entry.tlsVersion() == 0x0304 &&
                entry.recordSequence(SERVER_TO_CLIENT) == i + 1 &&
                entry.getKeyMaterial(CLIENT_TO_SERVER, KeyMaterial.KEY, out, 0) == 16 && out[15] == (byte)i &&
                entry.ringCount(SERVER_TO_CLIENT) == 3 &&
                entry.checkpointCipherSeq(SERVER_TO_CLIENT, 2) == i * 1000 + 200 &&
                entry.getCheckpointBlob(SERVER_TO_CLIENT, 2, out, 0) == JournalConfig.AEAD_CHECKPOINT_LENGTH &&
                out[JournalConfig.AEAD_CHECKPOINT_LENGTH - 1] == (byte)(i + 1);
            if (!ok)
            {
                throw new AssertionError("flow " + i + " differs: " + entry);
            }
        }
    }
}
