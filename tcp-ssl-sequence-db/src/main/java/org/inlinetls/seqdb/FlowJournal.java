package org.inlinetls.seqdb;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;
import net.openhft.chronicle.map.MapSegmentContext;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.function.Consumer;
import java.util.function.Predicate;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

/**
 * The off-heap table of flows and their journals (DESIGN §5): one fixed-size {@link FlowEntry} per TCP flow in a
 * Chronicle Map persisted to a tmpfs file, so a restarted daemon continues the flows in flight.
 * <p>
 * The map's key is the flow's seeded symmetric id ({@link FlowKey#id(long)}); the entry holds the full tuple, which
 * every lookup compares. The file starts with a header entry under {@link FlowKey#RESERVED_ID} (layout version, ring
 * shape, entry size, id seed), checked on reopen. Steady-state access, {@link #acquire(FlowKey)}, locks the
 * entry's segment and points a reusable flyweight into the map's memory: no copy and no allocation. Removal and
 * expiry zero an entry before freeing it, so keys do not linger in the file.
 * <p>
 * One owner thread per journal (a sharded engine opens one journal per worker); {@link #forEach} and the counter
 * getters may be called from another thread. Keys, IVs and secrets never appear in logs, {@link FlowSummary} or
 * {@code toString()}.
 */
public final class FlowJournal implements AutoCloseable
{
    static final int META_MAGIC = 0x49544C4A; // "ITLJ"
    static final int LAYOUT_VERSION = 1;
    static final int META_MAGIC_OFFSET = 0;
    static final int META_LAYOUT_VERSION_OFFSET = 4;
    static final int META_RING_CAPACITY_OFFSET = 8;
    static final int META_CHECKPOINT_LENGTH_OFFSET = 12;
    static final int META_ENTRY_LENGTH_OFFSET = 16;
    static final int META_MAX_FLOWS_OFFSET = 24;
    static final int META_SEED_OFFSET = 32;

    private static final System.Logger LOGGER = System.getLogger(FlowJournal.class.getName());
    private static final ByteOrder ORDER = ByteOrder.BIG_ENDIAN;
    private static final int KEY_LENGTH = Long.BYTES;

    private final JournalConfig config;
    private final JournalFiles.OwnerLock ownerLock;
    private final ChronicleMap<Long, byte[]> map;
    private final int entryLength;
    private final long maxFlows;
    private final long seed;
    private final BytesStore<?, Void> keyBytes = BytesStore.nativeStoreWithFixedCapacity(KEY_LENGTH);
    private final BytesStore<?, Void> template;
    private final FlowEntry entry;
    private final FlowEntry scratch;
    private final FlowEntry templateEntry;
    private final Predicate<MapEntry<Long, byte[]>> expiryVisitor = this::onExpiryVisit;
    private ExternalMapQueryContext<Long, byte[], ?> acquired;
    private long size;
    private int expiryCursor;
    private long expiryNowNs;
    private long expiryIdleNs;
    private int expiryLimit;
    private int expiredThisCall;
    private int examinedThisCall;
    private boolean closed;

    private volatile long insertedCount;
    private volatile long refusedFullCount;
    private volatile long collisionCount;
    private volatile long expiredCount;
    private volatile long removedCount;

    private FlowJournal(
        final JournalConfig config, final JournalFiles.OwnerLock ownerLock, final ChronicleMap<Long, byte[]> map)
    {
        this.config = config;
        this.ownerLock = ownerLock;
        this.map = map;
        this.entryLength = config.entryLength();
        this.template = BytesStore.nativeStoreWithFixedCapacity(entryLength);
        this.templateEntry = new FlowEntry(config.ringCapacity(), config.checkpointLength())
            .wrap(template.addressForWrite(0));
        this.entry = new FlowEntry(config.ringCapacity(), config.checkpointLength(), this);
        this.scratch = new FlowEntry(config.ringCapacity(), config.checkpointLength());
        final long[] header = readOrWriteHeader();
        this.seed = header[0];
        this.maxFlows = Math.min(config.maxFlows(), header[1]);
        this.size = map.longSize() - 1;
    }

