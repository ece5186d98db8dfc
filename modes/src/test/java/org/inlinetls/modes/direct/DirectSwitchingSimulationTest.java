package org.inlinetls.modes.direct;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.inlinetls.seqdb.FlowJournal;
import org.inlinetls.seqdb.JournalConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Per-flow switching between cut-through and proxy handling of the server→client direction ({@link SwitchPolicy},
 * {@link ServerToClientProxy}) under the simulation's faults (loss 0–10% per link, duplication, jitter, SACK mixes,
 * every suite): every byte must arrive once and identical, and the flows must really have switched.
 * <p>
 * {@code -Ddirect.switchSeeds=N} changes the number of seeds per test; {@code -Ddirect.switchSeed=S} replays one
 * (of either test: its seed range says which).
 */
class DirectSwitchingSimulationTest
{
    private static final int SEEDS = Integer.getInteger("direct.switchSeeds", 60);
    private static final Long ONE_SEED = Long.getLong("direct.switchSeed");
    private static final long TINY_FIRST = 820_001;
    private static final long PHASES_FIRST = 840_001;
    private static final long INTERACTIVE_FIRST = 860_001;
    private static final long UNRESUMABLE_FIRST = 880_001;
    private static final long LINUX_TINY_FIRST = 900_241; // 900265 stalled before the fix
    private static final long LINUX_CUT_THROUGH_FIRST = 920_001;
    private static final long CBC_UNRESUMABLE_FIRST = 890_001;
    private static final long CBC_MIX_FIRST = 940_001;
    private static Path directory;
    private static FlowJournal journal;

    @BeforeAll
    static void openJournal() throws Exception
    {
        directory = Files.createTempDirectory(Path.of("/dev/shm"), "itls-switching-");
        journal = FlowJournal.open(new JournalConfig().path(directory.resolve("journal.dat")).maxFlows(64)
            .ringCapacity(64));
    }

    @AfterAll
    static void closeJournal() throws Exception
    {
        journal.close();
        try (var files = Files.list(directory))
        {
            for (final Path file : files.toList())
            {
                Files.delete(file);
            }
        }
        Files.delete(directory);
    }

    /**
     * The lab's tiny-window client under the lab's faults (5% loss on every link, reordering), with Linux's ways where
     * they matter here: the server ends each retransmission at the right edge of the window the appliance offers it
     * now; the client offers window scale 7 (windows in steps of 128 bytes; its buffer is 384 bytes to its MSS here)
     * and acknowledges before its application reads, so its ACKs carry windows smaller by the unread bytes (and the
     * window update after the read is sent once: it may be lost). Such a window must not have the server resend a lost
     * interval in a piece shorter than the original, which the appliance could only keep (its record number covers
     * the whole interval) while the server waits for an ACK: every flow finishes, byte-exact, and switches to proxy
     * handling and back.
     */
    @Test
    void shouldNotStallATinyWindowWhenTheServerResendsWithinItsWindow() throws Exception
    {
        final long switched = runLinuxTinyWindows(LINUX_TINY_FIRST, SwitchPolicy.DEFAULT);
        assertTrue(ONE_SEED != null || switched >= SEEDS, "switches to proxy handling: " + switched);
    }

    /**
     * The same clients and faults with switching off: the whole download in cut-through with windows below a segment,
     * so every loss is resent under a window that follows the client's (the case above only until its switch).
     */
    @Test
    void shouldNotStallCutThroughWithTinyWindowsWhenTheServerResendsWithinItsWindow() throws Exception
    {
        runLinuxTinyWindows(LINUX_CUT_THROUGH_FIRST, SwitchPolicy.DISABLED);
    }

