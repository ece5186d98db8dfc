package org.inlinetls.packet.tcp;

import static org.inlinetls.packet.tcp.TcpSimulation.CLIENT;
import static org.inlinetls.packet.tcp.TcpSimulation.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.frame.FrameAnomaly;
import org.inlinetls.packet.frame.FrameParser;
import org.inlinetls.packet.frame.ParsedFrame;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Linux ways of {@link TcpConfig}: with {@code retransmitWithinWindow} a sender whose peer offered a smaller window
 * (same ACK) since a segment went out resends only the head of it that fits, without it the whole segment goes again;
 * with {@code windowGrowsOnStaleAck} a reordered older ACK cannot take a window back. The peer is played by
 * hand-written frames.
 */
class TcpEndpointLinuxOptionsTest
{
    private static final long SECOND_NS = 1_000_000_000L;
    private static final int PEER_ISN = 5_000;

    private final FrameParser parser = new FrameParser();
    private final ParsedFrame parsed = new ParsedFrame();
    private final TcpHeaderFlyweight tcp = new TcpHeaderFlyweight();

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldEndARetransmissionAtTheRightEdgeOfTheWindowOnlyWhenAsked(final boolean withinWindow)
    {
        final TcpConfig config = TcpSimulation.config(CLIENT, false).timestamps(false).windowScale(false)
            .mss(1000).retransmitWithinWindow(withinWindow).validate();
        final TcpEndpoint endpoint = new TcpEndpoint(config);
        final TcpFrameWriter peer = new TcpFrameWriter(TcpSimulation.config(SERVER, false).validate(), 1000);
        final List<byte[]> sent = new ArrayList<>();
        final FrameSink sink = sinkInto(sent);
        final int iss = connect(endpoint, peer, sent, 4000);
        endpoint.write(new byte[2000], 0, 2000);
        sent.clear();
        endpoint.poll(2_000_000L, sink);
        assertEquals(List.of(1000, 1000), payloadLengths(sent), "two segments within the 4,000-byte window");

        // nothing acknowledged, and the window offered shrinks to 400 bytes (a window update: same ACK)
        deliver(endpoint, peer, peer.writeSegment(PEER_ISN + 1, iss + 1, TcpHeaderFlyweight.ACK, 400, false, 0, 0, null,
            0, null, 0), 3_000_000L);
        sent.clear();
        endpoint.poll(3 * SECOND_NS, sink); // past the initial 1 s RTO
        final List<Integer> resent = payloadLengths(sent);
        assertEquals(withinWindow ? 400 : 1000, resent.get(0), "the retransmission at SND.UNA: " + resent);
        assertEquals(iss + 1, tcpOf(sent.get(0)).sequenceNumber());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldTakeASmallerWindowFromAnAckThatAdvancesNothingOnlyWithoutTheLinuxRule(final boolean linux)
    {
        final TcpConfig config = TcpSimulation.config(CLIENT, false).timestamps(false).windowScale(false)
            .mss(1000).windowGrowsOnStaleAck(linux).validate();
        final TcpEndpoint endpoint = new TcpEndpoint(config);
        final TcpFrameWriter peer = new TcpFrameWriter(TcpSimulation.config(SERVER, false).validate(), 1000);
        final List<byte[]> sent = new ArrayList<>();
        final FrameSink sink = sinkInto(sent);
        final int iss = connect(endpoint, peer, sent, 1000);
        // a window update to 4,000 bytes, then the older ACK with 400 arriving after it (reordered)
        deliver(endpoint, peer, peer.writeSegment(PEER_ISN + 1, iss + 1, TcpHeaderFlyweight.ACK, 4000, false, 0, 0,
            null, 0, null, 0), 2_000_000L);
        deliver(endpoint, peer, peer.writeSegment(PEER_ISN + 1, iss + 1, TcpHeaderFlyweight.ACK, 400, false, 0, 0,
            null, 0, null, 0), 2_100_000L);
        endpoint.write(new byte[2000], 0, 2000);
        sent.clear();
        endpoint.poll(3_000_000L, sink);
        assertEquals(linux ? List.of(1000, 1000) : List.of(400), payloadLengths(sent));
    }

    /** A sink that keeps a copy of every frame. */
    private static FrameSink sinkInto(final List<byte[]> sent)
    {
        return (b, o, l) ->
        {
            final byte[] copy = new byte[l];
            b.getBytes(o, copy);
            sent.add(copy);
            return true;
        };
    }

    /** Connects {@code endpoint} to the scripted peer, which offers {@code peerWindow}; returns the endpoint's ISS. */
    private int connect(final TcpEndpoint endpoint, final TcpFrameWriter peer, final List<byte[]> sent,
        final int peerWindow)
    {
        endpoint.connect(0);
        endpoint.poll(0, sinkInto(sent));
        final int iss = tcpOf(sent.get(0)).sequenceNumber();
        deliver(endpoint, peer, peer.writeSyn(PEER_ISN, iss + 1, TcpHeaderFlyweight.SYN | TcpHeaderFlyweight.ACK,
            peerWindow, 1000, -1, false, false, 0, 0), 1_000_000L);
        return iss;
    }

    private void deliver(final TcpEndpoint endpoint, final TcpFrameWriter peer, final int length, final long nowNs)
    {
        final byte[] frame = new byte[length];
        peer.buffer().getBytes(0, frame);
        endpoint.onFrame(new UnsafeBuffer(frame), 0, length, nowNs);
    }

    private List<Integer> payloadLengths(final List<byte[]> frames)
    {
        final List<Integer> lengths = new ArrayList<>();
        for (final byte[] frame : frames)
        {
            assertEquals(FrameAnomaly.NONE, parser.parse(new UnsafeBuffer(frame), 0, frame.length, parsed));
            if (parsed.payloadLength > 0)
            {
                lengths.add(parsed.payloadLength);
            }
        }
        return lengths;
    }

    private TcpHeaderFlyweight tcpOf(final byte[] frame)
    {
        final UnsafeBuffer view = new UnsafeBuffer(frame);
        assertEquals(FrameAnomaly.NONE, parser.parse(view, 0, frame.length, parsed));
        return tcp.wrap(view, parsed.l4Offset);
    }
}
