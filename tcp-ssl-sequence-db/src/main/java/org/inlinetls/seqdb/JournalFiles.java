package org.inlinetls.seqdb;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;

import static java.lang.System.Logger.Level.WARNING;

/**
 * The journal's files on disk: the memory-filesystem check, owner-only permissions, and the lock file that keeps a
 * second daemon out and records whether the last one closed the journal cleanly.
 */
final class JournalFiles
{
    static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> DIRECTORY_MODE = PosixFilePermissions.fromString("rwx------");
    static final String MOUNT_INFO = "/proc/self/mountinfo";

    private static final System.Logger LOGGER = System.getLogger(JournalFiles.class.getName());
    private static final byte[] CLEAN = "clean\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OPEN = "open\n".getBytes(StandardCharsets.US_ASCII);

    private JournalFiles()
    {
    }

    /**
     * The type of the filesystem a path is (or would be) on, from the mount of its nearest existing ancestor.
     *
     * @param path     of a file, existing or not.
     * @param mountInfo lines of /proc/self/mountinfo.
     * @return the filesystem type, e.g. "tmpfs", or null if no mount matches.
     */
    static String filesystemType(final Path path, final List<String> mountInfo) throws IOException
    {
        Path existing = path.toAbsolutePath().normalize();
        while (!Files.exists(existing))
        {
            existing = existing.getParent();
        }
        final Path real = existing.toRealPath();
        String type = null;
        int bestLength = -1;
        for (final String line : mountInfo)
        {
            final String[] fields = line.split(" ");
            int separator = 6;
            while (separator < fields.length && !"-".equals(fields[separator]))
            {
                separator++;
            }
            if (fields.length < 5 || separator + 1 >= fields.length)
            {
                continue;
            }
            final Path mountPoint = Path.of(unescape(fields[4]));
            final int length = mountPoint.getNameCount();
            // a later mount on the same point hides an earlier one, hence >=
            if (real.startsWith(mountPoint) && length >= bestLength)
            {
                bestLength = length;
                type = fields[separator + 1];
            }
        }
        return type;
    }

    /**
     * Refuse a path that is not on tmpfs or ramfs, unless allowed for tests.
     *
     * @param path  of the journal file.
     * @param allow skip the check (tests only).
     * @throws IllegalStateException saying where the file would go and why it may not.
     */
    static void requireMemoryFilesystem(final Path path, final boolean allow) throws IOException
    {
        final String type = filesystemType(path, Files.readAllLines(Path.of(MOUNT_INFO)));
        if ("tmpfs".equals(type) || "ramfs".equals(type))
        {
            if ("tmpfs".equals(type) && swapConfigured())
            {
                LOGGER.log(WARNING, "journal {0} is on tmpfs and swap is enabled: its session keys can be " +
                    "swapped out to disk; disable swap or use ramfs", path);
            }
            return;
        }
        if (allow)
        {
            LOGGER.log(WARNING, "journal {0} is on {1}, not tmpfs: allowed for tests only", path, type);
            return;
        }
        throw new IllegalStateException("journal " + path + " is on a " + type + " filesystem, not tmpfs/ramfs: " +
            "it holds session keys, which must never reach a persistent disk; put it under /dev/shm or /run");
    }

    /**
     * Create the file mode 0600 (and its missing parents 0700) before Chronicle opens it, or tighten an existing
     * one's mode.
     *
     * @param file of the journal.
     */
    static void createPrivate(final Path file) throws IOException
    {
        final Path parent = file.toAbsolutePath().getParent();
        if (!Files.isDirectory(parent))
        {
            createDirectories(parent);
        }
        try
        {
            Files.createFile(file, attribute(FILE_MODE));
            Files.setPosixFilePermissions(file, FILE_MODE);
        }
        catch (final FileAlreadyExistsException ex)
        {
            final Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
            if (!mode.equals(FILE_MODE))
            {
                LOGGER.log(WARNING, "journal {0} had mode {1}; set to rw-------", file,
                    PosixFilePermissions.toString(mode));
                Files.setPosixFilePermissions(file, FILE_MODE);
            }
        }
    }

    private static void createDirectories(final Path directory) throws IOException
    {
        final Path parent = directory.getParent();
        if (parent != null && !Files.isDirectory(parent))
        {
            createDirectories(parent);
        }
        try
        {
            Files.createDirectory(directory, attribute(DIRECTORY_MODE));
            Files.setPosixFilePermissions(directory, DIRECTORY_MODE);
        }
        catch (final FileAlreadyExistsException ignore)
        {
            // created concurrently; its mode is its creator's business
        }
    }

    private static FileAttribute<Set<PosixFilePermission>> attribute(final Set<PosixFilePermission> mode)
    {
        return PosixFilePermissions.asFileAttribute(mode);
    }

    private static boolean swapConfigured()
    {
        try
        {
            return Files.readAllLines(Path.of("/proc/swaps")).size() > 1;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    private static String unescape(final String field)
    {
        if (field.indexOf('\\') < 0)
        {
            return field;
        }
        final StringBuilder sb = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++)
        {
            final char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length())
            {
                sb.append((char)Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            }
            else
            {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /**
     * An exclusive lock on {@code <journal>.lock}, whose content says whether the journal was closed cleanly.
     */
    static final class OwnerLock implements AutoCloseable
    {
        private final FileChannel channel;
        private final FileLock lock;
        private final boolean wasClean;

        OwnerLock(final Path journalFile) throws IOException
        {
            final Path lockFile = journalFile.resolveSibling(journalFile.getFileName() + ".lock");
            createPrivate(lockFile);
            channel = FileChannel.open(lockFile, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock acquired = null;
            try
            {
                acquired = channel.tryLock();
            }
            catch (final OverlappingFileLockException ex)
            {
                acquired = null;
            }
            if (acquired == null)
            {
                channel.close();
                throw new IllegalStateException("journal " + journalFile + " is open in another process or " +
                    "journal (lock " + lockFile + ")");
            }
            lock = acquired;
            final ByteBuffer content = ByteBuffer.allocate(CLEAN.length);
            channel.read(content, 0);
            wasClean = content.position() == CLEAN.length && content.flip().equals(ByteBuffer.wrap(CLEAN));
            write(OPEN);
        }

        /** Whether the previous owner closed the journal, so its segment locks are all free. */
        boolean wasClean()
        {
            return wasClean;
        }

        void markClean() throws IOException
        {
            write(CLEAN);
        }

        public void close() throws IOException
        {
            try
            {
                lock.release();
            }
            finally
            {
                channel.close();
            }
        }

        private void write(final byte[] content) throws IOException
        {
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(content), 0);
            channel.force(true);
        }
    }
}