    /** @return the flows' switches to proxy handling (each must have come back, and each flow must have switched). */
    private static long runLinuxTinyWindows(final long first, final SwitchPolicy policy) throws Exception
    {
        final List<String> failures = new ArrayList<>();
        long switched = 0;
        long back = 0;
        long kept = 0;
        long partial = 0;
        for (long seed = first; seed < first + SEEDS; seed++)
        {
            if (ONE_SEED != null && ONE_SEED != seed)
            {
                continue;
            }
            final DirectSimulation.Setup base = DirectSimulation.Setup.of(seed);
            final int window = 384 + (int)(seed * 7919 % (base.clientMss() - 384));
            final int download = 20_000 + (int)(seed * 104_729 % 40_000);
            final double[] loss = {0.05, 0.05, 0.05, 0.05};
            final DirectSimulation.Setup setup = new DirectSimulation.Setup(seed, base.suite(), base.integrity(),
                base.clientPort(), 1 + base.upload() % 3_000, download, base.clientMss(), base.serverMss(), window,
                base.serverWindow(), base.timestamps(), loss, base.duplicate(), 200_000 + base.jitterNs(),
                base.clientSack(), base.serverSack());
            if (ONE_SEED != null)
            {
                System.out.println("replaying " + setup);
            }
            final DirectSimulation simulation = new DirectSimulation(setup, journal, null, true).switching(policy);
            final String failure = simulation.run();
            final DirectEngine engine = simulation.engine();
            final long in = engine.counter(DirectCounter.SWITCHES_TO_PROXY_SMALL_WINDOW);
            switched += in;
            back += engine.counter(DirectCounter.SWITCHES_TO_CUT_THROUGH);
            kept += engine.counter(DirectCounter.SERVER_WINDOW_SHRINK_AVOIDED);
            partial += engine.counter(DirectCounter.SERVER_RETRANSMISSIONS_PARTIAL);
            final boolean mustSwitch = policy.enabled();
            if (failure != null || (mustSwitch && in == 0) || engine.proxiedFlows() != 0)
            {
                failures.add("linux tiny-window seed " + seed + " (replay with -Ddirect.switchSeed=" + seed + "): " +
                    (failure != null ? failure : mustSwitch && in == 0 ? "never switched to proxy handling: " + setup :
                    engine.proxiedFlows() + " flows still counted in proxy handling"));
                if (failures.size() >= 5)
                {
                    break;
                }
            }
        }
        System.out.println("linux tiny windows under loss (switching " + policy.enabled() + "): " + kept +
            " ACKs that kept the right edge, " + partial + " partial retransmissions, " + switched +
            " switches to proxy handling");
        assertEquals(List.of(), failures, String.join("\n\n", failures));
        assertEquals(switched, back, "every flow that switched to proxy handling came back for its close");
        return switched;
    }

    /**
     * A client whose receive buffer is smaller than its MSS (down to 48 bytes, below a record's overhead, where
     * cut-through could not send a single whole record): the flow switches to proxy handling with the default policy
     * and carries the download there; the server's FIN brings it back to cut-through for the close.
     */
    @Test
    void shouldCarryATinyClientWindowInProxyHandling() throws Exception
    {
        final List<String> failures = new ArrayList<>();
        long switched = 0;
        long back = 0;
        long proxiedBytes = 0;
        int seeds = 0;
        for (long seed = TINY_FIRST; seed < TINY_FIRST + SEEDS; seed++)
        {
            if (ONE_SEED != null && ONE_SEED != seed)
            {
                continue;
            }
            final DirectSimulation.Setup base = DirectSimulation.Setup.of(seed);
            final int window = 48 + (int)(seed * 7919 % (base.clientMss() - 48));
            final int download = 10_000 + (int)(seed * 104_729 % 30_000);
            final DirectSimulation.Setup setup = new DirectSimulation.Setup(seed, base.suite(), base.integrity(),
                base.clientPort(), 1 + base.upload() % 3_000, download, base.clientMss(), base.serverMss(), window,
                base.serverWindow(), base.timestamps(), base.loss(), base.duplicate(), base.jitterNs(),
                base.clientSack(), base.serverSack());
            if (ONE_SEED != null)
            {
                System.out.println("replaying " + setup);
            }
            final DirectSimulation simulation = new DirectSimulation(setup, journal);
            final String failure = simulation.run();
            final DirectEngine engine = simulation.engine();
            final long in = engine.counter(DirectCounter.SWITCHES_TO_PROXY_SMALL_WINDOW);
            switched += in;
            back += engine.counter(DirectCounter.SWITCHES_TO_CUT_THROUGH);
            proxiedBytes += engine.counter(DirectCounter.PROXIED_SERVER_BYTES);
            seeds++;
            if (failure != null || in == 0 || engine.proxiedFlows() != 0)
            {
                failures.add("tiny-window seed " + seed + " (replay with -Ddirect.switchSeed=" + seed + "): " +
                    (failure != null ? failure : in == 0 ? "never switched to proxy handling: " + setup :
                    engine.proxiedFlows() + " flows still counted in proxy handling"));
                if (failures.size() >= 5)
                {
                    break;
                }
            }
        }
        assertEquals(List.of(), failures, String.join("\n\n", failures));
        assertEquals(switched, back, "every flow that switched to proxy handling came back for its close");
        assertTrue(ONE_SEED != null || proxiedBytes > seeds * 5_000L, "proxied bytes " + proxiedBytes);
    }

