package org.inlinetls.seqdb;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Settings of a {@link FlowJournal}: where its file lives, how many flows it holds and the shape of each entry.
 * <p>
 * The per-flow budget is {@link #entryLength()} bytes ({@link FlowEntryLayout}): 20,864 by default (9,600 before
 * checkpoints carried the ciphertext of a small record held whole). Chronicle allocates the whole file when it
 * creates it (fallocate), with headroom for uneven segments: measured 690 MB of tmpfs for 65,536 flows of the old
 * 9,600-byte entry (about 10.5 KB a flow), 24.6 MB for 2,000; the 20,864-byte entry needs about twice that (not
 * measured again). A parked flow's entry is {@link #parkedEntryLength()}: 1,024 bytes by default.
 */
public final class JournalConfig
{
    /**
     * Checkpoint blob size of the AEAD record decoder ({@code RecordCheckpoint.LENGTH} in record-crypto): 64 bytes of
     * state and 240 for the AEAD state and held tail of a streamed record, or the ciphertext so far of a small record
     * held whole (so a boundary inside a small TLS 1.3 record can be resumed and acknowledged).
     */
    public static final int AEAD_CHECKPOINT_LENGTH = 304;
    /** Checkpoint blob size of the legacy CBC decoder ({@code CbcRecordDecoder.CHECKPOINT_LENGTH}). */
    public static final int CBC_CHECKPOINT_LENGTH = 560;
    public static final int DEFAULT_MAX_FLOWS = 65_536;
    public static final int DEFAULT_RING_CAPACITY = 32;

    private Path path;
    private long maxFlows = DEFAULT_MAX_FLOWS;
    private long maxActiveFlows = -1;
    private int ringCapacity = DEFAULT_RING_CAPACITY;
    private int checkpointLength = AEAD_CHECKPOINT_LENGTH;
    private boolean allowNonTmpfsForTests;

    public Path path()
    {
        return path;
    }

    /**
     * The journal file; it must be on tmpfs or ramfs (secrets never reach a persistent disk).
     *
     * @param path of the file, created mode 0600 (its missing parent directories 0700).
     * @return this config.
     */
    public JournalConfig path(final Path path)
    {
        this.path = path;
        return this;
    }

    public long maxFlows()
    {
        return maxFlows;
    }

    /**
     * The hard cap on flows: beyond it new flows are refused and existing ones kept.
     *
     * @param maxFlows at least 1.
     * @return this config.
     */
    public JournalConfig maxFlows(final long maxFlows)
    {
        this.maxFlows = maxFlows;
        return this;
    }

    /** Flows with a full entry (rings of {@link #ringCapacity()}) at a time; the rest are parked. */
    public long maxActiveFlows()
    {
        return maxActiveFlows < 0 ? maxFlows : maxActiveFlows;
    }

    /**
     * The cap on flows holding a full entry at once: a parked flow ({@link FlowJournal#park}) holds only a
     * {@link FlowEntryLayout#PARKED_RING_CAPACITY} entry in the second file, {@link #parkedPath()}, so
     * {@code maxActiveFlows} full entries plus {@code maxFlows} parked ones is the journal's tmpfs budget.
     *
     * @param maxActiveFlows in [1, maxFlows]; unset, it is {@code maxFlows}.
     * @return this config.
     */
    public JournalConfig maxActiveFlows(final long maxActiveFlows)
    {
        this.maxActiveFlows = maxActiveFlows;
        return this;
    }

    /** The file of parked flows' entries, beside {@link #path()}: {@code NAME-parked.dat} for {@code NAME.dat}. */
    public Path parkedPath()
    {
        final String name = path.getFileName().toString();
        final String stem = name.endsWith(".dat") ? name.substring(0, name.length() - 4) : name;
        return path.resolveSibling(stem + "-parked.dat");
    }

    /** Bytes of a parked flow's entry. */
    public int parkedEntryLength()
    {
        return FlowEntryLayout.entryLength(FlowEntryLayout.PARKED_RING_CAPACITY, checkpointLength);
    }

    public int ringCapacity()
    {
        return ringCapacity;
    }

    /**
     * Checkpoint slots per direction: the bound on segments in flight per direction.
     *
     * @param ringCapacity in [2, {@link FlowEntryLayout#MAX_RING_CAPACITY}].
     * @return this config.
     */
    public JournalConfig ringCapacity(final int ringCapacity)
    {
        this.ringCapacity = ringCapacity;
        return this;
    }

    public int checkpointLength()
    {
        return checkpointLength;
    }

    /**
     * Bytes of one checkpoint blob: {@link #AEAD_CHECKPOINT_LENGTH} unless CBC suites are enabled.
     *
     * @param checkpointLength in [1, {@link FlowEntryLayout#MAX_CHECKPOINT_LENGTH}].
     * @return this config.
     */
    public JournalConfig checkpointLength(final int checkpointLength)
    {
        this.checkpointLength = checkpointLength;
        return this;
    }

    public boolean allowNonTmpfsForTests()
    {
        return allowNonTmpfsForTests;
    }

    /**
     * Let the file live on a persistent filesystem. For tests only: the journal holds session keys.
     *
     * @param allow true to skip the tmpfs check.
     * @return this config.
     */
    public JournalConfig allowNonTmpfsForTests(final boolean allow)
    {
        this.allowNonTmpfsForTests = allow;
        return this;
    }

    /** Bytes of one flow's entry under this config. */
    public int entryLength()
    {
        return FlowEntryLayout.entryLength(ringCapacity, checkpointLength);
    }

    /**
     * Check every setting.
     *
     * @return this config.
     * @throws IllegalArgumentException naming the field at fault.
     */
    public JournalConfig validate()
    {
        Objects.requireNonNull(path, "journal path");
        if (maxFlows < 1 || maxFlows > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("journal maxFlows must be in [1, 2^31): " + maxFlows);
        }
        if (maxActiveFlows >= 0 && (maxActiveFlows < 1 || maxActiveFlows > maxFlows))
        {
            throw new IllegalArgumentException(
                "journal maxActiveFlows must be in [1, maxFlows=" + maxFlows + "]: " + maxActiveFlows);
        }
        if (ringCapacity < 2)
        {
            throw new IllegalArgumentException("journal ringCapacity must be at least 2: " + ringCapacity);
        }
        FlowEntryLayout.validate(ringCapacity, checkpointLength);
        return this;
    }

    public String toString()
    {
        return "JournalConfig{path=" + path + ", maxFlows=" + maxFlows + ", maxActiveFlows=" + maxActiveFlows() +
            ", ringCapacity=" + ringCapacity +
            ", checkpointLength=" + checkpointLength +
            (allowNonTmpfsForTests ? ", allowNonTmpfsForTests" : "") + '}';
    }
}
