package org.inlinetls.packet.flyweight;

import org.agrona.DirectBuffer;

/**
 * Flyweight over a TCP header and its options (RFC 9293 §3.1), with readers for the options the engine rewrites and
 * writers that append options when building segments.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Source Port          |       Destination Port        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        Sequence Number                        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Acknowledgment Number                      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Data |       |C|E|U|A|P|R|S|F|                               |
 *  | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 *  |       |       |R|E|G|K|H|T|N|N|                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |           Checksum            |         Urgent Pointer        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 Options (Data Offset * 4 - 20 bytes)          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * Sequence and acknowledgment numbers are raw ints (compare them with {@link #sequenceBefore(int, int)}); the
 * {@code ...Unsigned()} readers give them as non-negative longs. Option offsets are absolute offsets in the buffer.
 * Option readers are bounded by both the data offset and the wrapped length.
 */
public final class TcpHeaderFlyweight extends AbstractFlyweight
{
    public static final int SOURCE_PORT_OFFSET = 0;
    public static final int DESTINATION_PORT_OFFSET = 2;
    public static final int SEQUENCE_NUMBER_OFFSET = 4;
    public static final int ACKNOWLEDGMENT_NUMBER_OFFSET = 8;
    public static final int DATA_OFFSET_OFFSET = 12;
    public static final int FLAGS_OFFSET = 13;
    public static final int WINDOW_OFFSET = 14;
    public static final int CHECKSUM_OFFSET = 16;
    public static final int URGENT_POINTER_OFFSET = 18;
    public static final int OPTIONS_OFFSET = 20;

    public static final int MIN_HEADER_LENGTH = 20;
    public static final int MAX_HEADER_LENGTH = 60;
    public static final int MIN_DATA_OFFSET = 5;

    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int URG = 0x20;
    /** ECN-Echo, RFC 3168 §6.1. */
    public static final int ECE = 0x40;
    /** Congestion Window Reduced, RFC 3168 §6.1. */
    public static final int CWR = 0x80;

    /** Returned by {@link #findOption(int)} when the option is absent or the list is malformed before it. */
    public static final int NOT_FOUND = -1;

    private final TcpOptionIterator iterator = new TcpOptionIterator();
    private int appendCursor;

    /** Wraps a header at {@code offset}; the segment runs to the end of the buffer. */
    public TcpHeaderFlyweight wrap(final DirectBuffer buffer, final int offset)
    {
        return wrap(buffer, offset, buffer.capacity() - offset);
    }

    /** Wraps a header at {@code offset} of a segment of {@code length} bytes. */
    public TcpHeaderFlyweight wrap(final DirectBuffer buffer, final int offset, final int length)
    {
        wrapBuffer(buffer, offset, length);
        appendCursor = offset + OPTIONS_OFFSET;
        return this;
    }

    /** True when {@code a} precedes {@code b} in sequence space, RFC 9293 §3.4. */
    public static boolean sequenceBefore(final int a, final int b)
    {
        return a - b < 0;
    }

    /** True when {@code a} follows {@code b} in sequence space, RFC 9293 §3.4. */
    public static boolean sequenceAfter(final int a, final int b)
    {
        return a - b > 0;
    }

    /** A sequence number as the unsigned value it stands for. */
    public static long toUnsigned(final int sequence)
    {
        return sequence & 0xFFFF_FFFFL;
    }

    public int sourcePort()
    {
        return uint16(SOURCE_PORT_OFFSET);
    }

    public TcpHeaderFlyweight sourcePort(final int port)
    {
        putUint16(SOURCE_PORT_OFFSET, port);
        return this;
    }

    public int destinationPort()
    {
        return uint16(DESTINATION_PORT_OFFSET);
    }

    public TcpHeaderFlyweight destinationPort(final int port)
    {
        putUint16(DESTINATION_PORT_OFFSET, port);
        return this;
    }

    public int sequenceNumber()
    {
        return int32(SEQUENCE_NUMBER_OFFSET);
    }

    public long sequenceNumberUnsigned()
    {
        return toUnsigned(sequenceNumber());
    }

    public TcpHeaderFlyweight sequenceNumber(final int value)
    {
        putInt32(SEQUENCE_NUMBER_OFFSET, value);
        return this;
    }

    public int acknowledgmentNumber()
    {
        return int32(ACKNOWLEDGMENT_NUMBER_OFFSET);
    }

    public long acknowledgmentNumberUnsigned()
    {
        return toUnsigned(acknowledgmentNumber());
    }

    public TcpHeaderFlyweight acknowledgmentNumber(final int value)
    {
        putInt32(ACKNOWLEDGMENT_NUMBER_OFFSET, value);
        return this;
    }

    /** Header length in 32-bit words. */
    public int dataOffset()
    {
        return uint8(DATA_OFFSET_OFFSET) >>> 4;
    }

