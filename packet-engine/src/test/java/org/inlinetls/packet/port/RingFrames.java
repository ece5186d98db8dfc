package org.inlinetls.packet.port;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.shim.NetnsLab;

/**
 * Test frames and the ring tests' shared checks: numbered frames of a local experimental EtherType, draining a port
 * into a map, and counting this JVM's descriptors and mappings.
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

    /**
     * Open socket descriptors of this JVM: only sockets are counted, because the JVM opens and closes other files
     * (class-path jars, /proc reads) on its own at any time.
     */
    static long openSockets() throws IOException
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd")))
        {
            return fds.filter(fd ->
            {
                try
                {
                    return Files.readSymbolicLink(fd).toString().startsWith("socket:");
                }
                catch (final IOException ex)
                {
                    return false;
                }
            }).count();
        }
    }

    /**
     * Waits until each device is up with its real qdisc attached. Right after {@code ip link set up} a veth keeps the
     * {@code noop} qdisc until the link watcher activates it, and noop drops every frame while {@code send} and
     * {@code sendmmsg} report success (NET_XMIT_CN maps to no error): a test sending then would lose frames silently.
     */
    static void awaitLinksUp(final NetnsLab lab, final String... devices) throws IOException
    {
        final long deadline = System.nanoTime() + 5_000_000_000L;
        for (final String dev : devices)
        {
            String link = lab.exec(NetnsLab.IP, "link", "show", "dev", dev);
            while (!(link.contains("state UP") && !link.contains("qdisc noop")))
            {
                if (System.nanoTime() - deadline > 0)
                {
                    throw new IllegalStateException(dev + " not up after 5 s: " + link);
                }
                Thread.onSpinWait();
                link = lab.exec(NetnsLab.IP, "link", "show", "dev", dev);
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

    /** @return true when a mapping of this JVM covers {@code address}. */
    static boolean isMapped(final long address) throws IOException
    {
        try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps")))
        {
            // a range test, not a start test: an anonymous mapping may merge with a neighbour of the same flags
            return maps.anyMatch(line ->
            {
                final int dash = line.indexOf('-');
                final long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
                final long end = Long.parseUnsignedLong(line.substring(dash + 1, line.indexOf(' ')), 16);
                return Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0;
            });
        }
    }
}
