package org.inlinetls.appliance.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.packet.counter.CountersFile;
import org.inlinetls.packet.port.RingPort;
import org.inlinetls.shim.CpuAffinity;
import org.inlinetls.shim.NetNamespace;
import org.inlinetls.shim.NetnsLab;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * Root-only: the daemon in dedicated threading with two flow-hash workers (pinned when CPUs 0 and 1 are allowed)
 * bridging b ⇄ c of two veth pairs a–b and c–d. UDP frames of many flows go in on a and must all come out on d in
 * flow order, and back; both workers must have carried some; the threads must stop with the daemon.
 */
@SuppressWarnings("try") // namespace handles are held for their scope, not referenced
class DaemonThreadingTest
{
    private static final int FRAMES = 1_000;
    private static final int FLOWS = 64;

    @TempDir
    Path runtime;
    private NetnsLab lab;

    @BeforeEach
    void createLab() throws IOException
    {
        lab = DaemonLab.create();
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
    void shouldCarryEveryFrameOfManyFlowsBothWaysOverTwoWorkers() throws Exception
    {
        final Logger log = (Logger)LoggerFactory.getLogger(PinnedThreadFactory.class);
        final ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        log.addAppender(appender);
        final boolean pinning = cpusZeroAndOneAllowed();
        try (Daemon daemon = startInLab(config(pinning ?
            "threading: {mode: dedicated, workers: 2, cpus: {dispatcher: 0, workers: [0, 1], conductor: 1}}\n" :
            "threading: {mode: dedicated, workers: 2}\n")))
        {
            assertEquals(ApplianceConfig.IoDriver.RING, daemon.ioDriver());
            final RingPort a;
            final RingPort d;
            try (NetNamespace.Entered ignored = NetNamespace.enter(lab.name))
            {
                a = RingPort.open("a");
                d = RingPort.open("d");
            }
            try (a; d)
            {
                assertEquals(FRAMES, pass(a, d, 0, false), "outside to inside");
                assertEquals(FRAMES, pass(d, a, FRAMES, true), "inside to outside");
            }
            final Map<String, Long> counters = readCounters();
            assertTrue(counters.get("w0 outside frames_in") > 0, "worker 0 carried frames: " + counters);
            assertTrue(counters.get("w1 outside frames_in") > 0, "worker 1 carried frames: " + counters);
            final long workerFrames = counters.get("w0 outside frames_in") + counters.get("w1 outside frames_in") +
                counters.get("w0 inside frames_in") + counters.get("w1 inside frames_in");
            assertTrue(workerFrames >= 2 * FRAMES && workerFrames <= counters.get("dispatcher frames_dispatched"),
                "every frame went through the dispatcher to a worker: " + counters);
            assertEquals(0L, counters.get("dispatcher dropped_no_slot"));
            if (pinning)
            {
                assertTrue(appender.list.stream().anyMatch(e -> e.getFormattedMessage().equals(
                    "worker-1 pinned to CPU 1")), "pinning is logged: " + appender.list);
            }
        }
        finally
        {
            log.detachAppender(appender);
        }
        final Map<String, Long> totals = readCounters();
        assertTrue(totals.get("outside frames_in") >= FRAMES, "totals are summed at stop: " + totals);
        assertTrue(totals.get("inside frames_in") >= FRAMES, "totals are summed at stop: " + totals);
        // each worker timed every frame it took, into its own latency histogram
        for (final String worker : List.of("0", "1"))
        {
            final long timed = totals.entrySet().stream()
                .filter(e -> e.getKey().startsWith("latency worker-" + worker + " frame_le_"))
                .mapToLong(Map.Entry::getValue).sum();
            final long taken = totals.get("w" + worker + " outside frames_in") +
                totals.get("w" + worker + " inside frames_in");
            assertEquals(taken, timed, "worker " + worker + "'s frames timed: " + totals);
            assertTrue(totals.get("latency worker-" + worker + " frame_sum_ns") > 0, "time summed: " + totals);
        }
    }

    @Test
    void shouldStartAndStopEveryThread() throws Exception
    {
        final List<Thread> threads;
        try (Daemon daemon = startInLab(config("threading: {mode: dedicated, workers: 3}\n")))
        {
            threads = daemon.threads();
            final Set<String> names = new HashSet<>();
            for (final Thread thread : threads)
            {
                names.add(thread.getName());
                assertTrue(thread.isAlive(), thread.getName());
            }
            assertEquals(Set.of("dispatcher", "worker-0", "worker-1", "worker-2", "conductor"), names);
            assertEquals(5, threads.size());
        }
        for (final Thread thread : threads)
        {
            assertFalse(thread.isAlive(), thread.getName() + " still running after close");
        }
        // the transmit sockets were closed with the daemon: the interfaces can be bridged again at once
        try (Daemon again = startInLab(config("threading: {mode: dedicated, workers: 2}\n")))
        {
            assertEquals(4, again.threads().size());
        }
    }

    @Test
    void shouldKeepTheBridgeThreadWithOneWorker() throws Exception
    {
        try (Daemon daemon = startInLab(config("threading: {mode: dedicated}\n")))
        {
            assertEquals(List.of("bridge", "conductor"), daemon.threads().stream().map(Thread::getName).toList());
        }
    }

    @Test
    void shouldRefuseSeveralWorkersOnThePcapDriver() throws Exception
    {
        final IllegalStateException error = assertThrows(IllegalStateException.class,
            () -> startInLab(config("io: {driver: pcap}\nthreading: {mode: dedicated, workers: 2}\n")).close());
        assertTrue(error.getMessage().contains("needs the ring I/O driver"), error.getMessage());
        assertTrue(error.getMessage().contains("(io.driver: pcap)"), error.getMessage());
    }

    @Test
    void shouldRefuseACpuOutsideTheAllowedSet() throws Exception
    {
        assumeTrue(CpuAffinity.isAvailable());
        final int notAllowed = CpuAffinity.allowedCpus().nextClearBit(0);
        assumeTrue(notAllowed < CpuAffinity.MAX_CPUS);
        final IllegalStateException error = assertThrows(IllegalStateException.class,
            () -> startInLab(config("threading: {mode: dedicated, workers: 2, cpus: {workers: [0, " + notAllowed +
                "]}}\n")).close());
        assertTrue(error.getMessage().startsWith("threading.cpus.workers[1]: CPU " + notAllowed +
            " is not among the CPUs this process may run on"), error.getMessage());
    }

    private static boolean cpusZeroAndOneAllowed()
    {
        try
        {
            final BitSet allowed = CpuAffinity.allowedCpus();
            return CpuAffinity.isAvailable() && allowed.get(0) && allowed.get(1);
        }
        catch (final IOException | RuntimeException ex)
        {
            return false;
        }
    }

    private ApplianceConfig config(final String extra) throws Exception
    {
        return DaemonLab.config(runtime, extra);
    }

    private Daemon startInLab(final ApplianceConfig config) throws Exception
    {
        return lab.openInside(() -> Daemon.start(config));
    }

    private Map<String, Long> readCounters() throws IOException
    {
        final Map<String, Long> values = new HashMap<>();
        try (CountersFile file = CountersFile.open(runtime.resolve(Daemon.COUNTERS_FILE_NAME)))
        {
            CountersFile.forEach(file.reader(), values::put);
        }
        return values;
    }

    /**
     * Sends numbered UDP frames of {@link #FLOWS} flows on one port and counts the distinct numbers arriving on the
     * other, checking that each flow's frames arrive in order.
     *
     * @param reverse swap addresses and ports: the replies of the same flows.
     */
    private static int pass(final RingPort from, final RingPort to, final int firstNumber, final boolean reverse)
        throws InterruptedException
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[UdpFrames.FRAME_LENGTH]);
        final Set<Integer> seen = new HashSet<>();
        final int[] lastInFlow = new int[FLOWS];
        Arrays.fill(lastInFlow, -1);
        final int[] outOfOrder = new int[1];
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        int sent = 0;
        while (seen.size() < FRAMES && System.nanoTime() < deadline)
        {
            if (sent < FRAMES && sent - seen.size() < 32)
            {
                UdpFrames.udpFrame(frame, firstNumber + sent, sent % FLOWS, reverse);
                if (from.send(frame, 0, frame.capacity()))
                {
                    sent++;
                }
                from.flush(System.nanoTime());
            }
            to.receive((buffer, offset, length, ts) ->
            {
                if (length == UdpFrames.FRAME_LENGTH &&
                    buffer.getInt(offset + UdpFrames.PAYLOAD, ByteOrder.BIG_ENDIAN) == UdpFrames.MAGIC)
                {
                    final int number = buffer.getInt(offset + UdpFrames.PAYLOAD + 4, ByteOrder.BIG_ENDIAN);
                    final int flow = buffer.getInt(offset + UdpFrames.PAYLOAD + 8, ByteOrder.BIG_ENDIAN);
                    if (number >= firstNumber && number < firstNumber + FRAMES && seen.add(number))
                    {
                        if (number < lastInFlow[flow])
                        {
                            outOfOrder[0]++;
                        }
                        lastInFlow[flow] = number;
                    }
                }
            }, 64);
            Thread.onSpinWait();
        }
        assertEquals(0, outOfOrder[0], "frames of a flow overtook each other");
        return seen.size();
    }
}
