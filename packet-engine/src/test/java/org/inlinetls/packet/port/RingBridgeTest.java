package org.inlinetls.packet.port;

import static org.inlinetls.packet.port.RingFrames.SEQ_OFFSET;
import static org.inlinetls.packet.port.RingFrames.TEST_ETHER_TYPE;
import static org.inlinetls.packet.port.RingFrames.testFrame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.inlinetls.packet.counter.CounterDescriptor;
import org.inlinetls.packet.counter.PortCounters;
import org.inlinetls.packet.engine.BridgeAgent;
import org.inlinetls.packet.engine.FrameClassifier;
import org.inlinetls.packet.engine.MalformedPolicy;
import org.inlinetls.shim.NetnsLab;
import org.inlinetls.shim.PacketSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Root-only: a {@link BridgeAgent} over two ring ports in a namespace wired {@code b ── a [bridge] c ── d}; the test
 * plays the client on {@code b} and the server on {@code d}, also through ring ports.
 */
class RingBridgeTest
{
    private static final long SEED = Long.getLong("ringbridge.seed", System.nanoTime());
    private static final int FRAMES_EACH_WAY = 3_000;

    private NetnsLab lab;

    @BeforeEach
    void createLab() throws IOException
    {
        NetnsLab.assumeRootWithTools();
        lab = NetnsLab.createWithOffloadsOff();
        lab.addVethPairWithOffloadsOff("c", "d").awaitLinksUp("a", "b", "c", "d");
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
        // sparse traffic closes a block per retire timeout (1 ms): 64 small blocks ride out a 64 ms stall of this
        // single test thread (GC, a busy CPU) where 4 large ones overflow after 4 ms and the kernel drops frames
        return lab.openInside(
            () -> RingPort.open(ifName, PacketSocket.Config.defaults().blockSize(1 << 16).blockCount(64)));
    }

