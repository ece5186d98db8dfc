package org.inlinetls.packet.port;

import static org.inlinetls.packet.port.RingFrames.TEST_ETHER_TYPE;
import static org.inlinetls.packet.port.RingFrames.collector;
import static org.inlinetls.packet.port.RingFrames.drain;
import static org.inlinetls.packet.port.RingFrames.mappings;
import static org.inlinetls.packet.port.RingFrames.openDescriptors;
import static org.inlinetls.packet.port.RingFrames.testFrame;
import static org.inlinetls.shim.NetnsLab.isMapped;
import static org.inlinetls.shim.NetnsLab.openSockets;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.shim.NetnsLab;
import org.inlinetls.shim.PacketSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Root-only: each test builds its own namespace with a veth pair a/b and moves frames between two ring ports.
 * Skipped (not failed) only when not root.
 */
class RingPortTest
{
    private static final long SEED = Long.getLong("ringport.seed", System.nanoTime());

    NetnsLab lab;

    @BeforeEach
    void createLab() throws IOException
    {
        NetnsLab.assumeRootWithTools();
        lab = NetnsLab.createWithOffloadsOff();
        lab.awaitLinksUp("a", "b");
    }

    @AfterEach
    void deleteLab() throws IOException
    {
        if (lab != null)
        {
            lab.close();
        }
    }

    /** The socket options every port of a test starts from; {@link RingPortTxRingTest} adds the TX ring. */
    PacketSocket.Config config()
    {
        return PacketSocket.Config.defaults();
    }

    RingPort open(final String ifName) throws IOException
    {
        return open(ifName, config().blockCount(4));
    }

