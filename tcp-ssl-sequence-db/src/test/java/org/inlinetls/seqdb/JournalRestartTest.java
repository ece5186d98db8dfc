package org.inlinetls.seqdb;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class JournalRestartTest
{
    private static final int FLOWS = 200;

    private Path directory;

    @BeforeEach
    void before() throws Exception
    {
        directory = JournalTestSupport.newShmDirectory("restart");
    }

    @AfterEach
    void after()
    {
        JournalTestSupport.deleteRecursively(directory);
    }

    @Test
    void shouldReturnTheSameEntriesAfterClose() throws Exception
    {
        final JournalConfig config = JournalTestSupport.config(directory).maxFlows(FLOWS * 2L);
        final long seed;
        try (FlowJournal journal = FlowJournal.open(config))
        {
            seed = journal.seed();
            for (int i = 0; i < FLOWS; i++)
            {
                JournalWriterMain.write(journal, i);
            }
            try (FlowEntry entry = journal.acquire(JournalTestSupport.ipv4Key(0)))
            {
                entry.state(99);
            }
        }
        try (FlowJournal journal = FlowJournal.open(config))
        {
            assertEquals(seed, journal.seed());
            assertEquals(FLOWS, journal.size());
            for (int i = 0; i < FLOWS; i++)
            {
                JournalWriterMain.check(journal, i);
            }
        }
    }

    @Test
    @Timeout(value = 45, unit = TimeUnit.SECONDS)
    void shouldReturnTheSameEntriesAfterTheWriterIsKilled() throws Exception
    {
        final Path file = directory.resolve("flows.cm3");
        final List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(JournalWriterMain.class.getName());
        command.add(file.toString());
        command.add(Integer.toString(FLOWS));
        final Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        final long seed;
        try
        {
            final BufferedReader out = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null && !line.startsWith("READY "))
            {
                System.out.println("child: " + line);
            }
            assertNotNull(line, "child ended before READY");
            seed = Long.parseLong(line.substring("READY ".length()));
        }
        finally
        {
            child.destroyForcibly();
            assertTrue(child.waitFor(20, TimeUnit.SECONDS));
        }
        assertEquals(137, child.exitValue(), "killed by SIGKILL");

        try (FlowJournal journal = FlowJournal.open(
            JournalTestSupport.config(directory).maxFlows(FLOWS * 2L)))
        {
            assertEquals(seed, journal.seed());
            assertEquals(FLOWS, journal.size());
            for (int i = 0; i < FLOWS; i++)
            {
                JournalWriterMain.check(journal, i);
            }
            assertEquals(InsertResult.INSERTED, journal.insert(JournalTestSupport.ipv4Key(FLOWS), 1));
        }
    }
}
