package org.inlinetls.packet.tcp;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Seeded simulations of two endpoints over a lossy, reordering, duplicating, corrupting wire: random payloads both ways
 * at once, random MSS, buffers and options; every byte must arrive once and intact and both sides must close cleanly.
 * <p>
 * {@code -Dtcp.seeds=N} runs N seeds (600 by default); {@code -Dtcp.seed=S} replays one seed and prints its story.
 */
class TcpEndpointSimulationTest
{
    private static final int DEFAULT_SEEDS = 600;
    private static final long FIRST_SEED = 0x5EED_0000L;

    @Test
    void shouldDeliverEveryByteOnceAndCloseCleanlyForEverySeed()
    {
        final String replay = System.getProperty("tcp.seed");
        if (replay != null)
        {
            final long seed = Long.decode(replay);
            final String failure = runSeed(seed, true);
            assertTrue(failure == null, failure);
            return;
        }
        final int seeds = Integer.getInteger("tcp.seeds", DEFAULT_SEEDS);
        final List<String> failures = new ArrayList<>();
        final long[] totals = new long[COVERED.length];
        for (int i = 0; i < seeds; i++)
        {
            final long seed = FIRST_SEED + i;
            final String failure = runSeed(seed, false, totals);
            if (failure != null)
            {
                failures.add(failure);
            }
        }
        for (int i = 0; i < COVERED.length; i++)
        {
            assertTrue(totals[i] > 0, "no seed exercised " + COVERED[i]);
        }
        if (!failures.isEmpty())
        {
            fail(failures.size() + " of " + seeds + " seeds failed; first:\n" + failures.get(0) +
                (failures.size() > 1 ? "\nothers:\n" + String.join("\n", failures.subList(1,
                Math.min(failures.size(), 6))) : ""));
        }
    }

    @Test
    void shouldSurviveTwoMebibytesEachWayThroughTwoKibibyteWindowsWithLoss()
    {
        final SplittableRandom random = new SplittableRandom(42);
        final SimulatedWire.Faults faults = new SimulatedWire.Faults();
        faults.lossRate = 0.1;
        faults.jitterNs = 2_000_000L;
        faults.duplicateRate = 0.02;
        final TcpConfig client = testConfig(TcpSimulation.CLIENT, false, 1460, 2048, 8192, true, true, 42);
        final TcpConfig server = testConfig(TcpSimulation.SERVER, false, 1460, 2048, 8192, true, true, 43);
        final TcpSimulation simulation = new TcpSimulation(client, server, new SimulatedWire(42, faults),
            TcpSimulation.payload(random, 2 << 20), TcpSimulation.payload(random, 2 << 20));
        simulation.open();
        simulation.runUntil(simulation::transferComplete);
        final String verdict = simulation.verdict();
        assertTrue(verdict == null, () -> verdict + "\n" + simulation.describe());
    }

    /** Runs one seed; returns null on success or a description that names the seed. */
    static String runSeed(final long seed, final boolean verbose)
    {
        return runSeed(seed, verbose, new long[COVERED.length]);
    }

    /** Counters summed over all seeds, each of which must be non-zero for the run to have tested what it claims. */
    private static final String[] COVERED = { "fastRetransmits", "timeouts", "duplicateAcks", "outOfOrderSegments",
        "checksumErrors", "retransmissions", "sackRetransmissions" };

    private static void addCounters(final TcpCounters counters, final long[] totals)
    {
        totals[0] += counters.fastRetransmits();
        totals[1] += counters.timeouts();
        totals[2] += counters.duplicateAcks();
        totals[3] += counters.outOfOrderSegments();
        totals[4] += counters.checksumErrors();
        totals[5] += counters.retransmissions();
        totals[6] += counters.sackRetransmissions();
    }