    /** Writes the data offset, keeping the low four (reserved / AE) bits. */
    public TcpHeaderFlyweight dataOffset(final int words)
    {
        putUint8(DATA_OFFSET_OFFSET, (words << 4) | (uint8(DATA_OFFSET_OFFSET) & 0x0F));
        return this;
    }

    /** Header length in bytes including options. */
    public int headerLength()
    {
        return dataOffset() << 2;
    }

    public int flags()
    {
        return uint8(FLAGS_OFFSET);
    }

    public TcpHeaderFlyweight flags(final int flags)
    {
        putUint8(FLAGS_OFFSET, flags);
        return this;
    }

    /** True when every bit of {@code mask} is set. */
    public boolean hasFlags(final int mask)
    {
        return (flags() & mask) == mask;
    }

    public int window()
    {
        return uint16(WINDOW_OFFSET);
    }

    public TcpHeaderFlyweight window(final int value)
    {
        putUint16(WINDOW_OFFSET, value);
        return this;
    }

    public int checksum()
    {
        return uint16(CHECKSUM_OFFSET);
    }

    public TcpHeaderFlyweight checksum(final int value)
    {
        putUint16(CHECKSUM_OFFSET, value);
        return this;
    }

    public int urgentPointer()
    {
        return uint16(URGENT_POINTER_OFFSET);
    }

    public TcpHeaderFlyweight urgentPointer(final int value)
    {
        putUint16(URGENT_POINTER_OFFSET, value);
        return this;
    }

    /** Absolute offset of the first option byte. */
    public int optionsOffset()
    {
        return offset + OPTIONS_OFFSET;
    }

    /** Absolute offset just past the options: the data offset, capped by the wrapped length. */
    public int optionsEnd()
    {
        return offset + Math.max(OPTIONS_OFFSET, Math.min(headerLength(), length));
    }

    /** Absolute offset of the payload. */
    public int payloadOffset()
    {
        return offset + headerLength();
    }

    /** True when every option up to EOL or the header's end has a length byte of at least 2 within the header. */
    public boolean hasWellFormedOptions()
    {
        final TcpOptionIterator it = iterator.reset(this);
        while (it.next())
        {
            // walk to the end
        }
        return !it.isMalformed();
    }

    /** Absolute offset of the first option of {@code kind}, or {@link #NOT_FOUND}. */
    public int findOption(final int kind)
    {
        final TcpOptionIterator it = iterator.reset(this);
        while (it.next())
        {
            if (it.kind() == kind)
            {
                return it.offset();
            }
        }
        return NOT_FOUND;
    }

    private int findOption(final int kind, final int requiredLength)
    {
        final int at = findOption(kind);
        return at != NOT_FOUND && iterator.length() == requiredLength ? at : NOT_FOUND;
    }

    /** Maximum segment size, or -1 when absent or its length is not 4. */
    public int mss()
    {
        final int at = findOption(TcpOption.MSS, TcpOption.MSS_LENGTH);
        return at == NOT_FOUND ? -1 : buffer.getShort(at + 2, NETWORK_ORDER) & 0xFFFF;
    }

    /** Rewrites the value of an existing MSS option in place; false when there is none. */
    public boolean rewriteMss(final int mss)
    {
        final int at = findOption(TcpOption.MSS, TcpOption.MSS_LENGTH);
        if (at == NOT_FOUND)
        {
            return false;
        }
        mutable().putShort(at + 2, (short)mss, NETWORK_ORDER);
        return true;
    }

    /** Window scale shift count as sent (not clamped to 14), or -1 when absent or its length is not 3. */
    public int windowScale()
    {
        final int at = findOption(TcpOption.WINDOW_SCALE, TcpOption.WINDOW_SCALE_LENGTH);
        return at == NOT_FOUND ? -1 : buffer.getByte(at + 2) & 0xFF;
    }

    public boolean sackPermitted()
    {
        return findOption(TcpOption.SACK_PERMITTED, TcpOption.SACK_PERMITTED_LENGTH) != NOT_FOUND;
    }

    /** Number of SACK blocks (1 to 4), or 0 when there is no well-formed SACK option. */
    public int sackBlockCount()
    {
        final int at = findOption(TcpOption.SACK);
        if (at == NOT_FOUND)
        {
            return 0;
        }
        final int dataBytes = iterator.length() - TcpOption.SACK_BASE_LENGTH;
        final int blocks = dataBytes / TcpOption.SACK_BLOCK_LENGTH;
        final boolean valid = dataBytes % TcpOption.SACK_BLOCK_LENGTH == 0 && blocks >= 1 &&
            blocks <= TcpOption.MAX_SACK_BLOCKS;
        return valid ? blocks : 0;
    }

    /** Left edge of SACK block {@code index}; check {@link #sackBlockCount()} first. */
    public int sackLeftEdge(final int index)
    {
        return sackEdge(index, 0);
    }

