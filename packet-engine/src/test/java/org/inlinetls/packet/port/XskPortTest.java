package org.inlinetls.packet.port;

import static org.inlinetls.packet.port.RingFrames.collector;
import static org.inlinetls.packet.port.RingFrames.drain;
import static org.inlinetls.packet.port.RingFrames.mappings;
import static org.inlinetls.packet.port.RingFrames.openDescriptors;
import static org.inlinetls.packet.port.RingFrames.testFrame;
import static org.inlinetls.packet.port.XdpFrames.ETH_P_8021AD;
import static org.inlinetls.packet.port.XdpFrames.ETH_P_8021Q;
import static org.inlinetls.packet.port.XdpFrames.TCP;
import static org.inlinetls.packet.port.XdpFrames.UDP;
import static org.inlinetls.packet.port.XdpFrames.address;
import static org.inlinetls.packet.port.XdpFrames.frame;
import static org.inlinetls.packet.port.XdpFrames.seq;
import static org.inlinetls.shim.NetnsLab.isMapped;
import static org.inlinetls.shim.NetnsLab.openSockets;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Root-only: each test builds its own namespace with a veth pair a/b, attaches the XDP program to a with an
 * {@link XskPort} on a, and injects crafted frames from b through a {@link RingPort} (AF_PACKET), so a's XDP
 * program sees them on receive. Skipped (not failed) only when not root.
 */
class XskPortTest
{
    private static final long SEED = Long.getLong("xskport.seed", System.nanoTime());
    private static final String A_V4 = "10.77.0.1";
    private static final String A_V6 = "fd00:77::1";
    private static final String PEER_V4 = "10.77.0.9";
    private static final String PEER_V6 = "fd00:77::9";
    private static final String SERVER_V4 = "10.77.0.5";

