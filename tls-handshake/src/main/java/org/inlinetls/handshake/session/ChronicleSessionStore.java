package org.inlinetls.handshake.session;

import net.openhft.chronicle.map.ChronicleMap;
import org.inlinetls.crypto.keys.Secrets;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Set;
import java.util.function.LongSupplier;

import static java.lang.System.Logger.Level.INFO;

/**
 * The appliance's embedded {@link SessionStore}: a Chronicle Map persisted to a file on tmpfs (sessions outlive a
 * daemon restart, never a reboot, and master secrets never reach a disk), mode 0600, bounded to a number of entries.
 * <p>
 * Each value is the session's expiry (8 bytes, epoch ms, big-endian) followed by its encoded {@link SessionState}.
 * When the map is full, a put first sweeps out expired sessions (at most once per {@link #SWEEP_INTERVAL_MS}), then
 * drops the session closest to expiry among a sample: expiry-ordered rather than LRU, which needs no write on a hit.
 */
public final class ChronicleSessionStore implements SessionStore
{
    /** The least time between two full sweeps for expired sessions. */
    public static final long SWEEP_INTERVAL_MS = 1_000;
    private static final int EXPIRY_LENGTH = Long.BYTES;
    private static final int EVICTION_SAMPLE = 32;
    private static final int AVERAGE_STATE_BYTES = 128;
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_ONLY_DIRECTORY = PosixFilePermissions.fromString("rwx------");
    private static final System.Logger LOG = System.getLogger(ChronicleSessionStore.class.getName());

    private final ChronicleMap<byte[], byte[]> map;
    private final Path file;
    private final int maxEntries;
    private final LongSupplier clockMs;
    private long lastSweepMs = Long.MIN_VALUE;

    private ChronicleSessionStore(
        final ChronicleMap<byte[], byte[]> map, final Path file, final int maxEntries, final LongSupplier clockMs)
    {
        this.map = map;
        this.file = file;
        this.maxEntries = maxEntries;
        this.clockMs = clockMs;
    }

    /**
     * Opens the store at {@code file}, creating it (mode 0600, parent directories 0700) or reopening the sessions a
     * previous run left there.
     *
     * @param clockMs epoch milliseconds, for sweeping expired sessions.
     * @throws IOException when the file is not on tmpfs, cannot be made owner-only, or Chronicle Map refuses it.
     */
    public static ChronicleSessionStore open(final Path file, final int maxEntries, final LongSupplier clockMs)
        throws IOException
    {
        if (maxEntries < 1)
        {
            throw new IllegalArgumentException("maxEntries " + maxEntries);
        }
        final Path absolute = file.toAbsolutePath().normalize();
        final Path directory = absolute.getParent();
        if (!TmpfsCheck.isTmpfs(directory))
        {
            throw new IOException("session store " + absolute + " is not on tmpfs: refusing to write master secrets" +
                " to a disk (use a directory under /dev/shm or /run)");
        }
        if (!Files.isDirectory(directory))
        {
            Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIRECTORY));
        }
        try
        {
            Files.createFile(absolute, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        }
        catch (final FileAlreadyExistsException ignored)
        {
            // a previous run's sessions: reopened below
        }
        Files.setPosixFilePermissions(absolute, OWNER_ONLY);
        final ChronicleMap<byte[], byte[]> map = ChronicleMap.of(byte[].class, byte[].class)
            .name("inline-tls-sessions")
            .entries(maxEntries + maxEntries / 8 + 16)
            .averageKeySize(MAX_SESSION_ID_LENGTH)
            .averageValueSize(EXPIRY_LENGTH + AVERAGE_STATE_BYTES)
            .maxBloatFactor(2.0)
            .createPersistedTo(absolute.toFile());
        if (!OWNER_ONLY.equals(Files.getPosixFilePermissions(absolute)))
        {
            map.close();
            throw new IOException("session store " + absolute + " is not mode 0600");
        }
        final ChronicleSessionStore store = new ChronicleSessionStore(map, absolute, maxEntries, clockMs);
        LOG.log(INFO, () -> "session store " + absolute + " opened: " + map.size() + "/" + maxEntries + " sessions");
        return store;
    }

    @Override
    public void put(final byte[] sessionId, final byte[] state, final long expiresAtMs)
    {
        HeapSessionStore.checkId(sessionId);
        if (map.size() >= maxEntries && !map.containsKey(sessionId))
        {
            evict();
        }
        final byte[] value = new byte[EXPIRY_LENGTH + state.length];
        ByteBuffer.wrap(value).putLong(expiresAtMs).put(state);
        try
        {
            map.put(sessionId.clone(), value);
        }
        finally
        {
            Secrets.zero(value);
        }
    }

    @Override
    public byte[] get(final byte[] sessionId, final long nowMs)
    {
        final byte[] value = map.get(sessionId);
        if (null == value)
        {
            return null;
        }
        try
        {
            if (value.length < EXPIRY_LENGTH || expiresAtMs(value) - nowMs <= 0)
            {
                map.remove(sessionId, value);
                return null;
            }
            return Arrays.copyOfRange(value, EXPIRY_LENGTH, value.length);
        }
        finally
        {
            Secrets.zero(value);
        }
    }

    @Override
    public boolean remove(final byte[] sessionId)
    {
        final byte[] value = map.remove(sessionId);
        Secrets.zero(value);
        return null != value;
    }

    @Override
    public int size()
    {
        return map.size();
    }

    /** The file the map lives in. */
    public Path file()
    {
        return file;
    }

    @Override
    public void close()
    {
        map.close();
    }

    @Override
    public String toString()
    {
        return "ChronicleSessionStore{file=" + file + ", entries=" + (map.isOpen() ? map.size() : -1) + "/" +
            maxEntries + "}";
    }

    private synchronized void evict()
    {
        final long nowMs = clockMs.getAsLong();
        if (lastSweepMs == Long.MIN_VALUE || nowMs - lastSweepMs >= SWEEP_INTERVAL_MS)
        {
            lastSweepMs = nowMs;
            map.entrySet().removeIf((entry) -> expiresAtMs(entry.getValue()) - nowMs <= 0);
            if (map.size() < maxEntries)
            {
                return;
            }
        }
        final byte[][] victim = new byte[1][];
        final long[] earliest = {Long.MAX_VALUE};
        final int[] sampled = {0};
        map.forEachEntryWhile((entry) ->
        {
            final byte[] value = entry.value().get();
            final long expiresAtMs = expiresAtMs(value);
            Secrets.zero(value);
            if (expiresAtMs < earliest[0])
            {
                earliest[0] = expiresAtMs;
                victim[0] = entry.key().get();
            }
            return ++sampled[0] < EVICTION_SAMPLE;
        });
        if (null != victim[0])
        {
            remove(victim[0]);
        }
    }

    private static long expiresAtMs(final byte[] value)
    {
        return value.length < EXPIRY_LENGTH ? Long.MIN_VALUE : ByteBuffer.wrap(value).getLong();
    }
}
