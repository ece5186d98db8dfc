package org.inlinetls.appliance.replay;

import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.packet.flyweight.Ipv4HeaderFlyweight;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.frame.FrameAnomaly;
import org.inlinetls.packet.frame.FrameParser;
import org.inlinetls.packet.frame.ParsedFrame;

import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/**
 * Reassembles one direction of the TCP connections in a list of captured frames into byte streams, by connection:
 * each stream starts at the sender's ISN + 1 (learnt from its SYN) and holds the bytes of the contiguous prefix
 * seen, retransmissions and overlaps merged. Offline only; IPv4.
 */
public final class ClientStreams
{
    /** The part of a stream kept: enough for any handshake and the first records. */
    public static final int MAX_STREAM_BYTES = 1 << 20;

    private final Long2ObjectHashMap<Stream> byClient = new Long2ObjectHashMap<>();

    private static final class Stream
    {
        int isn;
        boolean synSeen;
        byte[] bytes = new byte[4096];
        int length;
        boolean[] have = new boolean[4096];

        void put(final byte[] frame, final int offset, final int count, final int at)
        {
            final int end = Math.min(at + count, MAX_STREAM_BYTES);
            if (at < 0 || at >= end)
            {
                return;
            }
            if (end > bytes.length)
            {
                final int size = Math.min(MAX_STREAM_BYTES, Math.max(end, 2 * bytes.length));
                bytes = Arrays.copyOf(bytes, size);
                have = Arrays.copyOf(have, size);
            }
            System.arraycopy(frame, offset, bytes, at, end - at);
            Arrays.fill(have, at, end, true);
            while (length < bytes.length && have[length])
            {
                length++;
            }
        }
    }

    /**
     * @param frames   the captured frames, in time order.
     * @param selected which frames belong to the direction reassembled.
     * @param clientIsDestination true when the selected frames are sent to the client (the stream is keyed by their
     *                           destination), false when the client sends them (keyed by their source).
     */
    public static ClientStreams of(final List<ApplianceCapture.Frame> frames,
        final Predicate<ApplianceCapture.Frame> selected, final boolean clientIsDestination)
    {
        final ClientStreams streams = new ClientStreams();
        final FrameParser parser = new FrameParser();
        final ParsedFrame parsed = new ParsedFrame();
        final Ipv4HeaderFlyweight ip = new Ipv4HeaderFlyweight();
        final TcpHeaderFlyweight tcp = new TcpHeaderFlyweight();
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[0]);
        for (final ApplianceCapture.Frame frame : frames)
        {
            if (!selected.test(frame))
            {
                continue;
            }
            buffer.wrap(frame.bytes());
            if (parser.parse(buffer, 0, frame.bytes().length, parsed) != FrameAnomaly.NONE || !parsed.isTcp() ||
                parsed.ipVersion != Ipv4HeaderFlyweight.VERSION)
            {
                continue;
            }
            ip.wrap(buffer, parsed.l3Offset);
            tcp.wrap(buffer, parsed.l4Offset);
            final long client = clientIsDestination ?
                key(ip.destinationAddress(), parsed.dstPort) : key(ip.sourceAddress(), parsed.srcPort);
            Stream stream = streams.byClient.get(client);
            if ((tcp.flags() & TcpHeaderFlyweight.SYN) != 0)
            {
                stream = new Stream(); // a new connection from the same address and port replaces the old
                stream.isn = tcp.sequenceNumber();
                stream.synSeen = true;
                streams.byClient.put(client, stream);
                continue;
            }
            if (null == stream || parsed.payloadLength == 0)
            {
                continue;
            }
            stream.put(frame.bytes(), parsed.payloadOffset, parsed.payloadLength,
                tcp.sequenceNumber() - (stream.isn + 1));
        }
        return streams;
    }

    /** The key of a client's address and port. */
    public static long key(final int ipv4Address, final int port)
    {
        return ((ipv4Address & 0xFFFF_FFFFL) << 16) | (port & 0xFFFF);
    }

    /** The contiguous stream of the client's connection (a copy), empty when none was captured. */
    public byte[] stream(final int ipv4Address, final int port)
    {
        final Stream stream = byClient.get(key(ipv4Address, port));
        return null == stream ? new byte[0] : Arrays.copyOf(stream.bytes, stream.length);
    }

    /** The clients (by {@link #key}) with a stream. */
    public long[] clients()
    {
        final long[] keys = new long[byClient.size()];
        final int[] i = {0};
        byClient.keySet().forEach(k -> keys[i[0]++] = k);
        Arrays.sort(keys);
        return keys;
    }
}