    /**
     * Open a journal, creating its file or continuing the flows of the previous run.
     *
     * @param config validated settings; the path must be on tmpfs/ramfs unless allowed for tests.
     * @return the open journal.
     * @throws IOException           if the file cannot be created or mapped.
     * @throws IllegalStateException if the path is on a persistent filesystem, the journal is open elsewhere, or
     *                               the file was written with another layout.
     */
    public static FlowJournal open(final JournalConfig config) throws IOException
    {
        config.validate();
        final File file = config.path().toAbsolutePath().toFile();
        JournalFiles.requireMemoryFilesystem(file.toPath(), config.allowNonTmpfsForTests());
        final JournalFiles.OwnerLock lock = new JournalFiles.OwnerLock(file.toPath());
        try
        {
            JournalFiles.createPrivate(file.toPath());
            final boolean existing = file.length() > 0;
            final ChronicleMapBuilder<Long, byte[]> builder = builder(config);
            final boolean recover = existing && !lock.wasClean();
            if (recover)
            {
                LOGGER.log(WARNING, "journal {0} was not closed cleanly; recovering it", file);
            }
            final ChronicleMap<Long, byte[]> map = recover ?
                builder.recoverPersistedTo(file, true) : builder.createPersistedTo(file);
            final FlowJournal journal;
            try
            {
                journal = new FlowJournal(config, lock, map);
            }
            catch (final RuntimeException ex)
            {
                map.close();
                lock.markClean();
                throw ex;
            }
            LOGGER.log(INFO, "journal open: {0}, entry {1} bytes, {2} flows continued, {3} segments",
                config, journal.entryLength, journal.size, map.segments());
            return journal;
        }
        catch (final IOException | RuntimeException ex)
        {
            lock.close();
            throw ex;
        }
    }

    /** The map's settings, the same for the owner and for {@link JournalReader}. */
    static ChronicleMapBuilder<Long, byte[]> builder(final JournalConfig config)
    {
        return ChronicleMapBuilder.of(Long.class, byte[].class)
            .name("inline-tls-journal")
            .entries(config.maxFlows() + 1)
            .constantValueSizeBySample(new byte[config.entryLength()])
            // entries are updated in place through their memory, which Chronicle's checksums would not see
            .checksumEntries(false)
            // room for uneven segments so that maxFlows, not Chronicle, is the limit
            .maxBloatFactor(2.0)
            // at JVM exit Chronicle's hook would wait on a segment an agent still holds; the daemon closes the
            // journal itself, and a journal not closed is recovered at the next open anyway
            .skipCloseOnExitHook(true);
    }

    public JournalConfig config()
    {
        return config;
    }

    /** Flows held. */
    public long size()
    {
        return size;
    }

    /** The hard cap on flows (the configured one, or the file's capacity if smaller). */
    public long maxFlows()
    {
        return maxFlows;
    }

    /** Bytes of one entry: the per-flow budget. */
    public int entryLength()
    {
        return entryLength;
    }

    /** The id seed of this file, to compute {@link FlowKey#id(long)} the way this journal does. */
    public long seed()
    {
        return seed;
    }

    public long insertedCount()
    {
        return insertedCount;
    }

    public long refusedFullCount()
    {
        return refusedFullCount;
    }

    public long collisionCount()
    {
        return collisionCount;
    }

    public long expiredCount()
    {
        return expiredCount;
    }

    public long removedCount()
    {
        return removedCount;
    }

    /**
     * Create a flow's entry: tuple, creation and activity time, everything else zero.
     *
     * @param key   client to server, as on the flow's first packet.
     * @param nowNs current time.
     * @return INSERTED, or EXISTS / FULL / COLLISION with nothing changed.
     */
    public InsertResult insert(final FlowKey key, final long nowNs)
    {
        checkIdle();
        try (ExternalMapQueryContext<Long, byte[], ?> context = query(key.id(seed)))
        {
            context.updateLock().lock();
            final MapEntry<Long, byte[]> existing = context.entry();
            if (existing != null)
            {
                final boolean same = scratch.wrap(address(existing.value())).directionOf(key) != null;
                scratch.unwrap();
                if (same)
                {
                    return InsertResult.EXISTS;
                }
                collisionCount++;
                return InsertResult.COLLISION;
            }
            if (size >= maxFlows)
            {
                refusedFullCount++;
                return InsertResult.FULL;
            }
            templateEntry.clear();
            templateEntry.key(key);
            templateEntry.createdNs(nowNs).lastActivityNs(nowNs);
            try
            {
                context.insert(context.absentEntry(), context.wrapValueBytesAsData(template, 0, entryLength));
            }
            catch (final IllegalStateException ex)
            {
                refusedFullCount++;
                LOGGER.log(WARNING, "journal segment full at {0} flows: {1}", size, ex.getMessage());
                return InsertResult.FULL;
            }
            finally
            {
                templateEntry.clear();
            }
            size++;
            insertedCount++;
            return InsertResult.INSERTED;
        }
    }

