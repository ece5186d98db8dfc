package org.inlinetls.handshake.keylog;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static java.lang.System.Logger.Level.WARNING;

/**
 * The opt-in NSS key log export (SSLKEYLOGFILE format, for Wireshark and tshark): handshake threads
 * {@link #offer} the secrets of each completed handshake into a bounded queue, never blocking; this agent, on a
 * thread of its own (role {@code keylog}), appends their lines to the file, mode 0600, and zeroes every copy
 * once written. When the file would grow past its size limit it is renamed to {@code NAME.1} (replacing the
 * previous one) and a new file is started, so at most two files exist.
 * <p>
 * This writes session secrets to disk, which the appliance otherwise never does: the daemon logs a warning at
 * start whenever it is on.
 */
public final class KeyLogWriterAgent implements Agent, KeyLogSink
{
    /** Entries waiting for the writer; more are dropped (and counted). */
    public static final int DEFAULT_QUEUE_CAPACITY = 4096;
    private static final int DRAIN_LIMIT = 256;
    private static final int BUFFER_BYTES = 4096;
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final System.Logger LOG = System.getLogger(KeyLogWriterAgent.class.getName());
    private static final long ERROR_LOG_INTERVAL_NS = 10_000_000_000L;

    private final Path path;
    private final Path rotated;
    private final long maxBytes;
    private final ManyToOneConcurrentArrayQueue<KeyLogEntry> queue;
    private final ByteBuffer lines = ByteBuffer.allocateDirect(BUFFER_BYTES);
    private final AtomicLong entriesWritten = new AtomicLong();
    private final AtomicLong entriesDropped = new AtomicLong();
    private final AtomicLong writeErrors = new AtomicLong();
    private FileChannel channel;
    private long sizeBytes;
    private long lastErrorLogNs = Long.MIN_VALUE / 2;

    /**
     * Opens (or creates, mode 0600, its missing directories 0700) the file for appending.
     *
     * @param maxBytes the size at which the file is rotated to {@code NAME.1}.
     */
    public KeyLogWriterAgent(final Path path, final long maxBytes, final int queueCapacity) throws IOException
    {
        if (maxBytes < BUFFER_BYTES)
        {
            throw new IllegalArgumentException("keyLogMaxBytes must be at least " + BUFFER_BYTES + ": " + maxBytes);
        }
        this.path = path.toAbsolutePath();
        this.rotated = this.path.resolveSibling(this.path.getFileName() + ".1");
        this.maxBytes = maxBytes;
        this.queue = new ManyToOneConcurrentArrayQueue<>(queueCapacity);
        final Path parent = this.path.getParent();
        if (null != parent && !Files.isDirectory(parent))
        {
            Files.createDirectories(parent, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        }
        openFile();
    }

    private void openFile() throws IOException
    {
        channel = FileChannel.open(path, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.APPEND), PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        // a file that existed keeps its mode on open: tighten it
        Files.setPosixFilePermissions(path, OWNER_ONLY);
        sizeBytes = channel.size();
    }

    @Override
    public void offer(final KeyLogEntry entry)
    {
        if (!queue.offer(entry))
        {
            entry.destroy();
            entriesDropped.incrementAndGet();
        }
    }

    @Override
    public int doWork()
    {
        return queue.drain(this::write, DRAIN_LIMIT);
    }

    private void write(final KeyLogEntry entry)
    {
        try
        {
            final int length = entry.lengthBytes();
            if (length > lines.capacity())
            {
                throw new IOException("entry of " + length + " bytes does not fit the line buffer");
            }
            if (sizeBytes > 0 && sizeBytes + length > maxBytes)
            {
                rotate();
            }
            lines.clear();
            entry.writeLines(lines);
            lines.flip();
            while (lines.hasRemaining())
            {
                channel.write(lines);
            }
            sizeBytes += length;
            entriesWritten.incrementAndGet();
        }
        catch (final IOException | RuntimeException ex)
        {
            onWriteError(ex);
        }
        finally
        {
            entry.destroy();
            zeroLines();
        }
    }

    private void rotate() throws IOException
    {
        channel.close();
        Files.move(path, rotated, StandardCopyOption.REPLACE_EXISTING);
        openFile();
    }

    private void zeroLines()
    {
        lines.clear();
        while (lines.hasRemaining())
        {
            lines.put((byte)0);
        }
        lines.clear();
    }

    private void onWriteError(final Exception ex)
    {
        writeErrors.incrementAndGet();
        final long nowNs = System.nanoTime();
        if (nowNs - lastErrorLogNs >= ERROR_LOG_INTERVAL_NS)
        {
            lastErrorLogNs = nowNs;
            LOG.log(WARNING, "key log: entry not written to {0} ({1} errors so far): {2}", path, writeErrors.get(),
                ex.getClass().getSimpleName() + ": " + ex.getMessage());
        }
    }

    /** Entries written to the file so far (any thread). */
    public long entriesWritten()
    {
        return entriesWritten.get();
    }

    /** Entries dropped because the queue was full (any thread). */
    public long entriesDropped()
    {
        return entriesDropped.get();
    }

    /** Entries lost to I/O errors (any thread). */
    public long writeErrors()
    {
        return writeErrors.get();
    }

    /** The file written to. */
    public Path path()
    {
        return path;
    }

    /** Writes what is still queued and closes the file (after the agent's thread stopped). */
    @Override
    public void onClose()
    {
        while (doWork() > 0)
        {
            // drain
        }
        try
        {
            channel.close();
        }
        catch (final IOException ex)
        {
            onWriteError(ex);
        }
    }

    @Override
    public String roleName()
    {
        return "keylog";
    }
}
