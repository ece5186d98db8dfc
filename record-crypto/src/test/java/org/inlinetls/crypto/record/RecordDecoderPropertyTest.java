package org.inlinetls.crypto.record;

import org.inlinetls.crypto.suite.CipherSuite;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random record streams, random segmentations: the decoder's output never depends on how the stream was cut.
 */
class RecordDecoderPropertyTest
{
    private static final int ROUNDS = Integer.getInteger("record.property.rounds", 40);
    private static final int RESTORES_PER_ROUND = 8;
    private static final long FIRST_SEQUENCE = 1;

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void shouldGiveIdenticalPlaintextAndVerdictsForAnySegmentation(final CipherSuite suite)
    {
        final long baseSeed = System.nanoTime();
        for (int round = 0; round < ROUNDS; round++)
        {
            final long seed = baseSeed + round;
            final Random random = new Random(seed);
            final RecordStreams.Stream stream = RecordStreams.applicationRecords(
                new RecordEncoder(RecordStreams.protection(suite, seed)), random, 2 + random.nextInt(12),
                FIRST_SEQUENCE);
            final byte[] wire = stream.wire();
            for (final IntegrityMode mode : IntegrityMode.values())
            {
                final RecordStreams.Recorder recorder = new RecordStreams.Recorder();
                final RecordDecoder decoder = decoder(suite, seed, mode);
                feed(decoder, wire, RecordStreams.segmentation(random, wire.length), recorder);

                final String where = suite + " " + mode + " seed " + seed;
                assertEquals(RecordDecoder.OK, decoder.failureAlert(), where + ": " + decoder.failureReason());
                assertArrayEquals(stream.plain(), recorder.plain.toByteArray(), where);
                assertEquals(stream.recordStarts.size(), recorder.authenticated.size(), where);
                assertEquals(FIRST_SEQUENCE + stream.recordStarts.size(), decoder.sequence(), where);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void shouldReproduceTheOutputFromAnyRestorableCheckpoint(final CipherSuite suite)
    {
        final long baseSeed = System.nanoTime();
        for (int round = 0; round < ROUNDS; round++)
        {
            final long seed = baseSeed + round;
            final Random random = new Random(seed);
            final RecordStreams.Stream stream = RecordStreams.applicationRecords(
                new RecordEncoder(RecordStreams.protection(suite, seed)), random, 2 + random.nextInt(6),
                FIRST_SEQUENCE);
            final byte[] wire = stream.wire();
            final int[] cuts = RecordStreams.segmentation(random, wire.length);

            final RecordDecoder decoder = decoder(suite, seed, IntegrityMode.DEFERRED);
            final RecordStreams.Recorder recorder = new RecordStreams.Recorder();
            final byte[][] checkpoints = new byte[cuts.length][RecordCheckpoint.LENGTH];
            final boolean[] restorable = new boolean[cuts.length];
            final int[] releasedAt = new int[cuts.length];
            int start = 0;
            for (int i = 0; i < cuts.length; i++)
            {
                decoder.onSegment(wire, start, cuts[i] - start, recorder);
                restorable[i] = decoder.saveCheckpoint(checkpoints[i], 0);
                releasedAt[i] = recorder.plain.size();
                start = cuts[i];
            }
            final byte[] plain = recorder.plain.toByteArray();
            assertArrayEquals(stream.plain(), plain, suite + " seed " + seed);

            for (int attempt = 0; attempt < RESTORES_PER_ROUND; attempt++)
            {
                final int i = random.nextInt(cuts.length);
                if (!restorable[i] || i == cuts.length - 1)
                {
                    continue;
                }
                final RecordDecoder resumed = decoder(suite, seed, IntegrityMode.DEFERRED);
                resumed.restoreCheckpoint(checkpoints[i], 0);
                final RecordStreams.Recorder rest = new RecordStreams.Recorder();
                int from = cuts[i];
                for (int j = i + 1; j < cuts.length; j++)
                {
                    resumed.onSegment(wire, from, cuts[j] - from, rest);
                    from = cuts[j];
                    final byte[] again = new byte[RecordCheckpoint.LENGTH];
                    if (resumed.saveCheckpoint(again, 0) && restorable[j])
                    {
                        assertArrayEquals(checkpoints[j], again, "checkpoint " + j + " after restore at " + i +
                            ", " + suite + " seed " + seed);
                    }
                }
                assertArrayEquals(Arrays.copyOfRange(plain, releasedAt[i], plain.length), rest.plain.toByteArray(),
                    "restored at boundary " + i + ", " + suite + " seed " + seed);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void shouldDetectAnyFlippedByteAtTheRecordEndAndNeverReleaseItsLastBytes(final CipherSuite suite)
    {
        final long baseSeed = System.nanoTime();
        for (int round = 0; round < ROUNDS * 4; round++)
        {
            final long seed = baseSeed + round;
            final Random random = new Random(seed);
            final RecordStreams.Stream stream = RecordStreams.applicationRecords(
                new RecordEncoder(RecordStreams.protection(suite, seed)), random, 1 + random.nextInt(4),
                FIRST_SEQUENCE);
            final byte[] wire = stream.wire();
            final int flipped = random.nextInt(wire.length);
            wire[flipped] ^= (byte)(1 << random.nextInt(8));
            final int record = stream.recordAt(flipped);
            final int[] cuts = RecordStreams.segmentation(random, wire.length);

            for (final IntegrityMode mode : IntegrityMode.values())
            {
                final RecordDecoder decoder = decoder(suite, seed, mode);
                final RecordStreams.Recorder recorder = new RecordStreams.Recorder();
                int recordEndSegment = -1;
                final int recordEnd = record + 1 < stream.recordStarts.size() ?
                    stream.recordStarts.get(record + 1) : wire.length;
                int start = 0;
                for (int i = 0; i < cuts.length; i++)
                {
                    decoder.onSegment(wire, start, cuts[i] - start, recorder);
                    if (recordEndSegment < 0 && cuts[i] >= recordEnd)
                    {
                        recordEndSegment = i;
                    }
                    start = cuts[i];
                }
                final String where = suite + " " + mode + " seed " + seed + " flipped " + flipped;
                final int inHeader = flipped - stream.recordStarts.get(record);
                if (inHeader == 3 || inHeader == 4)
                {
                    // a longer length field leaves the decoder waiting for bytes that never come: not a verdict
                    assertTrue(decoder.isFailed() || decoder.sequence() == FIRST_SEQUENCE + record, where);
                }
                else
                {
                    assertNotEquals(RecordDecoder.OK, decoder.failureAlert(), where);
                }
                assertEquals(record, recorder.authenticated.size(), where + ": records before it authenticate");

                final int recordPlainStart = stream.plainStarts.get(record);
                final byte[] released = recorder.plain.toByteArray();
                assertArrayEquals(Arrays.copyOfRange(stream.plain(), 0, recordPlainStart),
                    Arrays.copyOfRange(released, 0, Math.min(recordPlainStart, released.length)), where);
                // a changed length field moves the record's end: deferred mode may then release the pieces before
                // the new end (the documented trade-off); strict mode still releases nothing of the record
                final boolean framingChanged = inHeader == 3 || inHeader == 4;
                final int deferredLimit =
                    framingChanged ? released.length : deferredLimit(stream, record, cuts, suite);
                final int limit = mode == IntegrityMode.STRICT ? recordPlainStart : deferredLimit;
                assertTrue(released.length <= limit, where + ": released " + released.length + " > " + limit);
            }
        }
    }

    /**
     * Plaintext offset below which deferred mode may release a record before its tag verifies: everything but the
     * held tail, the last {@link RecordDecoder#HELD_TAIL_MAX} content bytes (or the record's whole last content
     * piece, the part in its final content segment, when that is shorter).
     */
    private static int deferredLimit(
        final RecordStreams.Stream stream, final int record, final int[] cuts, final CipherSuite suite)
    {
        final int contentStart = stream.recordStarts.get(record) + CipherSuite.RECORD_HEADER_LENGTH +
            suite.explicitNonceLength();
        final int innerLength = stream.contentLengths.get(record) + (suite.isTls13() ? 1 : 0);
        final int contentEnd = contentStart + innerLength;
        int pieceStart = contentStart;
        for (final int cut : cuts)
        {
            if (cut < contentEnd && cut > pieceStart)
            {
                pieceStart = cut;
            }
        }
        final int held = Math.min(contentEnd - pieceStart, RecordDecoder.HELD_TAIL_MAX);
        return stream.plainStarts.get(record) + Math.min(innerLength - held, stream.contentLengths.get(record));
    }

    static RecordDecoder decoder(final CipherSuite suite, final long seed, final IntegrityMode mode)
    {
        return new RecordDecoder(RecordStreams.protection(suite, seed), mode, new byte[RecordDecoder.SCRATCH_LENGTH])
            .sequence(FIRST_SEQUENCE);
    }

    static void feed(final SegmentDecoder decoder, final byte[] wire, final int[] cuts, final RecordListener listener)
    {
        int start = 0;
        for (final int cut : cuts)
        {
            decoder.onSegment(wire, start, cut - start, listener);
            start = cut;
        }
    }
}