    /**
     * A client with a 16 KiB receive buffer that reads slowly in alternate 40 KB stretches of a 200–400 KB download,
     * with thresholds set so its window in the slow stretches counts as small: proxy handling, cut-through, proxy handling... inside one flow, under
     * loss, every byte once.
     */
    @Test
    void shouldSwitchToProxyAndBackSeveralTimesInsideOneFlow() throws Exception
    {
        final List<String> failures = new ArrayList<>();
        final SwitchPolicy policy = new SwitchPolicy(true, 6_000, 2, 12_000, 16, 16 * 1024, 64, 8);
        int seeds = 0;
        int switchedTwice = 0;
        for (long seed = PHASES_FIRST; seed < PHASES_FIRST + SEEDS; seed++)
        {
            if (ONE_SEED != null && ONE_SEED != seed)
            {
                continue;
            }
            final DirectSimulation.Setup base = DirectSimulation.Setup.of(seed);
            final int download = 200_000 + (int)(seed * 104_729 % 200_000);
            final DirectSimulation.Setup setup = new DirectSimulation.Setup(seed, base.suite(), base.integrity(),
                base.clientPort(), 1 + base.upload() % 3_000, download, base.clientMss(), base.serverMss(), 16 * 1024,
                base.serverWindow(), base.timestamps(), base.loss(), base.duplicate(), base.jitterNs(),
                base.clientSack(), base.serverSack());
            if (ONE_SEED != null)
            {
                System.out.println("replaying " + setup);
            }
            final DirectSimulation simulation = new DirectSimulation(setup, journal).switching(policy)
                .slowReadPhases(300, 40_000);
            final String failure = simulation.run();
            final DirectEngine engine = simulation.engine();
            final long in = engine.counter(DirectCounter.SWITCHES_TO_PROXY_SMALL_WINDOW);
            final long out = engine.counter(DirectCounter.SWITCHES_TO_CUT_THROUGH);
            seeds++;
            switchedTwice += in >= 2 && out >= 2 ? 1 : 0;
            if (failure != null || in != out || engine.proxiedFlows() != 0)
            {
                failures.add("phases seed " + seed + " (replay with -Ddirect.switchSeed=" + seed + "): " +
                    (failure != null ? failure : "switched " + in + " times to proxy handling and " + out +
                    " back, " + engine.proxiedFlows() + " still counted: " + setup));
                if (failures.size() >= 5)
                {
                    break;
                }
            }
        }
        assertEquals(List.of(), failures, String.join("\n\n", failures));
        // the stretches' windows depend on each seed's MSS, loss and timing: most flows go back and forth twice or
        // more (with 200 seeds a few switch once or not at all)
        assertTrue(ONE_SEED != null || switchedTwice >= seeds * 3 / 4,
            switchedTwice + " of " + seeds + " flows switched to proxy handling and back at least twice");
    }

