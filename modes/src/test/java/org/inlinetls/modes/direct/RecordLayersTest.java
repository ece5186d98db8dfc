package org.inlinetls.modes.direct;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.inlinetls.crypto.cbc.CbcSuite;
import org.inlinetls.crypto.record.IntegrityMode;
import org.inlinetls.crypto.record.RecordCheckpoint;
import org.inlinetls.crypto.record.RecordDecoder;
import org.inlinetls.crypto.suite.CipherSuite;
import org.inlinetls.seqdb.FlowEntryLayout;
import org.inlinetls.seqdb.JournalConfig;
import org.junit.jupiter.api.Test;

/**
 * The journal's checkpoint sizes (tcp-ssl-sequence-db knows them as numbers) match what the record layers write, and
 * a parked flow's entry stays within 1 KiB.
 */
class RecordLayersTest
{
    @Test
    void shouldSizeTheJournalForEveryDecodersCheckpoint()
    {
        assertEquals(RecordCheckpoint.LENGTH, JournalConfig.AEAD_CHECKPOINT_LENGTH);
        for (final CipherSuite suite : CipherSuite.values())
        {
            assertEquals(JournalConfig.AEAD_CHECKPOINT_LENGTH, RecordLayers.decoder(suite.code(),
                new byte[suite.keyLength()], new byte[suite.fixedIvLength()], new byte[0], IntegrityMode.DEFERRED,
                new byte[RecordDecoder.SCRATCH_LENGTH]).checkpointLength(), suite.name());
        }
        for (final CbcSuite suite : CbcSuite.values())
        {
            assertEquals(JournalConfig.CBC_CHECKPOINT_LENGTH, RecordLayers.decoder(suite.code(),
                new byte[suite.encKeyLength()], new byte[0], new byte[suite.macKeyLength()], IntegrityMode.DEFERRED,
                new byte[RecordDecoder.SCRATCH_LENGTH]).checkpointLength(), suite.name());
        }
        // a small TLS 1.3 record held whole travels in the checkpoint whole
        assertEquals(RecordDecoder.SMALL_TLS13_RECORD_LENGTH - 16, RecordCheckpoint.HELD_RECORD_MAX);
        assertTrue(FlowEntryLayout.entryLength(FlowEntryLayout.PARKED_RING_CAPACITY,
            JournalConfig.AEAD_CHECKPOINT_LENGTH) <= 1024);
    }
}
