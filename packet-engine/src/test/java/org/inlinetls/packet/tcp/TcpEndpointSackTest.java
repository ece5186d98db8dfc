package org.inlinetls.packet.tcp;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.SplittableRandom;

import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.frame.FrameAnomaly;
import org.inlinetls.packet.frame.FrameParser;
import org.inlinetls.packet.frame.ParsedFrame;
import org.junit.jupiter.api.Test;

import static org.inlinetls.packet.tcp.TcpSimulation.CLIENT;
import static org.inlinetls.packet.tcp.TcpSimulation.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** SACK in {@link TcpEndpoint}: negotiation, the receiver's blocks and D-SACK, and the sender's RFC 6675 recovery. */
class TcpEndpointSackTest
{
    private static final int MSS = 1000;

    private final FrameParser parser = new FrameParser();
    private final ParsedFrame parsed = new ParsedFrame();
    private final TcpHeaderFlyweight tcp = new TcpHeaderFlyweight();

    private static TcpConfig config(final int side, final boolean sack, final boolean timestamps)
    {
        return TcpSimulation.config(side, false).isnSeed(side * 77 + 5).mss(MSS).timestamps(timestamps)
            .receiveBufferBytes(256 * 1024).sendBufferBytes(256 * 1024).sackPermitted(sack)
            .maxRtoNs(4_000_000_000L).timeWaitNs(1_000_000_000L);
    }

    private static TcpSimulation simulation(final TcpConfig client, final TcpConfig server, final int clientBytes)
    {
        final SimulatedWire.Faults faults = new SimulatedWire.Faults();
        return new TcpSimulation(client, server, new SimulatedWire(3, faults),
            TcpSimulation.payload(new SplittableRandom(5), clientBytes), new byte[0]);
    }

    @Test
    void shouldResendOnlyTheHolesAndNeverTheSackedSegments()
    {
        final TcpSimulation sim = simulation(config(CLIENT, true, false), config(SERVER, true, false), 60 * MSS);
        sim.wire.capture(true);
        sim.wire.dropFrame(SERVER, 20);
        sim.wire.dropFrame(SERVER, 22);
        sim.wire.dropFrame(SERVER, 25);
        sim.open();
        assertTrue(sim.runUntil(sim::transferComplete), sim::describe);
        assertNull(sim.verdict(), sim::describe);
        final TcpCounters counters = sim.endpoints[CLIENT].counters();
        assertEquals(0, counters.timeouts(), sim::describe);
        assertEquals(3, counters.retransmissions(), () -> "only the three lost segments again: " + sim.describe());
        assertEquals(3, counters.sackRetransmissions(), sim::describe);
        int acksWithBlocks = 0;
        for (final byte[] frame : sim.wire.captured())
        {
            if (!fromServer(frame))
            {
                continue;
            }
            final int blocks = tcp.sackBlockCount();
            if (blocks > 0)
            {
                acksWithBlocks++;
                assertTrue(blocks <= 4);
                for (int b = 0; b < blocks; b++)
                {
                    assertTrue(tcp.sackLeftEdge(b) - tcp.acknowledgmentNumber() > 0, "blocks above the ACK");
                    assertTrue(tcp.sackRightEdge(b) - tcp.sackLeftEdge(b) > 0);
                }
            }
        }
        assertTrue(acksWithBlocks >= 6, "every ACK while data is held out of order carries blocks");
    }

    @Test
    void shouldFitThreeBlocksWithTimestampsAndKeepDataWithinTheMss()
    {
        final TcpSimulation sim = simulation(config(CLIENT, true, true), config(SERVER, true, true), 60 * MSS);
        sim.wire.capture(true);
        for (int i = 20; i < 32; i += 2)
        {
            sim.wire.dropFrame(SERVER, i); // every other segment: many disjoint ranges at the receiver
        }
        sim.open();
        assertTrue(sim.runUntil(sim::transferComplete), sim::describe);
        assertNull(sim.verdict(), sim::describe);
        boolean sawThree = false;
        for (final byte[] frame : sim.wire.captured())
        {
            final boolean server = fromServer(frame);
            if (!server)
            {
                assertTrue(parsed.payloadLength <= MSS - 12);
            }
            else if (tcp.sackBlockCount() > 0)
            {
                assertTrue(tcp.sackBlockCount() <= 3, "12 bytes of timestamps leave room for three");
                sawThree |= tcp.sackBlockCount() == 3;
            }
        }
        assertTrue(sawThree);
    }