    /**
     * A client that uploads 20 bytes a millisecond (each its own record, so tiny segments) in alternate 12 KB stretches
     * of a 50–80 KB upload, 16 KiB records in between: its client→server direction goes to proxy handling and back
     * several times inside one flow, under loss; every byte once. Segments of up to 300 bytes count as tiny here (a
     * sender coalesces the records written while one is in flight). A client stuck resending bytes no ACK can pass
     * is freed the same way once the server has every byte before them (counted apart).
     * <p>
     * Every suite writes 20-byte records here. TLS 1.3 records of at most 256 bytes are held whole by the decoder
     * until their tag; a segment boundary inside one used to be a checkpoint without state, and loss on both legs
     * could leave the client resending one segment that ended inside such a record while the server missed plaintext
     * from it, cut-through then waiting for bytes the client never sent (seed 860025). The checkpoint now carries the
     * record's ciphertext so far, so every such boundary can be acknowledged and resumed from.
     */
    @Test
    void shouldSwitchTheClientDirectionForRunsOfTinySegments() throws Exception
    {
        final List<String> failures = new ArrayList<>();
        final SwitchPolicy policy = new SwitchPolicy(true, 0, 4, 0, 16, 16 * 1024, 300, 8);
        long clientBytes = 0;
        long unresumable = 0;
        long switches = 0;
        int seeds = 0;
        int switched = 0;
        for (long seed = INTERACTIVE_FIRST; seed < INTERACTIVE_FIRST + SEEDS; seed++)
        {
            if (ONE_SEED != null && ONE_SEED != seed)
            {
                continue;
            }
            final DirectSimulation.Setup base = DirectSimulation.Setup.of(seed);
            final int upload = 50_000 + (int)(seed * 104_729 % 30_000);
            final DirectSimulation.Setup setup = new DirectSimulation.Setup(seed, base.suite(), base.integrity(),
                base.clientPort(), upload, base.download() % 50_000, base.clientMss(), base.serverMss(),
                base.clientWindow(), base.serverWindow(), base.timestamps(), base.loss(), base.duplicate(),
                base.jitterNs(), base.clientSack(), base.serverSack());
            if (ONE_SEED != null)
            {
                System.out.println("replaying " + setup);
            }
            // 20-byte records in every suite: a TLS 1.3 record this small is held whole by the decoder, and every
            // boundary inside one is resumable (its checkpoint carries the record's ciphertext so far)
            final DirectSimulation simulation = new DirectSimulation(setup, journal).switching(policy)
                .interactiveWritePhases(20, 12_000);
            final String failure = simulation.run();
            final DirectEngine engine = simulation.engine();
            // a client that coalesces its records while one is in flight (jitter) sends a few per segment
            final long in = engine.counter(DirectCounter.SWITCHES_TO_PROXY_TINY_SEGMENTS) +
                engine.counter(DirectCounter.SWITCHES_TO_PROXY_UNRESUMABLE);
            final long out = engine.counter(DirectCounter.SWITCHES_TO_CUT_THROUGH);
            clientBytes += engine.counter(DirectCounter.PROXIED_CLIENT_BYTES);
            unresumable += engine.counter(DirectCounter.SWITCHES_TO_PROXY_UNRESUMABLE);
            switches += in;
            seeds++;
            switched += in > 0 && out > 0 ? 1 : 0;
            if (failure != null || in != out || engine.proxiedFlows() != 0)
            {
                failures.add("interactive seed " + seed + " (replay with -Ddirect.switchSeed=" + seed + "): " +
                    (failure != null ? failure : "switched " + in + " times to proxy handling and " + out +
                    " back, " + engine.proxiedFlows() + " still counted: " + setup));
                if (failures.size() >= 5)
                {
                    break;
                }
            }
        }
        assertEquals(List.of(), failures, String.join("\n\n", failures));
        assertTrue(ONE_SEED != null || clientBytes > SEEDS * 5_000L, "proxied client bytes " + clientBytes);
        // three or four interactive stretches per upload: most flows go back and forth, many more than once (a sender
        // that coalesces records while one is in flight, or still drains a backlog into a new stretch, sends segments
        // that are not tiny, so not every stretch of every flow switches)
        assertTrue(ONE_SEED != null || switched >= seeds * 8 / 10, switched + " of " + seeds + " flows switched");
        assertTrue(ONE_SEED != null || switches >= 3L * seeds / 2, switches + " switches in " + seeds + " flows");
        System.out.println("interactive uploads: " + clientBytes + " client bytes in proxy handling, " + unresumable +
            " switches for a boundary no ACK could pass");
    }

