package org.inlinetls.appliance.daemon;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.inlinetls.packet.engine.FrameClassifier;
import org.inlinetls.packet.engine.Side;
import org.inlinetls.packet.engine.Verdict;
import org.inlinetls.packet.frame.ParsedFrame;
import org.inlinetls.packet.port.PcapFileReaderPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The plaintext export: frames tapped on the data path arrive in a pcap file of mode 0600 with their timestamps, in
 * order; the file rotates at its size; a full ring drops and counts instead of waiting; only the server frames the
 * engine consumed are exported by the classifier tap.
 */
class PlaintextExportTest
{
    private Path directory;
    private CountersManager counters;

    @BeforeEach
    void before() throws Exception
    {
        directory = Files.createTempDirectory("plaintext-export");
        counters = new CountersManager(new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 512)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 128)));
    }

    @AfterEach
    void after() throws Exception
    {
        try (var files = Files.list(directory))
        {
            for (final Path file : files.toList())
            {
                Files.delete(file);
            }
        }
        Files.delete(directory);
    }

    private PlaintextExport export(final Path file, final long maxBytes) throws Exception
    {
        return new PlaintextExport(file, maxBytes, counters.newCounter("frames"), counters.newCounter("dropped"),
            counters.newCounter("rotations"));
    }

    private static byte[] frame(final int i, final int length)
    {
        final byte[] frame = new byte[length];
        Arrays.fill(frame, (byte)i);
        return frame;
    }

    private static List<byte[]> read(final Path file) throws Exception
    {
        final List<byte[]> frames = new ArrayList<>();
        try (PcapFileReaderPort reader = new PcapFileReaderPort(file))
        {
            while (reader.receive((buffer, offset, length, timestampNs) ->
            {
                final byte[] copy = new byte[length];
                buffer.getBytes(offset, copy);
                frames.add(copy);
            }, 64) > 0)
            {
                // all of it
            }
        }
        return frames;
    }

    @Test
    void shouldWriteTappedFramesInOrderToAPrivateFile() throws Exception
    {
        final Path file = directory.resolve("plain.pcap");
        final PlaintextExport export = export(file, 1L << 30);
        for (int i = 0; i < 100; i++)
        {
            export.tap(new UnsafeBuffer(frame(i, 60 + i)), 0, 60 + i, 1_700_000_000_000_000_000L + i * 1_000L);
        }
        export.doWork();
        export.close();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        final List<byte[]> frames = read(file);
        assertEquals(100, frames.size());
        for (int i = 0; i < 100; i++)
        {
            assertArrayEquals(frame(i, 60 + i), frames.get(i));
        }
    }

    @Test
    void shouldRotateAtItsSizeKeepingOneOldFile() throws Exception
    {
        final Path file = directory.resolve("plain.pcap");
        final PlaintextExport export = export(file, 100_000);
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 100; i++)
            {
                export.tap(new UnsafeBuffer(frame(i, 1_500)), 0, 1_500, 1L);
            }
            export.doWork(); // 150 KB written: past the size, the file rotates
        }
        for (int i = 0; i < 10; i++)
        {
            export.tap(new UnsafeBuffer(frame(i, 1_500)), 0, 1_500, 1L);
        }
        export.close();
        assertEquals(3, findCounter("rotations").get());
        assertTrue(Files.exists(directory.resolve("plain.pcap.1")));
        assertEquals("rw-------", PosixFilePermissions.toString(
            Files.getPosixFilePermissions(directory.resolve("plain.pcap.1"))));
        assertEquals(100, read(directory.resolve("plain.pcap.1")).size(), "the third round's file, kept");
        assertEquals(10, read(file).size(), "the frames after the third rotation");
    }

    @Test
    void shouldDropAndCountWhenTheWriterFallsBehind() throws Exception
    {
        final PlaintextExport export = export(directory.resolve("plain.pcap"), 1L << 30);
        final int frames = PlaintextExport.RING_CAPACITY_BYTES / 1_500 + 100;
        for (int i = 0; i < frames; i++)
        {
            export.tap(new UnsafeBuffer(frame(i, 1_500)), 0, 1_500, 1L);
        }
        final AtomicCounter dropped = findCounter("dropped");
        assertTrue(dropped.get() >= 100, "dropped " + dropped.get());
        export.close();
        assertEquals(frames - dropped.get(), read(directory.resolve("plain.pcap")).size());
    }

    @Test
    void shouldExportOnlyTheServerFramesTheEngineTook() throws Exception
    {
        final PlaintextExport export = export(directory.resolve("plain.pcap"), 1L << 30);
        final FrameClassifier engine = (ingress, buffer, frame, nowNs) ->
            buffer.getByte(frame.frameOffset) == 1 ? Verdict.CONSUMED : Verdict.FORWARD;
        final FrameClassifier tapped = export.tapping(engine, () -> 5L);
        final ParsedFrame parsed = new ParsedFrame();
        parsed.frameOffset = 0;
        parsed.frameLength = 64;
        assertEquals(Verdict.CONSUMED, tapped.classify(Side.INSIDE, new UnsafeBuffer(frame(1, 64)), parsed, 0));
        assertEquals(Verdict.FORWARD, tapped.classify(Side.INSIDE, new UnsafeBuffer(frame(2, 64)), parsed, 0));
        assertEquals(Verdict.CONSUMED, tapped.classify(Side.OUTSIDE, new UnsafeBuffer(frame(1, 64)), parsed, 0));
        export.close();
        final List<byte[]> frames = read(directory.resolve("plain.pcap"));
        assertEquals(1, frames.size());
        assertArrayEquals(frame(1, 64), frames.get(0));
    }

    private AtomicCounter findCounter(final String label)
    {
        final int[] id = {-1};
        counters.forEach((counterId, typeId, key, text) ->
        {
            if (text.equals(label))
            {
                id[0] = counterId;
            }
        });
        return new AtomicCounter(counters.valuesBuffer(), id[0]);
    }
}
