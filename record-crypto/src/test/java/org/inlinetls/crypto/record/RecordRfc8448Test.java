package org.inlinetls.crypto.record;

import org.inlinetls.crypto.suite.CipherSuite;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The application-data and alert records of RFC 8448 §3 (Simple 1-RTT Handshake, TLS_AES_128_GCM_SHA256) with the
 * trace's application traffic keys: ours decode theirs and encode the same bytes.
 */
class RecordRfc8448Test
{
    private static final CipherSuite SUITE = CipherSuite.TLS_AES_128_GCM_SHA256;
    private static final byte[] CLIENT_KEY = hex("17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51");
    private static final byte[] CLIENT_IV = hex("5b 78 92 3d ee 08 57 90 33 e5 23 d9");
    private static final byte[] SERVER_KEY = hex("9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56");
    private static final byte[] SERVER_IV = hex("cf 78 2b 88 dd 83 54 9a ad f1 e9 84");
    /** {client} send application_data record (sequence 0). */
    private static final byte[] CLIENT_APP_RECORD = hex(
        "17 03 03 00 43 a2 3f 70 54 b6 2c 94 d0 af fa fe 82 28 ba 55 cb ef ac ea" +
        "42 f9 14 aa 66 bc ab 3f 2b 98 19 a8 a5 b4 6b 39 5b d5 4a 9a 20 44 1e 2b" +
        "62 97 4e 1f 5a 62 92 a2 97 70 14 bd 1e 3d ea e6 3a ee bb 21 69 49 15 e4");
    /** {client} send alert record: close_notify (sequence 1). */
    private static final byte[] CLIENT_ALERT_RECORD = hex(
        "17 03 03 00 13 c9 87 27 60 65 56 66 b7 4d 7f f1 15 3e fd 6d b6 d0 b0 e3");
    /** {server} send application_data record (sequence 1: the NewSessionTicket used 0). */
    private static final byte[] SERVER_APP_RECORD = hex(
        "17 03 03 00 43 2e 93 7e 11 ef 4a c7 40 e5 38 ad 36 00 5f c4 a4 69 32 fc" +
        "32 25 d0 5f 82 aa 1b 36 e3 0e fa f9 7d 90 e6 df fc 60 2d cb 50 1a 59 a8" +
        "fc c4 9c 4b f2 e5 f0 a2 1c 00 47 c2 ab f3 32 54 0d d0 32 e1 67 c2 95 5d");

    @Test
    void shouldDecodeTheClientsApplicationDataAndCloseNotifyByteByByte()
    {
        final byte[] wire = new byte[CLIENT_APP_RECORD.length + CLIENT_ALERT_RECORD.length];
        System.arraycopy(CLIENT_APP_RECORD, 0, wire, 0, CLIENT_APP_RECORD.length);
        System.arraycopy(CLIENT_ALERT_RECORD, 0, wire, CLIENT_APP_RECORD.length, CLIENT_ALERT_RECORD.length);
        for (final int segment : new int[]{1, 7, 72, wire.length})
        {
            final RecordDecoder decoder = new RecordDecoder(new RecordProtection(SUITE, CLIENT_KEY, CLIENT_IV),
                IntegrityMode.DEFERRED, new byte[RecordDecoder.SCRATCH_LENGTH]).sequence(0);
            final RecordStreams.Recorder recorder = new RecordStreams.Recorder();
            for (int position = 0; position < wire.length; position += segment)
            {
                assertEquals(RecordDecoder.OK,
                    decoder.onSegment(wire, position, Math.min(segment, wire.length - position), recorder));
            }
            assertArrayEquals(payload(), recorder.plain.toByteArray(), "segments of " + segment);
            assertEquals(1, recorder.records.size());
            assertEquals(ContentType.ALERT, recorder.records.get(0)[0]);
            assertArrayEquals(new byte[]{1, 0}, recorder.recordContents.get(0));
            assertEquals(2, decoder.sequence());
        }
    }

    @Test
    void shouldEncodeTheTracesRecordsIdentically()
    {
        final byte[] out = new byte[100];
        final RecordEncoder client = new RecordEncoder(new RecordProtection(SUITE, CLIENT_KEY, CLIENT_IV));
        int length = client.encode(ContentType.APPLICATION_DATA, payload(), 0, 50, 0, out, 0);
        assertArrayEquals(CLIENT_APP_RECORD, java.util.Arrays.copyOf(out, length));
        length = client.encode(ContentType.ALERT, new byte[]{1, 0}, 0, 2, 1, out, 0);
        assertArrayEquals(CLIENT_ALERT_RECORD, java.util.Arrays.copyOf(out, length));

        final RecordEncoder server = new RecordEncoder(new RecordProtection(SUITE, SERVER_KEY, SERVER_IV));
        length = server.encode(ContentType.APPLICATION_DATA, payload(), 0, 50, 1, out, 0);
        assertArrayEquals(SERVER_APP_RECORD, java.util.Arrays.copyOf(out, length));
    }

    private static byte[] payload()
    {
        final byte[] payload = new byte[50];
        for (int i = 0; i < payload.length; i++)
        {
            payload[i] = (byte)i;
        }
        return payload;
    }

    private static byte[] hex(final String text)
    {
        return HexFormat.of().parseHex(text.replace(" ", ""));
    }
}