    /**
     * Lock a flow's entry and point the journal's flyweight at it; {@link FlowEntry#close()} releases it. One entry
     * at a time per journal.
     *
     * @param key of the flow, in either direction.
     * @return the flyweight, or null if the flow has no entry.
     */
    public FlowEntry acquire(final FlowKey key)
    {
        checkIdle();
        final ExternalMapQueryContext<Long, byte[], ?> context = query(key.id(seed));
        boolean keep = false;
        try
        {
            context.updateLock().lock();
            final MapEntry<Long, byte[]> found = context.entry();
            if (found != null && entry.wrap(address(found.value())).directionOf(key) != null)
            {
                acquired = context;
                keep = true;
                return entry;
            }
            entry.unwrap();
            return null;
        }
        finally
        {
            if (!keep)
            {
                context.close();
            }
        }
    }

    void release(final FlowEntry flyweight)
    {
        if (acquired != null && flyweight == entry)
        {
            final ExternalMapQueryContext<Long, byte[], ?> context = acquired;
            acquired = null;
            entry.unwrap();
            context.close();
        }
    }

    /**
     * Remove a flow, zeroing its entry first.
     *
     * @param key of the flow, in either direction.
     * @return true if it had an entry.
     */
    public boolean remove(final FlowKey key)
    {
        checkIdle();
        try (ExternalMapQueryContext<Long, byte[], ?> context = query(key.id(seed)))
        {
            context.updateLock().lock();
            final MapEntry<Long, byte[]> found = context.entry();
            if (found == null || scratch.wrap(address(found.value())).directionOf(key) == null)
            {
                scratch.unwrap();
                return false;
            }
            scratch.clear();
            scratch.unwrap();
            context.remove(found);
            size--;
            removedCount++;
            return true;
        }
    }

    /**
     * Remove flows idle for at least {@code idleNs}, with bounded work: at most {@code maxPerCall} removals, and no
     * new segment is started once {@code maxPerCall} entries have been examined. Successive calls sweep the table
     * round-robin by segment.
     *
     * @param nowNs      current time.
     * @param idleNs     idle time after which a flow goes.
     * @param maxPerCall bound on removals and (to within one segment) on entries examined.
     * @return flows removed by this call.
     */
    public int expireIdle(final long nowNs, final long idleNs, final int maxPerCall)
    {
        checkIdle();
        expiryNowNs = nowNs;
        expiryIdleNs = idleNs;
        expiryLimit = maxPerCall;
        expiredThisCall = 0;
        examinedThisCall = 0;
        final int segments = map.segments();
        for (int visited = 0; visited < segments && examinedThisCall < maxPerCall; visited++)
        {
            final boolean finished;
            try (MapSegmentContext<Long, byte[], ?> context = map.segmentContext(expiryCursor))
            {
                finished = context.forEachSegmentEntryWhile(expiryVisitor);
            }
            if (!finished)
            {
                break;
            }
            expiryCursor = expiryCursor + 1 == segments ? 0 : expiryCursor + 1;
        }
        scratch.unwrap();
        size -= expiredThisCall;
        expiredCount += expiredThisCall;
        return expiredThisCall;
    }

    private boolean onExpiryVisit(final MapEntry<Long, byte[]> visited)
    {
        if (expiredThisCall >= expiryLimit)
        {
            return false;
        }
        examinedThisCall++;
        final Data<Long> key = visited.key();
        if (key.bytes().readLong(key.offset()) == FlowKey.RESERVED_ID)
        {
            return true;
        }
        scratch.wrap(address(visited.value()));
        if (expiryNowNs - scratch.lastActivityNs() - expiryIdleNs >= 0)
        {
            scratch.clear();
            visited.doRemove();
            expiredThisCall++;
        }
        return true;
    }

    /**
     * Visit every flow's summary (no key material), e.g. for the CLI; may be called from another thread. Each
     * entry's segment is locked during its callback: copy what is needed and return quickly.
     *
     * @param consumer called once per flow with a summary reused between calls.
     */
    public void forEach(final Consumer<FlowSummary> consumer)
    {
        forEach(map, config, consumer);
    }

    static void forEach(final ChronicleMap<Long, byte[]> map, final JournalConfig config,
        final Consumer<FlowSummary> consumer)
    {
        final FlowSummary summary = new FlowSummary();
        final FlowEntry view = new FlowEntry(config.ringCapacity(), config.checkpointLength());
        map.forEachEntry(
            (visited) ->
            {
                final Data<Long> key = visited.key();
                final long id = key.bytes().readLong(key.offset());
                if (id != FlowKey.RESERVED_ID)
                {
                    consumer.accept(summary.fill(id, view.wrap(address(visited.value()))));
                }
            });
    }

