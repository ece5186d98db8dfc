package org.inlinetls.appliance.daemon;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices that the configuration file may have changed, without blocking: a {@link WatchService} on the directory
 * that holds it and on the directories of every symlink hop to its target. Watching directories rather than the file
 * catches what editors and deployment tools do: write in place, write a new file and rename it over the old one
 * (vim, Ansible), or swap a symlink (Kubernetes ConfigMaps swap {@code ..data}; releases swap a link to another
 * directory). Any event counts, whatever file it names: the caller debounces and compares the file's bytes.
 */
final class ConfigFileWatcher implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(ConfigFileWatcher.class);
    /** Symlink hops followed, as the kernel's own limit on nested links. */
    private static final int MAX_LINK_HOPS = 40;

    private final Path file;
    private final WatchService watcher;
    private final Map<Path, WatchKey> keys = new HashMap<>();

    /** @throws IOException when no watch service can be made (the caller falls back to SIGHUP only). */
    ConfigFileWatcher(final Path file) throws IOException
    {
        this.file = file.toAbsolutePath().normalize();
        this.watcher = this.file.getFileSystem().newWatchService();
        register();
        if (keys.isEmpty())
        {
            watcher.close();
            throw new IOException("cannot watch the directory of " + this.file);
        }
    }

    /**
     * Drains the pending events; non-blocking.
     *
     * @return true when anything in a watched directory changed since the last call.
     */
    boolean pollChanged()
    {
        boolean changed = false;
        WatchKey key;
        while (null != (key = watcher.poll()))
        {
            changed |= !key.pollEvents().isEmpty(); // OVERFLOW included: something changed
            if (!key.reset())
            {
                keys.values().remove(key); // its directory went (an old Kubernetes revision)
                changed = true;
            }
        }
        if (changed)
        {
            register(); // a swapped link may point into a directory not watched yet
        }
        return changed;
    }

    /** @return the directories watched now. */
    Set<Path> directories()
    {
        return Set.copyOf(keys.keySet());
    }

    private void register()
    {
        for (final Path directory : directoriesToWatch())
        {
            if (!keys.containsKey(directory))
            {
                try
                {
                    keys.put(directory, directory.register(watcher, ENTRY_CREATE, ENTRY_MODIFY, ENTRY_DELETE));
                }
                catch (final IOException ex)
                {
                    LOG.debug("cannot watch {}: {}", directory, ex.toString());
                }
            }
        }
    }

    /** The file's directory, the directory of each symlink hop's target, and that of its real path. */
    private Set<Path> directoriesToWatch()
    {
        final Set<Path> directories = new LinkedHashSet<>();
        Path hop = file;
        for (int i = 0; i < MAX_LINK_HOPS; i++)
        {
            addParent(directories, hop);
            if (!Files.isSymbolicLink(hop))
            {
                break;
            }
            try
            {
                hop = hop.getParent().resolve(Files.readSymbolicLink(hop)).normalize();
            }
            catch (final IOException ex)
            {
                break;
            }
        }
        try
        {
            addParent(directories, file.toRealPath());
        }
        catch (final IOException ex)
        {
            // not there right now (mid-rename): the next event registers again
        }
        return directories;
    }

    private static void addParent(final Set<Path> directories, final Path path)
    {
        final Path parent = path.getParent();
        if (null != parent && Files.isDirectory(parent))
        {
            directories.add(parent);
        }
    }

    @Override
    public void close()
    {
        try
        {
            watcher.close();
        }
        catch (final IOException ex)
        {
            LOG.debug("closing the config watcher: {}", ex.toString());
        }
    }
}