    /**
     * TLS 1.3 clients writing 20-byte records (each held whole by the decoder until it ends) under loss on the
     * client's leg: a client that timed out resends one segment at a time, often one that ends inside such a record.
     * Such boundaries used to carry no state, so no ACK could reach past them and the flow had to switch its
     * client→server direction to proxy handling to go on (this test asserted that it did). Their checkpoints now carry
     * the record's ciphertext so far: cut-through acknowledges and resumes there, every byte arrives once, and no flow
     * needs that rescue any more (it stays for boundaries that still carry no state: inside a CBC record's body).
     */
    @Test
    void shouldAcknowledgeBoundariesInsideSmallTls13RecordsUnderClientLegLoss() throws Exception
    {
        final List<String> failures = new ArrayList<>();
        final List<DirectSimulation.Suite> tls13 = DirectSimulation.SUITES.stream()
            .filter(suite -> suite.version() == org.bouncycastle.tls.ProtocolVersion.TLSv13).toList();
        long unresumable = 0;
        for (long seed = UNRESUMABLE_FIRST; seed < UNRESUMABLE_FIRST + SEEDS; seed++)
        {
            if (ONE_SEED != null && ONE_SEED != seed)
            {
                continue;
            }
            final DirectSimulation.Setup base = DirectSimulation.Setup.of(seed);
            final double[] loss = {0.03 + base.loss()[0], 0.03 + base.loss()[1], 0, 0};
            final DirectSimulation.Setup setup = new DirectSimulation.Setup(seed, tls13.get((int)(seed % tls13.size())),
                base.integrity(), base.clientPort(), 30_000 + (int)(seed * 104_729 % 30_000), base.download() % 20_000,
                base.clientMss(), base.serverMss(), base.clientWindow(), base.serverWindow(), base.timestamps(), loss,
                base.duplicate(), base.jitterNs(), base.clientSack(), base.serverSack());
            if (ONE_SEED != null)
            {
                System.out.println("replaying " + setup);
            }
            final DirectSimulation simulation = new DirectSimulation(setup, journal).interactiveWritePhases(20, 12_000);
            final String failure = simulation.run();
            final DirectEngine engine = simulation.engine();
            unresumable += engine.counter(DirectCounter.SWITCHES_TO_PROXY_UNRESUMABLE);
            if (failure != null || engine.proxiedFlows() != 0)
            {
                failures.add("unresumable seed " + seed + " (replay with -Ddirect.switchSeed=" + seed + "): " +
                    (failure != null ? failure : engine.proxiedFlows() + " flows still counted in proxy handling"));
                if (failures.size() >= 5)
                {
                    break;
                }
            }
        }
        assertEquals(List.of(), failures, String.join("\n\n", failures));
        assertEquals(0, unresumable, "flows switched to proxy handling for a boundary no ACK could pass");
        System.out.println("client-leg loss with 20-byte TLS 1.3 records: " + unresumable +
            " switches for a boundary no ACK could pass");
    }

