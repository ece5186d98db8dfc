package org.inlinetls.crypto.record;

import org.inlinetls.crypto.cbc.CbcSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CbcRecordDecoderTest
{
    private static final int ROUNDS = 15;

    @ParameterizedTest
    @EnumSource(CbcSuite.class)
    void shouldGiveIdenticalPlaintextForAnySegmentationAndResumeFromRecordBoundaries(final CbcSuite suite)
    {
        final long baseSeed = System.nanoTime();
        for (int round = 0; round < ROUNDS; round++)
        {
            final long seed = baseSeed + round;
            final Random random = new Random(seed);
            final Keys keys = new Keys(suite, seed);
            final Stream stream = stream(suite, keys, random, 1 + random.nextInt(8));
            final int[] cuts = RecordStreams.segmentation(random, stream.wire.length);

            final CbcRecordDecoder decoder = keys.decoder();
            final RecordStreams.Recorder recorder = new RecordStreams.Recorder();
            final List<byte[]> checkpoints = new ArrayList<>();
            final List<Integer> boundaries = new ArrayList<>();
            final List<Integer> releasedAt = new ArrayList<>();
            int start = 0;
            for (final int cut : cuts)
            {
                assertEquals(RecordDecoder.OK, decoder.onSegment(stream.wire, start, cut - start, recorder),
                    suite + " seed " + seed + ": " + decoder.failureReason());
                final byte[] checkpoint = new byte[decoder.checkpointLength()];
                if (decoder.saveCheckpoint(checkpoint, 0))
                {
                    checkpoints.add(checkpoint);
                    boundaries.add(cut);
                    releasedAt.add(recorder.plain.size());
                }
                start = cut;
            }
            final String where = suite + " seed " + seed;
            assertArrayEquals(stream.plain, recorder.plain.toByteArray(), where);
            assertEquals(stream.records, recorder.authenticated.size(), where);

            if (!checkpoints.isEmpty())
            {
                final int pick = random.nextInt(checkpoints.size());
                final CbcRecordDecoder resumed = keys.decoder();
                resumed.restoreCheckpoint(checkpoints.get(pick), 0);
                final RecordStreams.Recorder rest = new RecordStreams.Recorder();
                resumed.onSegment(stream.wire, boundaries.get(pick), stream.wire.length - boundaries.get(pick), rest);
                assertEquals(RecordDecoder.OK, resumed.failureAlert(), where);
                assertArrayEquals(Arrays.copyOfRange(stream.plain, releasedAt.get(pick), stream.plain.length),
                    rest.plain.toByteArray(), where + " resumed at " + boundaries.get(pick));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(CbcSuite.class)
    void shouldDetectAnyFlippedByteAndNeverReleaseTheHeldBackTail(final CbcSuite suite)
    {
        final long baseSeed = System.nanoTime();
        for (int round = 0; round < ROUNDS * 3; round++)
        {
            final long seed = baseSeed + round;
            final Random random = new Random(seed);
            final Keys keys = new Keys(suite, seed);
            final Stream stream = stream(suite, keys, random, 1);
            final int flipped = 5 + random.nextInt(stream.wire.length - 5);
            stream.wire[flipped] ^= (byte)(1 << random.nextInt(8));

            final CbcRecordDecoder decoder = keys.decoder();
            final RecordStreams.Recorder recorder = new RecordStreams.Recorder();
            RecordDecoderPropertyTest.feed(decoder, stream.wire, RecordStreams.segmentation(random,
                stream.wire.length), recorder);
            final String where = suite + " seed " + seed + " flipped " + flipped;
            assertNotEquals(RecordDecoder.OK, decoder.failureAlert(), where);
            assertEquals(0, recorder.authenticated.size(), where);
            final int ciphertext = stream.wire.length - 5 - 16;
            final int certain = Math.max(0, ciphertext - suite.mac().macLength() - 256);
            assertTrue(recorder.plain.size() <= certain, where + ": released " + recorder.plain.size());
        }
    }

    /**
     * The direct mode replays a client retransmission from one resumable checkpoint to the next on a second decoder and
     * compares the state it reaches with the checkpoint taken there, byte for byte: restoring a checkpoint and feeding
     * the same bytes must give the identical checkpoint, also for an interval holding only part of a record's header or
     * IV (no record begins or ends in it) and for a restore followed by no bytes at all.
     */
    @ParameterizedTest
    @EnumSource(CbcSuite.class)
    void shouldReachTheSameCheckpointWhenReplayingFromAnEarlierOne(final CbcSuite suite)
    {
        for (long seed = 1; seed <= ROUNDS * 4; seed++)
        {
            final Random random = new Random(seed);
            final Keys keys = new Keys(suite, seed);
            final CbcRecordEncoder encoder = keys.encoder();
            final ByteArrayOutputStream wire = new ByteArrayOutputStream();
            final byte[] out = new byte[4096];
            final int records = 2 + random.nextInt(6);
            for (int i = 0; i < records; i++)
            {
                final byte[] content = new byte[random.nextInt(3) == 0 ? random.nextInt(600) : random.nextInt(40)];
                random.nextBytes(content);
                wire.write(out, 0, encoder.encode(ContentType.APPLICATION_DATA, content, 0, content.length, 1 + i, out,
                    0));
            }
            final byte[] bytes = wire.toByteArray();
            final CbcRecordDecoder decoder = keys.decoder();
            final RecordStreams.Recorder recorder = new RecordStreams.Recorder();
            final List<byte[]> checkpoints = new ArrayList<>();
            final List<Integer> boundaries = new ArrayList<>();
            final byte[] first = new byte[decoder.checkpointLength()];
            assertTrue(decoder.saveCheckpoint(first, 0));
            checkpoints.add(first);
            boundaries.add(0);
            int position = 0;
            while (position < bytes.length)
            {
                final int cut = Math.min(bytes.length, position + 1 + random.nextInt(random.nextBoolean() ? 8 : 90));
                assertEquals(RecordDecoder.OK, decoder.onSegment(bytes, position, cut - position, recorder));
                final byte[] checkpoint = new byte[decoder.checkpointLength()];
                if (decoder.saveCheckpoint(checkpoint, 0))
                {
                    checkpoints.add(checkpoint);
                    boundaries.add(cut);
                }
                position = cut;
            }
            final CbcRecordDecoder replay = keys.decoder();
            final byte[] reached = new byte[replay.checkpointLength()];
            for (int i = 0; i < checkpoints.size(); i++)
            {
                for (int j = i; j < checkpoints.size(); j++)
                {
                    replay.restoreCheckpoint(checkpoints.get(i), 0);
                    final int from = boundaries.get(i);
                    assertEquals(RecordDecoder.OK, replay.onSegment(bytes, from, boundaries.get(j) - from,
                        new RecordStreams.Recorder()));
                    assertTrue(replay.saveCheckpoint(reached, 0));
                    assertArrayEquals(checkpoints.get(j), reached, suite + " seed " + seed + ": from " + from +
                        " to " + boundaries.get(j));
                }
            }
        }
    }

    @Test
    void shouldDeliverAlertsWholeAndRefuseHostileHeaders()
    {
        final CbcSuite suite = CbcSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA;
        final Keys keys = new Keys(suite, 3);
        final CbcRecordEncoder encoder = keys.encoder();
        final byte[] out = new byte[200];
        final int length = encoder.encode(ContentType.ALERT, new byte[]{1, 0}, 0, 2, 1, out, 0);
        final CbcRecordDecoder decoder = keys.decoder();
        final RecordStreams.Recorder recorder = new RecordStreams.Recorder();
        for (int i = 0; i < length; i++)
        {
            assertEquals(RecordDecoder.OK, decoder.onSegment(out, i, 1, recorder));
        }
        assertEquals(1, recorder.records.size());
        assertArrayEquals(new byte[]{1, 0}, recorder.recordContents.get(0));

        assertEquals(AlertDescription.PROTOCOL_VERSION, keys.decoder().onSegment(
            RecordDecoderHostileTest.header(23, 0x0302, 64), 0, 5, recorder));
        assertEquals(AlertDescription.UNEXPECTED_MESSAGE, keys.decoder().onSegment(
            RecordDecoderHostileTest.header(20, 0x0303, 64), 0, 5, recorder));
        final byte[] tooShort = new byte[5 + 16];
        System.arraycopy(RecordDecoderHostileTest.header(23, 0x0303, 16 + 16), 0, tooShort, 0, 5);
        assertEquals(AlertDescription.DECODE_ERROR, keys.decoder().onSegment(tooShort, 0, tooShort.length,
            recorder));
        final byte[] notBlocks = new byte[5 + 16];
        System.arraycopy(RecordDecoderHostileTest.header(23, 0x0303, 16 + 41), 0, notBlocks, 0, 5);
        assertEquals(AlertDescription.BAD_RECORD_MAC, keys.decoder().onSegment(notBlocks, 0, notBlocks.length,
            recorder));
        final byte[] huge = RecordDecoderHostileTest.header(23, 0x0303, 0xFFF0);
        final byte[] hugeRecord = Arrays.copyOf(huge, 5 + 16);
        assertEquals(AlertDescription.RECORD_OVERFLOW, keys.decoder().onSegment(hugeRecord, 0, hugeRecord.length,
            recorder));
    }

    private static Stream stream(final CbcSuite suite, final Keys keys, final Random random, final int records)
    {
        final CbcRecordEncoder encoder = keys.encoder();
        final ByteArrayOutputStream wire = new ByteArrayOutputStream();
        final ByteArrayOutputStream plain = new ByteArrayOutputStream();
        final byte[] out = new byte[RecordEncoder.MAX_CONTENT_LENGTH + 512];
        for (int i = 0; i < records; i++)
        {
            final byte[] content = new byte[random.nextInt(4) == 0 ? random.nextInt(40) : random.nextInt(16385)];
            random.nextBytes(content);
            final int length = encoder.encode(ContentType.APPLICATION_DATA, content, 0, content.length, 1 + i, out, 0);
            wire.write(out, 0, length);
            plain.write(content, 0, content.length);
        }
        return new Stream(wire.toByteArray(), plain.toByteArray(), records);
    }

    private record Stream(byte[] wire, byte[] plain, int records)
    {
    }

    /** Random keys for a CBC suite. */
    private static final class Keys
    {
        final CbcSuite suite;
        final byte[] encKey;
        final byte[] macKey;

        Keys(final CbcSuite suite, final long seed)
        {
            final Random random = new Random(seed);
            this.suite = suite;
            this.encKey = new byte[suite.encKeyLength()];
            this.macKey = new byte[suite.macKeyLength()];
            random.nextBytes(encKey);
            random.nextBytes(macKey);
        }

        CbcRecordDecoder decoder()
        {
            return new CbcRecordDecoder(suite, encKey, macKey, new byte[RecordDecoder.SCRATCH_LENGTH]).sequence(1);
        }

        CbcRecordEncoder encoder()
        {
            return new CbcRecordEncoder(suite, encKey, macKey);
        }
    }
}
