package org.inlinetls.crypto.record;

import org.inlinetls.crypto.suite.CipherSuite;
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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Records the decoder holds whole (TLS 1.3 records of at most {@link RecordDecoder#SMALL_TLS13_RECORD_LENGTH} bytes in
 * either mode, TLS 1.2 alerts and handshake records) can be resumed at every byte: the checkpoint carries the
 * ciphertext of the record so far, so the direct engine can acknowledge and resume inside them.
 */
class SmallRecordCheckpointTest
{
    private static final long FIRST_SEQUENCE = 1;
    private static final byte[] KEY_UPDATE = {24, 0, 0, 1, 0};
    private static final byte[] CLOSE_NOTIFY = {(byte)AlertDescription.LEVEL_WARNING,
        (byte)AlertDescription.CLOSE_NOTIFY};
    private static final long SEED = Long.getLong("record.smallSeed", System.nanoTime());

    /**
     * A stream of small records (application data of 0 to 240 bytes, alerts, KeyUpdate-sized handshake records).
     *
     * @param largest most content of an application record: 240, or 239 where TLS 1.3 strict mode must hold each
     *                whole within what a checkpoint carries (240 content bytes and the inner type make 241).
     */
    private static byte[] smallRecords(final CipherSuite suite, final Random random, final int records,
        final int largest)
    {
        final RecordEncoder encoder = new RecordEncoder(RecordStreams.protection(suite, SEED));
        final ByteArrayOutputStream wire = new ByteArrayOutputStream();
        final byte[] out = new byte[1024];
        for (int i = 0; i < records; i++)
        {
            final int kind = random.nextInt(10);
            final byte[] content;
            final int type;
            if (kind == 0)
            {
                type = ContentType.HANDSHAKE;
                content = KEY_UPDATE;
            }
            else if (kind == 1 && i > 0)
            {
                type = ContentType.ALERT;
                content = CLOSE_NOTIFY;
            }
            else
            {
                type = ContentType.APPLICATION_DATA;
                // 239 is the largest TLS 1.3 content held whole (content + type + tag = 256), 240 the smallest streamed
                final int length = kind == 2 ? largest - random.nextInt(2) : kind == 3 ? 20 :
                    random.nextInt(largest + 1);
                content = new byte[length];
                random.nextBytes(content);
                if (length > 0 && random.nextInt(4) == 0)
                {
                    content[length - 1] = 0; // a zero last byte: content, not padding
                }
            }
            final int written = encoder.encode(type, content, 0, content.length, FIRST_SEQUENCE + i, out, 0);
            wire.write(out, 0, written);
        }
        return wire.toByteArray();
    }

    /** What a decoder gave: plaintext, whole records and verdicts, in order. */
    private static final class Output
    {
        final ByteArrayOutputStream plain = new ByteArrayOutputStream();
        final List<String> events = new ArrayList<>();
        final RecordListener listener = new RecordListener()
        {
            @Override
            public void onPlaintext(final byte[] buffer, final int offset, final int length)
            {
                plain.write(buffer, offset, length);
            }

            @Override
            public void onRecord(final int contentType, final byte[] buffer, final int offset, final int length)
            {
                events.add("record " + contentType + " " + java.util.HexFormat.of().formatHex(buffer, offset,
                    offset + length) + " after " + plain.size());
            }

            @Override
            public void onRecordAuthenticated(final long sequence, final int contentType)
            {
                events.add("authenticated " + sequence + " type " + contentType + " after " + plain.size());
            }
        };
    }

    @ParameterizedTest
    @EnumSource(IntegrityMode.class)
    void shouldResumeEveryByteBoundaryOfSmallRecordsWithIdenticalOutput(final IntegrityMode mode)
    {
        for (final CipherSuite suite : CipherSuite.values())
        {
            final Random random = new Random(SEED ^ suite.code());
            final String where = suite + " " + mode + " (replay with -Drecord.smallSeed=" + SEED + ")";
            final byte[] wire = smallRecords(suite, random, 10 + random.nextInt(6),
                mode == IntegrityMode.STRICT && suite.isTls13() ? 239 : 240);
            final Output whole = new Output();
            final RecordDecoder reference = RecordDecoderPropertyTest.decoder(suite, SEED, mode);
            assertEquals(RecordDecoder.OK, reference.onSegment(wire, 0, wire.length, whole.listener), where);

            // one byte at a time: every boundary must be restorable
            final RecordDecoder bytewise = RecordDecoderPropertyTest.decoder(suite, SEED, mode);
            final Output first = new Output();
            final byte[][] checkpoints = new byte[wire.length + 1][RecordCheckpoint.LENGTH];
            final int[] plainAt = new int[wire.length + 1];
            final int[] eventsAt = new int[wire.length + 1];
            assertTrue(bytewise.saveCheckpoint(checkpoints[0], 0), where);
            for (int i = 1; i <= wire.length; i++)
            {
                assertEquals(RecordDecoder.OK, bytewise.onSegment(wire, i - 1, 1, first.listener), where);
                assertTrue(bytewise.saveCheckpoint(checkpoints[i], 0), where + ": boundary " + i + " not resumable");
                plainAt[i] = first.plain.size();
                eventsAt[i] = first.events.size();
            }
            assertArrayEquals(whole.plain.toByteArray(), first.plain.toByteArray(), where);
            assertEquals(whole.events.size(), first.events.size(), where);

            // from every boundary, a fresh decoder goes on: a byte at a time over the next small record (the same
            // checkpoints as the original), then in random segments (the same output)
            final byte[] again = new byte[RecordCheckpoint.LENGTH];
            for (int i = 0; i < wire.length; i++)
            {
                final RecordDecoder resumed = RecordDecoderPropertyTest.decoder(suite, SEED, mode);
                resumed.restoreCheckpoint(checkpoints[i], 0);
                final Output rest = new Output();
                int from = i;
                while (from < wire.length)
                {
                    final boolean oneByte = from - i < RecordDecoder.SMALL_TLS13_RECORD_LENGTH + 32;
                    final int to = oneByte ? from + 1 :
                        Math.min(wire.length, from + 1 + random.nextInt(random.nextBoolean() ? 8 : 300));
                    assertEquals(RecordDecoder.OK, resumed.onSegment(wire, from, to - from, rest.listener),
                        where + " from " + i);
                    assertTrue(resumed.saveCheckpoint(again, 0), where);
                    if (oneByte)
                    {
                        // (later, a streamed record's kept-back bytes depend on how it was cut: only output compares)
                        assertArrayEquals(checkpoints[to], again, where + ": checkpoint at " + to + " resumed at " + i);
                    }
                    from = to;
                }
                final byte[] plain = whole.plain.toByteArray();
                assertArrayEquals(Arrays.copyOfRange(plain, plainAt[i], plain.length), rest.plain.toByteArray(),
                    where + " resumed at " + i);
                assertEquals(first.events.size() - eventsAt[i], rest.events.size(), where + " resumed at " + i);
                for (int e = 0; e < rest.events.size(); e++)
                {
                    final String expected = first.events.get(eventsAt[i] + e);
                    final String got = rest.events.get(e);
                    // positions in the plaintext differ by what was released before the boundary
                    assertEquals(expected.substring(0, expected.lastIndexOf(" after ")),
                        got.substring(0, got.lastIndexOf(" after ")), where + " resumed at " + i);
                }
                assertEquals(reference.sequence(), resumed.sequence(), where);
            }
        }
    }

    /**
     * A retransmitted segment is decrypted again from the checkpoint where it starts and compared with the checkpoint
     * where it ends (the direct engine's replay): the genuine bytes match, a changed byte fails or no longer matches,
     * also when the segment ends inside a record held whole (the changed byte is then only in the held ciphertext).
     */
    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void shouldCatchAChangedByteInARetransmissionOrInsideAHeldRecord(final CipherSuite suite)
    {
        final Random random = new Random(SEED ^ suite.code() ^ 77);
        final String where = suite + " (replay with -Drecord.smallSeed=" + SEED + ")";
        final byte[] wire = smallRecords(suite, random, 24, 240);
        final List<Integer> cuts = new ArrayList<>();
        cuts.add(0);
        while (cuts.get(cuts.size() - 1) < wire.length)
        {
            cuts.add(Math.min(wire.length, cuts.get(cuts.size() - 1) + 1 + random.nextInt(
                random.nextBoolean() ? 30 : 400)));
        }
        final RecordDecoder decoder = RecordDecoderPropertyTest.decoder(suite, SEED, IntegrityMode.DEFERRED);
        final byte[][] checkpoints = new byte[cuts.size()][RecordCheckpoint.LENGTH];
        assertTrue(decoder.saveCheckpoint(checkpoints[0], 0), where);
        for (int i = 1; i < cuts.size(); i++)
        {
            decoder.onSegment(wire, cuts.get(i - 1), cuts.get(i) - cuts.get(i - 1), new Output().listener);
            assertTrue(decoder.saveCheckpoint(checkpoints[i], 0), where);
        }
        int caughtByState = 0;
        for (int i = 0; i + 1 < cuts.size(); i++)
        {
            final int from = cuts.get(i);
            final int to = cuts.get(i + 1);
            final RecordDecoder replay = RecordDecoderPropertyTest.decoder(suite, SEED, IntegrityMode.DEFERRED);
            replay.restoreCheckpoint(checkpoints[i], 0);
            assertEquals(RecordDecoder.OK, replay.onSegment(wire, from, to - from, new Output().listener), where);
            assertTrue(replay.matchesCheckpoint(checkpoints[i + 1], 0), where + " segment " + from + ".." + to);

            for (int attempt = 0; attempt < 8; attempt++)
            {
                final byte[] forged = wire.clone();
                forged[from + random.nextInt(to - from)] ^= (byte)(1 << random.nextInt(8));
                final RecordDecoder forgedReplay =
                    RecordDecoderPropertyTest.decoder(suite, SEED, IntegrityMode.DEFERRED);
                forgedReplay.restoreCheckpoint(checkpoints[i], 0);
                forgedReplay.onSegment(forged, from, to - from, new Output().listener);
                final boolean failed = forgedReplay.isFailed();
                assertTrue(failed || !forgedReplay.matchesCheckpoint(checkpoints[i + 1], 0),
                    where + " forged segment " + from + ".." + to);
                caughtByState += failed ? 0 : 1;
            }
        }
        assertTrue(caughtByState > 0, where + ": no forged segment ended inside a record");
    }

    /**
     * A byte changed inside a small record before a boundary travels in the checkpoint (as ciphertext), so the
     * decoder resumed there still fails the record's tag and releases nothing of it; the same for a change after it.
     */
    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void shouldStillFailAForgedSmallRecordResumedFromInsideIt(final CipherSuite suite)
    {
        final RecordEncoder encoder = new RecordEncoder(RecordStreams.protection(suite, SEED));
        final byte[] content = new byte[20];
        new Random(SEED).nextBytes(content);
        final List<byte[]> records = new ArrayList<>();
        final byte[] out = new byte[200];
        // TLS 1.2 streams application data (only its tail waits for the tag); alerts and handshake records are held
        if (suite.isTls13())
        {
            records.add(Arrays.copyOf(out, encoder.encode(ContentType.APPLICATION_DATA, content, 0, content.length,
                FIRST_SEQUENCE, out, 0)));
        }
        records.add(Arrays.copyOf(out, encoder.encode(ContentType.ALERT, CLOSE_NOTIFY, 0, 2, FIRST_SEQUENCE, out, 0)));
        records.add(Arrays.copyOf(out, encoder.encode(ContentType.HANDSHAKE, KEY_UPDATE, 0, 5, FIRST_SEQUENCE, out,
            0)));
        final int contentStart = CipherSuite.RECORD_HEADER_LENGTH + suite.explicitNonceLength();
        int checked = 0;
        for (final byte[] record : records)
        {
            final int length = record.length;
            for (int cut = 1; cut < length; cut++)
            {
                for (int flipped = contentStart; flipped < length; flipped++)
                {
                    final byte[] forged = record.clone();
                    forged[flipped] ^= 0x01;
                    final String where = suite + " record of " + length + " bytes, cut " + cut + " flipped " + flipped;
                    final RecordDecoder before =
                        RecordDecoderPropertyTest.decoder(suite, SEED, IntegrityMode.DEFERRED);
                    final Output output = new Output();
                    before.onSegment(forged, 0, cut, output.listener);
                    final byte[] checkpoint = new byte[RecordCheckpoint.LENGTH];
                    assertTrue(before.saveCheckpoint(checkpoint, 0), where);
                    final RecordDecoder resumed =
                        RecordDecoderPropertyTest.decoder(suite, SEED, IntegrityMode.DEFERRED);
                    resumed.restoreCheckpoint(checkpoint, 0);
                    assertEquals(AlertDescription.BAD_RECORD_MAC,
                        resumed.onSegment(forged, cut, length - cut, output.listener), where);
                    assertEquals(0, output.plain.size(), where);
                    assertEquals(List.of(), output.events, where);
                    checked++;
                }
            }
        }
        assertTrue(checked > 100, suite + ": " + checked);
    }

    /**
     * A record held whole whose content is larger than a checkpoint carries (a TLS 1.2 handshake record, strict mode)
     * is resumable only within its first {@link RecordCheckpoint#HELD_RECORD_MAX} content bytes: the flow logic
     * acknowledges nothing past that before the record ends.
     */
    @Test
    void shouldRefuseToResumePastWhatACheckpointCarries()
    {
        final CipherSuite suite = CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
        final RecordEncoder encoder = new RecordEncoder(RecordStreams.protection(suite, SEED));
        final byte[] handshake = new byte[600];
        final byte[] out = new byte[700];
        final int length = encoder.encode(ContentType.HANDSHAKE, handshake, 0, handshake.length, FIRST_SEQUENCE, out,
            0);
        final int contentStart = CipherSuite.RECORD_HEADER_LENGTH + suite.explicitNonceLength();
        final RecordDecoder decoder = RecordDecoderPropertyTest.decoder(suite, SEED, IntegrityMode.DEFERRED);
        final byte[] checkpoint = new byte[RecordCheckpoint.LENGTH];
        final Output output = new Output();
        for (int i = 1; i < length; i++)
        {
            decoder.onSegment(out, i - 1, 1, output.listener);
            final int content = Math.max(0, Math.min(i - contentStart, handshake.length));
            assertEquals(content <= RecordCheckpoint.HELD_RECORD_MAX, decoder.saveCheckpoint(checkpoint, 0),
                "boundary " + i);
        }
        decoder.onSegment(out, length - 1, 1, output.listener);
        assertTrue(decoder.saveCheckpoint(checkpoint, 0));
        assertEquals(1, output.events.stream().filter(e -> e.startsWith("record " + ContentType.HANDSHAKE)).count());
        assertFalse(decoder.isFailed());
    }
}
