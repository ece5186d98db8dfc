package org.inlinetls.packet.port;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A receive-only port that reads frames from a classic pcap file (either byte order, micro- or nanosecond stamps).
 * <p>
 * The file is streamed through one direct buffer; frames are handed to the handler where they lie. A corrupt
 * record ends the stream and is reported by {@link #error()}; frames sent to this port are refused.
 */
public final class PcapFileReaderPort implements PacketPort
{
    private static final int CHUNK_BYTES = 1 << 20;

    private final String name;
    private final FileChannel channel;
    private final ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_BYTES + PcapFormat.MAX_RECORD_LENGTH);
    private final UnsafeBuffer view = new UnsafeBuffer(chunk);
    private final ByteOrder order;
    private final PcapFormat.Resolution resolution;
    private final int linkType;
    private final int snapLength;
    private long fileOffset;
    private boolean endOfStream;
    private String error;
    private long framesRead;

    /**
     * Opens a capture file and checks its global header.
     *
     * @throws IOException naming the file when it cannot be read or is not an Ethernet pcap.
     */
    public PcapFileReaderPort(final Path file) throws IOException
    {
        this.name = file.getFileName().toString();
        this.channel = FileChannel.open(file, StandardOpenOption.READ);
        try
        {
            chunk.limit(0);
            if (!fill(PcapFormat.GLOBAL_HEADER_LENGTH))
            {
                throw new IOException(file + ": too short for a pcap header");
            }
            final int magicLe = view.getInt(chunk.position(), ByteOrder.LITTLE_ENDIAN);
            if (magicLe == PcapFormat.MAGIC_MICROS || magicLe == PcapFormat.MAGIC_NANOS)
            {
                order = ByteOrder.LITTLE_ENDIAN;
            }
            else if (magicLe == PcapFormat.MAGIC_MICROS_SWAPPED || magicLe == PcapFormat.MAGIC_NANOS_SWAPPED)
            {
                order = ByteOrder.BIG_ENDIAN;
            }
            else
            {
                throw new IOException(file + ": not a classic pcap file (magic 0x" + Integer.toHexString(magicLe) +
                    "); pcapng is not supported, convert with editcap -F pcap");
            }
            final int base = chunk.position();
            final int magic = view.getInt(base + PcapFormat.MAGIC_OFFSET, order);
            resolution = magic == PcapFormat.MAGIC_NANOS ? PcapFormat.Resolution.NANOS : PcapFormat.Resolution.MICROS;
            snapLength = view.getInt(base + PcapFormat.SNAPLEN_OFFSET, order);
            linkType = view.getInt(base + PcapFormat.LINKTYPE_OFFSET, order);
            if (linkType != PcapFormat.LINKTYPE_ETHERNET)
            {
                throw new IOException(file + ": link type " + linkType + " is not Ethernet (1)");
            }
            advance(PcapFormat.GLOBAL_HEADER_LENGTH);
        }
        catch (final IOException ex)
        {
            channel.close();
            throw ex;
        }
    }

    @Override
    public String name()
    {
        return name;
    }

    public PcapFormat.Resolution resolution()
    {
        return resolution;
    }

    public int snapLength()
    {
        return snapLength;
    }

    /** Frames delivered so far. */
    public long framesRead()
    {
        return framesRead;
    }

    /** Why the stream ended early, or null. */
    public String error()
    {
        return error;
    }

    @Override
    public int receive(final FrameHandler handler, final int limit)
    {
        int count = 0;
        while (count < limit && !endOfStream)
        {
            if (!readOne(handler))
            {
                break;
            }
            count++;
        }
        return count;
    }

    private boolean readOne(final FrameHandler handler)
    {
        try
        {
            if (!fill(PcapFormat.RECORD_HEADER_LENGTH))
            {
                endOfStream = true;
                if (chunk.remaining() != 0)
                {
                    error = "truncated record header at file offset " + fileOffset;
                }
                return false;
            }
            final int base = chunk.position();
            final long seconds = view.getInt(base + PcapFormat.TS_SEC_OFFSET, order) & 0xFFFF_FFFFL;
            final long fraction = view.getInt(base + PcapFormat.TS_FRACTION_OFFSET, order) & 0xFFFF_FFFFL;
            final int inclLength = view.getInt(base + PcapFormat.INCL_LEN_OFFSET, order);
            if (inclLength < 0 || inclLength > PcapFormat.MAX_RECORD_LENGTH)
            {
                return fail("record length " + inclLength + " out of range at file offset " + fileOffset);
            }
            if (!fill(PcapFormat.RECORD_HEADER_LENGTH + inclLength))
            {
                return fail("truncated record of " + inclLength + " bytes at file offset " + fileOffset);
            }
            final int frameOffset = chunk.position() + PcapFormat.RECORD_HEADER_LENGTH;
            advance(PcapFormat.RECORD_HEADER_LENGTH + inclLength);
            framesRead++;
            handler.onFrame(view, frameOffset, inclLength, resolution.toNanos(seconds, fraction));
            return true;
        }
        catch (final IOException ex)
        {
            return fail("read failed at file offset " + fileOffset + ": " + ex.getMessage());
        }
    }

    private boolean fail(final String reason)
    {
        error = name + ": " + reason;
        endOfStream = true;
        return false;
    }

    private void advance(final int bytes)
    {
        chunk.position(chunk.position() + bytes);
        fileOffset += bytes;
    }

    /** Makes at least {@code bytes} readable from the chunk's position; false at end of file. */
    private boolean fill(final int bytes) throws IOException
    {
        if (chunk.remaining() >= bytes)
        {
            return true;
        }
        chunk.compact();
        while (chunk.position() < bytes)
        {
            if (channel.read(chunk) < 0)
            {
                break;
            }
        }
        chunk.flip();
        return chunk.remaining() >= bytes;
    }

    @Override
    public boolean send(final DirectBuffer buffer, final int offset, final int length)
    {
        return false;
    }

    @Override
    public boolean isEndOfStream()
    {
        return endOfStream;
    }

    @Override
    public long rxErrors()
    {
        return error == null ? 0 : 1;
    }

    @Override
    public void close()
    {
        try
        {
            channel.close();
        }
        catch (final IOException ignore)
        {
            // closing a read-only file: nothing can be lost
        }
    }
}