    /**
     * Clients of the legacy CBC suites writing 20-byte records under loss on the client's leg: a CBC record's body can
     * only be resumed by the decoder that holds the record's start, so a segment boundary inside one carries no state
     * and no ACK can reach past it. A client that timed out resends one segment at a time, and when that segment ends
     * inside such a record, the flow (with the server holding every byte before) switches its client→server direction
     * to proxy handling and goes on; every byte once.
     */
    @Test
    void shouldFreeAClientStuckBehindABoundaryNoAckCanPass() throws Exception
    {
        final List<String> failures = new ArrayList<>();
        long unresumable = 0;
        try (FlowJournal cbcJournal = FlowJournal.open(new JournalConfig().path(directory.resolve("journal-cbc.dat"))
            .maxFlows(64).ringCapacity(64).checkpointLength(JournalConfig.CBC_CHECKPOINT_LENGTH)))
        {
            for (long seed = CBC_UNRESUMABLE_FIRST; seed < CBC_UNRESUMABLE_FIRST + SEEDS; seed++)
            {
                if (ONE_SEED != null && ONE_SEED != seed)
                {
                    continue;
                }
                final DirectSimulation.Setup base = DirectSimulation.Setup.of(seed);
                final double[] loss = {0.03 + base.loss()[0], 0.03 + base.loss()[1], 0, 0};
                final DirectSimulation.Setup setup = new DirectSimulation.Setup(seed,
                    DirectSimulation.CBC_SUITES.get((int)(seed % DirectSimulation.CBC_SUITES.size())),
                    base.integrity(), base.clientPort(), 30_000 + (int)(seed * 104_729 % 30_000),
                    base.download() % 20_000, base.clientMss(), base.serverMss(), base.clientWindow(),
                    base.serverWindow(), base.timestamps(), loss, base.duplicate(), base.jitterNs(), base.clientSack(),
                    base.serverSack());
                if (ONE_SEED != null)
                {
                    System.out.println("replaying " + setup);
                }
                final DirectSimulation simulation =
                    new DirectSimulation(setup, cbcJournal).interactiveWritePhases(20, 12_000);
                final String failure = simulation.run();
                final DirectEngine engine = simulation.engine();
                unresumable += engine.counter(DirectCounter.SWITCHES_TO_PROXY_UNRESUMABLE);
                if (failure != null || engine.proxiedFlows() != 0)
                {
                    failures.add("cbc unresumable seed " + seed + " (replay with -Ddirect.switchSeed=" + seed + "): " +
                        (failure != null ? failure : engine.proxiedFlows() + " flows still counted in proxy handling"));
                    if (failures.size() >= 5)
                    {
                        break;
                    }
                }
            }
        }
        assertEquals(List.of(), failures, String.join("\n\n", failures));
        assertTrue(ONE_SEED != null || unresumable > 0, "no flow was stuck behind a boundary no ACK can pass");
        System.out.println("client-leg loss with 20-byte CBC records: " + unresumable +
            " switches for a boundary no ACK could pass");
    }

    /**
     * The legacy CBC suites under the general fault mix (loss on every link, duplication, jitter, SACK mixes), uploads
     * up to 20 kB: a boundary inside a CBC record carries no state, so when the server loses plaintext inside a record
     * the client has to resend from the record's start, and a client whose window collapsed resends one segment at a
     * time, each ending inside the record. The appliance keeps what it got of the record and acknowledges it, so the
     * client sends the rest and the record is decrypted again whole; every byte once.
     */
    @Test
    void shouldCarryCbcUploadsWhenTheServerLosesPlaintextInsideARecord() throws Exception
    {
        final List<String> failures = new ArrayList<>();
        long kept = 0;
        try (FlowJournal cbcJournal = FlowJournal.open(new JournalConfig().path(directory.resolve("journal-cbc-mix.dat"))
            .maxFlows(64).ringCapacity(64).checkpointLength(JournalConfig.CBC_CHECKPOINT_LENGTH)))
        {
            for (long seed = CBC_MIX_FIRST; seed < CBC_MIX_FIRST + SEEDS; seed++)
            {
                if (ONE_SEED != null && ONE_SEED != seed)
                {
                    continue;
                }
                final DirectSimulation.Setup base = DirectSimulation.Setup.of(seed);
                final DirectSimulation.Setup setup = new DirectSimulation.Setup(seed,
                    DirectSimulation.CBC_SUITES.get((int)(seed % DirectSimulation.CBC_SUITES.size())),
                    base.integrity(), base.clientPort(), Math.min(base.upload(), 20_000),
                    Math.min(base.download(), 200_000), base.clientMss(), base.serverMss(), base.clientWindow(),
                    base.serverWindow(), base.timestamps(), base.loss(), base.duplicate(), base.jitterNs(),
                    base.clientSack(), base.serverSack());
                if (ONE_SEED != null)
                {
                    System.out.println("replaying " + setup);
                }
                final DirectSimulation simulation = new DirectSimulation(setup, cbcJournal);
                final String failure = simulation.run();
                kept += simulation.engine().counter(DirectCounter.RETRANSMISSIONS_JOINED);
                if (failure != null)
                {
                    failures.add("cbc mix seed " + seed + " (replay with -Ddirect.switchSeed=" + seed + "): " +
                        failure);
                    if (failures.size() >= 5)
                    {
                        break;
                    }
                }
            }
        }
        assertEquals(List.of(), failures, String.join("\n\n", failures));
        System.out.println("cbc under the fault mix: " + kept + " retransmissions joined to a kept part");
    }
}
