package org.inlinetls.packet.flyweight;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TcpHeaderFlyweightTest
{
    /** A Linux SYN: MSS 1460, SACK-permitted, timestamps, NOP, window scale 7 (checksum verified by tshark). */
    private static final String SYN_HEX =
        "c00001bb1234567800000000a002faf0fffc0000020405b40402080a0a1b2c3d0000000001030307";

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[128]);
    private final TcpHeaderFlyweight tcp = new TcpHeaderFlyweight();

    @Test
    void shouldReadEveryFieldOfACapturedSyn()
    {
        buffer.putBytes(0, hex(SYN_HEX));
        tcp.wrap(buffer, 0, 40);

        assertEquals(49152, tcp.sourcePort());
        assertEquals(443, tcp.destinationPort());
        assertEquals(0x12345678, tcp.sequenceNumber());
        assertEquals(0, tcp.acknowledgmentNumber());
        assertEquals(10, tcp.dataOffset());
        assertEquals(40, tcp.headerLength());
        assertEquals(TcpHeaderFlyweight.SYN, tcp.flags());
        assertEquals(64240, tcp.window());
        assertEquals(0xFFFC, tcp.checksum());
        assertEquals(0, tcp.urgentPointer());
        assertEquals(1460, tcp.mss());
        assertEquals(7, tcp.windowScale());
        assertTrue(tcp.sackPermitted());
        assertTrue(tcp.hasTimestamps());
        assertEquals(0x0A1B2C3D, tcp.timestampValue());
        assertEquals(0, tcp.timestampEchoReply());
        assertEquals(0, tcp.sackBlockCount());
        assertEquals(20, tcp.findOption(TcpOption.MSS));
        assertEquals(36, tcp.findOption(TcpOption.NOP));
        assertEquals(TcpHeaderFlyweight.NOT_FOUND, tcp.findOption(TcpOption.SACK));
        assertEquals(TcpHeaderFlyweight.NOT_FOUND, tcp.findOption(TcpOption.EOL));
        assertTrue(tcp.hasWellFormedOptions());
        assertEquals(40, tcp.payloadOffset());
    }

    @Test
    void shouldWriteEveryField()
    {
        tcp.wrap(buffer, 7).sourcePort(65535).destinationPort(1).sequenceNumber(0xFFFF_FFFE)
            .acknowledgmentNumber(0x8000_0000).dataOffset(15).flags(0xFF).window(0xABCD).checksum(0x1234)
            .urgentPointer(0xFFFF);

        assertEquals(65535, tcp.sourcePort());
        assertEquals(1, tcp.destinationPort());
        assertEquals(0xFFFF_FFFEL, tcp.sequenceNumberUnsigned());
        assertEquals(0x8000_0000L, tcp.acknowledgmentNumberUnsigned());
        assertEquals(15, tcp.dataOffset());
        assertEquals(60, tcp.headerLength());
        assertTrue(tcp.hasFlags(TcpHeaderFlyweight.FIN | TcpHeaderFlyweight.CWR | TcpHeaderFlyweight.ECE));
        assertEquals(0xABCD, tcp.window());
        assertEquals(0x1234, tcp.checksum());
        assertEquals(0xFFFF, tcp.urgentPointer());
        assertEquals((byte)0xF0, buffer.getByte(7 + 12));
    }

    @Test
    void shouldKeepReservedBitsWhenWritingDataOffset()
    {
        buffer.putByte(12, (byte)0x01);
        tcp.wrap(buffer, 0).dataOffset(5);

        assertEquals(0x51, buffer.getByte(12));
        assertEquals(5, tcp.dataOffset());
    }

    @Test
    void shouldDefineFlagBitsOfRfc9293()
    {
        assertEquals(0xFF, TcpHeaderFlyweight.FIN | TcpHeaderFlyweight.SYN | TcpHeaderFlyweight.RST |
            TcpHeaderFlyweight.PSH | TcpHeaderFlyweight.ACK | TcpHeaderFlyweight.URG | TcpHeaderFlyweight.ECE |
            TcpHeaderFlyweight.CWR);
        tcp.wrap(buffer, 0).flags(TcpHeaderFlyweight.SYN | TcpHeaderFlyweight.ACK);
        assertTrue(tcp.hasFlags(TcpHeaderFlyweight.ACK));
        assertFalse(tcp.hasFlags(TcpHeaderFlyweight.ACK | TcpHeaderFlyweight.FIN));
    }

    @Test
    void shouldCompareSequenceNumbersAcrossWrap()
    {
        assertTrue(TcpHeaderFlyweight.sequenceBefore(0xFFFF_FFF0, 0x10));
        assertTrue(TcpHeaderFlyweight.sequenceAfter(0x10, 0xFFFF_FFF0));
        assertFalse(TcpHeaderFlyweight.sequenceBefore(5, 5));
        assertEquals(4294967295L, TcpHeaderFlyweight.toUnsigned(-1));
    }

    @Test
    void shouldAppendOptionsAndPadToWordBoundary()
    {
        final int[] edges = {1, 2, 3, 4};
        final int headerLength = tcp.wrap(buffer, 3).beginOptions().appendNop().appendNop().appendTimestamps(-1, 7)
            .appendSack(edges, 2).appendWindowScale(14).endOptions();

        assertEquals(20 + 2 + 10 + 18 + 3 + 3, headerLength);
        assertEquals(headerLength / 4, tcp.dataOffset());
        assertEquals(-1, tcp.timestampValue());
        assertEquals(7, tcp.timestampEchoReply());
        assertEquals(2, tcp.sackBlockCount());
        assertEquals(1, tcp.sackLeftEdge(0));
        assertEquals(2, tcp.sackRightEdge(0));
        assertEquals(3, tcp.sackLeftEdge(1));
        assertEquals(4, tcp.sackRightEdge(1));
        assertEquals(14, tcp.windowScale());
        assertEquals(-1, tcp.mss());
        assertFalse(tcp.sackPermitted());
        assertEquals(3 + 53, tcp.findOption(TcpOption.EOL));
        assertEquals(0, buffer.getByte(3 + 55));
    }

    @Test
    void shouldCarryFourSackBlocks()
    {
        final int[] edges = {10, 20, 30, 40, 50, 60, 70, 80};
        tcp.wrap(buffer, 0).beginOptions().appendNop().appendNop().appendSack(edges, 4).endOptions();

        assertEquals(56, tcp.headerLength());
        assertEquals(4, tcp.sackBlockCount());
        assertEquals(70, tcp.sackLeftEdge(3));
        assertEquals(80, tcp.sackRightEdge(3));
    }

    @Test
    void shouldRefuseMoreThanFortyOptionBytes()
    {
        tcp.wrap(buffer, 0).beginOptions().appendTimestamps(1, 2).appendTimestamps(3, 4).appendTimestamps(5, 6)
            .appendMss(1).appendMss(2).appendNop().appendNop();

        assertThrows(IllegalStateException.class, () -> tcp.appendNop());
        assertEquals(60, tcp.endOptions());
        assertThrows(IllegalArgumentException.class, () -> tcp.appendSack(new int[10], 5));
        assertThrows(IllegalArgumentException.class, () -> tcp.appendSack(new int[0], 0));
    }

    @Test
    void shouldRewriteMssInPlace()
    {
        buffer.putBytes(0, hex(SYN_HEX));
        tcp.wrap(buffer, 0, 40);

        assertTrue(tcp.rewriteMss(1380));
        assertEquals(1380, tcp.mss());
        assertEquals(0x0564, buffer.getShort(22, AbstractFlyweight.NETWORK_ORDER));
        tcp.wrap(buffer, 0).beginOptions().appendNop().endOptions();
        assertFalse(tcp.rewriteMss(1380));
    }

    @Test
    void shouldIgnoreOptionsWithUnexpectedLengths()
    {
        tcp.wrap(buffer, 0).beginOptions().appendMss(1460).appendTimestamps(1, 2).appendSackPermitted().endOptions();
        buffer.putByte(21, (byte)3);
        buffer.putByte(23, (byte)TcpOption.NOP);

        assertEquals(-1, tcp.mss());
        assertTrue(tcp.hasTimestamps());
        assertTrue(tcp.hasWellFormedOptions());
    }

    @Test
    void shouldNotFindOptionsBeyondAMalformedOne()
    {
        tcp.wrap(buffer, 0).beginOptions().appendNop().appendMss(1460).appendSackPermitted().endOptions();
        buffer.putByte(22, (byte)40);

        assertFalse(tcp.hasWellFormedOptions());
        assertEquals(TcpHeaderFlyweight.NOT_FOUND, tcp.findOption(TcpOption.MSS));
        assertFalse(tcp.sackPermitted());
        assertEquals(20, tcp.findOption(TcpOption.NOP));
    }

    @Test
    void shouldNotReadOptionsPastWrappedLength()
    {
        tcp.wrap(buffer, 0).beginOptions().appendNop().appendMss(1460).endOptions();
        tcp.wrap(buffer, 0, 22);

        assertEquals(22, tcp.optionsEnd());
        assertFalse(tcp.hasWellFormedOptions());
        assertEquals(-1, tcp.mss());
    }

    static byte[] hex(final String hex)
    {
        final byte[] bytes = new byte[hex.length() / 2];
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        return bytes;
    }
}
