package org.inlinetls.packet.counter;

import org.inlinetls.packet.frame.FrameAnomaly;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CountersFileTest
{
    @TempDir
    Path dir;

    @Test
    void shouldLetAnotherMappingReadCountersTheOwnerWrites() throws IOException
    {
        final Path file = dir.resolve("counters.dat");
        try (CountersFile owner = CountersFile.create(file, 128))
        {
            final PortCounters outside = new PortCounters(owner.newManager(), "outside");
            outside.get(CounterDescriptor.FRAMES_IN).getAndAddRelease(42);
            outside.malformed(FrameAnomaly.IPV4_FRAGMENT).incrementRelease();

            try (CountersFile reader = CountersFile.open(file))
            {
                final Map<String, Long> values = new LinkedHashMap<>();
                CountersFile.forEach(reader.reader(), values::put);
                assertEquals(42L, values.get("outside frames_in"));
                assertEquals(1L, values.get("outside malformed ipv4_fragment"));
                assertEquals(0L, values.get("outside tx_failed"));
                assertEquals(ProcessHandle.current().pid(), reader.pid());
                assertTrue(reader.startEpochMs() > 0);
            }
        }
    }

    @Test
    void shouldRefuseFilesThatAreNotCountersFiles() throws IOException
    {
        final Path file = dir.resolve("other.dat");
        Files.write(file, new byte[64]);
        assertThrows(IOException.class, () -> CountersFile.open(file));
        final Path tiny = dir.resolve("tiny.dat");
        Files.write(tiny, new byte[3]);
        assertThrows(IOException.class, () -> CountersFile.open(tiny));
    }
}
