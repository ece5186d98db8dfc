package org.inlinetls.crypto.record;

import org.inlinetls.crypto.suite.CipherSuite;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A retransmitted segment is decrypted again from the checkpoint before it, and its integrity checked against the
 * checkpoint after the original (DESIGN §5), without the record's tag.
 */
class RecordRetransmissionTest
{
    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void shouldReDecryptARetransmittedSegmentAndCatchAChangedOne(final CipherSuite suite)
    {
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        final RecordStreams.Stream stream = RecordStreams.applicationRecords(
            new RecordEncoder(RecordStreams.protection(suite, seed)), random, 3, 1);
        final byte[] wire = stream.wire();
        final int[] cuts = RecordStreams.segmentation(random, wire.length);
        final RecordDecoder decoder = RecordDecoderPropertyTest.decoder(suite, seed, IntegrityMode.DEFERRED);
        final byte[][] checkpoints = new byte[cuts.length + 1][RecordCheckpoint.LENGTH];
        final boolean[] restorable = new boolean[cuts.length + 1];
        final byte[][] outputs = new byte[cuts.length][];
        restorable[0] = decoder.saveCheckpoint(checkpoints[0], 0);
        int start = 0;
        for (int i = 0; i < cuts.length; i++)
        {
            final RecordStreams.Recorder recorder = new RecordStreams.Recorder();
            decoder.onSegment(wire, start, cuts[i] - start, recorder);
            outputs[i] = recorder.plain.toByteArray();
            restorable[i + 1] = decoder.saveCheckpoint(checkpoints[i + 1], 0);
            start = cuts[i];
        }

        int checked = 0;
        for (int sample = 0; sample < Math.min(64, cuts.length); sample++)
        {
            final int i = cuts.length <= 64 ? sample : random.nextInt(cuts.length);
            if (!restorable[i] || !restorable[i + 1])
            {
                continue;
            }
            final int from = i == 0 ? 0 : cuts[i - 1];
            final String where = suite + " seed " + seed + " segment " + i;

            final RecordDecoder again = RecordDecoderPropertyTest.decoder(suite, seed, IntegrityMode.DEFERRED);
            again.restoreCheckpoint(checkpoints[i], 0);
            final RecordStreams.Recorder recorder = new RecordStreams.Recorder();
            again.onSegment(wire, from, cuts[i] - from, recorder);
            assertArrayEquals(outputs[i], recorder.plain.toByteArray(), where);
            assertTrue(again.matchesCheckpoint(checkpoints[i + 1], 0), where);

            final byte[] forged = wire.clone();
            forged[from + random.nextInt(cuts[i] - from)] ^= 0x20;
            final RecordDecoder forgedDecoder = RecordDecoderPropertyTest.decoder(suite, seed, IntegrityMode.DEFERRED);
            forgedDecoder.restoreCheckpoint(checkpoints[i], 0);
            forgedDecoder.onSegment(forged, from, cuts[i] - from, new RecordStreams.Recorder());
            assertFalse(forgedDecoder.matchesCheckpoint(checkpoints[i + 1], 0), where);
            checked++;
        }
        assertTrue(checked > 0 || cuts.length < 3, suite + " seed " + seed + ": no segment could be checked");
    }
}
