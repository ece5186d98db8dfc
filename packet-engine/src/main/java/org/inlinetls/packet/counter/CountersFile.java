package org.inlinetls.packet.counter;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.BiConsumer;

/**
 * Counters in a memory-mapped file (Aeron's CnC idea), so {@code appliance stats} reads a running daemon's counters
 * without talking to it. The file holds only counts and labels, never keys.
 * <pre>
 *  0        4        8            12           16
 *  +--------+--------+------------+------------+---------------------+-------------------+
 *  | magic  |version | meta bytes | value bytes| pid (8) | start ms (8)| metadata | values |
 *  +--------+--------+------------+------------+---------------------+-------------------+
 *  header is 32 bytes; metadata and values are Agrona CountersManager buffers.
 * </pre>
 */
public final class CountersFile implements AutoCloseable
{
    public static final int MAGIC = 0x494c5443; // "ILTC"
    public static final int VERSION = 1;
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int META_LENGTH_OFFSET = 8;
    public static final int VALUES_LENGTH_OFFSET = 12;
    public static final int PID_OFFSET = 16;
    public static final int START_MS_OFFSET = 24;
    public static final int HEADER_LENGTH = 32;

    private final MappedByteBuffer mapped;
    private final UnsafeBuffer header;
    private final UnsafeBuffer metaData;
    private final UnsafeBuffer values;

    private CountersFile(final MappedByteBuffer mapped, final int metaLength, final int valuesLength)
    {
        this.mapped = mapped;
        this.header = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
        this.metaData = new UnsafeBuffer(mapped, HEADER_LENGTH, metaLength);
        this.values = new UnsafeBuffer(mapped, HEADER_LENGTH + metaLength, valuesLength);
    }

    /** Creates (replacing) a counters file with room for {@code maxCounters}; mode 0644, it holds no secrets. */
    public static CountersFile create(final Path file, final int maxCounters) throws IOException
    {
        final int valuesLength = maxCounters * CountersReader.COUNTER_LENGTH;
        final int metaLength = maxCounters * CountersReader.METADATA_LENGTH;
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
        final MappedByteBuffer mapped;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, HEADER_LENGTH + metaLength + valuesLength);
        }
        final CountersFile counters = new CountersFile(mapped, metaLength, valuesLength);
        counters.header.putInt(META_LENGTH_OFFSET, metaLength);
        counters.header.putInt(VALUES_LENGTH_OFFSET, valuesLength);
        counters.header.putLong(PID_OFFSET, ProcessHandle.current().pid());
        counters.header.putLong(START_MS_OFFSET, System.currentTimeMillis());
        counters.header.putInt(VERSION_OFFSET, VERSION);
        counters.header.putIntVolatile(MAGIC_OFFSET, MAGIC);
        return counters;
    }

    /** Maps an existing counters file for reading. */
    public static CountersFile open(final Path file) throws IOException
    {
        final MappedByteBuffer mapped;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            if (channel.size() < HEADER_LENGTH)
            {
                throw new IOException(file + ": too short for a counters file");
            }
            mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, channel.size());
        }
        final UnsafeBuffer header = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
        if (header.getIntVolatile(MAGIC_OFFSET) != MAGIC || header.getInt(VERSION_OFFSET) != VERSION)
        {
            IoUtil.unmap(mapped);
            throw new IOException(file + ": not a counters file of this version");
        }
        final int metaLength = header.getInt(META_LENGTH_OFFSET);
        final int valuesLength = header.getInt(VALUES_LENGTH_OFFSET);
        if ((long)HEADER_LENGTH + metaLength + valuesLength > mapped.capacity())
        {
            IoUtil.unmap(mapped);
            throw new IOException(file + ": counters file is truncated");
        }
        return new CountersFile(mapped, metaLength, valuesLength);
    }

    /** A manager to allocate counters; only the owning process uses it. */
    public CountersManager newManager()
    {
        return new CountersManager(metaData, values);
    }

    public CountersReader reader()
    {
        return new CountersReader(metaData, values);
    }

    public long pid()
    {
        return header.getLong(PID_OFFSET);
    }

    public long startEpochMs()
    {
        return header.getLong(START_MS_OFFSET);
    }

    /** Visits every allocated counter as (label, value) in allocation order. */
    public static void forEach(final CountersReader reader, final BiConsumer<String, Long> visitor)
    {
        reader.forEach((value, counterId, label) -> visitor.accept(label, value));
    }

    @Override
    public void close()
    {
        IoUtil.unmap(mapped);
    }
}
