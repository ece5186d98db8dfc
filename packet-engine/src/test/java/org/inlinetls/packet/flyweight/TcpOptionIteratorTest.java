package org.inlinetls.packet.flyweight;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TcpOptionIteratorTest
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
    private final TcpOptionIterator iterator = new TcpOptionIterator();

    @Test
    void shouldVisitOptionsInOrderAndStopAtEol()
    {
        put(0, 1, 2, 4, 5, 0xB4, 0, 3, 3, 7);

        iterator.reset(buffer, 0, 12);
        assertNext(TcpOption.NOP, 0, 1);
        assertNext(TcpOption.MSS, 1, 4);
        assertNext(TcpOption.EOL, 5, 1);
        assertFalse(iterator.next());
        assertFalse(iterator.isMalformed());
    }

    @Test
    void shouldEndAtRangeEndWithoutEol()
    {
        put(0, 4, 2, 1, 1);

        iterator.reset(buffer, 0, 4);
        assertNext(TcpOption.SACK_PERMITTED, 0, 2);
        assertNext(TcpOption.NOP, 2, 1);
        assertNext(TcpOption.NOP, 3, 1);
        assertFalse(iterator.next());
        assertFalse(iterator.next());
        assertFalse(iterator.isMalformed());
    }

    @Test
    void shouldFlagMissingLengthByte()
    {
        put(0, 1, 8);

        iterator.reset(buffer, 0, 2);
        assertNext(TcpOption.NOP, 0, 1);
        assertFalse(iterator.next());
        assertTrue(iterator.isMalformed());
    }

    @Test
    void shouldFlagLengthBelowTwo()
    {
        put(0, 30, 1, 0, 0);

        iterator.reset(buffer, 0, 4);
        assertFalse(iterator.next());
        assertTrue(iterator.isMalformed());
    }

    @Test
    void shouldFlagOptionRunningPastRange()
    {
        put(0, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0);

        iterator.reset(buffer, 0, 9);
        assertFalse(iterator.next());
        assertTrue(iterator.isMalformed());
        iterator.reset(buffer, 0, 10);
        assertNext(TcpOption.TIMESTAMPS, 0, 10);
        assertFalse(iterator.isMalformed());
    }

    @Test
    void shouldReportUnknownKindsWithTheirLength()
    {
        put(0, 254, 4, 0xF9, 0x89, 30, 3, 0);

        iterator.reset(buffer, 0, 7);
        assertNext(254, 0, 4);
        assertNext(30, 4, 3);
        assertFalse(iterator.next());
    }

    @Test
    void shouldIterateOverTheOptionsOfAWrappedHeader()
    {
        final TcpHeaderFlyweight tcp = new TcpHeaderFlyweight().wrap(buffer, 4);
        tcp.beginOptions().appendMss(1000).appendWindowScale(2).endOptions();

        iterator.reset(tcp);
        assertNext(TcpOption.MSS, 24, 4);
        assertNext(TcpOption.WINDOW_SCALE, 28, 3);
        assertNext(TcpOption.EOL, 31, 1);
        assertFalse(iterator.next());
    }

    private void assertNext(final int kind, final int offset, final int length)
    {
        assertTrue(iterator.next());
        assertEquals(kind, iterator.kind());
        assertEquals(offset, iterator.offset());
        assertEquals(length, iterator.length());
    }

    private void put(final int offset, final int... bytes)
    {
        for (int i = 0; i < bytes.length; i++)
        {
            buffer.putByte(offset + i, (byte)bytes[i]);
        }
    }
}
