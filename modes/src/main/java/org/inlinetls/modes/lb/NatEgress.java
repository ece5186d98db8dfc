package org.inlinetls.modes.lb;

import org.agrona.DirectBuffer;
import org.agrona.collections.LongHashSet;
import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.modes.direct.FrameOut;
import org.inlinetls.packet.flyweight.EthernetFlyweight;
import org.inlinetls.packet.flyweight.Ipv4HeaderFlyweight;
import org.inlinetls.packet.frame.FrameAnomaly;
import org.inlinetls.packet.frame.FrameParser;
import org.inlinetls.packet.frame.ParsedFrame;
import org.inlinetls.packet.rewrite.TcpSegmentRewriter;

/**
 * Where the direct engine's frames go when the {@link LbNatStage} is in front of it: a frame toward the client of a
 * NATed flow is copied with the virtual address as its source IP (checksums updated, RFC 1624) and the outside
 * NIC's MAC as its source MAC; other frames toward the client, and every frame toward the server (it already
 * carries the backend's addresses), go out unchanged. A frame from a backend's internal service that no mapping
 * covers is dropped and counted: sent as is, it would show the client a backend's address.
 * <p>
 * The engine's thread; nothing allocated per frame. Its flyweights are its own: the engine calls it in the middle
 * of the stage's handling of a frame.
 */
final class NatEgress implements FrameOut
{
    private static final int SCRATCH = 1 << 16;

    private final NatTable table;
    private final LongHashSet internalAddresses;
    private final long outsideMac;
    private final FrameOut out;
    private final long[] counters;
    private final FrameParser parser = new FrameParser();
    private final ParsedFrame frame = new ParsedFrame();
    private final Ipv4HeaderFlyweight ipv4 = new Ipv4HeaderFlyweight();
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final TcpSegmentRewriter rewriter = new TcpSegmentRewriter();
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[SCRATCH]);

    /**
     * @param internalAddresses the engine's internal services ({@link LbNatStage#addressKey}).
     * @param counters          the stage's counters, by {@link LbCounter} ordinal.
     */
    NatEgress(final NatTable table, final LongHashSet internalAddresses, final long outsideMac, final FrameOut out,
        final long[] counters)
    {
        this.table = table;
        this.internalAddresses = internalAddresses;
        this.outsideMac = outsideMac;
        this.out = out;
        this.counters = counters;
    }

    @Override
    public boolean toClient(final DirectBuffer buffer, final int offset, final int length)
    {
        if (internalAddresses.isEmpty() && table.size() == 0)
        {
            return out.toClient(buffer, offset, length); // no load-balanced service: the direct engine's own frames
        }
        if (parser.parse(buffer, offset, length, frame) != FrameAnomaly.NONE || !frame.isTcp() ||
            frame.ipVersion != Ipv4HeaderFlyweight.VERSION || length > SCRATCH)
        {
            return out.toClient(buffer, offset, length);
        }
        ipv4.wrap(buffer, frame.l3Offset);
        final int source = ipv4.sourceAddress();
        final int slot = table.findByEngineFlow(ipv4.destinationAddress(), frame.dstPort, source, frame.srcPort);
        if (NatTable.NONE == slot)
        {
            if (internalAddresses.contains(LbNatStage.addressKey(source, frame.srcPort)))
            {
                counters[LbCounter.FRAMES_TO_CLIENT_UNMAPPED.ordinal()]++;
                return true;
            }
            return out.toClient(buffer, offset, length);
        }
        scratch.putBytes(0, buffer, offset, length);
        parser.parse(scratch, 0, length, frame);
        ethernet.wrap(scratch, 0).sourceMac(outsideMac);
        rewriter.wrap(scratch, frame).ipv4SourceAddress(table.vip(slot));
        counters[LbCounter.FRAMES_TO_CLIENT.ordinal()]++;
        return out.toClient(scratch, 0, length);
    }

    @Override
    public boolean toServer(final DirectBuffer buffer, final int offset, final int length)
    {
        return out.toServer(buffer, offset, length);
    }
}