    @Test
    void shouldReportTheNewestSegmentFirstThenTheRangesReportedMostRecently()
    {
        final ReceiveBuffer buffer = new ReceiveBuffer(64 * 1024, 16);
        final SackBlockReporter reporter = new SackBlockReporter();
        final UnsafeBuffer bytes = new UnsafeBuffer(new byte[MSS]);
        final int firstSeq = 0x7FFF_FF00;
        final int[] edges = new int[8];
        for (final int at : new int[] {5, 1, 9, 3, 7})
        {
            buffer.insert((long)at * 100, bytes, 0, 100);
            reporter.onOutOfOrder((long)at * 100);
        }
        assertEquals(3, reporter.fill(buffer, firstSeq, edges, 3));
        assertEquals(firstSeq + 700, edges[0], "the newest first");
        assertEquals(firstSeq + 800, edges[1]);
        assertEquals(firstSeq + 300, edges[2]);
        assertEquals(firstSeq + 900, edges[4]);
        buffer.insert(800, bytes, 0, 100); // joins the range of 7 and 9
        reporter.onOutOfOrder(800);
        assertEquals(4, reporter.fill(buffer, firstSeq, edges, 4));
        assertEquals(firstSeq + 700, edges[0]);
        assertEquals(firstSeq + 1000, edges[1], "merged ranges are reported whole");
        assertEquals(firstSeq + 300, edges[2]);
        assertEquals(firstSeq + 500, edges[4], "then the others, highest first");
        assertEquals(firstSeq + 100, edges[6]);
        reporter.onDuplicate(firstSeq - 50, firstSeq);
        assertEquals(3, reporter.fill(buffer, firstSeq, edges, 3));
        assertEquals(firstSeq - 50, edges[0], "RFC 2883: the D-SACK goes first");
        assertEquals(firstSeq + 700, edges[2]);
        reporter.onSent();
        assertEquals(3, reporter.fill(buffer, firstSeq, edges, 3));
        assertEquals(firstSeq + 700, edges[0], "and only once");
        buffer.insert(-buffer.nextOffset(), new UnsafeBuffer(new byte[1100]), 0, 1100); // the hole fills
        assertFalse(reporter.hasBlocks(buffer));
        assertEquals(0, reporter.fill(buffer, firstSeq, edges, 3));
    }

    @Test
    void shouldReportADuplicateSegmentOnceAsADsack()
    {
        final TcpSimulation sim = simulation(config(CLIENT, true, true), config(SERVER, true, true), 30 * MSS);
        sim.wire.capture(true);
        for (int i = 3; i < 12; i++)
        {
            sim.wire.dropFrame(CLIENT, i); // the server's ACKs: the client times out and resends what arrived
        }
        sim.open();
        assertTrue(sim.runUntil(sim::transferComplete), sim::describe);
        assertNull(sim.verdict(), sim::describe);
        assertTrue(sim.endpoints[CLIENT].counters().timeouts() > 0);
        int dsacks = 0;
        for (final byte[] frame : sim.wire.captured())
        {
            if (fromServer(frame) && tcp.sackBlockCount() > 0 &&
                tcp.sackRightEdge(0) - tcp.acknowledgmentNumber() <= 0)
            {
                dsacks++;
            }
        }
        assertTrue(dsacks > 0, "RFC 2883: a first block below the ACK reports the duplicate");
    }

    @Test
    void shouldNeitherSendNorUseSackUnlessBothEndsOfferIt()
    {
        final TcpSimulation sim = simulation(config(CLIENT, true, true), config(SERVER, false, true), 30 * MSS);
        sim.wire.capture(true);
        sim.wire.dropFrame(SERVER, 5);
        sim.open();
        assertTrue(sim.runUntil(sim::transferComplete), sim::describe);
        assertNull(sim.verdict(), sim::describe);
        for (final byte[] frame : sim.wire.captured())
        {
            fromServer(frame);
            assertEquals(0, tcp.sackBlockCount());
            if (tcp.hasFlags(TcpHeaderFlyweight.SYN | TcpHeaderFlyweight.ACK))
            {
                assertFalse(tcp.sackPermitted());
            }
        }
        assertEquals(0, sim.endpoints[CLIENT].counters().sackRetransmissions());
        assertTrue(sim.endpoints[CLIENT].counters().fastRetransmits() > 0, "NewReno without SACK");
    }

