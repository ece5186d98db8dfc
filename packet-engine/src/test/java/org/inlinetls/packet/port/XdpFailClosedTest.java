package org.inlinetls.packet.port;

import static org.inlinetls.packet.port.XdpFrames.TCP;
import static org.inlinetls.packet.port.XdpFrames.frame;
import static org.inlinetls.packet.port.XdpFrames.seq;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.shim.NetnsLab;
import org.inlinetls.shim.PacketSocket;
import org.inlinetls.shim.xdp.InterceptMatch;
import org.inlinetls.shim.xdp.XdpAttachMode;
import org.inlinetls.shim.xdp.XdpProgram;
import org.inlinetls.shim.xdp.XskSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The XDP path fails closed: a daemon ({@link XdpCrashChild}, its own JVM) attaches the program to a, a port of the
 * kernel bridge br0 (a and c; b is the outside wire, d the inside one), and is killed with SIGKILL. Its program
 * stays and drops the intercepted flows' segments (they never reach the bridge) while other traffic is bridged;
 * the next daemon's program replaces it, keeping the keys dropped until its socket is registered, then takes the
 * segments; a clean close detaches. Root-only; skipped (not failed) only when not root.
 */
class XdpFailClosedTest
{
    private static final String PEER_V4 = "10.77.0.9";
    private static final String SERVER_V4 = "10.77.0.5";
    private static final byte[] SERVER_MAC = {2, 0, 0, 0, 0, 0x0d};

    private NetnsLab lab;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private RingPort outside;
    private RingPort inside;

    @BeforeEach
    void createLab() throws IOException
    {
        NetnsLab.assumeRootWithTools();
        lab = NetnsLab.createWithOffloadsOff();
        lab.addVethPairWithOffloadsOff("c", "d");
        lab.exec(NetnsLab.IP, "link", "add", "name", "br0", "type", "bridge");
        lab.exec(NetnsLab.IP, "link", "set", "dev", "a", "master", "br0");
        lab.exec(NetnsLab.IP, "link", "set", "dev", "c", "master", "br0");
        lab.exec(NetnsLab.IP, "link", "set", "dev", "br0", "up");
        lab.awaitLinksUp("a", "b", "c", "d", "br0");
        outside = closeLater(lab.openInside(() -> RingPort.open("b", PacketSocket.Config.defaults().blockCount(4))));
        inside = closeLater(lab.openInside(() -> RingPort.open("d", PacketSocket.Config.defaults().blockCount(4))));
        // a fresh bridge may drop while its ports settle: probe until it forwards
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (!bridged(List.of(999), 50).contains(999))
        {
            assertTrue(System.nanoTime() - deadline < 0, "the bridge forwards");
        }
    }

    @AfterEach
    void deleteLab() throws Exception
    {
        for (int i = closeables.size() - 1; i >= 0; i--)
        {
            closeables.get(i).close();
        }
        if (lab != null)
        {
            lab.close();
        }
    }

    private <T extends AutoCloseable> T closeLater(final T closeable)
    {
        closeables.add(closeable);
        return closeable;
    }

    /** Even seqs go to SERVER:443, seqs ending in 1 to SERVER:8443, the rest to SERVER:80 (never intercepted). */
    private static byte[] segment(final int seq)
    {
        final int port = seq % 2 == 0 ? 443 : seq % 10 == 1 ? 8443 : 80;
        return frame(SERVER_MAC, PEER_V4, 40000 + seq, SERVER_V4, port, TCP, 0, 100, seq);
    }

    private void send(final List<Integer> seqs)
    {
        for (final int seq : seqs)
        {
            final byte[] f = segment(seq);
            assertTrue(outside.send(new UnsafeBuffer(f), 0, f.length));
        }
        outside.flush(System.nanoTime());
    }

    /** Sends the segments and returns those the bridge delivered on d within {@code waitMs}. */
    private Set<Integer> bridged(final List<Integer> seqs, final long waitMs)
    {
        send(seqs);
        final Set<Integer> seen = new TreeSet<>();
        final FrameHandler toServer = (buffer, offset, length, ts) ->
        {
            if (length >= 60 && buffer.getByte(offset + 5) == 0x0d) // to the server MAC, not the bridge's own
            {
                seen.add(seq(buffer, offset, length));
            }
        };
        final long until = System.nanoTime() + waitMs * 1_000_000L;
        while (System.nanoTime() - until < 0)
        {
            inside.receive(toServer, 64);
        }
        return seen;
    }

