package org.inlinetls.modes;

import org.inlinetls.seqdb.FlowJournal;
import org.inlinetls.seqdb.JournalConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The throw-away journal a mode test class shares between its tests: on tmpfs (else target/), deleted after. */
public final class TestJournals
{
    private TestJournals()
    {
    }

    /** A file named for the test class and this JVM, on /dev/shm when there is one. */
    public static Path file(final String name)
    {
        final Path dir = Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm") : Path.of("target");
        return dir.resolve("itls-" + name + "-" + ProcessHandle.current().pid() + ".dat");
    }

    public static FlowJournal open(final Path file, final int maxFlows, final int ringCapacity) throws IOException
    {
        return FlowJournal.open(new JournalConfig().path(file).maxFlows(maxFlows).ringCapacity(ringCapacity)
            .allowNonTmpfsForTests(!file.startsWith("/dev/shm")));
    }

    /** Closes {@code journal} (if open) and deletes its file, lock and parked flows' file (NAME-parked.dat). */
    public static void delete(final FlowJournal journal, final Path file) throws IOException
    {
        if (null != journal)
        {
            journal.close();
        }
        Files.deleteIfExists(file);
        Files.deleteIfExists(file.resolveSibling(file.getFileName() + ".lock"));
        Files.deleteIfExists(file.resolveSibling(file.getFileName().toString().replaceFirst("\\.dat$", "-parked.dat")));
    }
}
