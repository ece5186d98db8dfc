package org.inlinetls.packet.port;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.shim.NativeShim;
import org.inlinetls.shim.NetNamespace;
import org.inlinetls.shim.NetnsLab;
import org.inlinetls.shim.PacketSocket;
import org.inlinetls.shim.Privileges;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Root-only: each test builds its own namespace with a veth pair a/b and moves frames between two ring ports.
 * Skipped (not failed) only when not root.
 */
@SuppressWarnings("try") // namespace handles are held for their scope, not referenced
class RingPortTest
{
    /** IEEE 802 local experimental EtherType: the kernel's own traffic (IPv6 ND, MLD) never uses it. */
    private static final int TEST_ETHER_TYPE = 0x88B5;
    private static final long SEED = Long.getLong("ringport.seed", System.nanoTime());

    private NetnsLab lab;

    @BeforeEach
    void createLab() throws IOException
    {
        assumeTrue(NativeShim.isAvailable() && Privileges.isRoot(), "needs root on Linux");
        assertTrue(NetnsLab.toolsPresent(), "root tests need iproute2 and ethtool installed");
        lab = NetnsLab.createWithOffloadsOff();
    }

    @AfterEach
    void deleteLab() throws IOException
    {
        if (lab != null)
        {
            lab.close();
        }
    }

    private RingPort open(final String ifName) throws IOException
    {
        try (NetNamespace.Entered ignored = NetNamespace.enter(lab.name))
        {
            return RingPort.open(ifName, PacketSocket.Config.defaults().blockCount(4));
        }
    }

    @Test
    void shouldBeAvailableToRoot()
    {
        assertNull(RingPort.unavailabilityCause());
    }

    @Test
    void shouldReceiveEveryFrameIntactFrom60To1514Bytes() throws IOException
    {
        final Random random = new Random(SEED);
        final Map<Integer, byte[]> sent = new HashMap<>();
        final Map<Integer, byte[]> received = new HashMap<>();
        try (RingPort a = open("a"); RingPort b = open("b"))
        {
            final UnsafeBuffer frame = new UnsafeBuffer(new byte[1514]);
            int seq = 0;
            for (int length = 60; length <= 1514; length++)
            {
                final byte[] bytes = testFrame(random, seq, length);
                sent.put(seq++, bytes);
                frame.wrap(bytes);
                assertTrue(b.send(frame, 0, length), "send of " + length + " B, errno " + b.lastTxErrno());
                if (seq % 8 == 0)
                {
                    drain(a, received, seq);
                }
            }
            drain(a, received, seq);

            assertEquals(sent.size(), received.size(), "seed " + SEED);
            for (final Map.Entry<Integer, byte[]> e : sent.entrySet())
            {
                assertArrayEquals(e.getValue(), received.get(e.getKey()), "frame " + e.getKey() + ", seed " + SEED);
            }
            assertEquals(0, a.rxErrors());
            assertEquals(0, b.txErrors());
            assertEquals(0, a.kernelDrops());
        }
    }

    @Test
    void shouldNotSeeItsOwnOutgoingFrames() throws IOException
    {
        final Random random = new Random(SEED);
        final Map<Integer, byte[]> onA = new HashMap<>();
        final Map<Integer, byte[]> onB = new HashMap<>();
        try (RingPort a = open("a"); RingPort b = open("b"))
        {
            assertTrue(a.socket().isIgnoringOutgoing());
            for (int seq = 0; seq < 100; seq++)
            {
                assertTrue(a.send(new UnsafeBuffer(testFrame(random, seq, 200)), 0, 200));
                if (seq % 10 == 9)
                {
                    // a 1 ms block retire fills the 4 blocks within 4 ms of sparse frames: keep reading
                    drain(b, onB, seq + 1);
                }
            }
            drain(a, onA, 0);
            assertEquals(100, onB.size(), "the peer sees every frame; b drops " + b.kernelDrops() + ", truncated " +
                b.rxErrors() + ", a tx errors " + a.txErrors() + "\n" + lab.exec(NetnsLab.IP, "-s", "link"));
            assertEquals(0, onA.size(), "the sender sees none of its own");
        }
    }

    @Test
    void shouldReleaseEveryDescriptorAndMappingOnClose() throws IOException
    {
        final long fdsBefore = openDescriptors();
        long lastRing = 0;
        for (int i = 0; i < 100; i++)
        {
            final RingPort port = open("a");
            lastRing = port.socket().ringAddress();
            port.close();
            port.close(); // idempotent
        }
        assertEquals(fdsBefore, openDescriptors());
        final String start = Long.toHexString(lastRing) + "-";
        try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps")))
        {
            assertTrue(maps.noneMatch(line -> line.startsWith(start)), "ring at " + start + " still mapped");
        }
    }

    @Test
    void shouldNameAMissingInterface()
    {
        final IOException ex = assertThrows(IOException.class, () -> open("itls-nope0"));
        assertTrue(ex.getMessage().startsWith("no network interface 'itls-nope0' in network namespace net:["),
            ex.getMessage());
    }

    /**
     * Open socket descriptors of this JVM: only sockets are counted, because the JVM opens and closes other files
     * (class-path jars, /proc reads) on its own at any time.
     */
    private static long openDescriptors() throws IOException
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

    /** Ethernet frame to 02:00:00:00:00:0a from 02:00:00:00:00:0b, test EtherType, sequence number, random bytes. */
    private static byte[] testFrame(final Random random, final int seq, final int length)
    {
        final byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        final UnsafeBuffer b = new UnsafeBuffer(bytes);
        b.putLong(0, 0x0200_0000_000a_0200L, ByteOrder.BIG_ENDIAN);
        b.putInt(8, 0x0000_000b, ByteOrder.BIG_ENDIAN);
        b.putShort(12, (short)TEST_ETHER_TYPE, ByteOrder.BIG_ENDIAN);
        b.putInt(14, seq, ByteOrder.BIG_ENDIAN);
        return bytes;
    }

    /** Receives test frames until {@code expected} are in, or for 200 ms past the last one when 0 are expected. */
    private static void drain(final RingPort port, final Map<Integer, byte[]> into, final int expected)
    {
        final FrameHandler handler = (buffer, offset, length, timestampNs) ->
        {
            if (length >= 18 && (buffer.getShort(offset + 12, ByteOrder.BIG_ENDIAN) & 0xFFFF) == TEST_ETHER_TYPE)
            {
                final byte[] copy = new byte[length];
                buffer.getBytes(offset, copy);
                into.put(buffer.getInt(offset + 14, ByteOrder.BIG_ENDIAN), copy);
            }
        };
        final long deadline = System.nanoTime() + (expected == 0 ? 200_000_000L : 5_000_000_000L);
        while (System.nanoTime() < deadline && (expected == 0 || into.size() < expected))
        {
            if (port.receive(handler, 64) == 0)
            {
                Thread.onSpinWait();
            }
        }
    }
}
