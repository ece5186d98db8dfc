package org.inlinetls.modes.direct;

import java.util.PriorityQueue;
import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A lossy, reordering network and a cumulative-ACK client around one sender; every byte must arrive and be acked.
 * Replay one seed with {@code -Dinjected.seed=N}.
 */
class InjectedStreamSenderLossTest
{
    private static final long MS = 1_000_000L;
    private static final int RUNS = 200;
    private static final long TIME_LIMIT_NS = 3_600_000 * MS;

    @Test
    void shouldDeliverAndHaveEveryByteAcknowledgedDespiteLossAndReordering()
    {
        final String replay = System.getProperty("injected.seed");
        if (replay != null)
        {
            simulate(Long.parseLong(replay));
            return;
        }
        long retransmitted = 0;
        long timeouts = 0;
        long fastRetransmits = 0;
        for (long seed = 1; seed <= RUNS; seed++)
        {
            final InjectedStreamSender sender = simulate(seed);
            retransmitted += sender.bytesRetransmitted();
            timeouts += sender.timeouts();
            fastRetransmits += sender.fastRetransmits();
        }
        System.out.println("loss simulation, seeds 1.." + RUNS + ": " + retransmitted + " bytes retransmitted, " +
            timeouts + " timeouts, " + fastRetransmits + " fast retransmits");
        assertTrue(timeouts > 0 && fastRetransmits > 0, "the simulation exercised both kinds of retransmission");
    }

    private static final class Packet implements Comparable<Packet>
    {
        final long arrivalNs;
        final long order;
        final boolean toClient;
        final int seq;
        final byte[] payload;
        final int ack;
        final int windowBytes;

        Packet(final long arrivalNs, final long order, final boolean toClient, final int seq, final byte[] payload,
            final int ack, final int windowBytes)
        {
            this.arrivalNs = arrivalNs;
            this.order = order;
            this.toClient = toClient;
            this.seq = seq;
            this.payload = payload;
            this.ack = ack;
            this.windowBytes = windowBytes;
        }

        public int compareTo(final Packet other)
        {
            final int byTime = Long.compare(arrivalNs, other.arrivalNs);
            return byTime != 0 ? byTime : Long.compare(order, other.order);
        }
    }

    private static InjectedStreamSender simulate(final long seed)
    {
        final String context = "seed=" + seed + " (replay with -Dinjected.seed=" + seed + ")";
        final Random random = new Random(seed);
        final int isn = random.nextInt();
        final int capacityBytes = 2048 + random.nextInt(16 * 1024);
        final int streamBytes = 1 + random.nextInt(64 * 1024);
        final int mssBytes = 100 + random.nextInt(1400);
        final int clientWindowBytes = mssBytes + random.nextInt(32 * 1024);
        final double dataLoss = random.nextDouble() * 0.3;
        final double ackLoss = random.nextDouble() * 0.3;
        final long minDelayNs = (1 + random.nextInt(50)) * MS;
        final long jitterNs = (1 + random.nextInt(50)) * MS;

        final byte[] stream = new byte[streamBytes];
        random.nextBytes(stream);
        final byte[] received = new byte[streamBytes];
        final boolean[] have = new boolean[streamBytes];
        final int[] rcvNxt = { 0 };

        final InjectedStreamSender sender = new InjectedStreamSender(
            capacityBytes, InjectedStreamSender.DEFAULT_INITIAL_RTO_NS, InjectedStreamSender.DEFAULT_MIN_RTO_NS,
            InjectedStreamSender.DEFAULT_MAX_RTO_NS, MS, 30);
        sender.reset(isn);

        final PriorityQueue<Packet> network = new PriorityQueue<>();
        final long[] order = { 0 };
        final long[] nowNs = { 0 };
        final SegmentSink sink = (seq, buffer, offset, lengthBytes, retransmission) ->
        {
            assertTrue(lengthBytes > 0 && lengthBytes <= mssBytes, context);
            if (random.nextDouble() >= dataLoss)
            {
                final byte[] payload = new byte[lengthBytes];
                System.arraycopy(buffer, offset, payload, 0, lengthBytes);
                network.add(new Packet(nowNs[0] + minDelayNs + (long)(random.nextDouble() * jitterNs), order[0]++,
                    true, seq, payload, 0, 0));
            }
            return true;
        };

        int appended = 0;
        int peerWindowBytes = clientWindowBytes;
        while (!(appended == streamBytes && sender.isFullyAcknowledged()))
        {
            assertTrue(nowNs[0] < TIME_LIMIT_NS, "simulated hour elapsed, " + context);
            assertFalse(sender.hasGivenUp(), context);

            if (appended < streamBytes && sender.freeBytes() > 0)
            {
                final int roomBytes = Math.min(sender.freeBytes(), streamBytes - appended);
                final int chunk = Math.min(1 + random.nextInt(4096), roomBytes);
                assertTrue(sender.append(stream, appended, chunk), context);
                appended += chunk;
            }

            while (!network.isEmpty() && network.peek().arrivalNs <= nowNs[0])
            {
                final Packet packet = network.poll();
                if (packet.toClient)
                {
                    final int offset = packet.seq - isn;
                    for (int i = 0; i < packet.payload.length; i++)
                    {
                        final int position = offset + i;
                        assertTrue(position >= 0 && position < streamBytes, context);
                        if (have[position])
                        {
                            assertEquals(received[position], packet.payload[i], context);
                        }
                        have[position] = true;
                        received[position] = packet.payload[i];
                    }
                    while (rcvNxt[0] < streamBytes && have[rcvNxt[0]])
                    {
                        rcvNxt[0]++;
                    }
                    if (random.nextDouble() >= ackLoss)
                    {
                        network.add(new Packet(nowNs[0] + minDelayNs + (long)(random.nextDouble() * jitterNs),
                            order[0]++, false, 0, null, isn + rcvNxt[0], clientWindowBytes));
                    }
                }
                else
                {
                    sender.onAck(packet.ack, packet.windowBytes, nowNs[0]);
                    peerWindowBytes = packet.windowBytes - (sender.unackedSeq() - packet.ack);
                }
            }

            sender.poll(nowNs[0], sink, mssBytes, peerWindowBytes);
            nowNs[0] += MS;
        }

        assertArrayEquals(stream, received, context);
        assertEquals(streamBytes, sender.bytesSent(), context);
        assertEquals(0, sender.invalidAcks(), context);
        return sender;
    }
}