    private NetnsLab lab;
    private byte[] macA;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void createLab() throws IOException
    {
        NetnsLab.assumeRootWithTools();
        lab = NetnsLab.createWithOffloadsOff();
        lab.exec(NetnsLab.IP, "addr", "add", A_V4 + "/24", "dev", "a");
        lab.exec(NetnsLab.IP, "addr", "add", A_V6 + "/64", "dev", "a", "nodad");
        lab.awaitLinksUp("a", "b");
        macA = XdpFrames.mac(lab.exec("cat", "/sys/class/net/a/address"));
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

    private static XskSocket.Config smallConfig()
    {
        return XskSocket.Config.defaults().frameCount(256).fillRingSize(128).completionRingSize(128)
            .rxRingSize(128).txRingSize(128);
    }

    /** Loads the program, attaches it to a, opens an XskPort on a and registers its sockets. */
    private XskPort attachAndOpen(final XdpProgram program, final XdpAttachMode mode, final XskSocket.Config config)
        throws IOException
    {
        lab.openInside(() ->
        {
            program.attach("a", mode);
            return null;
        });
        final XskPort port = lab.openInside(() -> XskPort.open("a", config));
        final int[] queues = port.queueIds();
        final int[] fds = port.socketFds();
        for (int i = 0; i < queues.length; i++)
        {
            program.registerSocket("a", queues[i], fds[i]);
        }
        return port;
    }

    private RingPort openPeer() throws IOException
    {
        return lab.openInside(() -> RingPort.open("b", PacketSocket.Config.defaults().blockCount(4)));
    }

    private static void sendAll(final RingPort port, final List<byte[]> frames)
    {
        for (final byte[] f : frames)
        {
            assertTrue(port.send(new UnsafeBuffer(f), 0, f.length), "send of " + f.length + " B");
        }
        port.flush(System.nanoTime());
    }

    /** Receives frames built by {@link XdpFrames#frame} for {@code quietMs} after the last, keyed by sequence. */
    private static Map<Integer, byte[]> receiveBySeq(final PacketPort port, final int expected, final long quietMs)
    {
        final Map<Integer, byte[]> received = new TreeMap<>();
        final FrameHandler handler = (buffer, offset, length, ts) ->
        {
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            received.put(seq(buffer, offset, length), copy);
        };
        final long deadline = System.nanoTime() + 5_000_000_000L;
        long quietUntil = expected == 0 ? System.nanoTime() + quietMs * 1_000_000L : Long.MAX_VALUE;
        while (System.nanoTime() < deadline && System.nanoTime() < quietUntil)
        {
            if (port.receive(handler, 64) == 0)
            {
                Thread.onSpinWait();
            }
            if (received.size() >= expected && quietUntil == Long.MAX_VALUE)
            {
                quietUntil = System.nanoTime() + quietMs * 1_000_000L;
            }
        }
        return received;
    }

    @Test
    void shouldBeAvailableToRoot()
    {
        assertNull(XdpProgram.unavailabilityCause(), () -> String.valueOf(XdpProgram.unavailabilityCause()));
        assertNull(XskPort.unavailabilityCause());
    }

    @ParameterizedTest
    @EnumSource(value = XdpAttachMode.class, names = {"DRIVER", "GENERIC"})
    void shouldRedirectInterceptedTcpAndPassEverythingElseToTheKernel(final XdpAttachMode mode) throws IOException
    {
        final XdpProgram program = closeLater(XdpProgram.load());
        final XskPort port = closeLater(attachAndOpen(program, mode, smallConfig()));
        assertEquals(mode, program.attachedMode("a"));
        program.intercept("a", InterceptMatch.DESTINATION, address(A_V4), 443);
        program.intercept("a", InterceptMatch.SOURCE, address(SERVER_V4), 8080);
        program.intercept("a", InterceptMatch.DESTINATION, address(A_V6), 443);
        final DatagramChannel udp = closeLater(lab.openInside(() ->
        {
            final DatagramChannel channel = DatagramChannel.open();
            channel.bind(new InetSocketAddress(A_V4, 443));
            channel.configureBlocking(false);
            return channel;
        }));
        final RingPort peer = closeLater(openPeer());

        final Map<Integer, byte[]> intercepted = new HashMap<>();
        final List<byte[]> frames = new ArrayList<>();
        intercepted.put(1, frame(macA, PEER_V4, 40001, A_V4, 443, TCP, 0, 100, 1));
        intercepted.put(2, frame(macA, SERVER_V4, 8080, A_V4, 40002, TCP, 0, 100, 2));
        intercepted.put(3, frame(macA, PEER_V6, 40003, A_V6, 443, TCP, 0, 100, 3));
        intercepted.put(4, frame(macA, PEER_V4, 40004, A_V4, 443, TCP, 0, 100, 4, ETH_P_8021Q));
        intercepted.put(5, frame(macA, PEER_V4, 40005, A_V4, 443, TCP, 0, 100, 5, ETH_P_8021AD, ETH_P_8021Q));
        intercepted.put(6, frame(macA, PEER_V4, 40006, A_V4, 443, TCP, 3, 100, 6)); // 12 bytes of IPv4 options
        intercepted.put(7, frame(macA, PEER_V6, 40007, A_V6, 443, TCP, 0, 1400, 7, ETH_P_8021Q));
        frames.addAll(intercepted.values());
        frames.add(frame(macA, PEER_V4, 40010, A_V4, 444, TCP, 0, 100, 10)); // other port
        frames.add(frame(macA, PEER_V4, 40011, "10.77.0.2", 443, TCP, 0, 100, 11)); // other address
        frames.add(frame(macA, PEER_V6, 40012, A_V6, 80, TCP, 0, 100, 12));
        frames.add(frame(macA, SERVER_V4, 8081, A_V4, 40013, TCP, 0, 100, 13)); // other source port
        frames.add(frame(macA, PEER_V4, 40014, A_V4, 443, UDP, 0, 100, 14)); // UDP to the intercepted port
        final byte[] hopByHop = frame(macA, PEER_V6, 40015, A_V6, 443, TCP, 0, 100, 15);
        hopByHop[14 + 6] = 0; // next header: hop-by-hop options, not walked: passed
        frames.add(hopByHop);
        // 60 bytes of IPv4 header and no room left for the TCP header: passed, never read past the end
        frames.add(java.util.Arrays.copyOf(frame(macA, PEER_V4, 40016, A_V4, 443, TCP, 10, 0, 16), 14 + 60));
        sendAll(peer, frames);

        final Map<Integer, byte[]> received = receiveBySeq(port, intercepted.size(), 200);
        assertEquals(intercepted.keySet(), received.keySet(), "redirected frames, " + mode);
        for (final Map.Entry<Integer, byte[]> e : intercepted.entrySet())
        {
            assertArrayEquals(e.getValue(), received.get(e.getKey()), "frame " + e.getKey() + " byte-exact");
        }
        final ByteBuffer datagram = ByteBuffer.allocate(2048);
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (udp.receive(datagram) == null && System.nanoTime() < deadline)
        {
            Thread.onSpinWait();
        }
        assertEquals(104, datagram.position(), "the UDP datagram passed to the kernel's socket");
        assertEquals(14, datagram.getInt(100));
        assertEquals(0, port.rxErrors());
    }

    @Test
    void shouldLeaveNonInterceptedFramesToTheKernelBridge() throws IOException
    {
        // the appliance's shape: a and c are ports of br0; b is the outside wire, d the inside one
        lab.addVethPairWithOffloadsOff("c", "d");
        lab.exec(NetnsLab.IP, "link", "add", "name", "br0", "type", "bridge");
        lab.exec(NetnsLab.IP, "link", "set", "dev", "a", "master", "br0");
        lab.exec(NetnsLab.IP, "link", "set", "dev", "c", "master", "br0");
        lab.exec(NetnsLab.IP, "link", "set", "dev", "br0", "up");
        lab.awaitLinksUp("a", "b", "c", "d", "br0");
        final XdpProgram program = closeLater(XdpProgram.load());
        final XskPort port = closeLater(attachAndOpen(program, XdpAttachMode.DRIVER, smallConfig()));
        program.intercept("a", InterceptMatch.DESTINATION, address(SERVER_V4), 443);
        final RingPort outside = closeLater(openPeer());
        final RingPort inside = closeLater(lab.openInside(() ->
            RingPort.open("d", PacketSocket.Config.defaults().blockCount(4))));
        final byte[] serverMac = {2, 0, 0, 0, 0, 0x0d};
        final Map<Integer, byte[]> bridged = new TreeMap<>();
        final FrameHandler toServer = (buffer, offset, length, ts) ->
        {
            if (length >= 60 && buffer.getByte(offset + 5) == 0x0d) // to the server MAC, not the bridge's own
            {
                final byte[] copy = new byte[length];
                buffer.getBytes(offset, copy);
                bridged.put(seq(buffer, offset, length), copy);
            }
        };
        // a fresh bridge may drop while its ports settle: probe until it forwards
        final long settleDeadline = System.nanoTime() + 5_000_000_000L;
        while (!bridged.containsKey(999) && System.nanoTime() < settleDeadline)
        {
            sendAll(outside, List.of(frame(serverMac, PEER_V4, 1, SERVER_V4, 80, TCP, 0, 10, 999)));
            final long waitUntil = System.nanoTime() + 50_000_000L;
            while (!bridged.containsKey(999) && System.nanoTime() < waitUntil)
            {
                inside.receive(toServer, 64);
            }
        }
        assertTrue(bridged.containsKey(999), "the bridge forwards");
        bridged.clear();

        final List<byte[]> frames = new ArrayList<>();
        for (int seq = 0; seq < 40; seq++)
        {
            final int dstPort = seq % 2 == 0 ? 443 : 80; // even: intercepted; odd: bridged
            frames.add(frame(serverMac, PEER_V4, 40000 + seq, SERVER_V4, dstPort, TCP, 0, 300, seq));
        }
        frames.add(frame(serverMac, PEER_V4, 5353, SERVER_V4, 443, UDP, 0, 30, 100)); // bridged
        sendAll(outside, frames);

        final Map<Integer, byte[]> intercepted = receiveBySeq(port, 20, 100);
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (bridged.size() < 21 && System.nanoTime() < deadline)
        {
            inside.receive(toServer, 64);
        }
        for (int seq = 0; seq < 40; seq++)
        {
            final Map<Integer, byte[]> expectedIn = seq % 2 == 0 ? intercepted : bridged;
            final Map<Integer, byte[]> notIn = seq % 2 == 0 ? bridged : intercepted;
            assertArrayEquals(frames.get(seq), expectedIn.get(seq),
                "frame " + seq + ", bridged " + bridged.keySet() + ", intercepted " + intercepted.keySet());
            assertFalse(notIn.containsKey(seq), "frame " + seq + " took one path only");
        }
        assertArrayEquals(frames.get(40), bridged.get(100), "UDP to the intercepted port bridged");
    }

    @Test
    void shouldOpenOneSocketPerReceiveQueueAndReceiveFromAll() throws IOException
    {
        lab.exec(NetnsLab.IP, "link", "add", "name", "m", "numtxqueues", "2", "numrxqueues", "2", "type", "veth",
            "peer", "name", "n", "numtxqueues", "2", "numrxqueues", "2");
        lab.exec(NetnsLab.IP, "link", "set", "dev", "m", "up");
        lab.exec(NetnsLab.IP, "link", "set", "dev", "n", "up");
        lab.awaitLinksUp("m", "n");
        final byte[] macM = XdpFrames.mac(lab.exec("cat", "/sys/class/net/m/address"));
        final XdpProgram program = closeLater(XdpProgram.load());
        lab.openInside(() ->
        {
            program.attach("m", XdpAttachMode.DRIVER);
            return null;
        });
        final XskPort port = closeLater(lab.openInside(() -> XskPort.open("m", smallConfig())));
        assertArrayEquals(new int[] {0, 1}, port.queueIds());
        assertEquals(2, port.socketFds().length);
        for (int i = 0; i < 2; i++)
        {
            program.registerSocket("m", port.queueIds()[i], port.socketFds()[i]);
        }
        program.intercept("m", InterceptMatch.DESTINATION, address(A_V4), 443); // not redirectAll: n's own ND/MLD
        final RingPort peer = closeLater(lab.openInside(() ->
            RingPort.open("n", PacketSocket.Config.defaults().blockCount(4))));
        final List<byte[]> frames = new ArrayList<>();
        for (int seq = 0; seq < 64; seq++)
        {
            frames.add(frame(macM, PEER_V4, 1000 + seq, A_V4, 443, TCP, 0, 64, seq));
        }
        sendAll(peer, frames);
        assertEquals(64, receiveBySeq(port, 64, 50).size(), "every frame, whichever queue it arrived on");
    }

    @Test
    void shouldAttachInDriverModeOnVethWhenAskedForAuto() throws IOException
    {
        final XdpProgram program = closeLater(XdpProgram.load());
        closeLater(attachAndOpen(program, XdpAttachMode.AUTO, smallConfig()));
        assertEquals(XdpAttachMode.DRIVER, program.attachedMode("a"));
        assertTrue(lab.exec(NetnsLab.IP, "link", "show", "dev", "a").contains("xdp"), "ip link shows the program");
        program.close();
        assertFalse(lab.exec(NetnsLab.IP, "link", "show", "dev", "a").contains("xdp"), "close detached it");
        program.close(); // idempotent
    }

    @Test
    void shouldRedirectEverythingWithRedirectAllAndStopWhenCleared() throws IOException
    {
        final XdpProgram program = closeLater(XdpProgram.load());
        final XskPort port = closeLater(attachAndOpen(program, XdpAttachMode.DRIVER, smallConfig()));
        final RingPort peer = closeLater(openPeer());
        final Random random = new Random(SEED);

        program.redirectAll("a", true);
        sendAll(peer, List.of(testFrame(random, 1, 80), frame(macA, PEER_V4, 1, A_V4, 53, UDP, 0, 40, 2)));
        final java.util.Set<Integer> etherTypes = new java.util.TreeSet<>();
        final FrameHandler keepOurs = (buffer, offset, length, ts) ->
        {
            if ((buffer.getByte(offset) & 1) == 0) // unicast: ours, not the kernel's own ND/MLD multicast
            {
                etherTypes.add(buffer.getShort(offset + 12, java.nio.ByteOrder.BIG_ENDIAN) & 0xFFFF);
            }
        };
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (etherTypes.size() < 2 && System.nanoTime() < deadline)
        {
            port.receive(keepOurs, 64);
        }
        assertEquals(java.util.Set.of(RingFrames.TEST_ETHER_TYPE, XdpFrames.ETH_P_IP), etherTypes,
            "a non-IP frame and a UDP datagram both redirected, seed " + SEED);

        program.redirectAll("a", false);
        sendAll(peer, List.of(testFrame(random, 3, 80)));
        final Map<Integer, byte[]> after = new HashMap<>();
        drain(port, after, 0);
        assertTrue(after.isEmpty(), "non-IP frame passed once redirect_all is off");
    }

    @Test
    void shouldStopInterceptingAfterClearIntercepts() throws IOException
    {
        final XdpProgram program = closeLater(XdpProgram.load());
        final XskPort port = closeLater(attachAndOpen(program, XdpAttachMode.GENERIC, smallConfig()));
        final RingPort peer = closeLater(openPeer());
        program.intercept("a", InterceptMatch.DESTINATION, address(A_V4), 443);
        program.intercept("a", InterceptMatch.DESTINATION, address(A_V6), 443);
        program.intercept("a", InterceptMatch.SOURCE, address(SERVER_V4), 80);
        assertEquals(3, program.interceptCount("a"));

        sendAll(peer, List.of(frame(macA, PEER_V4, 40001, A_V4, 443, TCP, 0, 10, 1)));
        assertEquals(1, receiveBySeq(port, 1, 50).size());

        program.clearIntercepts("a");
        assertEquals(0, program.interceptCount("a"));
        sendAll(peer, List.of(frame(macA, PEER_V4, 40001, A_V4, 443, TCP, 0, 10, 2)));
        assertTrue(receiveBySeq(port, 0, 300).isEmpty(), "no key left: the segment went to the kernel");

        program.intercept("a", InterceptMatch.DESTINATION, address(A_V4), 443); // a reload re-adds keys
        sendAll(peer, List.of(frame(macA, PEER_V4, 40001, A_V4, 443, TCP, 0, 10, 3)));
        assertEquals(List.of(3), List.copyOf(receiveBySeq(port, 1, 50).keySet()));
    }

    @Test
    void shouldSendFramesToThePeerByteExact() throws IOException
    {
        final XdpProgram program = closeLater(XdpProgram.load());
        final XskPort port = closeLater(attachAndOpen(program, XdpAttachMode.DRIVER, smallConfig()));
        final RingPort peer = closeLater(openPeer());
        final Random random = new Random(SEED);
        final Map<Integer, byte[]> sent = new HashMap<>();
        final Map<Integer, byte[]> received = new HashMap<>();
        for (int seq = 0; seq < 600; seq++)
        {
            final int length = seq < 2 ? (seq == 0 ? 60 : 1514) : 60 + random.nextInt(1514 - 60 + 1);
            final byte[] bytes = testFrame(random, seq, length);
            sent.put(seq, bytes);
            if (port.txRoom() == 0)
            {
                port.flush(System.nanoTime());
                drain(peer, received, seq);
            }
            assertTrue(port.send(new UnsafeBuffer(bytes), 0, length), "send of " + length + " B");
        }
        port.flush(System.nanoTime());
        drain(peer, received, sent.size());
        assertEquals(sent.size(), received.size(), "seed " + SEED);
        for (final Map.Entry<Integer, byte[]> e : sent.entrySet())
        {
            assertArrayEquals(e.getValue(), received.get(e.getKey()), "frame " + e.getKey() + ", seed " + SEED);
        }
        assertEquals(0, port.txErrors());
        assertEquals(0, port.txRingFullDrops());
    }

    @Test
    void shouldCountAndDropAFrameLongerThanAFrameSlot() throws IOException
    {
        final XdpProgram program = closeLater(XdpProgram.load());
        final XskPort port = closeLater(attachAndOpen(program, XdpAttachMode.DRIVER, smallConfig()));
        assertEquals(2048 - 256, port.maxFrameBytes());
        final UnsafeBuffer big = new UnsafeBuffer(new byte[4096]);
        final int room = port.txRoom();
        assertFalse(port.send(big, 0, port.maxFrameBytes() + 1));
        assertFalse(port.send(big, 0, 0));
        assertEquals(2, port.txOversizeDrops());
        assertEquals(2, port.txErrors());
        assertEquals(room, port.txRoom(), "no send frame used by a refused frame");

        // received: a 2000 B frame (MTU raised on both ends) does not fit a 2048 B UMEM frame after its headroom
        lab.exec(NetnsLab.IP, "link", "set", "dev", "b", "mtu", "2100");
        lab.exec(NetnsLab.IP, "link", "set", "dev", "a", "mtu", "2100");
        program.intercept("a", InterceptMatch.DESTINATION, address(A_V4), 443);
        final RingPort peer = closeLater(openPeer());
        sendAll(peer, List.of(frame(macA, PEER_V4, 40001, A_V4, 443, TCP, 0, 1950, 1),
            frame(macA, PEER_V4, 40001, A_V4, 443, TCP, 0, 100, 2)));
        final Map<Integer, byte[]> received = receiveBySeq(port, 1, 200);
        assertEquals(List.of(2), List.copyOf(received.keySet()), "the long frame was not delivered, cut or whole");
        port.flush(System.nanoTime());
        assertEquals(1, port.kernelDrops(), "the kernel counted it (XDP_STATISTICS rx_dropped)");
    }

    @Test
    void shouldHoldBackWhenTheTxRingIsFullWithoutLosingAcceptedFrames() throws IOException
    {
        final XdpProgram program = closeLater(XdpProgram.load());
        final XskSocket.Config config = XskSocket.Config.defaults().frameCount(160).fillRingSize(128)
            .completionRingSize(32).rxRingSize(128).txRingSize(32);
        final XskPort port = closeLater(attachAndOpen(program, XdpAttachMode.DRIVER, config));
        final RingPort peer = closeLater(openPeer());
        final Random random = new Random(SEED);
        assertEquals(32, port.txRoom());
        for (int seq = 0; seq < 32; seq++)
        {
            assertTrue(port.send(new UnsafeBuffer(testFrame(random, seq, 200)), 0, 200));
        }
        assertEquals(0, port.txRoom());
        assertFalse(port.send(new UnsafeBuffer(testFrame(random, 99, 200)), 0, 200), "no free send frame");
        assertEquals(1, port.txRingFullDrops());

        // an engine that honours txRoom(): 2000 frames through a 32-frame ring, none lost, in order
        final Map<Integer, byte[]> received = new HashMap<>();
        final FrameHandler collect = collector(received);
        int seq = 32;
        final long deadline = System.nanoTime() + 20_000_000_000L;
        while (received.size() < 2000 && System.nanoTime() < deadline)
        {
            int room = port.txRoom();
            while (room-- > 0 && seq < 2000)
            {
                assertTrue(port.send(new UnsafeBuffer(testFrame(random, seq++, 200)), 0, 200), "accepted in room");
            }
            port.flush(System.nanoTime());
            peer.receive(collect, 256);
        }
        assertEquals(2000, received.size(), "seed " + SEED);
        assertEquals(1, port.txRingFullDrops());
        port.flush(System.nanoTime());
        assertEquals(32, port.txRoom() + port.txInFlight());
    }

    @Test
    void shouldAllocateNothingToReceiveSendAndFlush() throws IOException
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported(),
            "allocation counting not supported by this JVM");
        final XdpProgram program = closeLater(XdpProgram.load());
        final XskPort port = closeLater(attachAndOpen(program, XdpAttachMode.DRIVER, smallConfig()));
        program.redirectAll("a", true);
        final RingPort peer = closeLater(openPeer());
        final Random random = new Random(SEED);
        final List<byte[]> burst = new ArrayList<>();
        for (int seq = 0; seq < 64; seq++)
        {
            burst.add(testFrame(random, seq, 60 + random.nextInt(1400)));
        }
        final UnsafeBuffer out = new UnsafeBuffer(testFrame(random, 1000, 300));
        final int[] received = new int[1];
        final FrameHandler counting = (buffer, offset, length, ts) -> received[0] += buffer.getByte(offset) & 1;
        final FrameHandler discard = (buffer, offset, length, ts) -> { };
        long fewest = Long.MAX_VALUE;
        for (int round = 0; round < 30; round++)
        {
            sendAll(peer, burst);
            final long deadline = System.nanoTime() + 2_000_000_000L;
            int frames = 0;
            final long before = threads.getCurrentThreadAllocatedBytes();
            while (frames < burst.size() && System.nanoTime() < deadline)
            {
                frames += port.receive(counting, 64);
            }
            for (int i = 0; i < 32; i++)
            {
                port.send(out, 0, 300);
            }
            port.flush(System.nanoTime());
            fewest = Math.min(fewest, threads.getCurrentThreadAllocatedBytes() - before);
            assertEquals(burst.size(), frames, "round " + round);
            while (peer.receive(discard, 256) > 0)
            {
                Thread.onSpinWait();
            }
        }
        assertTrue(fewest < 256, fewest + " bytes allocated for 64 frames received and 32 sent");
    }

    @Test
    void shouldLeakNoDescriptorOrMappingOver100OpenCloseCycles() throws IOException
    {
        for (int i = 0; i < 3; i++)
        {
            cycle(); // warm up: the JVM's own first-use mappings (JNR stubs, classes) come now
        }
        final long socketsBefore = openSockets();
        final long fdsBefore = openDescriptors();
        final long mapsBefore = mappings();
        for (int i = 0; i < 100; i++)
        {
            cycle();
        }
        assertEquals(socketsBefore, openSockets());
        // a leak would add 100s of descriptors (program, maps, link, socket) or 500 mappings
        assertTrue(openDescriptors() - fdsBefore < 5, fdsBefore + " -> " + openDescriptors() + " descriptors");
        assertTrue(mappings() - mapsBefore < 10, mapsBefore + " -> " + mappings() + " mappings");
        assertFalse(lab.exec(NetnsLab.IP, "link", "show", "dev", "a").contains("xdp"), "no program left on a");
    }

    /** Program, port and a lone socket opened, used and closed; the socket's UMEM and rings checked unmapped. */
    private void cycle() throws IOException
    {
        try (XdpProgram program = XdpProgram.load())
        {
            final XskPort port = attachAndOpen(program, XdpAttachMode.DRIVER, smallConfig());
            program.intercept("a", InterceptMatch.DESTINATION, address(A_V4), 443);
            final XskSocket socket = lab.openInside(() -> XskSocket.open("b", 0, smallConfig()));
            final long umem = socket.umemAddress();
            final long[] rings = {socket.rxRing().address(), socket.txRing().address(), socket.fillRing().address(),
                socket.completionRing().address()};
            assertTrue(isMapped(umem));
            socket.close();
            socket.close(); // idempotent
            assertFalse(isMapped(umem), "UMEM still mapped");
            for (final long ring : rings)
            {
                assertFalse(isMapped(ring), "ring still mapped");
            }
            port.send(new UnsafeBuffer(new byte[60]), 0, 60);
            port.flush(System.nanoTime());
            port.close();
            port.close();
        }
    }
}
