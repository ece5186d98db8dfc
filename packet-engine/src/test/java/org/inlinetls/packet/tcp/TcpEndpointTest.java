package org.inlinetls.packet.tcp;

import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.packet.checksum.Checksums;
import org.inlinetls.packet.flyweight.Ipv4HeaderFlyweight;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.frame.FrameAnomaly;
import org.inlinetls.packet.frame.FrameParser;
import org.inlinetls.packet.frame.ParsedFrame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.inlinetls.packet.tcp.TcpSimulation.CLIENT;
import static org.inlinetls.packet.tcp.TcpSimulation.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TcpEndpointTest
{
    private static final long SECOND_NS = 1_000_000_000L;

    private static TcpSimulation simulation(final TcpConfig client, final TcpConfig server,
        final SimulatedWire.Faults faults, final int clientBytes, final int serverBytes)
    {
        final SplittableRandom random = new SplittableRandom(7);
        return new TcpSimulation(client, server, new SimulatedWire(11, faults),
            TcpSimulation.payload(random, clientBytes), TcpSimulation.payload(random, serverBytes));
    }

    private static TcpConfig config(final int side, final boolean ipv6)
    {
        return TcpSimulation.config(side, ipv6).isnSeed(side).maxRtoNs(4 * SECOND_NS).timeWaitNs(10 * SECOND_NS);
    }

    /**
     * Buffers borrow their arrays only while they hold bytes: once everything is acknowledged and read, neither
     * endpoint holds any, and a pool shared by both never lent more than their four buffers.
     */
    @Test
    void shouldGiveBufferMemoryBackOnceEverythingIsAcknowledgedAndRead()
    {
        final BufferPool pool = new BufferPool(Long.MAX_VALUE, Long.MAX_VALUE);
        final SimulatedWire.Faults faults = new SimulatedWire.Faults();
        faults.lossRate = 0.05;
        final TcpSimulation sim = simulation(config(CLIENT, false).bufferPool(pool),
            config(SERVER, false).bufferPool(pool), faults, 300_000, 200_000);
        sim.open();
        final long[] peak = {0};
        final boolean[] heldSome = {false};
        assertTrue(sim.runUntil(() ->
        {
            peak[0] = Math.max(peak[0], pool.lentBytes());
            heldSome[0] |= sim.endpoints[CLIENT].holdsMemory();
            return sim.transferComplete();
        }), sim::describe);
        assertNull(sim.verdict(), sim::describe);
        assertTrue(heldSome[0] && peak[0] > 0 && peak[0] <= 4L * 64 * 1024, "peak lent " + peak[0]);
        assertEquals(0, pool.lentBytes(), "every array given back");
        assertFalse(sim.endpoints[CLIENT].holdsMemory() || sim.endpoints[SERVER].holdsMemory());
    }

    /**
     * An endpoint (as the proxy's, toward a peer with memory of its own) whose pool lends one buffer at a time: while
     * its send buffer waits for acknowledgments, arriving segments are refused (not kept, not acknowledged), and the
     * peer's retransmissions carry the transfer through, whole, once the send buffer drained and gave its array back.
     */
    @Test
    void shouldCarryATransferThroughABudgetThatRefusesArrivingSegments()
    {
        final BufferPool pool = new BufferPool(64 * 1024 + 1, Long.MAX_VALUE);
        final TcpSimulation sim = simulation(config(CLIENT, false),
            config(SERVER, false).bufferPool(pool), new SimulatedWire.Faults(), 400_000, 400_000);
        sim.open();
        assertTrue(sim.runUntil(sim::transferComplete), sim::describe);
        assertNull(sim.verdict(), sim::describe);
        assertTrue(pool.refusals() > 0, "the budget refused nothing: it did not bind");
        assertEquals(0, pool.lentBytes());
    }

    /**
     * RFC 6528 / RFC 7323 §5.4: endpoints sharing a secret give a later connection on the same four-tuple a higher ISN
     * and timestamps that did not move back (a peer holding the last one in TIME-WAIT accepts the SYN; Linux answers an
     * older one with the old connection's ACK, and the connect waited a whole RTO: seen in the full-proxy lab), while
     * another four-tuple's ISN is unrelated.
     */
    @ParameterizedTest
    @ValueSource(booleans = { false, true })
    void shouldGiveAReusedFourTupleAHigherIsnAndNewerTimestamps(final boolean ipv6)
    {
        final long secret = 0x5EC2E7L;
        for (long t0 = 0; t0 < 50 * SECOND_NS; t0 += 3_700_000_123L)
        {
            final int[] first = synOf(TcpSimulation.config(CLIENT, ipv6).isnSeed(secret).isnClockNs(t0), t0);
            final long t1 = t0 + 2_000_000L; // 2 ms later: the previous connection's 8 round trips, or a page
            final int[] again = synOf(TcpSimulation.config(CLIENT, ipv6).isnSeed(secret).isnClockNs(t1), t1);
            assertTrue(again[0] - first[0] >= 400 && again[0] - first[0] <= 600,
                "ISN moved " + (again[0] - first[0]) + " in 2 ms (500 ticks of 4 us)");
            assertEquals(2, again[1] - first[1], "TSval follows the millisecond clock with one offset");
            final int[] otherPort = synOf(TcpSimulation.config(CLIENT, ipv6).localPort(40002).isnSeed(secret)
                .isnClockNs(t1), t1);
            assertTrue(Math.abs(otherPort[0] - again[0]) > 1_000_000, "another four-tuple's ISN is unrelated");
            assertEquals(again[1], otherPort[1], "the timestamp offset is the address pair's");
        }
        final int[] otherSecret = synOf(TcpSimulation.config(CLIENT, ipv6).isnSeed(secret + 1), 0);
        final int[] same = synOf(TcpSimulation.config(CLIENT, ipv6).isnSeed(secret), 0);
        assertTrue(otherSecret[0] != same[0] && otherSecret[1] != same[1], "the secret keys both");
    }

    /** The sequence number and TSval of the SYN an endpoint with this config sends at {@code nowNs}. */
    private static int[] synOf(final TcpConfig config, final long nowNs)
    {
        final TcpEndpoint endpoint = new TcpEndpoint(config);
        endpoint.connect(nowNs);
        final List<byte[]> frames = new ArrayList<>();
        endpoint.poll(nowNs, (buffer, offset, length) ->
        {
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            return frames.add(copy);
        });
        assertEquals(1, frames.size());
        final ParsedFrame parsed = new ParsedFrame();
        final UnsafeBuffer buffer = new UnsafeBuffer(frames.get(0));
        assertEquals(FrameAnomaly.NONE, new FrameParser().parse(buffer, 0, frames.get(0).length, parsed));
        final TcpHeaderFlyweight tcp = new TcpHeaderFlyweight();
        tcp.wrap(buffer, parsed.l4Offset, parsed.l4Length);
        assertTrue(tcp.hasFlags(TcpHeaderFlyweight.SYN) && tcp.hasTimestamps());
        return new int[] {tcp.sequenceNumber(), tcp.timestampValue()};
    }

    @ParameterizedTest
    @ValueSource(booleans = { false, true })
    void shouldEmitFramesThatParseWithValidChecksums(final boolean ipv6)
    {
        final SimulatedWire.Faults faults = new SimulatedWire.Faults();
        faults.lossRate = 0.05;
        final TcpSimulation sim = simulation(config(CLIENT, ipv6).sackPermitted(true), config(SERVER, ipv6)
            .sackPermitted(true), faults, 30_000, 50_000);
        sim.wire.capture(true);
        sim.open();
        assertTrue(sim.runUntil(sim::transferComplete), sim::describe);
        assertNull(sim.verdict(), sim::describe);

        final FrameParser parser = new FrameParser();
        final ParsedFrame parsed = new ParsedFrame();
        final TcpHeaderFlyweight tcp = new TcpHeaderFlyweight();
        final List<byte[]> frames = sim.wire.captured();
        assertTrue(frames.size() > 60);
        int syns = 0;
        for (final byte[] bytes : frames)
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
            assertEquals(FrameAnomaly.NONE, parser.parse(buffer, 0, bytes.length, parsed));
            assertTrue(parsed.isTcp());
            assertEquals(ipv6 ? 6 : 4, parsed.ipVersion);
            assertEquals(bytes.length, parsed.l4Offset + parsed.l4Length, "no padding, no trailing bytes");
            if (ipv6)
            {
                assertTrue(Checksums.verifyTcpChecksumIpv6(buffer, parsed.l3Offset, parsed.l4Offset,
                    parsed.l4Length));
            }
            else
            {
                assertTrue(Checksums.verifyIpv4HeaderChecksum(buffer, parsed.l3Offset,
                    Ipv4HeaderFlyweight.MIN_HEADER_LENGTH));
                assertTrue(Checksums.verifyTcpChecksumIpv4(buffer, parsed.l3Offset, parsed.l4Offset,
                    parsed.l4Length));
            }
            tcp.wrap(buffer, parsed.l4Offset, parsed.l4Length);
            assertTrue(tcp.hasWellFormedOptions());
            if (tcp.hasFlags(TcpHeaderFlyweight.SYN))
            {
                syns++;
                assertEquals(1460, tcp.mss());
                assertEquals(1, tcp.windowScale(), "a 64 KiB buffer is one more than 16 bits say");
                assertTrue(tcp.sackPermitted());
                assertTrue(tcp.hasTimestamps());
            }
            else if (!tcp.hasFlags(TcpHeaderFlyweight.RST))
            {
                assertTrue(tcp.hasTimestamps(), "timestamps on every segment once agreed");
                assertTrue(parsed.payloadLength <= 1460 - 12);
            }
        }
        assertTrue(syns >= 2);
    }

    @Test
    void shouldOfferWindowScaleForLargeBuffersAndAgreeOptionsOnlyWhenBothOffer()
    {
        final TcpSimulation sim = simulation(config(CLIENT, false).receiveBufferBytes(1 << 20).timestamps(false),
            config(SERVER, false).mss(536), new SimulatedWire.Faults(), 0, 0);
        sim.apps[CLIENT].closeWhenDone = false;
        sim.apps[SERVER].closeWhenDone = false;
        sim.wire.capture(true);
        sim.open();
        assertTrue(sim.runUntil(() -> sim.endpoints[CLIENT].isEstablished() && sim.endpoints[SERVER].isEstablished()));
        final List<byte[]> frames = sim.wire.captured();
        final TcpHeaderFlyweight syn = tcpOf(frames.get(0));
        assertEquals(TcpHeaderFlyweight.SYN, syn.flags());
        assertEquals(5, syn.windowScale(), "1 MiB >> 5 fits 16 bits");
        assertFalse(syn.hasTimestamps());
        final TcpHeaderFlyweight synAck = tcpOf(frames.get(1));
        assertEquals(TcpHeaderFlyweight.SYN | TcpHeaderFlyweight.ACK, synAck.flags());
        assertFalse(synAck.hasTimestamps(), "not echoed when not offered");
        assertEquals(536, synAck.mss());
        assertEquals(536, sim.endpoints[CLIENT].sendMss());
        assertEquals(536, sim.endpoints[SERVER].sendMss());
    }

    @Test
    void shouldAbortBothSidesOnReset()
    {
        final TcpSimulation sim = simulation(config(CLIENT, false), config(SERVER, false), new SimulatedWire.Faults(),
            100_000, 100_000);
        sim.open();
        assertTrue(sim.runUntil(() -> sim.endpoints[CLIENT].bytesDelivered() > 10_000));
        sim.endpoints[SERVER].abort();
        assertEquals(AbortReason.LOCAL_ABORT, sim.endpoints[SERVER].abortReason());
        assertTrue(sim.runUntil(() -> sim.endpoints[CLIENT].isClosed()), sim::describe);
        assertEquals(AbortReason.RESET_RECEIVED, sim.endpoints[CLIENT].abortReason(), sim::describe);
        assertEquals(0, sim.endpoints[CLIENT].write(new byte[10], 0, 10));
    }

    @Test
    void shouldReportConnectionRefusedWhenNobodyListens()
    {
        final TcpSimulation sim = simulation(config(CLIENT, false), config(SERVER, false), new SimulatedWire.Faults(),
            10, 0);
        sim.endpoints[CLIENT].connect(0);
        assertTrue(sim.runUntil(() -> sim.endpoints[CLIENT].isClosed()), sim::describe);
        assertEquals(AbortReason.CONNECTION_REFUSED, sim.endpoints[CLIENT].abortReason());
        assertEquals(1, sim.endpoints[SERVER].counters().resetsSent());
    }

    @Test
    void shouldGiveUpAfterMaxRetransmissionsWhenPeerVanishes()
    {
        final TcpSimulation sim = simulation(config(CLIENT, false).maxRetransmissions(6), config(SERVER, false),
            new SimulatedWire.Faults(), 200_000, 0);
        sim.apps[CLIENT].closeWhenDone = false;
        sim.open();
        assertTrue(sim.runUntil(() -> sim.endpoints[SERVER].bytesDelivered() > 50_000));
        sim.wire.cut(SERVER);
        sim.wire.cut(CLIENT);
        final long cutAtNs = sim.nowNs;
        assertTrue(sim.runUntil(() -> sim.endpoints[CLIENT].isClosed()), sim::describe);
        final TcpEndpoint client = sim.endpoints[CLIENT];
        assertEquals(AbortReason.RETRANSMISSION_TIMEOUT, client.abortReason());
        assertEquals(7, client.counters().timeouts(), client::toString);
        final long elapsedNs = sim.nowNs - cutAtNs;
        assertTrue(elapsedNs > 5 * SECOND_NS && elapsedNs < 30 * SECOND_NS, "backed-off timeouts: " + elapsedNs);
        assertEquals(TcpEndpoint.NO_DEADLINE, client.nextDeadlineNs());
    }

    @Test
    void shouldProbeZeroWindowUntilTheReaderResumes()
    {
        final TcpSimulation sim = simulation(config(CLIENT, false).maxRetransmissions(3),
            config(SERVER, false).receiveBufferBytes(2048), new SimulatedWire.Faults(), 50_000, 0);
        sim.apps[SERVER].nextReadNs = 120 * SECOND_NS; // the server's application sleeps for two minutes
        sim.open();
        assertTrue(sim.runUntil(sim::transferComplete), sim::describe);
        assertNull(sim.verdict(), sim::describe);
        assertTrue(sim.nowNs > 120 * SECOND_NS);
        assertTrue(sim.endpoints[CLIENT].counters().timeouts() > 3, "probes kept going past the give-up limit");
    }

    @Test
    void shouldFastRetransmitASingleLostSegmentWithoutTimeout()
    {
        final SimulatedWire.Faults faults = new SimulatedWire.Faults();
        final TcpSimulation sim = simulation(config(CLIENT, false), config(SERVER, false), faults, 200_000, 0);
        sim.wire.dropFrame(SERVER, 12); // a data segment well into slow start
        sim.open();
        assertTrue(sim.runUntil(sim::transferComplete), sim::describe);
        assertNull(sim.verdict(), sim::describe);
        final TcpCounters counters = sim.endpoints[CLIENT].counters();
        assertEquals(1, counters.fastRetransmits(), counters::toString);
        assertEquals(0, counters.timeouts(), counters::toString);
        assertTrue(counters.duplicateAcks() >= 3);
        assertTrue(sim.endpoints[SERVER].counters().outOfOrderSegments() >= 3);
    }

    @Test
    void shouldIgnoreOtherFlowsAndDropCorruptFrames()
    {
        final TcpSimulation sim = simulation(config(CLIENT, false), config(SERVER, false), new SimulatedWire.Faults(),
            0, 0);
        final List<byte[]> out = new ArrayList<>();
        final TcpEndpoint client = sim.endpoints[CLIENT];
        client.connect(0);
        client.poll(0, (buffer, offset, length) ->
        {
            final byte[] bytes = new byte[length];
            buffer.getBytes(offset, bytes);
            return out.add(bytes);
        });
        assertEquals(1, out.size());
        final TcpEndpoint server = sim.endpoints[SERVER];
        server.listen();
        final byte[] corrupt = out.get(0).clone();
        corrupt[corrupt.length - 1] ^= 0x40; // inside the TCP options
        server.onFrame(new UnsafeBuffer(corrupt), 0, corrupt.length, 0);
        assertEquals(1, server.counters().checksumErrors());
        final byte[] otherPort = out.get(0).clone();
        otherPort[14 + 20 + 1] ^= 1; // source port low byte
        server.onFrame(new UnsafeBuffer(otherPort), 0, otherPort.length, 0);
        assertEquals(1, server.counters().framesIgnored());
        client.onFrame(new UnsafeBuffer(out.get(0)), 0, out.get(0).length, 0); // its own SYN, wrong direction
        assertEquals(1, client.counters().framesIgnored());
        assertEquals(TcpState.LISTEN, server.state());
        server.onFrame(new UnsafeBuffer(out.get(0)), 0, out.get(0).length, 0);
        assertEquals(TcpState.SYN_RECEIVED, server.state());
    }

    @Test
    void shouldCloseCleanlyWhenBothSidesCloseAtOnce()
    {
        final TcpSimulation sim = simulation(config(CLIENT, false), config(SERVER, false), new SimulatedWire.Faults(),
            0, 0);
        sim.apps[CLIENT].closeWhenDone = false;
        sim.apps[SERVER].closeWhenDone = false;
        sim.open();
        assertTrue(sim.runUntil(() -> sim.endpoints[CLIENT].isEstablished() && sim.endpoints[SERVER].isEstablished()));
        sim.endpoints[CLIENT].close();
        sim.endpoints[SERVER].close();
        assertEquals(TcpState.FIN_WAIT_1, sim.endpoints[SERVER].state());
        assertTrue(sim.runUntil(() -> sim.endpoints[CLIENT].state() == TcpState.TIME_WAIT &&
            sim.endpoints[SERVER].state() == TcpState.TIME_WAIT), sim::describe);
        assertTrue(sim.runUntil(sim::transferComplete), sim::describe);
        assertNull(sim.verdict(), sim::describe);
    }

    private static TcpHeaderFlyweight tcpOf(final byte[] frame)
    {
        final ParsedFrame parsed = new ParsedFrame();
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        new FrameParser().parse(buffer, 0, frame.length, parsed);
        return new TcpHeaderFlyweight().wrap(buffer, parsed.l4Offset, parsed.l4Length);
    }
}