    /** Close the map and mark the journal cleanly closed; an acquired entry is released first. */
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        release(entry);
        try
        {
            map.close();
            ownerLock.markClean();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        finally
        {
            keyBytes.releaseLast();
            template.releaseLast();
            try
            {
                ownerLock.close();
            }
            catch (final IOException ex)
            {
                LOGGER.log(WARNING, "journal lock release failed: {0}", ex.toString());
            }
        }
    }

    public String toString()
    {
        return "FlowJournal{" + config.path() + ", flows=" + size + '/' + maxFlows + ", entryLength=" + entryLength +
            ", inserted=" + insertedCount + ", refusedFull=" + refusedFullCount + ", collisions=" + collisionCount +
            ", expired=" + expiredCount + ", removed=" + removedCount + '}';
    }

    private ExternalMapQueryContext<Long, byte[], ?> query(final long id)
    {
        keyBytes.writeLong(0, id);
        return map.queryContext(keyBytes, 0, KEY_LENGTH);
    }

    private void checkIdle()
    {
        if (closed)
        {
            throw new IllegalStateException("journal closed");
        }
        if (acquired != null)
        {
            throw new IllegalStateException("an entry is acquired: close it first");
        }
    }

    private static long address(final Data<byte[]> value)
    {
        return value.bytes().addressForRead(value.offset());
    }

    /**
     * Check the header entry of an existing file against the config, or write one to a new file.
     *
     * @return the seed and the file's flow capacity.
     */
    private long[] readOrWriteHeader()
    {
        try (ExternalMapQueryContext<Long, byte[], ?> context = query(FlowKey.RESERVED_ID))
        {
            context.updateLock().lock();
            final MapEntry<Long, byte[]> found = context.entry();
            if (found == null)
            {
                if (map.longSize() != 0)
                {
                    throw new IllegalStateException("journal " + config.path() + " has entries but no header");
                }
                final long newSeed = new SecureRandom().nextLong();
                final UnsafeBuffer header = new UnsafeBuffer(template.addressForWrite(0), entryLength);
                header.setMemory(0, entryLength, (byte)0);
                header.putInt(META_MAGIC_OFFSET, META_MAGIC, ORDER);
                header.putInt(META_LAYOUT_VERSION_OFFSET, LAYOUT_VERSION, ORDER);
                header.putInt(META_RING_CAPACITY_OFFSET, config.ringCapacity(), ORDER);
                header.putInt(META_CHECKPOINT_LENGTH_OFFSET, config.checkpointLength(), ORDER);
                header.putInt(META_ENTRY_LENGTH_OFFSET, entryLength, ORDER);
                header.putLong(META_MAX_FLOWS_OFFSET, config.maxFlows(), ORDER);
                header.putLong(META_SEED_OFFSET, newSeed, ORDER);
                context.insert(context.absentEntry(), context.wrapValueBytesAsData(template, 0, entryLength));
                header.setMemory(0, entryLength, (byte)0);
                return new long[]{newSeed, config.maxFlows()};
            }
            final Data<byte[]> value = found.value();
            final UnsafeBuffer header = new UnsafeBuffer(address(value), (int)value.size());
            final int magic = header.getInt(META_MAGIC_OFFSET, ORDER);
            final int version = header.getInt(META_LAYOUT_VERSION_OFFSET, ORDER);
            final int ringCapacity = header.getInt(META_RING_CAPACITY_OFFSET, ORDER);
            final int checkpointLength = header.getInt(META_CHECKPOINT_LENGTH_OFFSET, ORDER);
            final int fileEntryLength = header.getInt(META_ENTRY_LENGTH_OFFSET, ORDER);
            if (magic != META_MAGIC || version != LAYOUT_VERSION || ringCapacity != config.ringCapacity() ||
                checkpointLength != config.checkpointLength() || fileEntryLength != entryLength ||
                value.size() != entryLength)
            {
                throw new IllegalStateException("journal " + config.path() + " was written with layout version " +
                    version + ", ring capacity " + ringCapacity + ", checkpoint length " + checkpointLength +
                    "; configured: version " + LAYOUT_VERSION + ", ring capacity " + config.ringCapacity() +
                    ", checkpoint length " + config.checkpointLength() +
                    ". Use the same settings, or delete the file (its flows will be lost)");
            }
            final long fileMaxFlows = header.getLong(META_MAX_FLOWS_OFFSET, ORDER);
            if (fileMaxFlows < config.maxFlows())
            {
                LOGGER.log(WARNING, "journal {0} was created for {1} flows; configured {2} apply after it is " +
                    "deleted", config.path(), fileMaxFlows, config.maxFlows());
            }
            return new long[]{header.getLong(META_SEED_OFFSET, ORDER), fileMaxFlows};
        }
    }
}