    static String runSeed(final long seed, final boolean verbose, final long[] totals)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final SimulatedWire.Faults faults = new SimulatedWire.Faults();
        faults.lossRate = random.nextInt(5) == 0 ? 0 : random.nextDouble() * 0.2;
        faults.duplicateRate = random.nextInt(3) == 0 ? 0 : random.nextDouble() * 0.05;
        faults.corruptRate = random.nextInt(3) == 0 ? 0 : random.nextDouble() * 0.01;
        faults.refuseRate = random.nextInt(3) == 0 ? 0 : random.nextDouble() * 0.02;
        faults.baseDelayNs = 100_000L + random.nextLong(5_000_000L);
        faults.jitterNs = random.nextInt(3) == 0 ? 0 : random.nextLong(3_000_000L);
        final boolean ipv6 = random.nextInt(4) == 0;
        final int[] buffers = { 2048, 4096, 16384, 65536, 262144 };
        final TcpConfig[] configs = new TcpConfig[2];
        final StringBuilder profile = new StringBuilder();
        for (int side = 0; side < 2; side++)
        {
            final int mss = 536 + random.nextInt(1460 - 536 + 1);
            final int receive = buffers[random.nextInt(buffers.length)];
            final int send = buffers[random.nextInt(buffers.length)];
            final boolean timestamps = random.nextInt(4) != 0;
            final boolean scale = random.nextInt(4) != 0;
            configs[side] = testConfig(side, ipv6, mss, receive, send, timestamps, scale, seed * 2 + side);
            configs[side].sackPermitted(random.nextBoolean());
            // from its own stream, so the seeds keep the rest of their setups
            configs[side].sackKeptOnTimeout(new SplittableRandom(seed * 2 + side).nextBoolean());
            profile.append(" side").append(side).append("{mss=").append(mss).append(" rcv=").append(receive)
                .append(" snd=").append(send).append(" ts=").append(timestamps).append(" ws=").append(scale)
                .append('}');
        }
        final byte[] clientPayload = TcpSimulation.payload(random, payloadLength(random));
        final byte[] serverPayload = TcpSimulation.payload(random, payloadLength(random));
        final TcpSimulation simulation = new TcpSimulation(configs[0], configs[1],
            new SimulatedWire(random.nextLong(), faults), clientPayload, serverPayload);
        for (int side = 0; side < 2; side++)
        {
            simulation.apps[side].readChunk = 1 + random.nextInt(65536);
            simulation.apps[side].readIntervalNs = random.nextInt(2) == 0 ? 0 : random.nextLong(2_000_000L);
            simulation.apps[side].writeChunk = 500 + random.nextInt(100_000);
        }
        simulation.open();
        simulation.runUntil(simulation::transferComplete);
        final String verdict = simulation.verdict();
        addCounters(simulation.endpoints[0].counters(), totals);
        addCounters(simulation.endpoints[1].counters(), totals);
        final String story = "seed=" + seed + " (replay: -Dtcp.seed=" + seed + ") ipv6=" + ipv6 + " " + faults +
            profile + " payloads=" + clientPayload.length + "/" + serverPayload.length + "\n  " + simulation.describe();
        if (verbose)
        {
            System.out.println(story);
        }
        return verdict == null ? null : verdict + "\n  " + story;
    }

    static TcpConfig testConfig(final int side, final boolean ipv6, final int mss, final int receiveBytes,
        final int sendBytes, final boolean timestamps, final boolean windowScale, final long isnSeed)
    {
        return TcpSimulation.config(side, ipv6)
            .mss(mss)
            .receiveBufferBytes(receiveBytes)
            .sendBufferBytes(sendBytes)
            .timestamps(timestamps)
            .windowScale(windowScale)
            .maxRtoNs(4_000_000_000L)
            .timeWaitNs(240_000_000_000L)
            .maxRetransmissions(30)
            .isnSeed(isnSeed);
    }

    private static int payloadLength(final SplittableRandom random)
    {
        final int dice = random.nextInt(100);
        if (dice < 10)
        {
            return 0;
        }
        if (dice < 40)
        {
            return 1 + random.nextInt(1000);
        }
        if (dice < 80)
        {
            return 1 + random.nextInt(65536);
        }
        if (dice < 95)
        {
            return 65536 + random.nextInt(512 * 1024 - 65536);
        }
        return 512 * 1024 + random.nextInt(3 * 512 * 1024 + 1);
    }
}
