package org.inlinetls.seqdb;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Unique journal directories under /dev/shm (tmpfs) for tests, deleted afterwards.
 */
final class JournalTestSupport
{
    static final Path SHM = Path.of("/dev/shm");

    private JournalTestSupport()
    {
    }

    static Path newShmDirectory(final String name) throws IOException
    {
        return Files.createTempDirectory(SHM, "inline-tls-" + name + "-");
    }

    static JournalConfig config(final Path directory)
    {
        return new JournalConfig().path(directory.resolve("flows.cm3")).maxFlows(1024);
    }

    static void deleteRecursively(final Path root)
    {
        if (root == null || !Files.exists(root))
        {
            return;
        }
        try (Stream<Path> paths = Files.walk(root))
        {
            paths.sorted(Comparator.reverseOrder()).forEach(
                (p) ->
                {
                    try
                    {
                        Files.deleteIfExists(p);
                    }
                    catch (final IOException ex)
                    {
                        throw new UncheckedIOException(ex);
                    }
                });
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    static FlowKey ipv4Key(final int i)
    {
        return new FlowKey().ipv4(0x0A000000 | i, 40000 + (i & 0x3FFF), 0xC0A80001, 443);
    }
}
