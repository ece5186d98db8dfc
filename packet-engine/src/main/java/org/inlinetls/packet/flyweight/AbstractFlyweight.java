package org.inlinetls.packet.flyweight;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Base of the header flyweights: a window onto a buffer, re-wrapped per frame, with big-endian field access.
 * <p>
 * Readers work on any {@link DirectBuffer}; writers need the wrapped buffer to be a {@link MutableDirectBuffer}
 * (an {@code UnsafeBuffer} is both). Accessors do not check the wrapped length: callers that handle untrusted
 * frames check lengths first (as {@code FrameParser} does) so that no read goes past the frame.
 */
public abstract class AbstractFlyweight
{
    /** Network byte order, RFC 1700 "Data Notations". */
    public static final ByteOrder NETWORK_ORDER = ByteOrder.BIG_ENDIAN;

    protected DirectBuffer buffer;
    protected MutableDirectBuffer mutableBuffer;
    protected int offset;
    protected int length;

    protected final void wrapBuffer(final DirectBuffer buffer, final int offset, final int length)
    {
        this.buffer = buffer;
        this.mutableBuffer = buffer instanceof MutableDirectBuffer ? (MutableDirectBuffer)buffer : null;
        this.offset = offset;
        this.length = length;
    }

    /** The wrapped buffer. */
    public final DirectBuffer buffer()
    {
        return buffer;
    }

    /** Absolute offset of the header in the wrapped buffer. */
    public final int offset()
    {
        return offset;
    }

    /** Bytes available from {@link #offset()} as given to {@code wrap}. */
    public final int length()
    {
        return length;
    }

    protected final int uint8(final int fieldOffset)
    {
        return buffer.getByte(offset + fieldOffset) & 0xFF;
    }

    protected final int uint16(final int fieldOffset)
    {
        return buffer.getShort(offset + fieldOffset, NETWORK_ORDER) & 0xFFFF;
    }

    protected final int int32(final int fieldOffset)
    {
        return buffer.getInt(offset + fieldOffset, NETWORK_ORDER);
    }

    protected final long int64(final int fieldOffset)
    {
        return buffer.getLong(offset + fieldOffset, NETWORK_ORDER);
    }

    /** Reads a 48-bit MAC address as the low 48 bits of a long. */
    protected final long mac(final int fieldOffset)
    {
        return ((long)uint16(fieldOffset) << 32) | (int32(fieldOffset + 2) & 0xFFFF_FFFFL);
    }

    protected final void putUint8(final int fieldOffset, final int value)
    {
        mutable().putByte(offset + fieldOffset, (byte)value);
    }

    protected final void putUint16(final int fieldOffset, final int value)
    {
        mutable().putShort(offset + fieldOffset, (short)value, NETWORK_ORDER);
    }

    protected final void putInt32(final int fieldOffset, final int value)
    {
        mutable().putInt(offset + fieldOffset, value, NETWORK_ORDER);
    }

    protected final void putInt64(final int fieldOffset, final long value)
    {
        mutable().putLong(offset + fieldOffset, value, NETWORK_ORDER);
    }

    protected final void putMac(final int fieldOffset, final long mac)
    {
        putUint16(fieldOffset, (int)(mac >>> 32));
        putInt32(fieldOffset + 2, (int)mac);
    }

    protected final void getBytes(final int fieldOffset, final byte[] dst, final int dstOffset, final int count)
    {
        buffer.getBytes(offset + fieldOffset, dst, dstOffset, count);
    }

    protected final void putBytes(final int fieldOffset, final byte[] src, final int srcOffset, final int count)
    {
        mutable().putBytes(offset + fieldOffset, src, srcOffset, count);
    }

    protected final MutableDirectBuffer mutable()
    {
        if (null == mutableBuffer)
        {
            throw new IllegalStateException("flyweight wraps a read-only buffer");
        }
        return mutableBuffer;
    }
}
