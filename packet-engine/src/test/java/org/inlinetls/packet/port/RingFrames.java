package org.inlinetls.packet.port;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * Test frames and the ring tests' shared checks: numbered frames of a local experimental EtherType, draining a port
 * into a map, and counting this JVM's descriptors and mappings (sockets: {@code NetnsLab.openSockets}).
 */
final class RingFrames
{
    /** IEEE 802 local experimental EtherType: the kernel's own traffic (IPv6 ND, MLD) never uses it. */
    static final int TEST_ETHER_TYPE = 0x88B5;
    /** Offset of the sequence number in a test frame. */
    static final int SEQ_OFFSET = 14;

    private RingFrames()
    {
    }

    /** Ethernet frame to 02:00:00:00:00:0a from 02:00:00:00:00:0b, test EtherType, sequence number, random bytes. */
    static byte[] testFrame(final Random random, final int seq, final int length)
    {
        final byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        final UnsafeBuffer b = new UnsafeBuffer(bytes);
        b.putLong(0, 0x0200_0000_000a_0200L, ByteOrder.BIG_ENDIAN);
        b.putInt(8, 0x0000_000b, ByteOrder.BIG_ENDIAN);
        b.putShort(12, (short)TEST_ETHER_TYPE, ByteOrder.BIG_ENDIAN);
        b.putInt(SEQ_OFFSET, seq, ByteOrder.BIG_ENDIAN);
        return bytes;
    }

    /** @return a handler keeping a copy of each test frame by sequence number; other frames are ignored. */
    static FrameHandler collector(final Map<Integer, byte[]> into)
    {
        return (buffer, offset, length, timestampNs) ->
        {
            if (length >= 18 && (buffer.getShort(offset + 12, ByteOrder.BIG_ENDIAN) & 0xFFFF) == TEST_ETHER_TYPE)
            {
                final byte[] copy = new byte[length];
                buffer.getBytes(offset, copy);
                into.put(buffer.getInt(offset + SEQ_OFFSET, ByteOrder.BIG_ENDIAN), copy);
            }
        };
    }

    /** Receives test frames until {@code expected} are in, or for 200 ms past the last one when 0 are expected. */
    static void drain(final PacketPort port, final Map<Integer, byte[]> into, final int expected)
    {
        final FrameHandler handler = collector(into);
        final long deadline = System.nanoTime() + (expected == 0 ? 200_000_000L : 5_000_000_000L);
        while (System.nanoTime() < deadline && (expected == 0 || into.size() < expected))
        {
            if (port.receive(handler, 64) == 0)
            {
                Thread.onSpinWait();
            }
        }
    }

    /** @return every open descriptor of this JVM. */
    static long openDescriptors() throws IOException
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd")))
        {
            return fds.count();
        }
    }

    /** @return lines of /proc/self/maps: one per mapping of this JVM. */
    static long mappings() throws IOException
    {
        try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps")))
        {
            return maps.count();
        }
    }
}
