package org.inlinetls.seqdb;

import java.io.File;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.function.Consumer;

import net.openhft.chronicle.map.ChronicleMap;

/**
 * A second view of a journal for operators' tools ({@code appliance flows}): it maps the same file while the daemon
 * owns it (Chronicle Map is made for processes sharing one file), takes no owner lock, writes nothing, and hands out
 * only {@link FlowSummary}s, never key material.
 */
public final class JournalReader implements AutoCloseable
{
    private final JournalConfig config;
    private final ChronicleMap<Long, byte[]> map;
    /** The parked flows' map, or null when the daemon never made its file. */
    private final ChronicleMap<Long, byte[]> parked;

    private JournalReader(
        final JournalConfig config, final ChronicleMap<Long, byte[]> map, final ChronicleMap<Long, byte[]> parked)
    {
        this.config = config;
        this.map = map;
        this.parked = parked;
    }

    /**
     * @param config the daemon's journal settings (the same ring capacity and checkpoint length).
     * @throws NoSuchFileException when there is no journal at the path.
     */
    public static JournalReader open(final JournalConfig config) throws IOException
    {
        config.validate();
        final File file = config.path().toAbsolutePath().toFile();
        if (!file.isFile() || file.length() == 0)
        {
            throw new NoSuchFileException(file.toString(), null, "no journal (is the daemon running with services?)");
        }
        final File parkedFile = config.parkedPath().toAbsolutePath().toFile();
        final ChronicleMap<Long, byte[]> map = FlowJournal.builder(config).createPersistedTo(file);
        try
        {
            return new JournalReader(config, map, parkedFile.isFile() && parkedFile.length() > 0 ?
                FlowJournal.parkedBuilder(config).createPersistedTo(parkedFile) : null);
        }
        catch (final IOException | RuntimeException ex)
        {
            map.close();
            throw ex;
        }
    }

    /** Visits every flow (the header entry excluded); the summary object is reused between calls. */
    public void forEach(final Consumer<FlowSummary> consumer)
    {
        FlowJournal.forEach(map, config.ringCapacity(), config.checkpointLength(), consumer);
        if (parked != null)
        {
            FlowJournal.forEach(parked, FlowEntryLayout.PARKED_RING_CAPACITY, config.checkpointLength(), consumer);
        }
    }

    /** @return flows in the journal. */
    public long size()
    {
        return Math.max(0, map.longSize() - 1) + (parked == null ? 0 : Math.max(0, parked.longSize() - 1));
    }

    @Override
    public void close()
    {
        map.close();
        if (parked != null)
        {
            parked.close();
        }
    }
}
