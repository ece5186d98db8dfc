package org.inlinetls.packet.flyweight;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TlsRecordFlyweightTest
{
    private final TlsRecordFlyweight record = new TlsRecordFlyweight();

    @Test
    void shouldReadAClientHelloRecordHeader()
    {
        record.wrap(new UnsafeBuffer(new byte[]{0x16, 0x03, 0x01, 0x02, 0x00, 0x01}), 0);

        assertEquals(ContentType.HANDSHAKE, record.contentType());
        assertEquals(TlsRecordFlyweight.VERSION_TLS10, record.legacyVersion());
        assertEquals(512, record.recordLength());
        assertEquals(517, record.totalLength());
        assertTrue(record.isPlausible(TlsRecordFlyweight.MAX_TLS13_CIPHERTEXT_LENGTH));
    }

    @Test
    void shouldWriteARecordHeader()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[8]);
        record.wrap(buffer, 3).contentType(ContentType.APPLICATION_DATA).legacyVersion(TlsRecordFlyweight.VERSION_TLS12)
            .recordLength(TlsRecordFlyweight.MAX_TLS13_CIPHERTEXT_LENGTH);

        assertEquals(0x17, buffer.getByte(3));
        assertEquals(0x0303, buffer.getShort(4, AbstractFlyweight.NETWORK_ORDER));
        assertEquals(0x4100, buffer.getShort(6, AbstractFlyweight.NETWORK_ORDER));
        assertEquals(16640, record.recordLength());
    }

    @Test
    void shouldDefineRecordLimits()
    {
        assertEquals(16384, TlsRecordFlyweight.MAX_PLAINTEXT_LENGTH);
        assertEquals(16640, TlsRecordFlyweight.MAX_TLS13_CIPHERTEXT_LENGTH);
        assertEquals(17408, TlsRecordFlyweight.MAX_TLS12_COMPRESSED_LENGTH);
        assertEquals(18432, TlsRecordFlyweight.MAX_TLS12_CIPHERTEXT_LENGTH);
        assertEquals(5, TlsRecordFlyweight.HEADER_LENGTH);
    }

    @Test
    void shouldRejectImplausibleHeaders()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[5]);
        record.wrap(buffer, 0).contentType(ContentType.APPLICATION_DATA).legacyVersion(0x0303).recordLength(16641);
        assertFalse(record.isPlausible(TlsRecordFlyweight.MAX_TLS13_CIPHERTEXT_LENGTH));
        assertTrue(record.isPlausible(TlsRecordFlyweight.MAX_TLS12_CIPHERTEXT_LENGTH));
        record.recordLength(10).legacyVersion(0x0203);
        assertFalse(record.isPlausible(TlsRecordFlyweight.MAX_TLS13_CIPHERTEXT_LENGTH));
        record.legacyVersion(0x0303).contentType(ContentType.INVALID);
        assertFalse(record.isPlausible(TlsRecordFlyweight.MAX_TLS13_CIPHERTEXT_LENGTH));
        record.contentType(0x47);
        assertFalse(record.isPlausible(TlsRecordFlyweight.MAX_TLS13_CIPHERTEXT_LENGTH));
    }

    @Test
    void shouldNumberContentTypesAsRfc8446()
    {
        assertEquals(20, ContentType.CHANGE_CIPHER_SPEC);
        assertEquals(21, ContentType.ALERT);
        assertEquals(22, ContentType.HANDSHAKE);
        assertEquals(23, ContentType.APPLICATION_DATA);
        assertEquals(24, ContentType.HEARTBEAT);
        assertTrue(ContentType.isKnown(ContentType.HEARTBEAT));
        assertFalse(ContentType.isKnown(25));
        assertFalse(ContentType.isKnown(19));
    }
}
