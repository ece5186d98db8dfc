package org.inlinetls.modes.direct;

import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.packet.checksum.Checksums;

import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * One direction of a simulated cable with a seeded fault model: base delay plus jitter (jitter reorders), loss,
 * duplication and re-segmentation (a middlebox splitting a TCP segment in two at a random byte, each piece then lost,
 * duplicated and delayed on its own, so that segment boundaries, and those of retransmissions, differ from what the
 * sender chose). Frames are copied when sent. Shared by the simulations of every mode.
 */
public final class SimLink
{
    private record InFlight(byte[] bytes, long deliverAtNs, long order)
    {
    }

    private final PriorityQueue<InFlight> queue = new PriorityQueue<>((a, b) -> a.deliverAtNs != b.deliverAtNs ?
        Long.compare(a.deliverAtNs, b.deliverAtNs) : Long.compare(a.order, b.order));
    private final SplittableRandom random;
    private final double loss;
    private final double duplicate;
    private final double split;
    private final long delayNs;
    private final long jitterNs;
    private long order;
    long sent;
    long lost;
    long splits;

    public SimLink(final long seed, final double loss, final double duplicate, final long delayNs, final long jitterNs)
    {
        this.random = new SplittableRandom(seed);
        this.split = random.nextInt(3) == 0 ? random.nextDouble(0.2) : 0;
        this.loss = loss;
        this.duplicate = duplicate;
        this.delayNs = delayNs;
        this.jitterNs = jitterNs;
    }

    public void send(final byte[] frame, final long nowNs)
    {
        if (split > 0 && random.nextDouble() < split)
        {
            final int cut = cutPoint(frame);
            if (cut > 0)
            {
                splits++;
                final byte[][] pieces = splitAt(frame, cut);
                transmit(pieces[0], nowNs);
                transmit(pieces[1], nowNs);
                return;
            }
        }
        transmit(frame, nowNs);
    }

    /** A random payload offset at which the IPv4 TCP segment in {@code frame} can be cut, or 0 when it cannot. */
    private int cutPoint(final byte[] frame)
    {
        if (frame.length < 14 + 20 + 20 || (frame[12] & 0xFF) != 0x08 || frame[13] != 0x00 || frame[14 + 9] != 6)
        {
            return 0;
        }
        final int payload = payloadLength(frame);
        return payload < 2 ? 0 : 1 + random.nextInt(payload - 1);
    }

    private static int ipHeaderLength(final byte[] frame)
    {
        return (frame[14] & 0x0F) * 4;
    }

    private static int tcpHeaderLength(final byte[] frame)
    {
        return ((frame[14 + ipHeaderLength(frame) + 12] & 0xF0) >>> 4) * 4;
    }

    private static int payloadLength(final byte[] frame)
    {
        final int total = ((frame[16] & 0xFF) << 8) | (frame[17] & 0xFF);
        return total - ipHeaderLength(frame) - tcpHeaderLength(frame);
    }

    /** The segment as two: payload [0, cut) with the first part's flags (no FIN, no PSH), then the rest. */
    private static byte[][] splitAt(final byte[] frame, final int cut)
    {
        final int ihl = ipHeaderLength(frame);
        final int l4 = 14 + ihl;
        final int headers = l4 + tcpHeaderLength(frame);
        final int payload = payloadLength(frame);
        final byte[] first = new byte[headers + cut];
        System.arraycopy(frame, 0, first, 0, headers + cut);
        final byte[] second = new byte[headers + payload - cut];
        System.arraycopy(frame, 0, second, 0, headers);
        System.arraycopy(frame, headers + cut, second, headers, payload - cut);
        first[l4 + 13] &= ~(0x01 | 0x08); // FIN and PSH stay with the last piece
        final UnsafeBuffer b = new UnsafeBuffer(second);
        b.putInt(l4 + 4, b.getInt(l4 + 4, java.nio.ByteOrder.BIG_ENDIAN) + cut, java.nio.ByteOrder.BIG_ENDIAN);
        fix(first, ihl, l4);
        fix(second, ihl, l4);
        return new byte[][] {first, second};
    }

    private static void fix(final byte[] frame, final int ihl, final int l4)
    {
        final UnsafeBuffer b = new UnsafeBuffer(frame);
        b.putShort(16, (short)(frame.length - 14), java.nio.ByteOrder.BIG_ENDIAN);
        Checksums.writeIpv4HeaderChecksum(b, 14, ihl);
        Checksums.writeTcpChecksumIpv4(b, 14, l4, frame.length - l4);
    }

    private void transmit(final byte[] frame, final long nowNs)
    {
        sent++;
        if (random.nextDouble() < loss)
        {
            lost++;
            return;
        }
        schedule(frame, nowNs);
        if (random.nextDouble() < duplicate)
        {
            schedule(frame.clone(), nowNs);
        }
    }

    private void schedule(final byte[] frame, final long nowNs)
    {
        final long jitter = jitterNs == 0 ? 0 : random.nextLong(jitterNs);
        queue.add(new InFlight(frame, nowNs + delayNs + jitter, order++));
    }

    /** @return frames delivered (those due at or before now). */
    public int deliver(final long nowNs, final Consumer<byte[]> to)
    {
        int n = 0;
        while (!queue.isEmpty() && queue.peek().deliverAtNs() - nowNs <= 0)
        {
            to.accept(queue.poll().bytes());
            n++;
        }
        return n;
    }

    public long nextDeliveryNs()
    {
        return queue.isEmpty() ? Long.MAX_VALUE : queue.peek().deliverAtNs();
    }

    @Override
    public String toString()
    {
        return String.format("loss=%.3f dup=%.3f split=%.3f delay=%dus jitter=%dus sent=%d lost=%d splits=%d", loss,
            duplicate, split, delayNs / 1000, jitterNs / 1000, sent, lost, splits);
    }
}
