package org.inlinetls.packet.port;

import static org.inlinetls.packet.port.RingFrames.drain;
import static org.inlinetls.packet.port.RingFrames.testFrame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.shim.PacketSocket;
import org.junit.jupiter.api.Test;

/**
 * Every {@link RingPortTest} again with the frames leaving through a PACKET_TX_RING ({@link PacketSocket.Config#txRing})
 * instead of {@code sendmmsg(2)}, plus what only the TX ring does.
 */
class RingPortTxRingTest extends RingPortTest
{
    private static final long SEED = Long.getLong("ringport.seed", System.nanoTime());

    @Override
    PacketSocket.Config config()
    {
        return PacketSocket.Config.defaults().txRing(true);
    }

    @Test
    void shouldRefuseTheControlPathSendOnASocketWithATxRing() throws IOException
    {
        try (RingPort b = open("b"))
        {
            final UnsafeBuffer frame = new UnsafeBuffer(BufferUtil.allocateDirectAligned(128, 64));
            assertEquals(-22, b.socket().send(frame.addressOffset(), 100), "EINVAL: send(2) would kick the ring");
        }
    }

    @Test
    void shouldCountAFrameTheKernelSkipsForItsLengthAndSendTheNextOnes() throws IOException
    {
        final Random random = new Random(SEED);
        final Map<Integer, byte[]> received = new HashMap<>();
        try (RingPort a = open("a"); RingPort b = open("b"))
        {
            // 2000 B fits a TX slot but not the 1500 B MTU: the kernel skips it (PACKET_LOSS), the ring goes on
            assertTrue(b.send(new UnsafeBuffer(testFrame(random, 1, 2000)), 0, 2000));
            assertTrue(b.send(new UnsafeBuffer(testFrame(random, 2, 300)), 0, 300));
            assertTrue(b.send(new UnsafeBuffer(testFrame(random, 3, 400)), 0, 400));

            assertEquals(3, b.flush(System.nanoTime()), "all three left the queue");

            drain(a, received, 2);
            assertEquals(2, received.size(), "seed " + SEED);
            assertEquals(300, received.get(2).length);
            assertEquals(400, received.get(3).length);
            assertEquals(1, b.txErrors(), "the skipped frame is counted");
            assertEquals(90, b.lastTxErrno(), "EMSGSIZE");
            assertEquals(0, b.txQueued());
        }
    }

    @Test
    void shouldKeepSendingAfterWrappingTheRingManyTimes() throws IOException
    {
        final Random random = new Random(SEED);
        final Map<Integer, byte[]> received = new HashMap<>();
        try (RingPort a = open("a"); RingPort b = open("b", config().blockCount(4).txSlots(32)))
        {
            int seq = 0;
            for (int round = 0; round < 20; round++)
            {
                for (int i = 0; i < 7; i++) // 7 does not divide 32: batches straddle the ring's end
                {
                    assertTrue(b.send(new UnsafeBuffer(testFrame(random, seq, 100 + seq)), 0, 100 + seq));
                    seq++;
                }
                b.flush(System.nanoTime());
                drain(a, received, seq);
            }
            assertEquals(seq, received.size(), "seed " + SEED);
            assertEquals(0, b.txErrors());
            assertEquals(seq, b.socket().txQueue().framesSent());
        }
    }
}
