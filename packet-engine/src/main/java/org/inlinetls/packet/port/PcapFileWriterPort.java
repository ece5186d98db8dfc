package org.inlinetls.packet.port;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A send-only port that writes every frame it is given to a classic little-endian pcap file.
 * <p>
 * Each frame is stamped with the engine clock (epoch nanoseconds), so an offline replay driven by a clock that
 * follows the input file's stamps writes the same stamps back. Frames are buffered and written in large chunks.
 */
public final class PcapFileWriterPort implements PacketPort
{
    private static final int CHUNK_BYTES = 1 << 20;

    private final String name;
    private final FileChannel channel;
    private final NanoClock epochClock;
    private final PcapFormat.Resolution resolution;
    private final int snapLength;
    private final ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final UnsafeBuffer view = new UnsafeBuffer(chunk);
    private long framesWritten;
    private long writeErrors;

    /**
     * Creates (or truncates) the file and writes its global header.
     *
     * @param epochClock gives each frame's timestamp in epoch nanoseconds.
     */
    public PcapFileWriterPort(
        final Path file, final PcapFormat.Resolution resolution, final int snapLength, final NanoClock epochClock)
        throws IOException
    {
        this.name = file.getFileName().toString();
        this.resolution = resolution;
        this.snapLength = snapLength;
        this.epochClock = epochClock;
        this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING);
        view.putInt(PcapFormat.MAGIC_OFFSET, resolution.magic(), ByteOrder.LITTLE_ENDIAN);
        view.putShort(PcapFormat.VERSION_MAJOR_OFFSET, (short)PcapFormat.VERSION_MAJOR, ByteOrder.LITTLE_ENDIAN);
        view.putShort(PcapFormat.VERSION_MINOR_OFFSET, (short)PcapFormat.VERSION_MINOR, ByteOrder.LITTLE_ENDIAN);
        view.putInt(PcapFormat.THISZONE_OFFSET, 0, ByteOrder.LITTLE_ENDIAN);
        view.putInt(PcapFormat.SIGFIGS_OFFSET, 0, ByteOrder.LITTLE_ENDIAN);
        view.putInt(PcapFormat.SNAPLEN_OFFSET, snapLength, ByteOrder.LITTLE_ENDIAN);
        view.putInt(PcapFormat.LINKTYPE_OFFSET, PcapFormat.LINKTYPE_ETHERNET, ByteOrder.LITTLE_ENDIAN);
        chunk.position(PcapFormat.GLOBAL_HEADER_LENGTH);
    }

    @Override
    public String name()
    {
        return name;
    }

    public long framesWritten()
    {
        return framesWritten;
    }

    @Override
    public int receive(final FrameHandler handler, final int limit)
    {
        return 0;
    }

    @Override
    public boolean send(final DirectBuffer buffer, final int offset, final int length)
    {
        final int captured = Math.min(length, snapLength);
        final int recordLength = PcapFormat.RECORD_HEADER_LENGTH + captured;
        if (recordLength > chunk.remaining() && !writeChunk())
        {
            return false;
        }
        final long nowNs = epochClock.nanoTime();
        final int base = chunk.position();
        view.putInt(base + PcapFormat.TS_SEC_OFFSET, (int)Math.floorDiv(nowNs, 1_000_000_000L), ByteOrder.LITTLE_ENDIAN);
        view.putInt(base + PcapFormat.TS_FRACTION_OFFSET, resolution.fraction(nowNs), ByteOrder.LITTLE_ENDIAN);
        view.putInt(base + PcapFormat.INCL_LEN_OFFSET, captured, ByteOrder.LITTLE_ENDIAN);
        view.putInt(base + PcapFormat.ORIG_LEN_OFFSET, length, ByteOrder.LITTLE_ENDIAN);
        view.putBytes(base + PcapFormat.RECORD_HEADER_LENGTH, buffer, offset, captured);
        chunk.position(base + recordLength);
        framesWritten++;
        return true;
    }

    private boolean writeChunk()
    {
        chunk.flip();
        try
        {
            while (chunk.hasRemaining())
            {
                channel.write(chunk);
            }
            chunk.clear();
            return true;
        }
        catch (final IOException ex)
        {
            writeErrors++;
            chunk.clear();
            return false;
        }
    }

    @Override
    public long txErrors()
    {
        return writeErrors;
    }

    /** Writes everything buffered so far to the file. */
    public void sync()
    {
        if (!writeChunk())
        {
            throw new UncheckedIOException(new IOException(name + ": write failed"));
        }
    }

    @Override
    public void close()
    {
        try
        {
            writeChunk();
            channel.force(false);
            channel.close();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(name + ": close failed", ex);
        }
    }
}
