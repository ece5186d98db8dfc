package org.inlinetls.packet.flyweight;

import org.agrona.DirectBuffer;

/**
 * Allocation-free cursor over the options of a TCP header; stops at EOL, at the header's end or at a malformed option.
 * <pre>{@code
 * iterator.reset(tcp);
 * while (iterator.next())
 * {
 *     switch (iterator.kind()) { ... iterator.offset(), iterator.length() ... }
 * }
 * if (iterator.isMalformed()) { ... }
 * }</pre>
 * NOP and EOL are reported with length 1. Only a non-malformed option is ever reported, so its
 * {@code length()} bytes lie within the header.
 */
public final class TcpOptionIterator
{
    private DirectBuffer buffer;
    private int cursor;
    private int end;
    private int kind = -1;
    private int optionOffset = -1;
    private int optionLength;
    private boolean malformed;
    private boolean done;

    /** Starts over the options of the header {@code tcp} wraps, bounded by its wrapped length. */
    public TcpOptionIterator reset(final TcpHeaderFlyweight tcp)
    {
        return reset(tcp.buffer(), tcp.optionsOffset(), tcp.optionsEnd());
    }

    /** Starts over the option bytes in {@code [start, end)} of {@code buffer}. */
    public TcpOptionIterator reset(final DirectBuffer buffer, final int start, final int end)
    {
        this.buffer = buffer;
        this.cursor = start;
        this.end = end;
        this.kind = -1;
        this.optionOffset = -1;
        this.optionLength = 0;
        this.malformed = false;
        this.done = false;
        return this;
    }

    /** Moves to the next option; false at the end of the list, after EOL, or on a malformed option. */
    public boolean next()
    {
        if (done || cursor >= end)
        {
            done = true;
            return false;
        }
        final int optionKind = buffer.getByte(cursor) & 0xFF;
        int optionBytes = 1;
        if (optionKind != TcpOption.EOL && optionKind != TcpOption.NOP)
        {
            if (end - cursor < 2)
            {
                return fail();
            }
            optionBytes = buffer.getByte(cursor + 1) & 0xFF;
            if (optionBytes < 2 || optionBytes > end - cursor)
            {
                return fail();
            }
        }
        kind = optionKind;
        optionOffset = cursor;
        optionLength = optionBytes;
        cursor += optionBytes;
        done = optionKind == TcpOption.EOL;
        return true;
    }

    private boolean fail()
    {
        malformed = true;
        done = true;
        return false;
    }

    /** Kind of the current option. */
    public int kind()
    {
        return kind;
    }

    /** Absolute offset of the current option's kind byte. */
    public int offset()
    {
        return optionOffset;
    }

    /** Length of the current option including kind and length bytes. */
    public int length()
    {
        return optionLength;
    }

    /** True once the iteration stopped on an option whose length byte is missing, below 2 or overruns the header. */
    public boolean isMalformed()
    {
        return malformed;
    }
}
