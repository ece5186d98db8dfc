package org.inlinetls.crypto.record;

import org.inlinetls.crypto.suite.CipherSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecordDecoderHostileTest
{
    private static final CipherSuite TLS13 = CipherSuite.TLS_AES_128_GCM_SHA256;
    private static final CipherSuite TLS12 = CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;

    @Test
    void shouldRefuseOversizedRecordsWithRecordOverflow()
    {
        assertEquals(AlertDescription.RECORD_OVERFLOW, decode(TLS13, header(23, 0x0303, (1 << 14) + 257)));
        assertEquals(AlertDescription.RECORD_OVERFLOW, decode(TLS12, header(23, 0x0303, (1 << 14) + 2049)));
        assertEquals(AlertDescription.RECORD_OVERFLOW, decode(TLS13, header(23, 0x0303, 0xFFFF)));
    }

    @Test
    void shouldRefuseBadVersions()
    {
        assertEquals(AlertDescription.DECODE_ERROR, decode(TLS13, header(23, 0x1603, 100)));
        assertEquals(AlertDescription.PROTOCOL_VERSION, decode(TLS12, header(23, 0x0301, 100)));
        assertEquals(AlertDescription.DECODE_ERROR, decode(TLS12, header(23, 0x0203, 100)));
    }

    @Test
    void shouldRefuseRecordsTooShortForTheirTag()
    {
        assertEquals(AlertDescription.DECODE_ERROR, decode(TLS13, header(23, 0x0303, 0)));
        assertEquals(AlertDescription.DECODE_ERROR, decode(TLS13, header(23, 0x0303, 15)));
        assertEquals(AlertDescription.DECODE_ERROR, decode(TLS12, header(23, 0x0303, 23)));
    }

    @Test
    void shouldRefuseUnprotectedOrUnknownTypes()
    {
        assertEquals(AlertDescription.UNEXPECTED_MESSAGE, decode(TLS13, header(22, 0x0303, 40)));
        assertEquals(AlertDescription.UNEXPECTED_MESSAGE, decode(TLS13, header(20, 0x0303, 1)));
        assertEquals(AlertDescription.UNEXPECTED_MESSAGE, decode(TLS12, header(20, 0x0303, 40)));
        assertEquals(AlertDescription.UNEXPECTED_MESSAGE, decode(TLS12, header(99, 0x0303, 40)));
    }

    @Test
    void shouldFailABadTagWithBadRecordMacAndStayFailed()
    {
        final byte[] wire = new byte[5 + 8 + 16 + 10];
        System.arraycopy(header(23, 0x0303, 8 + 16 + 10), 0, wire, 0, 5);
        final RecordDecoder decoder = RecordDecoderPropertyTest.decoder(TLS12, 1, IntegrityMode.DEFERRED);
        final RecordStreams.Recorder recorder = new RecordStreams.Recorder();
        assertEquals(AlertDescription.BAD_RECORD_MAC, decoder.onSegment(wire, 0, wire.length, recorder));
        assertEquals(0, recorder.plain.size());
        assertEquals(AlertDescription.BAD_RECORD_MAC, decoder.onSegment(wire, 0, wire.length, recorder));
        assertTrue(decoder.failureReason().contains("tag"));
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void shouldGiveADefinedVerdictForGarbageAndNeverThrow(final CipherSuite suite)
    {
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        for (int i = 0; i < 2000; i++)
        {
            final byte[] garbage = new byte[random.nextInt(300)];
            random.nextBytes(garbage);
            if (random.nextBoolean() && garbage.length >= 5)
            {
                System.arraycopy(header(random.nextBoolean() ? 23 : 21, 0x0303, random.nextInt(400)), 0, garbage, 0,
                    5);
            }
            final RecordDecoder decoder = RecordDecoderPropertyTest.decoder(suite, seed, IntegrityMode.DEFERRED);
            final RecordStreams.Recorder recorder = new RecordStreams.Recorder();
            final int[] cuts = RecordStreams.segmentation(random, garbage.length);
            RecordDecoderPropertyTest.feed(decoder, garbage, cuts, recorder);
            assertEquals(0, recorder.authenticated.size(), "seed " + seed + " round " + i);
            assertEquals(0, recorder.records.size(), "seed " + seed + " round " + i);
        }
    }

    @Test
    void shouldDeliverWholeAlertAndHandshakeRecordsToTheirOwner()
    {
        for (final CipherSuite suite : CipherSuite.values())
        {
            final RecordEncoder encoder = new RecordEncoder(RecordStreams.protection(suite, 5));
            final byte[] alert = {(byte)AlertDescription.LEVEL_WARNING, (byte)AlertDescription.CLOSE_NOTIFY};
            final byte[] keyUpdate = {24, 0, 0, 1, 0};
            final byte[] out = new byte[200];
            int length = encoder.encode(ContentType.HANDSHAKE, keyUpdate, 0, keyUpdate.length, 1, out, 0);
            length += encoder.encode(ContentType.ALERT, alert, 0, alert.length, 2, out, length);

            final RecordDecoder decoder = RecordDecoderPropertyTest.decoder(suite, 5, IntegrityMode.DEFERRED);
            final RecordStreams.Recorder recorder = new RecordStreams.Recorder();
            assertEquals(RecordDecoder.OK, decoder.onSegment(out, 0, length, recorder), suite.name());
            assertEquals(2, recorder.records.size(), suite.name());
            assertEquals(ContentType.HANDSHAKE, recorder.records.get(0)[0]);
            assertArrayEquals(keyUpdate, recorder.recordContents.get(0));
            assertEquals(ContentType.ALERT, recorder.records.get(1)[0]);
            assertArrayEquals(alert, recorder.recordContents.get(1));
            assertEquals(0, recorder.plain.size());
        }
    }

    @Test
    void shouldFailATls13RecordSpanningSegmentsThatIsNotApplicationData()
    {
        final RecordEncoder encoder = new RecordEncoder(RecordStreams.protection(TLS13, 6));
        final byte[] handshake = new byte[3000];
        final byte[] out = new byte[3100];
        final int length = encoder.encode(ContentType.HANDSHAKE, handshake, 0, handshake.length, 1, out, 0);
        final RecordDecoder decoder = RecordDecoderPropertyTest.decoder(TLS13, 6, IntegrityMode.DEFERRED);
        final RecordStreams.Recorder recorder = new RecordStreams.Recorder();
        decoder.onSegment(out, 0, 1500, recorder);
        assertEquals(AlertDescription.UNEXPECTED_MESSAGE, decoder.onSegment(out, 1500, length - 1500, recorder));
        assertEquals(0, recorder.records.size());

        final RecordDecoder strict = RecordDecoderPropertyTest.decoder(TLS13, 6, IntegrityMode.STRICT);
        final RecordStreams.Recorder whole = new RecordStreams.Recorder();
        strict.onSegment(out, 0, 1500, whole);
        assertEquals(RecordDecoder.OK, strict.onSegment(out, 1500, length - 1500, whole));
        assertEquals(1, whole.records.size());
    }

    @Test
    void shouldRefuseATls13RecordOfOnlyZeros()
    {
        final RecordProtection protection = RecordStreams.protection(TLS13, 7);
        final RecordEncoder encoder = new RecordEncoder(protection);
        final byte[] out = new byte[64];
        final int length = encoder.encode(0, new byte[0], 0, 0, 1, out, 0);
        final RecordDecoder decoder = RecordDecoderPropertyTest.decoder(TLS13, 7, IntegrityMode.DEFERRED);
        assertEquals(AlertDescription.UNEXPECTED_MESSAGE,
            decoder.onSegment(out, 0, length, new RecordStreams.Recorder()));
    }

    private static int decode(final CipherSuite suite, final byte[] wire)
    {
        final RecordDecoder decoder = RecordDecoderPropertyTest.decoder(suite, 1, IntegrityMode.DEFERRED);
        return decoder.onSegment(wire, 0, wire.length, new RecordStreams.Recorder());
    }

    static byte[] header(final int type, final int version, final int length)
    {
        return new byte[]{(byte)type, (byte)(version >>> 8), (byte)version, (byte)(length >>> 8), (byte)length};
    }
}
