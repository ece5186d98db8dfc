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
 * shape, entry size, id seed), checked on reopen. Steady-state access, {@link #acquire(FlowKey)}, points a reusable
 * flyweight into the map's memory: no copy and no allocation; after a flow's first lookup its entry's address is
 * kept, so later ones take no query context or segment lock (this journal is the entries' only writer; a reader in
 * another process, {@link JournalReader}, may see a summary mid-update). Removal and expiry zero an entry before
 * freeing it, so keys do not linger in the file. Quiet flows can be parked ({@link #park}): their entries shrink to
 * {@link FlowEntryLayout#PARKED_RING_CAPACITY} rings in a second file and come back whole on their next lookup.
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
    /** Parked flows' entries: rings of {@link FlowEntryLayout#PARKED_RING_CAPACITY}, in their own file. */
    private final ChronicleMap<Long, byte[]> parked;
    private final int entryLength;
    private final int parkedEntryLength;
    private final long maxFlows;
    private final long maxActiveFlows;
    private final long seed;
    private final BytesStore<?, Void> keyBytes = BytesStore.nativeStoreWithFixedCapacity(KEY_LENGTH);
    private final BytesStore<?, Void> template;
    private final FlowEntry entry;
    private final FlowEntry scratch;
    private final FlowEntry templateEntry;
    private final BytesStore<?, Void> parkedTemplate;
    private final FlowEntry parkedTemplateEntry;
    private final FlowEntry parkedScratch;
    private final Predicate<MapEntry<Long, byte[]>> expiryVisitor = this::onExpiryVisit;
    /**
     * Where each full entry this journal has looked up lies in the map's memory, by id. Entries of a constant size
     * never move while they exist, and this journal is their only writer, so once found an entry is reached again
     * without a query context or a segment lock; every removal (remove, park, expiry) forgets its address first.
     */
    private final org.agrona.collections.Long2LongHashMap pinned = new org.agrona.collections.Long2LongHashMap(0);
    private boolean acquiredPinned;
    private java.util.function.LongConsumer expiryListener;
    private long activeSize;
    private long parkedSize;
    private int expiryCursor;
    private int parkedExpiryCursor;
    private boolean expiringParked;
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
    private volatile long parkedCount;
    private volatile long unparkedCount;
    private volatile long unparkRefusedCount;

    private FlowJournal(
        final JournalConfig config,
        final JournalFiles.OwnerLock ownerLock,
        final ChronicleMap<Long, byte[]> map,
        final ChronicleMap<Long, byte[]> parked)
    {
        this.config = config;
        this.ownerLock = ownerLock;
        this.map = map;
        this.parked = parked;
        this.entryLength = config.entryLength();
        this.parkedEntryLength = config.parkedEntryLength();
        this.template = BytesStore.nativeStoreWithFixedCapacity(entryLength);
        this.templateEntry = new FlowEntry(config.ringCapacity(), config.checkpointLength())
            .wrap(template.addressForWrite(0));
        this.parkedTemplate = BytesStore.nativeStoreWithFixedCapacity(parkedEntryLength);
        this.parkedTemplateEntry = new FlowEntry(FlowEntryLayout.PARKED_RING_CAPACITY, config.checkpointLength())
            .wrap(parkedTemplate.addressForWrite(0));
        this.parkedScratch = new FlowEntry(FlowEntryLayout.PARKED_RING_CAPACITY, config.checkpointLength());
        this.entry = new FlowEntry(config.ringCapacity(), config.checkpointLength(), this);
        this.scratch = new FlowEntry(config.ringCapacity(), config.checkpointLength());
        final long[] header = readOrWriteHeader(map, config.ringCapacity(), entryLength, template, -1);
        this.seed = header[0];
        this.maxFlows = Math.min(config.maxFlows(), header[1]);
        this.maxActiveFlows = Math.min(config.maxActiveFlows(), maxFlows);
        readOrWriteHeader(parked, FlowEntryLayout.PARKED_RING_CAPACITY, parkedEntryLength, parkedTemplate, seed);
        this.activeSize = map.longSize() - 1;
        this.parkedSize = parked.longSize() - 1;
        dropParkedDuplicates();
    }

    /** A crash between parking's two steps leaves a flow in both files: the full entry is the one to keep. */
    private void dropParkedDuplicates()
    {
        final java.util.List<Long> stale = new java.util.ArrayList<>();
        parked.forEachEntry(visited ->
        {
            final Data<Long> key = visited.key();
            final long id = key.bytes().readLong(key.offset());
            if (id != FlowKey.RESERVED_ID && map.containsKey(id))
            {
                stale.add(id);
            }
        });
        for (final long id : stale)
        {
            try (ExternalMapQueryContext<Long, byte[], ?> context = query(parked, id))
            {
                context.updateLock().lock();
                final MapEntry<Long, byte[]> found = context.entry();
                if (found != null)
                {
                    parkedScratch.wrap(address(found.value())).clear();
                    parkedScratch.unwrap();
                    context.remove(found);
                    parkedSize--;
                }
            }
        }
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
    /**
     * Moves a journal that {@link #open} refused as incompatible (and its parked flows' file) out of the way, to the
     * same names with {@code .incompatible} appended (replacing an older pair), so that the next open starts a new
     * journal while the old one stays at hand (renamed back, it opens again with the settings it was written with).
     *
     * @return the journal file's new path.
     */
    public static java.nio.file.Path setAside(final JournalConfig config) throws IOException
    {
        final java.nio.file.Path journal = config.path().toAbsolutePath();
        final java.nio.file.Path aside = journal.resolveSibling(journal.getFileName() + ".incompatible");
        java.nio.file.Files.move(journal, aside, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        final java.nio.file.Path parked = config.parkedPath().toAbsolutePath();
        if (java.nio.file.Files.exists(parked))
        {
            java.nio.file.Files.move(parked, parked.resolveSibling(parked.getFileName() + ".incompatible"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return aside;
    }

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
            final File parkedFile = config.parkedPath().toAbsolutePath().toFile();
            final ChronicleMap<Long, byte[]> parked;
            try
            {
                if (!existing)
                {
                    java.nio.file.Files.deleteIfExists(parkedFile.toPath()); // a new journal: its parked flows went too
                }
                JournalFiles.createPrivate(parkedFile.toPath());
                final ChronicleMapBuilder<Long, byte[]> parkedBuilder = parkedBuilder(config);
                parked = recover && parkedFile.length() > 0 ?
                    parkedBuilder.recoverPersistedTo(parkedFile, true) : parkedBuilder.createPersistedTo(parkedFile);
            }
            catch (final IOException | RuntimeException ex)
            {
                map.close();
                lock.markClean();
                throw ex;
            }
            final FlowJournal journal;
            try
            {
                journal = new FlowJournal(config, lock, map, parked);
            }
            catch (final RuntimeException ex)
            {
                map.close();
                parked.close();
                lock.markClean();
                throw ex;
            }
            LOGGER.log(INFO, "journal open: {0}, entry {1} bytes (parked {2}), {3} flows continued ({4} parked), " +
                "{5} segments", config, journal.entryLength, journal.parkedEntryLength, journal.size(),
                journal.parkedSize, map.segments());
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
        return builder("inline-tls-journal", config.maxActiveFlows(), config.entryLength());
    }

    /** The parked flows' map settings, the same for the owner and for {@link JournalReader}. */
    static ChronicleMapBuilder<Long, byte[]> parkedBuilder(final JournalConfig config)
    {
        return builder("inline-tls-journal-parked", config.maxFlows(), config.parkedEntryLength());
    }

    private static ChronicleMapBuilder<Long, byte[]> builder(
        final String name, final long capacity, final int valueLength)
    {
        return ChronicleMapBuilder.of(Long.class, byte[].class)
            .name(name)
            .entries(capacity + 1)
            .constantValueSizeBySample(new byte[valueLength])
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

    /** Flows held, active and parked. */
    public long size()
    {
        return activeSize + parkedSize;
    }

    /** Flows held with a full entry. */
    public long activeSize()
    {
        return activeSize;
    }

    /** Flows held parked. */
    public long parkedSize()
    {
        return parkedSize;
    }

    /** The cap on flows with a full entry at once. */
    public long maxActiveFlows()
    {
        return maxActiveFlows;
    }

    public long parkedCount()
    {
        return parkedCount;
    }

    public long unparkedCount()
    {
        return unparkedCount;
    }

    /** Parked flows that could not come back because every full entry was taken. */
    public long unparkRefusedCount()
    {
        return unparkRefusedCount;
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
        final InsertResult parkedAs = parkedPresence(key);
        if (parkedAs != null)
        {
            return parkedAs;
        }
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
            if (size() >= maxFlows || activeSize >= maxActiveFlows)
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
                LOGGER.log(WARNING, "journal segment full at {0} flows: {1}", size(), ex.getMessage());
                return InsertResult.FULL;
            }
            finally
            {
                templateEntry.clear();
            }
            activeSize++;
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
        final FlowEntry active = acquireActive(key);
        if (active != null || parkedSize == 0 || !unpark(key))
        {
            return active;
        }
        return acquireActive(key);
    }

    private FlowEntry acquireActive(final FlowKey key)
    {
        final long id = key.id(seed);
        long at = pinned.get(id);
        if (at == 0)
        {
            try (ExternalMapQueryContext<Long, byte[], ?> context = query(id))
            {
                context.readLock().lock();
                final MapEntry<Long, byte[]> found = context.entry();
                if (found == null)
                {
                    return null;
                }
                at = address(found.value());
            }
            pinned.put(id, at);
        }
        if (entry.wrap(at).directionOf(key) != null)
        {
            acquiredPinned = true;
            return entry;
        }
        entry.unwrap(); // the id of another flow's tuple (a collision): not this flow's entry
        return null;
    }

    void release(final FlowEntry flyweight)
    {
        if (acquiredPinned && flyweight == entry)
        {
            acquiredPinned = false;
            entry.unwrap();
            return;
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
                return removeParked(key);
            }
            scratch.clear();
            scratch.unwrap();
            pinned.remove(key.id(seed));
            context.remove(found);
            activeSize--;
            removedCount++;
            return true;
        }
    }

    private boolean removeParked(final FlowKey key)
    {
        if (parkedSize == 0)
        {
            return false;
        }
        try (ExternalMapQueryContext<Long, byte[], ?> context = query(parked, key.id(seed)))
        {
            context.updateLock().lock();
            final MapEntry<Long, byte[]> found = context.entry();
            if (found == null || parkedScratch.wrap(address(found.value())).directionOf(key) == null)
            {
                parkedScratch.unwrap();
                return false;
            }
            parkedScratch.clear();
            parkedScratch.unwrap();
            context.remove(found);
            parkedSize--;
            removedCount++;
            return true;
        }
    }

    /**
     * Move a quiet flow to the parked file: its fixed part, direction blocks and each ring's newest checkpoint, 1,024
     * bytes for AEAD suites instead of a full entry. The caller knows nothing older than the newest checkpoints is
     * needed (nothing in flight either way). {@link #acquire} brings it back when its next segment comes.
     *
     * @param key of the flow, in either direction.
     * @return false, nothing changed, when the flow has no full entry or the parked file has no room.
     */
    public boolean park(final FlowKey key)
    {
        checkIdle();
        final long id = key.id(seed);
        try (ExternalMapQueryContext<Long, byte[], ?> context = query(id))
        {
            context.updateLock().lock();
            final MapEntry<Long, byte[]> found = context.entry();
            if (found == null || scratch.wrap(address(found.value())).directionOf(key) == null)
            {
                scratch.unwrap();
                return false;
            }
            scratch.copyNewestTo(parkedTemplateEntry);
            final boolean inserted = insertTemplate(parked, id, parkedTemplate, parkedEntryLength);
            parkedTemplateEntry.clear();
            if (!inserted)
            {
                scratch.unwrap();
                return false;
            }
            parkedSize++;
            scratch.clear();
            scratch.unwrap();
            pinned.remove(id);
            context.remove(found);
            activeSize--;
            parkedCount++;
            return true;
        }
    }

    /** A parked flow back to a full entry; false when it is not parked or no full entry is free. */
    private boolean unpark(final FlowKey key)
    {
        final long id = key.id(seed);
        try (ExternalMapQueryContext<Long, byte[], ?> context = query(parked, id))
        {
            context.updateLock().lock();
            final MapEntry<Long, byte[]> found = context.entry();
            if (found == null || parkedScratch.wrap(address(found.value())).directionOf(key) == null)
            {
                parkedScratch.unwrap();
                return false;
            }
            if (activeSize >= maxActiveFlows)
            {
                parkedScratch.unwrap();
                unparkRefusedCount++;
                return false;
            }
            parkedScratch.copyNewestTo(templateEntry);
            final boolean inserted = insertTemplate(map, id, template, entryLength);
            templateEntry.clear();
            if (!inserted)
            {
                parkedScratch.unwrap();
                unparkRefusedCount++;
                return false;
            }
            activeSize++;
            parkedScratch.clear();
            parkedScratch.unwrap();
            context.remove(found);
            parkedSize--;
            unparkedCount++;
            return true;
        }
    }

    /** Insert a prepared value under an id absent from {@code into}; false when its segment is full. */
    private boolean insertTemplate(
        final ChronicleMap<Long, byte[]> into, final long id, final BytesStore<?, Void> value, final int length)
    {
        try (ExternalMapQueryContext<Long, byte[], ?> context = query(into, id))
        {
            context.updateLock().lock();
            if (context.entry() != null)
            {
                return false;
            }
            context.insert(context.absentEntry(), context.wrapValueBytesAsData(value, 0, length));
            return true;
        }
        catch (final IllegalStateException ex)
        {
            LOGGER.log(WARNING, "journal segment full: {0}", ex.getMessage());
            return false;
        }
    }

    /** EXISTS or COLLISION when the id is parked, null when it is not. */
    private InsertResult parkedPresence(final FlowKey key)
    {
        if (parkedSize == 0)
        {
            return null;
        }
        try (ExternalMapQueryContext<Long, byte[], ?> context = query(parked, key.id(seed)))
        {
            context.readLock().lock();
            final MapEntry<Long, byte[]> found = context.entry();
            if (found == null)
            {
                return null;
            }
            final boolean same = parkedScratch.wrap(address(found.value())).directionOf(key) != null;
            parkedScratch.unwrap();
            if (same)
            {
                return InsertResult.EXISTS;
            }
            collisionCount++;
            return InsertResult.COLLISION;
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
        return expireIdle(nowNs, idleNs, maxPerCall, null);
    }

    /**
     * As {@link #expireIdle(long, long, int)}, telling {@code onExpired} the id of each flow removed.
     *
     * @param onExpired called with each removed flow's id ({@link FlowKey#id(long)} under {@link #seed()}), or null.
     */
    public int expireIdle(final long nowNs, final long idleNs, final int maxPerCall,
        final java.util.function.LongConsumer onExpired)
    {
        checkIdle();
        expiryListener = onExpired;
        expiryNowNs = nowNs;
        expiryIdleNs = idleNs;
        expiryLimit = maxPerCall;
        expiredThisCall = 0;
        examinedThisCall = 0;
        expiringParked = false;
        expiryCursor = sweep(map, expiryCursor, maxPerCall);
        final int expiredActive = expiredThisCall;
        activeSize -= expiredActive;
        if (parkedSize > 0 && examinedThisCall < maxPerCall && expiredThisCall < maxPerCall)
        {
            expiringParked = true;
            parkedExpiryCursor = sweep(parked, parkedExpiryCursor, maxPerCall);
            parkedSize -= expiredThisCall - expiredActive;
        }
        scratch.unwrap();
        parkedScratch.unwrap();
        expiredCount += expiredThisCall;
        expiryListener = null;
        return expiredThisCall;
    }

    private int sweep(final ChronicleMap<Long, byte[]> swept, final int startCursor, final int maxPerCall)
    {
        int cursor = startCursor;
        final int segments = swept.segments();
        for (int visited = 0; visited < segments && examinedThisCall < maxPerCall; visited++)
        {
            final boolean finished;
            try (MapSegmentContext<Long, byte[], ?> context = swept.segmentContext(cursor))
            {
                finished = context.forEachSegmentEntryWhile(expiryVisitor);
            }
            if (!finished)
            {
                break;
            }
            cursor = cursor + 1 == segments ? 0 : cursor + 1;
        }
        return cursor;
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
        final FlowEntry view = expiringParked ? parkedScratch : scratch;
        view.wrap(address(visited.value()));
        if (expiryNowNs - view.lastActivityNs() - expiryIdleNs >= 0)
        {
            final long id = key.bytes().readLong(key.offset());
            if (!expiringParked)
            {
                pinned.remove(id);
            }
            view.clear();
            visited.doRemove();
            expiredThisCall++;
            if (expiryListener != null)
            {
                expiryListener.accept(id);
            }
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
        forEach(map, config.ringCapacity(), config.checkpointLength(), consumer);
        forEach(parked, FlowEntryLayout.PARKED_RING_CAPACITY, config.checkpointLength(), consumer);
    }

    static void forEach(final ChronicleMap<Long, byte[]> map, final int ringCapacity, final int checkpointLength,
        final Consumer<FlowSummary> consumer)
    {
        final FlowSummary summary = new FlowSummary();
        final FlowEntry view = new FlowEntry(ringCapacity, checkpointLength);
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
            parked.close();
            if (parkedSize == 0)
            {
                // nothing parked: the file goes (the next open makes it again), so that tools and tests that
                // remove the journal's file do not leave its empty sibling behind on tmpfs
                java.nio.file.Files.deleteIfExists(config.parkedPath());
            }
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
            parkedTemplate.releaseLast();
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
        return "FlowJournal{" + config.path() + ", flows=" + activeSize + '+' + parkedSize + " parked/" + maxFlows +
            ", entryLength=" + entryLength +
            ", inserted=" + insertedCount + ", refusedFull=" + refusedFullCount + ", collisions=" + collisionCount +
            ", expired=" + expiredCount + ", removed=" + removedCount + '}';
    }

    private ExternalMapQueryContext<Long, byte[], ?> query(final long id)
    {
        return query(map, id);
    }

    private ExternalMapQueryContext<Long, byte[], ?> query(final ChronicleMap<Long, byte[]> in, final long id)
    {
        keyBytes.writeLong(0, id);
        return in.queryContext(keyBytes, 0, KEY_LENGTH);
    }

    private void checkIdle()
    {
        if (closed)
        {
            throw new IllegalStateException("journal closed");
        }
        if (acquiredPinned)
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
     * @param in          the map (the full entries' or the parked ones').
     * @param ringCapacity of its entries.
     * @param length      of its entries.
     * @param scratchValue a native store of {@code length} bytes, zero before and after.
     * @param seedForNew  the id seed a new header takes, or -1 for a fresh random one; a parked file whose seed is
     *                    not this one belongs to another journal and is emptied.
     * @return the seed and the file's flow capacity.
     */
    private long[] readOrWriteHeader(final ChronicleMap<Long, byte[]> in, final int ringCapacity, final int length,
        final BytesStore<?, Void> scratchValue, final long seedForNew)
    {
        try (ExternalMapQueryContext<Long, byte[], ?> context = query(in, FlowKey.RESERVED_ID))
        {
            context.updateLock().lock();
            MapEntry<Long, byte[]> found = context.entry();
            if (found != null && seedForNew != -1 &&
                new UnsafeBuffer(address(found.value()), (int)found.value().size()).getLong(META_SEED_OFFSET, ORDER) !=
                seedForNew)
            {
                LOGGER.log(WARNING, "parked flows of journal {0} belong to another journal: dropped", config.path());
                context.remove(found);
                found = null;
            }
            if (found == null)
            {
                if (in.longSize() != 0)
                {
                    if (seedForNew == -1)
                    {
                        throw new IllegalStateException("journal " + config.path() + " has entries but no header");
                    }
                    in.clear();
                }
                final long newSeed = seedForNew == -1 ? new SecureRandom().nextLong() : seedForNew;
                final UnsafeBuffer header = new UnsafeBuffer(scratchValue.addressForWrite(0), length);
                header.setMemory(0, length, (byte)0);
                header.putInt(META_MAGIC_OFFSET, META_MAGIC, ORDER);
                header.putInt(META_LAYOUT_VERSION_OFFSET, LAYOUT_VERSION, ORDER);
                header.putInt(META_RING_CAPACITY_OFFSET, ringCapacity, ORDER);
                header.putInt(META_CHECKPOINT_LENGTH_OFFSET, config.checkpointLength(), ORDER);
                header.putInt(META_ENTRY_LENGTH_OFFSET, length, ORDER);
                header.putLong(META_MAX_FLOWS_OFFSET, config.maxFlows(), ORDER);
                header.putLong(META_SEED_OFFSET, newSeed, ORDER);
                context.insert(context.absentEntry(), context.wrapValueBytesAsData(scratchValue, 0, length));
                header.setMemory(0, length, (byte)0);
                return new long[]{newSeed, config.maxFlows()};
            }
            final Data<byte[]> value = found.value();
            final UnsafeBuffer header = new UnsafeBuffer(address(value), (int)value.size());
            final int magic = header.getInt(META_MAGIC_OFFSET, ORDER);
            final int version = header.getInt(META_LAYOUT_VERSION_OFFSET, ORDER);
            final int fileRingCapacity = header.getInt(META_RING_CAPACITY_OFFSET, ORDER);
            final int checkpointLength = header.getInt(META_CHECKPOINT_LENGTH_OFFSET, ORDER);
            final int fileEntryLength = header.getInt(META_ENTRY_LENGTH_OFFSET, ORDER);
            if (magic != META_MAGIC || version != LAYOUT_VERSION || fileRingCapacity != ringCapacity ||
                checkpointLength != config.checkpointLength() || fileEntryLength != length ||
                value.size() != length)
            {
                throw new IncompatibleJournalException("journal " + config.path() + " was written with layout version " +
                    version + ", ring capacity " + fileRingCapacity + ", checkpoint length " + checkpointLength +
                    "; configured: version " + LAYOUT_VERSION + ", ring capacity " + ringCapacity +
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