    /** Right edge of SACK block {@code index}; check {@link #sackBlockCount()} first. */
    public int sackRightEdge(final int index)
    {
        return sackEdge(index, Integer.BYTES);
    }

    private int sackEdge(final int index, final int edgeOffset)
    {
        final int at = findOption(TcpOption.SACK);
        return buffer.getInt(
            at + TcpOption.SACK_BASE_LENGTH + index * TcpOption.SACK_BLOCK_LENGTH + edgeOffset, NETWORK_ORDER);
    }

    /** True when a timestamps option of length 10 is present. */
    public boolean hasTimestamps()
    {
        return findOption(TcpOption.TIMESTAMPS, TcpOption.TIMESTAMPS_LENGTH) != NOT_FOUND;
    }

    /** TSval, or 0 when there is no timestamps option. */
    public int timestampValue()
    {
        final int at = findOption(TcpOption.TIMESTAMPS, TcpOption.TIMESTAMPS_LENGTH);
        return at == NOT_FOUND ? 0 : buffer.getInt(at + 2, NETWORK_ORDER);
    }

    /** TSecr, or 0 when there is no timestamps option. */
    public int timestampEchoReply()
    {
        final int at = findOption(TcpOption.TIMESTAMPS, TcpOption.TIMESTAMPS_LENGTH);
        return at == NOT_FOUND ? 0 : buffer.getInt(at + 6, NETWORK_ORDER);
    }

    /** Starts appending options right after the fixed header (also done by {@code wrap}). */
    public TcpHeaderFlyweight beginOptions()
    {
        appendCursor = offset + OPTIONS_OFFSET;
        return this;
    }

    public TcpHeaderFlyweight appendNop()
    {
        putUint8(reserve(1), TcpOption.NOP);
        return this;
    }

    public TcpHeaderFlyweight appendEol()
    {
        putUint8(reserve(1), TcpOption.EOL);
        return this;
    }

    public TcpHeaderFlyweight appendMss(final int mss)
    {
        final int at = reserveOption(TcpOption.MSS, TcpOption.MSS_LENGTH);
        putUint16(at + 2, mss);
        return this;
    }

    public TcpHeaderFlyweight appendWindowScale(final int shift)
    {
        final int at = reserveOption(TcpOption.WINDOW_SCALE, TcpOption.WINDOW_SCALE_LENGTH);
        putUint8(at + 2, shift);
        return this;
    }

    public TcpHeaderFlyweight appendSackPermitted()
    {
        reserveOption(TcpOption.SACK_PERMITTED, TcpOption.SACK_PERMITTED_LENGTH);
        return this;
    }

    public TcpHeaderFlyweight appendTimestamps(final int tsVal, final int tsEcr)
    {
        final int at = reserveOption(TcpOption.TIMESTAMPS, TcpOption.TIMESTAMPS_LENGTH);
        putInt32(at + 2, tsVal);
        putInt32(at + 6, tsEcr);
        return this;
    }

    /**
     * Appends a SACK option.
     *
     * @param edges      left and right edges of each block: {@code edges[2i]}, {@code edges[2i + 1]}.
     * @param blockCount number of blocks, 1 to {@link TcpOption#MAX_SACK_BLOCKS}.
     * @return this.
     */
    public TcpHeaderFlyweight appendSack(final int[] edges, final int blockCount)
    {
        if (blockCount < 1 || blockCount > TcpOption.MAX_SACK_BLOCKS)
        {
            throw new IllegalArgumentException("SACK block count " + blockCount);
        }
        final int at = reserveOption(TcpOption.SACK, TcpOption.sackLength(blockCount));
        for (int i = 0; i < blockCount * 2; i++)
        {
            putInt32(at + TcpOption.SACK_BASE_LENGTH + i * Integer.BYTES, edges[i]);
        }
        return this;
    }

    /** Pads the options with zeros (EOL) to a 32-bit boundary and sets the data offset; returns the header length. */
    public int endOptions()
    {
        while (((appendCursor - offset) & 3) != 0)
        {
            putUint8(reserve(1), TcpOption.EOL);
        }
        final int headerLength = appendCursor - offset;
        dataOffset(headerLength >>> 2);
        return headerLength;
    }

    private int reserveOption(final int kind, final int optionLength)
    {
        final int at = reserve(optionLength);
        putUint8(at, kind);
        putUint8(at + 1, optionLength);
        return at;
    }

    /** Returns the field offset (relative to the header) of {@code bytes} more option bytes. */
    private int reserve(final int bytes)
    {
        final int at = appendCursor - offset;
        if (at + bytes > MAX_HEADER_LENGTH)
        {
            throw new IllegalStateException("TCP options exceed " + TcpOption.MAX_OPTIONS_LENGTH + " bytes");
        }
        appendCursor += bytes;
        return at;
    }
}