    @Test
    void shouldBridgeThousandsOfFramesBothWaysInOrder() throws IOException
    {
        final Random random = new Random(SEED);
        final List<byte[]> toServer = new ArrayList<>();
        final List<byte[]> toClient = new ArrayList<>();
        for (int i = 0; i < FRAMES_EACH_WAY; i++)
        {
            toServer.add(testFrame(random, i, 60 + random.nextInt(1455)));
            toClient.add(testFrame(random, i, 60 + random.nextInt(1455)));
        }
        final List<byte[]> atServer = new ArrayList<>();
        final List<byte[]> atClient = new ArrayList<>();
        final CountersManager manager = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 512)), new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 128)));
        final PortCounters outsideCounters = new PortCounters(manager, "outside");
        final PortCounters insideCounters = new PortCounters(manager, "inside");
        try (RingPort client = open("b"); RingPort outside = open("a"); RingPort inside = open("c");
            RingPort server = open("d"))
        {
            final BridgeAgent agent = new BridgeAgent(outside, inside, outsideCounters, insideCounters,
                FrameClassifier.BRIDGE_ALL, MalformedPolicy.defaults(), System::nanoTime, 64);
            final FrameHandler serverSide = keepTestFrames(atServer);
            final FrameHandler clientSide = keepTestFrames(atClient);
            int sentToServer = 0;
            int sentToClient = 0;
            final long deadline = System.nanoTime() + 20_000_000_000L;
            while ((atServer.size() < FRAMES_EACH_WAY || atClient.size() < FRAMES_EACH_WAY) &&
                System.nanoTime() < deadline)
            {
                // bursts of up to 32 each way, bounded so the veth backlog (netdev_max_backlog) never overflows
                for (int i = 0; i < 32 && sentToServer < FRAMES_EACH_WAY && sentToServer - atServer.size() < 256; i++)
                {
                    final byte[] f = toServer.get(sentToServer);
                    if (!client.send(new UnsafeBuffer(f), 0, f.length))
                    {
                        break;
                    }
                    sentToServer++;
                }
                for (int i = 0; i < 32 && sentToClient < FRAMES_EACH_WAY && sentToClient - atClient.size() < 256; i++)
                {
                    final byte[] f = toClient.get(sentToClient);
                    if (!server.send(new UnsafeBuffer(f), 0, f.length))
                    {
                        break;
                    }
                    sentToClient++;
                }
                final long nowNs = System.nanoTime();
                client.flush(nowNs);
                server.flush(nowNs);
                agent.doWork();
                server.receive(serverSide, 256);
                client.receive(clientSide, 256);
            }
            agent.onClose();
            final long nowNs = System.nanoTime() + RingPort.STATISTICS_INTERVAL_NS;
            client.flush(nowNs);
            server.flush(nowNs);
            final String state = "sent " + sentToServer + "/" + sentToClient + ", outside " +
                describe(outside, outsideCounters) + ", inside " + describe(inside, insideCounters) + ", client " +
                describe(client, null) + ", server " + describe(server, null) + "\n" +
                lab.exec(NetnsLab.IP, "-s", "link");

            assertSameFrames(toServer, atServer, "client to server; " + state);
            assertSameFrames(toClient, atClient, "server to client; " + state);
            // the counters also see the veths' own IPv6 ND/MLD frames, which are bridged as well
            assertTrue(outsideCounters.value(CounterDescriptor.FRAMES_IN) >= FRAMES_EACH_WAY);
            assertEquals(outsideCounters.value(CounterDescriptor.FRAMES_IN),
                insideCounters.value(CounterDescriptor.FRAMES_OUT));
            assertTrue(insideCounters.value(CounterDescriptor.FRAMES_IN) >= FRAMES_EACH_WAY);
            assertEquals(insideCounters.value(CounterDescriptor.FRAMES_IN),
                outsideCounters.value(CounterDescriptor.FRAMES_OUT));
            assertEquals(0, insideCounters.value(CounterDescriptor.TX_FAILED));
            assertEquals(0, outsideCounters.value(CounterDescriptor.TX_FAILED));
            assertEquals(0, outsideCounters.value(CounterDescriptor.KERNEL_DROPS));
            assertEquals(0, insideCounters.value(CounterDescriptor.KERNEL_DROPS));
            assertEquals(0, insideCounters.value(CounterDescriptor.TX_ERRORS));
        }
    }

    @Test
    void shouldSendFlushAndReceiveWithoutAllocating() throws IOException
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "allocation counting not supported by this JVM");
        final UnsafeBuffer frame = new UnsafeBuffer(testFrame(new Random(SEED), 0, 1000));
        final UnsafeBuffer tagged = new UnsafeBuffer(new byte[1004]);
        tagged.putBytes(0, frame, 0, 12);
        tagged.putInt(12, 0x8100_0064, ByteOrder.BIG_ENDIAN);
        tagged.putBytes(16, frame, 12, 988);
        final long[] received = new long[1];
        final FrameHandler count = (buffer, offset, length, ts) -> received[0]++;
        final CachedNanoClock clock = new CachedNanoClock();
        try (RingPort a = open("a"); RingPort b = open("b"))
        {
            exchange(a, b, frame, tagged, count, clock);
            long fewest = Long.MAX_VALUE;
            for (int round = 0; round < 3; round++)
            {
                final long before = threads.getCurrentThreadAllocatedBytes();
                exchange(a, b, frame, tagged, count, clock);
                fewest = Math.min(fewest, threads.getCurrentThreadAllocatedBytes() - before);
            }
            assertTrue(fewest < 256, fewest + " bytes allocated for 4 x 5,000 frames");
            assertTrue(received[0] > 1_000, received[0] + " frames received");
            assertTrue(a.socket().vlanRestoredFrames() > 0);
        }
    }

    /** 5,000 frames from b to a (every 8th tagged), flushed in batches of 32, with a statistics read a second. */
    private static void exchange(final RingPort a, final RingPort b, final UnsafeBuffer frame,
        final UnsafeBuffer tagged, final FrameHandler handler, final CachedNanoClock clock)
    {
        for (int i = 0; i < 5_000; i++)
        {
            final UnsafeBuffer f = (i & 7) == 0 ? tagged : frame;
            b.send(f, 0, f.capacity());
            if ((i & 31) == 31)
            {
                clock.advance(100_000_000L); // 10 statistics reads per exchange
                b.flush(clock.nanoTime());
                a.flush(clock.nanoTime());
                a.receive(handler, 64);
            }
        }
        b.flush(clock.nanoTime());
        while (a.receive(handler, 64) > 0)
        {
            Thread.onSpinWait();
        }
    }

    private static String describe(final RingPort port, final PortCounters counters)
    {
        final StringBuilder b = new StringBuilder().append('{').append(port.name())
            .append(" kernel drops ").append(port.kernelDrops()).append(", rx errors ").append(port.rxErrors())
            .append(", tx errors ").append(port.txErrors()).append(", tx stalls ")
            .append(port.socket().txQueue().stalls()).append(", sent ").append(port.socket().txQueue().framesSent());
        if (counters != null)
        {
            for (final CounterDescriptor d : CounterDescriptor.values())
            {
                b.append(", ").append(d.label()).append(' ').append(counters.value(d));
            }
        }
        return b.append('}').toString();
    }

    private static FrameHandler keepTestFrames(final List<byte[]> into)
    {
        return (buffer, offset, length, timestampNs) ->
        {
            if ((buffer.getShort(offset + 12, ByteOrder.BIG_ENDIAN) & 0xFFFF) == TEST_ETHER_TYPE)
            {
                final byte[] copy = new byte[length];
                buffer.getBytes(offset, copy);
                into.add(copy);
            }
        };
    }

    private static void assertSameFrames(final List<byte[]> sent, final List<byte[]> received, final String way)
    {
        assertEquals(sent.size(), received.size(), way + ", seed " + SEED);
        for (int i = 0; i < sent.size(); i++)
        {
            assertEquals(i, ByteBuffer.wrap(received.get(i)).getInt(SEQ_OFFSET), way + ": order, seed " + SEED);
            assertArrayEquals(sent.get(i), received.get(i), way + " frame " + i + ", seed " + SEED);
        }
    }
}
