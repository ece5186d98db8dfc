package org.inlinetls.packet.port;

import static org.inlinetls.packet.port.RingFrames.drain;
import static org.inlinetls.packet.port.RingFrames.testFrame;
import static org.inlinetls.shim.NetnsLab.openSockets;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.shim.NetnsLab;
import org.inlinetls.shim.PacketSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Root-only: a transmit-only port on a of a veth pair a/b sends to a ring port on b, and never receives anything.
 */
class TransmitRingPortTest
{
    private static final long SEED = Long.getLong("txring.seed", System.nanoTime());
    private static final int FRAMES = 300;

    private NetnsLab lab;

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

    @Test
    void shouldSendEveryFrameIntactAndReceiveNothing() throws IOException
    {
        final Random random = new Random(SEED);
        final Map<Integer, byte[]> sent = new HashMap<>();
        final Map<Integer, byte[]> received = new HashMap<>();
        final Map<Integer, byte[]> readBackOnTx = new HashMap<>();
        try (TransmitRingPort tx = lab.openInside(() -> TransmitRingPort.open("a", "w0 a tx", 64, false));
            RingPort b = lab.openInside(() -> RingPort.open("b", PacketSocket.Config.defaults().blockCount(4))))
        {
            assertEquals(0, tx.socket().ringLength(), "no receive ring is mapped");
            for (int seq = 0; seq < FRAMES; seq++)
            {
                final byte[] frame = testFrame(random, seq, 60 + random.nextInt(1455));
                sent.put(seq, frame);
                while (!tx.send(new UnsafeBuffer(frame), 0, frame.length))
                {
                    tx.flush(System.nanoTime());
                }
                if (seq % 16 == 15)
                {
                    tx.flush(System.nanoTime());
                    drain(b, received, seq + 1);
                }
            }
            while (tx.txQueued() > 0)
            {
                tx.flush(System.nanoTime());
            }
            drain(b, received, FRAMES);
            // frames arriving on a (sent from b) are not queued to the transmit-only socket
            final byte[] back = testFrame(random, 1_000_000, 100);
            assertTrue(b.send(new UnsafeBuffer(back), 0, back.length));
            b.flush(System.nanoTime());
            drain(tx, readBackOnTx, 0);
            assertEquals(0, tx.txErrors());
        }
        assertEquals(sent.keySet(), received.keySet(), "seed " + SEED);
        for (final Map.Entry<Integer, byte[]> entry : sent.entrySet())
        {
            assertArrayEquals(entry.getValue(), received.get(entry.getKey()), "frame " + entry.getKey());
        }
        assertTrue(readBackOnTx.isEmpty());
    }

    @Test
    void shouldCloseItsSocketAndAllowReopening() throws IOException
    {
        final long before = openSockets();
        for (int i = 0; i < 20; i++)
        {
            try (TransmitRingPort tx =
                lab.openInside(() -> TransmitRingPort.open("a", "tx", PacketSocket.Config.MIN_TX_SLOTS, false)))
            {
                assertFalse(tx.name().isEmpty());
                assertEquals(PacketSocket.Config.MIN_TX_SLOTS, tx.txRoom());
            }
        }
        assertEquals(before, openSockets());
    }
}
