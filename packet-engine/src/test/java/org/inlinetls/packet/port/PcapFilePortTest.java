package org.inlinetls.packet.port;

import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.packet.engine.SampleFrames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PcapFilePortTest
{
    @TempDir
    Path dir;

    private final List<byte[]> frames = new ArrayList<>();
    private final List<Long> stamps = new ArrayList<>();

    private final FrameHandler collect = (buffer, offset, length, ts) ->
    {
        final byte[] copy = new byte[length];
        buffer.getBytes(offset, copy);
        frames.add(copy);
        stamps.add(ts);
    };

    @Test
    void shouldRoundTripFramesAndNanosecondStamps() throws IOException
    {
        roundTrip(PcapFormat.Resolution.NANOS, 1_700_000_000_123_456_789L, 1_700_000_000_123_456_789L);
    }

    @Test
    void shouldRoundTripFramesAndMicrosecondStampsTruncatingNanos() throws IOException
    {
        roundTrip(PcapFormat.Resolution.MICROS, 1_700_000_000_123_456_789L, 1_700_000_000_123_456_000L);
    }

    private void roundTrip(final PcapFormat.Resolution resolution, final long stampNs, final long expectedNs)
        throws IOException
    {
        final Path file = dir.resolve("round.pcap");
        final CachedNanoClock clock = new CachedNanoClock();
        final byte[][] written = {SampleFrames.arpRequest(), SampleFrames.clientTcp(7, 1000),
            SampleFrames.serverTcp(9, 1460), SampleFrames.clientTcp(8, 0)};
        try (PcapFileWriterPort writer = new PcapFileWriterPort(file, resolution, 65535, clock))
        {
            for (int i = 0; i < written.length; i++)
            {
                clock.update(stampNs + i * 1_000_000_000L);
                assertTrue(writer.send(new UnsafeBuffer(written[i]), 0, written[i].length));
            }
        }
        try (PcapFileReaderPort reader = new PcapFileReaderPort(file))
        {
            assertEquals(resolution, reader.resolution());
            while (!reader.isEndOfStream())
            {
                reader.receive(collect, 3);
            }
            assertEquals(null, reader.error());
        }
        assertEquals(written.length, frames.size());
        for (int i = 0; i < written.length; i++)
        {
            assertArrayEquals(written[i], frames.get(i));
            assertEquals(expectedNs + i * 1_000_000_000L, stamps.get(i));
        }
    }

    @Test
    void shouldReadBigEndianFiles() throws IOException
    {
        final byte[] frame = SampleFrames.clientTcp(1, 10);
        final ByteBuffer file = ByteBuffer.allocate(24 + 16 + frame.length).order(ByteOrder.BIG_ENDIAN);
        file.putInt(PcapFormat.MAGIC_MICROS).putShort((short)2).putShort((short)4).putInt(0).putInt(0)
            .putInt(65535).putInt(1);
        file.putInt(100).putInt(5).putInt(frame.length).putInt(frame.length).put(frame);
        final Path path = dir.resolve("be.pcap");
        Files.write(path, file.array());
        try (PcapFileReaderPort reader = new PcapFileReaderPort(path))
        {
            reader.receive(collect, 10);
        }
        assertArrayEquals(frame, frames.get(0));
        assertEquals(100_000_005_000L, stamps.get(0));
    }

    @Test
    void shouldStopAtCorruptRecordWithAClearError() throws IOException
    {
        final Path file = dir.resolve("corrupt.pcap");
        final CachedNanoClock clock = new CachedNanoClock();
        try (PcapFileWriterPort writer = new PcapFileWriterPort(file, PcapFormat.Resolution.MICROS, 65535, clock))
        {
            final byte[] frame = SampleFrames.clientTcp(1, 100);
            writer.send(new UnsafeBuffer(frame), 0, frame.length);
            writer.send(new UnsafeBuffer(frame), 0, frame.length);
        }
        final byte[] bytes = Files.readAllBytes(file);
        final int secondRecord = 24 + 16 + SampleFrames.clientTcp(1, 100).length;
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(secondRecord + 8, 0x7fff_0000);
        Files.write(file, bytes);
        try (PcapFileReaderPort reader = new PcapFileReaderPort(file))
        {
            while (!reader.isEndOfStream())
            {
                reader.receive(collect, 10);
            }
            assertEquals(1, frames.size());
            assertNotNull(reader.error());
            assertTrue(reader.error().contains("out of range"), reader.error());
        }
    }

    @Test
    void shouldReportTruncatedLastRecord() throws IOException
    {
        final Path file = dir.resolve("short.pcap");
        try (PcapFileWriterPort writer =
            new PcapFileWriterPort(file, PcapFormat.Resolution.MICROS, 65535, new CachedNanoClock()))
        {
            final byte[] frame = SampleFrames.clientTcp(1, 100);
            writer.send(new UnsafeBuffer(frame), 0, frame.length);
        }
        final byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 5));
        try (PcapFileReaderPort reader = new PcapFileReaderPort(file))
        {
            reader.receive(collect, 10);
            assertTrue(reader.isEndOfStream());
            assertTrue(reader.error().contains("truncated record"), reader.error());
        }
    }

    @Test
    void shouldRejectPcapngAndNonEthernetFiles() throws IOException
    {
        final Path pcapng = dir.resolve("x.pcapng");
        Files.write(pcapng, new byte[]{0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0});
        final IOException ngError = assertThrows(IOException.class, () -> new PcapFileReaderPort(pcapng));
        assertTrue(ngError.getMessage().contains("pcapng"), ngError.getMessage());

        final ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(PcapFormat.MAGIC_MICROS).putShort((short)2).putShort((short)4).putInt(0).putInt(0)
            .putInt(65535).putInt(101);
        final Path raw = dir.resolve("raw.pcap");
        Files.write(raw, header.array());
        final IOException rawError = assertThrows(IOException.class, () -> new PcapFileReaderPort(raw));
        assertTrue(rawError.getMessage().contains("not Ethernet"), rawError.getMessage());

        final Path empty = dir.resolve("empty.pcap");
        Files.write(empty, new byte[3]);
        assertThrows(IOException.class, () -> new PcapFileReaderPort(empty));
    }
}