    @Test
    void shouldRecoverWhenTheReceiverRenegesOnWhatItSacked()
    {
        // a receiver that keeps one or two out-of-order ranges evicts one it reported when a lower one arrives:
        // reneging, which the sender must survive (its data is freed by the cumulative ACK only)
        long renegings = 0;
        long sackRetransmissions = 0;
        for (int seed = 0; seed < 40; seed++)
        {
            final SimulatedWire.Faults faults = new SimulatedWire.Faults();
            faults.lossRate = 0.05;
            faults.jitterNs = 3_000_000L;
            final TcpSimulation sim = new TcpSimulation(config(CLIENT, true, seed % 2 == 0),
                config(SERVER, true, seed % 2 == 0).maxOutOfOrderRanges(1 + seed % 2),
                new SimulatedWire(seed, faults), TcpSimulation.payload(new SplittableRandom(seed), 300 * MSS),
                new byte[0]);
            sim.open();
            assertTrue(sim.runUntil(sim::transferComplete), () -> "seed " + " " + sim.describe());
            assertNull(sim.verdict(), sim::describe);
            renegings += sim.endpoints[CLIENT].counters().sackRenegings();
            sackRetransmissions += sim.endpoints[CLIENT].counters().sackRetransmissions();
        }
        assertTrue(renegings > 0, "no seed reneged");
        assertTrue(sackRetransmissions > 0);
    }

    @Test
    void shouldNotAllocatePerSegmentInSackRecovery()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "allocation counting not supported by this JVM");
        final LoopWire wire = new LoopWire();
        wire.run(20_000); // warm up: connection, JIT
        long fewest = Long.MAX_VALUE;
        for (int round = 0; round < 3; round++)
        {
            final long before = threads.getCurrentThreadAllocatedBytes();
            wire.run(20_000);
            fewest = Math.min(fewest, threads.getCurrentThreadAllocatedBytes() - before);
        }
        assertTrue(wire.client.counters().sackRetransmissions() > 100, wire.client::toString);
        assertTrue(wire.server.bytesDelivered() > 1_000_000, wire.server::toString);
        assertTrue(fewest < 256, fewest + " bytes allocated in 20,000 steps of SACK recovery");
    }

    private boolean fromServer(final byte[] frame)
    {
        final UnsafeBuffer view = new UnsafeBuffer(frame);
        assertEquals(FrameAnomaly.NONE, parser.parse(view, 0, frame.length, parsed));
        tcp.wrap(view, parsed.l4Offset, parsed.l4Length);
        assertTrue(tcp.hasWellFormedOptions());
        return parsed.srcPort == 443;
    }

    /** Two endpoints over preallocated FIFO links that lose every 13th frame toward the server; no allocation. */
    private static final class LoopWire
    {
        private static final int SLOTS = 1024;
        final TcpEndpoint client = new TcpEndpoint(config(CLIENT, true, true).receiveBufferBytes(64 * 1024));
        final TcpEndpoint server = new TcpEndpoint(config(SERVER, true, true).receiveBufferBytes(64 * 1024));
        private final Link toServer = new Link(13);
        private final Link toClient = new Link(0);
        private final byte[] data = new byte[64 * 1024];
        private final byte[] sink = new byte[64 * 1024];
        private final FrameSink clientSink = toServer::send;
        private final FrameSink serverSink = toClient::send;
        private long nowNs = 1_000_000L;
        private boolean open;

        void run(final int steps)
        {
            if (!open)
            {
                server.listen();
                client.connect(nowNs);
                open = true;
            }
            for (int i = 0; i < steps; i++)
            {
                nowNs += 20_000L;
                client.write(data, 0, data.length);
                server.read(sink, 0, sink.length);
                client.poll(nowNs, clientSink);
                server.poll(nowNs, serverSink);
                toServer.deliver(server, nowNs);
                toClient.deliver(client, nowNs);
            }
        }

        private static final class Link
        {
            private final UnsafeBuffer[] frames = new UnsafeBuffer[SLOTS];
            private final int[] lengths = new int[SLOTS];
            private final int dropEvery;
            private long head;
            private long tail;
            private long sent;

            Link(final int dropEvery)
            {
                this.dropEvery = dropEvery;
                for (int i = 0; i < SLOTS; i++)
                {
                    frames[i] = new UnsafeBuffer(new byte[2048]);
                }
            }

            boolean send(final org.agrona.DirectBuffer buffer, final int offset, final int length)
            {
                if (tail - head == SLOTS)
                {
                    return false;
                }
                if (dropEvery > 0 && ++sent % dropEvery == 0)
                {
                    return true;
                }
                final int slot = (int)(tail++ % SLOTS);
                frames[slot].putBytes(0, buffer, offset, length);
                lengths[slot] = length;
                return true;
            }

            void deliver(final TcpEndpoint to, final long nowNs)
            {
                while (head < tail)
                {
                    final int slot = (int)(head++ % SLOTS);
                    to.onFrame(frames[slot], 0, lengths[slot], nowNs);
                }
            }
        }
    }
}