    RingPort open(final String ifName, final PacketSocket.Config config) throws IOException
    {
        return lab.openInside(() -> RingPort.open(ifName, config));
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
                    b.flush(System.nanoTime());
                    drain(a, received, seq);
                }
            }
            b.flush(System.nanoTime());
            drain(a, received, seq);

            assertEquals(sent.size(), received.size(), "seed " + SEED);
            for (final Map.Entry<Integer, byte[]> e : sent.entrySet())
            {
                assertArrayEquals(e.getValue(), received.get(e.getKey()), "frame " + e.getKey() + ", seed " + SEED);
            }
            assertEquals(0, a.rxErrors());
            assertEquals(0, b.txErrors());
            a.flush(System.nanoTime()); // the first flush reads the ring statistics
            assertEquals(0, a.kernelDrops());
        }
    }

    @Test
    void shouldQueueUntilFlushAndSendABatchInOneCall() throws IOException
    {
        final Random random = new Random(SEED);
        final Map<Integer, byte[]> received = new HashMap<>();
        try (RingPort a = open("a"); RingPort b = open("b", config().blockCount(4).txSlots(64)))
        {
            assertEquals(64, b.txRoom());
            for (int seq = 0; seq < 64; seq++)
            {
                assertTrue(b.send(new UnsafeBuffer(testFrame(random, seq, 100 + seq)), 0, 100 + seq));
            }
            assertEquals(0, b.txRoom());
            assertEquals(64, b.txQueued());
            drain(a, received, 0);
            assertEquals(0, received.size(), "nothing leaves before flush");
            final long callsBefore = b.socket().txQueue().sendCalls();

            assertEquals(64, b.flush(System.nanoTime()));

            assertEquals(1, b.socket().txQueue().sendCalls() - callsBefore, "one sendmmsg for the whole queue");
            assertEquals(64, b.txRoom());
            drain(a, received, 64);
            assertEquals(64, received.size());
        }
    }

    @Test
    void shouldFlushAFullQueueBeforeRefusingAFrame() throws IOException
    {
        final Random random = new Random(SEED);
        final Map<Integer, byte[]> received = new HashMap<>();
        try (RingPort a = open("a"); RingPort b = open("b", config().blockCount(4).txSlots(32)))
        {
            for (int seq = 0; seq < 80; seq++)
            {
                assertTrue(b.send(new UnsafeBuffer(testFrame(random, seq, 200)), 0, 200), "frame " + seq);
            }
            assertEquals(80 - 64, b.txQueued(), "two full queues went out from send()");
            b.flush(System.nanoTime());
            drain(a, received, 80);
            assertEquals(80, received.size());
            assertEquals(0, b.txErrors());
        }
    }

    @Test
    void shouldDropQueuedFramesOnlyForAHardErrorAndKeepTheErrno() throws IOException
    {
        final Random random = new Random(SEED);
        try (RingPort b = open("b"))
        {
            lab.exec(NetnsLab.IP, "link", "set", "dev", "b", "down");
            for (int seq = 0; seq < 3; seq++)
            {
                assertTrue(b.send(new UnsafeBuffer(testFrame(random, seq, 100)), 0, 100));
            }
            assertEquals(3, b.flush(System.nanoTime()), "three frames left the queue");
            assertEquals(3, b.txErrors());
            assertEquals(100, b.lastTxErrno(), "ENETDOWN");
            assertEquals(0, b.txQueued());
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
                    a.flush(System.nanoTime());
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
    void shouldDropAFrameLargerThanABlockWithoutDeliveringItCutShort() throws IOException
    {
        lab.exec(NetnsLab.IP, "link", "set", "dev", "a", "mtu", "9000");
        lab.exec(NetnsLab.IP, "link", "set", "dev", "b", "mtu", "9000");
        final Random random = new Random(SEED);
        final Map<Integer, byte[]> received = new HashMap<>();
        final PacketSocket.Config smallBlocks = config().blockSize(4096).blockCount(8);
        // b sends the jumbo frame on the control path, which only a socket without a TX ring has
        try (RingPort a = open("a", smallBlocks); RingPort b = open("b", PacketSocket.Config.defaults().blockCount(4)))
        {
            final UnsafeBuffer jumbo = new UnsafeBuffer(BufferUtil.allocateDirectAligned(8192, 64));
            jumbo.putBytes(0, testFrame(random, 1, 6000));
            assertEquals(6000, b.socket().send(jumbo.addressOffset(), 6000), "jumbo send on MTU 9000");
            assertTrue(b.send(new UnsafeBuffer(testFrame(random, 2, 1000)), 0, 1000));
            b.flush(System.nanoTime());

            drain(a, received, 1);
            drain(a, received, 0);

            assertEquals(1, received.size());
            assertEquals(1000, received.get(2).length, "the frame after the jumbo one is delivered");
            assertEquals(1, a.socket().truncatedFrames());
            assertEquals(1, a.rxErrors());
            assertFalse(b.send(jumbo, 0, 6000), "larger than a TX slot");
            assertEquals(1, b.txErrors());
        }
    }

    @Test
    void shouldPutBackTheVlanTagsTheKernelStrips() throws IOException
    {
        final Random random = new Random(SEED);
        final Map<Integer, byte[]> received = new HashMap<>();
        try (RingPort a = open("a"); RingPort b = open("b"))
        {
            final byte[] ctag = vlanTagged(testFrame(random, 1, 300), 0x8100, 0x2064);  // PCP 1, VID 100
            final byte[] stag = vlanTagged(testFrame(random, 2, 300), 0x88A8, 0x0005);  // 802.1ad, VID 5
            final byte[] vid0 = vlanTagged(testFrame(random, 3, 64), 0x8100, 0xE000);   // priority tag, VID 0
            final byte[] plain = testFrame(random, 4, 300);
            for (final byte[] frame : new byte[][] {ctag, stag, vid0, plain})
            {
                assertTrue(b.send(new UnsafeBuffer(frame), 0, frame.length));
            }
            b.flush(System.nanoTime());

            final FrameHandler keepTest = collector(received);
            final Map<Integer, byte[]> any = new HashMap<>();
            final long deadline = System.nanoTime() + 5_000_000_000L;
            while (any.size() < 4 && System.nanoTime() < deadline)
            {
                a.receive((buffer, offset, length, ts) ->
                {
                    final int type = buffer.getShort(offset + 12, ByteOrder.BIG_ENDIAN) & 0xFFFF;
                    final int inner = buffer.getShort(offset + 16, ByteOrder.BIG_ENDIAN) & 0xFFFF;
                    if (type == TEST_ETHER_TYPE)
                    {
                        keepTest.onFrame(buffer, offset, length, ts);
                        any.put(buffer.getInt(offset + 14, ByteOrder.BIG_ENDIAN), null);
                    }
                    else if (inner == TEST_ETHER_TYPE)
                    {
                        final byte[] copy = new byte[length];
                        buffer.getBytes(offset, copy);
                        any.put(buffer.getInt(offset + 18, ByteOrder.BIG_ENDIAN), copy);
                    }
                }, 64);
            }

            assertArrayEquals(ctag, any.get(1), "802.1Q tag restored in place");
            assertArrayEquals(stag, any.get(2), "802.1ad TPID restored");
            assertArrayEquals(vid0, any.get(3), "priority tag restored");
            assertArrayEquals(plain, received.get(4), "untagged frame untouched");
            assertEquals(3, a.socket().vlanRestoredFrames(), "the kernel stripped all three tags on veth");
            assertEquals(0, a.rxErrors());
        }
    }

    @Test
    void shouldUnmapRingAndTxArenaAndCloseTheSocketOnEveryClose() throws IOException
    {
        for (int i = 0; i < 5; i++)
        {
            open("a").close(); // warm up: the JVM's own first-use mappings (JNR stubs, classes) come now
        }
        final long socketsBefore = openSockets();
        final long fdsBefore = openDescriptors();
        final long mapsBefore = mappings();
        for (int i = 0; i < 100; i++)
        {
            final RingPort port = open("a");
            final long ring = port.socket().ringAddress();
            final long arena = port.socket().txQueue().slotsAddress();
            assertTrue(port.send(new UnsafeBuffer(new byte[60]), 0, 60));
            port.flush(System.nanoTime());
            assertTrue(port.send(new UnsafeBuffer(new byte[60]), 0, 60)); // still queued at close: dropped
            port.close();
            port.close(); // idempotent
            assertFalse(isMapped(ring), "ring of cycle " + i + " still mapped");
            assertFalse(isMapped(arena), "TX arena of cycle " + i + " still mapped");
        }
        assertEquals(socketsBefore, openSockets());
        // a leak would add 100 descriptors or 200 mappings; the JVM may open or map a few of its own meanwhile
        assertTrue(openDescriptors() - fdsBefore < 5, fdsBefore + " -> " + openDescriptors() + " descriptors");
        assertTrue(mappings() - mapsBefore < 10, mapsBefore + " -> " + mappings() + " mappings");
    }

    @Test
    void shouldNameAMissingInterface()
    {
        final IOException ex = assertThrows(IOException.class, () -> open("itls-nope0"));
        assertTrue(ex.getMessage().startsWith("no network interface 'itls-nope0' in network namespace net:["),
            ex.getMessage());
    }

    /** The frame with a 4-byte tag inserted after the MAC addresses. */
    private static byte[] vlanTagged(final byte[] untagged, final int tpid, final int tci)
    {
        final byte[] tagged = new byte[untagged.length + 4];
        System.arraycopy(untagged, 0, tagged, 0, 12);
        final UnsafeBuffer b = new UnsafeBuffer(tagged);
        b.putShort(12, (short)tpid, ByteOrder.BIG_ENDIAN);
        b.putShort(14, (short)tci, ByteOrder.BIG_ENDIAN);
        System.arraycopy(untagged, 12, tagged, 16, untagged.length - 12);
        return tagged;
    }
}