    /**
     * Sends rounds of three segments, {@code base + 10 * round + 0} (to 443), {@code + 1} (8443) and {@code + 3}
     * (80), until the bridge forwards one (veth a settles for a while after a program is attached to it or its
     * socket's process dies), and returns the last digits of all the bridge delivered.
     */
    private Set<Integer> bridgedOnceSettled(final int base)
    {
        final Set<Integer> digits = new TreeSet<>();
        for (int round = 0; round < 50; round++)
        {
            final int first = base + 10 * round;
            final Set<Integer> seen = bridged(List.of(first, first + 1, first + 3), 100);
            seen.forEach(seq -> digits.add(seq % 10));
            if (seen.contains(first + 3))
            {
                // one more round once settled: what the bridge does now, for certain
                bridged(List.of(first + 10, first + 11, first + 13), 300).forEach(seq -> digits.add(seq % 10));
                lastRound = first + 10;
                return digits;
            }
        }
        throw new AssertionError("the bridge forwarded nothing to port 80 in 50 rounds");
    }

    private int lastRound;

    private static Set<Integer> received(final PacketPort port, final long waitMs)
    {
        final Set<Integer> seen = new TreeSet<>();
        final long until = System.nanoTime() + waitMs * 1_000_000L;
        while (System.nanoTime() - until < 0)
        {
            port.receive((buffer, offset, length, ts) -> seen.add(seq(buffer, offset, length)), 64);
        }
        return seen;
    }

    private int attachedId() throws IOException
    {
        return lab.openInside(() -> XdpProgram.attachedProgramId("a"));
    }

    /** Starts the stand-in daemon in a JVM of its own (this JVM's flags and class path) and waits for READY. */
    private Process startDaemon(final int[] programId) throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), XdpCrashChild.class.getName(), lab.name,
            "a", SERVER_V4 + ":443", SERVER_V4 + ":8443"));
        final Process daemon = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        final BufferedReader out = new BufferedReader(new InputStreamReader(daemon.getInputStream(),
            StandardCharsets.UTF_8));
        final String line = out.readLine();
        assertTrue(line != null && line.startsWith("READY "), "the daemon said " + line);
        programId[0] = Integer.parseInt(line.substring("READY ".length()).trim());
        return daemon;
    }

    @Test
    void shouldDropInterceptedFlowsWhileTheDaemonIsDeadAndHandThemToTheNextDaemon() throws Exception
    {
        final int[] crashedId = new int[1];
        final Process daemon = startDaemon(crashedId);
        try
        {
            assertEquals(crashedId[0], attachedId());
        }
        finally
        {
            daemon.destroyForcibly(); // SIGKILL
            assertTrue(daemon.waitFor(30, TimeUnit.SECONDS));
        }

        // (a) crashed: the program stays; intercepted segments are dropped, the rest bridged
        assertEquals(crashedId[0], attachedId(), "the program outlived its daemon");
        assertEquals(Set.of(3), bridgedOnceSettled(1000), "443 and 8443 dropped, 80 bridged");

        // (b) the next daemon swaps its program in, keeping the dead one's keys until its socket is there
        final XdpProgram program = closeLater(XdpProgram.load());
        lab.openInside(() ->
        {
            program.attach("a", XdpAttachMode.AUTO);
            return null;
        });
        assertEquals(program.programId(), attachedId());
        assertNotEquals(crashedId[0], program.programId());
        assertEquals(XdpAttachMode.DRIVER, program.attachedMode("a"));
        assertEquals(2, program.inheritedInterceptCount("a"));
        assertEquals(Set.of(3), bridgedOnceSettled(2000), "still dropped before the new socket");

        final XskPort port = closeLater(lab.openInside(() -> XskPort.open("a", XskSocket.Config.defaults()
            .frameCount(256).fillRingSize(128).completionRingSize(128).rxRingSize(128).txRingSize(128))));
        program.registerSocket("a", port.queueIds()[0], port.socketFds()[0]);
        program.intercept("a", InterceptMatch.DESTINATION, XdpFrames.address(SERVER_V4), 443); // its config: 443
        assertEquals(1, program.inheritedInterceptCount("a"));
        assertEquals(Set.of(3), bridgedOnceSettled(3000));
        final Set<Integer> taken = received(port, 200);
        assertTrue(taken.containsAll(List.of(lastRound, lastRound + 1)), "the new program redirects to its own "
            + "socket: " + taken);
        assertTrue(taken.stream().allMatch(seq -> seq % 10 != 3), "80 never redirected: " + taken);

        assertEquals(1, program.dropInheritedIntercepts("a"));
        assertEquals(Set.of(1, 3), bridgedOnceSettled(4000), "8443 no longer configured: bridged");
        final Set<Integer> takenAfter = received(port, 200);
        assertTrue(takenAfter.contains(lastRound), takenAfter.toString());
        assertTrue(takenAfter.stream().allMatch(seq -> seq % 10 == 0), "only 443 redirected: " + takenAfter);

        // (c) a clean close detaches: everything is bridged again
        port.close();
        program.close();
        assertEquals(0, attachedId(), "detached by close");
        assertEquals(Set.of(0, 1, 3), bridgedOnceSettled(5000));
    }
}
