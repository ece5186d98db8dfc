package org.inlinetls.crypto.record;

import org.bouncycastle.tls.crypto.TlsDecodeResult;
import org.inlinetls.crypto.record.BcRecordLayerFixture.Side;
import org.inlinetls.crypto.suite.CipherSuite;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.ToIntFunction;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Our record layer against BouncyCastle's TLS record protection ({@code TlsAEADCipher}), for every suite and both
 * directions of a connection, with BC and us each deriving the record keys from the same TLS 1.2 master secret and
 * randoms or TLS 1.3 traffic secrets (so key derivation is cross-checked too):
 * <ul>
 *     <li>records our {@link RecordEncoder} makes decrypt with BC's {@code decodeCiphertext} to the right content
 *     type and content, and are byte for byte the records BC's {@code encodePlaintext} makes;</li>
 *     <li>streams of records BC makes decode through our {@link RecordDecoder}, in both integrity modes and in any
 *     segmentation, to the same application data, non-application records and sequence numbers.</li>
 * </ul>
 * Every failure message names the seed; replay it with {@code -Drecord.bc.seed=<seed>}.
 */
class RecordBouncyCastleCrossCheckTest
{
    private static final long SEED = Long.getLong("record.bc.seed", System.nanoTime());

    /** Empty, one byte, small, one MSS, and the largest record (RFC 8446 §5.1). */
    private static final int[] CONTENT_LENGTHS = {0, 1, 100, 1448, RecordEncoder.MAX_CONTENT_LENGTH};
    /** Alert(warning, close_notify): RFC 5246 §7.2, RFC 8446 §6. */
    private static final byte[] CLOSE_NOTIFY = {1, 0};
    /** KeyUpdate(update_not_requested): RFC 8446 §4.6.3; just a handshake message to TLS 1.2. */
    private static final byte[] KEY_UPDATE = {24, 0, 0, 1, 0};

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void shouldMakeRecordsBouncyCastleDecryptsAndMakesIdentically(final CipherSuite suite) throws Exception
    {
        final Random random = new Random(SEED ^ suite.code());
        final BcRecordLayerFixture fixture = BcRecordLayerFixture.create(suite, random);
        final byte[] out = new byte[RecordEncoder.MAX_CONTENT_LENGTH + 64];
        for (final Side writer : Side.values())
        {
            final RecordEncoder encoder = new RecordEncoder(fixture.ours(writer));
            for (final long firstSeq : sequenceNumbers(random))
            {
                final List<Message> messages = messages(random);
                for (int i = 0; i < messages.size(); i++)
                {
                    // a fresh sequence number per record: BC's GCM refuses to encrypt twice under one nonce
                    final long seq = firstSeq + i;
                    final Message message = messages.get(i);
                    final String where = suite + " " + writer + " write, seq " + Long.toUnsignedString(seq) + ", " +
                        message + ", " + replay(suite);
                    final int length = encoder.encode(
                        message.type, message.content, 0, message.content.length, seq, out, 0);
                    final byte[] record = Arrays.copyOf(out, length);

                    // the peer's BC cipher decrypts the direction the writer encrypts
                    final TlsDecodeResult decoded;
                    try
                    {
                        decoded = BcRecordLayerFixture.bcDecode(fixture.bc(writer.peer()), seq, record);
                    }
                    catch (final IOException ex)
                    {
                        throw new AssertionError(where + ": BouncyCastle rejected our record: " + ex, ex);
                    }
                    assertEquals(message.type, decoded.contentType, where);
                    assertArrayEquals(message.content,
                        Arrays.copyOfRange(decoded.buf, decoded.off, decoded.off + decoded.len), where);

                    // both are deterministic (TLS 1.2 GCM: the explicit nonce is the sequence number), so equal
                    assertArrayEquals(
                        BcRecordLayerFixture.bcRecord(fixture.bc(writer), seq, message.type, message.content),
                        record, where);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void shouldDecodeBouncyCastleRecordStreamsInAnySegmentation(final CipherSuite suite) throws Exception
    {
        final Random random = new Random(SEED ^ suite.code());
        final BcRecordLayerFixture fixture = BcRecordLayerFixture.create(suite, random);
        final byte[] scratch = new byte[RecordDecoder.SCRATCH_LENGTH];
        // byte-at-a-time decoding is slow, so only the first stream of one direction gets it
        final Side tinyWriter = Side.values()[random.nextInt(2)];
        for (final Side writer : Side.values())
        {
            boolean tiny = writer == tinyWriter;
            for (final long firstSeq : sequenceNumbers(random))
            {
                final List<Message> messages = messages(random);
                final Expected expected = new Expected();
                final ByteArrayOutputStream wire = new ByteArrayOutputStream();
                // the writer's BC cipher encrypts with the writer's keys, which our decoder of that direction holds
                for (int i = 0; i < messages.size(); i++)
                {
                    final Message message = messages.get(i);
                    wire.write(BcRecordLayerFixture.bcRecord(fixture.bc(writer), firstSeq + i, message.type,
                        message.content));
                    expected.add(firstSeq + i, message);
                }
                final byte[] stream = wire.toByteArray();

                for (final int[] cuts : segmentations(random, stream.length, tiny))
                {
                    for (final IntegrityMode mode : IntegrityMode.values())
                    {
                        final String where = suite + " " + writer + " write, first seq " +
                            Long.toUnsignedString(firstSeq) + ", " + mode + ", " + cuts.length + " segments, " +
                            replay(suite);
                        final RecordDecoder decoder =
                            new RecordDecoder(fixture.ours(writer), mode, scratch).sequence(firstSeq);
                        final Capture capture = new Capture();
                        int start = 0;
                        for (final int cut : cuts)
                        {
                            assertEquals(RecordDecoder.OK, decoder.onSegment(stream, start, cut - start, capture),
                                where + ", segment ending at " + cut + ": " + decoder.failureReason());
                            start = cut;
                        }
                        expected.assertMatches(capture, where);
                        assertEquals(firstSeq + messages.size(), decoder.sequence(), where);
                    }
                }
                tiny = false;
            }
        }
    }

    /** How to rerun a failure: the class seed (each suite draws from the class seed XOR its code point). */
    private static String replay(final CipherSuite suite)
    {
        return "replay with -Drecord.bc.seed=" + SEED + " (suite seed " + (SEED ^ suite.code()) + ")";
    }

    /**
     * The first records of a connection, the low 32 bits wrapping, somewhere random, and near the top of the
     * unsigned 64-bit range (negative as a Java long), where a stream of a few records stays below 2^64.
     */
    private static long[] sequenceNumbers(final Random random)
    {
        return new long[]{0, 1, (1L << 32) - 3, random.nextLong() >>> 1, -16};
    }

    /** One record of each size as application data, in random order, plus an alert and a handshake message. */
    private static List<Message> messages(final Random random)
    {
        final List<Message> messages = new ArrayList<>();
        for (final int length : CONTENT_LENGTHS)
        {
            final byte[] content = new byte[length];
            random.nextBytes(content);
            if (length > 0 && random.nextBoolean())
            {
                // trailing zeros: TLS 1.3 must not mistake them for padding (the type byte follows them)
                Arrays.fill(content, length - 1 - random.nextInt(Math.min(length, 300)), length, (byte)0);
            }
            messages.add(new Message(ContentType.APPLICATION_DATA, content));
        }
        messages.add(new Message(ContentType.ALERT, CLOSE_NOTIFY.clone()));
        messages.add(new Message(ContentType.HANDSHAKE, KEY_UPDATE.clone()));
        Collections.shuffle(messages, random);
        return messages;
    }

    /**
     * Segment ends: the whole stream at once, one TCP MSS at a time, two random segmentations that cut headers,
     * nonces, bodies and tags anywhere (mostly up to 3000 bytes, some single bytes, some over a record) and, if
     * {@code tiny}, 1 to 7 bytes at a time (slow, so rationed).
     */
    private static List<int[]> segmentations(final Random random, final int length, final boolean tiny)
    {
        final List<int[]> segmentations = new ArrayList<>();
        segmentations.add(new int[]{length});
        segmentations.add(cuts(length, random, (r) -> 1448));
        for (int i = 0; i < 2; i++)
        {
            segmentations.add(cuts(length, random, (r) ->
                r.nextInt(10) == 0 ? 1 : r.nextInt(10) == 0 ? 1 + r.nextInt(20000) : 1 + r.nextInt(3000)));
        }
        if (tiny)
        {
            segmentations.add(cuts(length, random, (r) -> 1 + r.nextInt(7)));
        }
        return segmentations;
    }

    private static int[] cuts(final int length, final Random random, final ToIntFunction<Random> segmentLength)
    {
        final int[] cuts = new int[length];
        int count = 0;
        for (int position = 0; position < length; )
        {
            position = Math.min(length, position + segmentLength.applyAsInt(random));
            cuts[count++] = position;
        }
        return Arrays.copyOf(cuts, count);
    }

    /** One record's true content type and content. */
    private static final class Message
    {
        final int type;
        final byte[] content;

        Message(final int type, final byte[] content)
        {
            this.type = type;
            this.content = content;
        }

        @Override
        public String toString()
        {
            return "type " + type + " with " + content.length + " bytes";
        }
    }

    /** What the decoder must report for a stream: its application data, other records, and every record's end. */
    private static final class Expected
    {
        final ByteArrayOutputStream plain = new ByteArrayOutputStream();
        final List<Integer> recordTypes = new ArrayList<>();
        final List<byte[]> recordContents = new ArrayList<>();
        final List<String> authenticated = new ArrayList<>();

        void add(final long seq, final Message message)
        {
            if (message.type == ContentType.APPLICATION_DATA)
            {
                plain.writeBytes(message.content);
            }
            else
            {
                recordTypes.add(message.type);
                recordContents.add(message.content);
            }
            authenticated.add(Long.toUnsignedString(seq) + "/" + message.type);
        }

        void assertMatches(final Capture capture, final String where)
        {
            assertArrayEquals(plain.toByteArray(), capture.plain.toByteArray(), where + ": application data");
            assertEquals(recordTypes, capture.recordTypes, where + ": non-application record types");
            for (int i = 0; i < recordContents.size(); i++)
            {
                assertArrayEquals(recordContents.get(i), capture.recordContents.get(i), where + ": record " + i);
            }
            assertEquals(authenticated, capture.authenticated, where + ": authenticated sequence/type");
        }
    }

    /** Records every decoder callback. */
    private static final class Capture implements RecordListener
    {
        final ByteArrayOutputStream plain = new ByteArrayOutputStream();
        final List<Integer> recordTypes = new ArrayList<>();
        final List<byte[]> recordContents = new ArrayList<>();
        final List<String> authenticated = new ArrayList<>();

        @Override
        public void onPlaintext(final byte[] buffer, final int offset, final int length)
        {
            plain.write(buffer, offset, length);
        }

        @Override
        public void onRecord(final int contentType, final byte[] buffer, final int offset, final int length)
        {
            recordTypes.add(contentType);
            recordContents.add(Arrays.copyOfRange(buffer, offset, offset + length));
        }

        @Override
        public void onRecordAuthenticated(final long sequence, final int contentType)
        {
            authenticated.add(Long.toUnsignedString(sequence) + "/" + contentType);
        }
    }
}
