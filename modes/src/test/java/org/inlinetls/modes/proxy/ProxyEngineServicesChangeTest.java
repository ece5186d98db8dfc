package org.inlinetls.modes.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.crypto.record.IntegrityMode;
import org.inlinetls.handshake.HandshakeConfig;
import org.inlinetls.handshake.TestPki;
import org.inlinetls.modes.direct.FrameOut;
import org.inlinetls.packet.engine.Side;
import org.inlinetls.packet.engine.Verdict;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.frame.FrameAnomaly;
import org.inlinetls.packet.frame.FrameParser;
import org.inlinetls.packet.frame.ParsedFrame;
import org.inlinetls.packet.tcp.TcpConfig;
import org.inlinetls.packet.tcp.TcpEndpoint;
import org.junit.jupiter.api.Test;

/**
 * A running {@link ProxyEngine} given a reload's {@link ProxyServiceTable}: a flow of a service no mode serves any more
 * is reset on both legs and counted; a flow of a service that moved to another mode finishes here while new flows to
 * it are left to the other mode; a service another mode served before leaves segments of no flow of its own to that
 * mode rather than resetting them.
 */
class ProxyEngineServicesChangeTest
{
    private static final byte[] SERVICE_IP = {(byte)192, 0, 2, 10};
    private static final int SERVICE_ADDRESS = 0xC000020A;
    private static final byte[] CLIENT_IP = {(byte)198, 51, 100, 7};
    private static final long CLIENT_MAC = 0x02_00_00_00_00_01L;
    private static final long SERVER_MAC = 0x02_00_00_00_00_02L;
    private static final ProxyEngine.Service SERVICE = new ProxyEngine.Service(SERVICE_ADDRESS, 443, 80);

    private final HandshakeConfig handshake = HandshakeConfig.builder(TestPki.get().selector()).build();
    private final List<byte[]> toClient = new ArrayList<>();
    private long nowNs = 1_000_000_000L;

    private ProxyEngine engine(final List<ProxyEngine.Service> services)
    {
        return new ProxyEngine(new ProxyEngine.Settings(services, handshake, IntegrityMode.DEFERRED, 1460, 65_536,
            65_536, ProxyEngine.Settings.MIN_STAGE_BYTES, 64L << 20, 300_000_000_000L, 1_000_000_000L, true, 7),
            new FrameOut()
            {
                @Override
                public boolean toClient(final DirectBuffer buffer, final int offset, final int length)
                {
                    final byte[] copy = new byte[length];
                    buffer.getBytes(offset, copy);
                    toClient.add(copy);
                    return true;
                }

                @Override
                public boolean toServer(final DirectBuffer buffer, final int offset, final int length)
                {
                    return true;
                }
            });
    }

    private ProxyServiceTable table(final List<ProxyEngine.Service> services, final List<ProxyEngine.Service> elsewhere,
        final List<ProxyEngine.Service> handedOver)
    {
        return new ProxyServiceTable(services, handshake, elsewhere, handedOver, 64L << 20, 300_000_000_000L,
            1_000_000_000L);
    }

    @Test
    void shouldResetBothLegsOfAFlowWhoseServiceNoModeServesAnyMore()
    {
        final ProxyEngine engine = engine(List.of(SERVICE));
        assertEquals(Verdict.CONSUMED, classify(engine, Side.OUTSIDE, client(50_001).syn()));
        assertEquals(1, engine.flowCount());
        toClient.clear();
        engine.applyServices(table(List.of(), List.of(), List.of()), nowNs);
        assertEquals(1, engine.counter(ProxyCounter.FLOWS_RESET_SERVICE_REMOVED));
        assertEquals(1, engine.counter(ProxyCounter.SERVICE_TABLES_APPLIED));
        assertEquals(0, engine.flowCount(), "the flow went");
        assertTrue(toClient.stream().anyMatch(ProxyEngineServicesChangeTest::isRst), "a RST to the client");
        assertEquals(Verdict.FORWARD, classify(engine, Side.OUTSIDE, client(50_002).syn()), "no service any more");
    }

    @Test
    void shouldFinishAFlowOfAServiceThatMovedToAnotherModeAndLeaveNewFlowsToThatMode()
    {
        final ProxyEngine engine = engine(List.of(SERVICE));
        final Client first = client(50_011);
        assertEquals(Verdict.CONSUMED, classify(engine, Side.OUTSIDE, first.syn()));
        engine.applyServices(table(List.of(), List.of(SERVICE), List.of()), nowNs);
        assertEquals(0, engine.counter(ProxyCounter.FLOWS_RESET_SERVICE_REMOVED));
        assertEquals(1, engine.flowCount(), "the flow stays in the mode it started in");
        assertEquals(Verdict.CONSUMED, classify(engine, Side.OUTSIDE, first.ack()), "its segments are still ours");
        assertEquals(Verdict.FORWARD, classify(engine, Side.OUTSIDE, client(50_012).syn()),
            "a new flow is the other mode's");
        assertEquals(Verdict.FORWARD, classify(engine, Side.INSIDE, backendSegment(50_013)),
            "a backend segment of no flow of ours: the other mode serves that backend");
    }

    @Test
    void shouldLeaveSegmentsOfNoFlowToTheModeThatServedTheServiceBefore()
    {
        final ProxyEngine engine = engine(List.of());
        engine.applyServices(table(List.of(SERVICE), List.of(), List.of(SERVICE)), nowNs);
        assertEquals(Verdict.FORWARD, classify(engine, Side.OUTSIDE, client(50_021).ack()),
            "maybe a flow in flight of the previous mode: not reset");
        assertEquals(Verdict.FORWARD, classify(engine, Side.INSIDE, backendSegment(50_022)));
        assertEquals(Verdict.CONSUMED, classify(engine, Side.OUTSIDE, client(50_023).syn()), "new flows are ours");
        assertEquals(0, engine.counter(ProxyCounter.UNKNOWN_FLOW_SEGMENTS));

        engine.applyServices(table(List.of(SERVICE), List.of(), List.of()), nowNs); // no longer handed over
        assertEquals(Verdict.CONSUMED, classify(engine, Side.OUTSIDE, client(50_024).ack()));
        assertEquals(1, engine.counter(ProxyCounter.UNKNOWN_FLOW_SEGMENTS), "a segment of no flow: RST");
    }

    /** A client of the service from {@code port}: its SYN, then an ACK as if the handshake went on. */
    private Client client(final int port)
    {
        return new Client(port);
    }

    private final class Client
    {
        private final int port;

        Client(final int port)
        {
            this.port = port;
        }

        byte[] syn()
        {
            final TcpEndpoint endpoint = new TcpEndpoint(new TcpConfig().localMac(CLIENT_MAC).remoteMac(SERVER_MAC)
                .localAddress(CLIENT_IP).remoteAddress(SERVICE_IP).localPort(port).remotePort(443).isnSeed(port)
                .validate());
            endpoint.connect(nowNs);
            final List<byte[]> frames = new ArrayList<>();
            endpoint.poll(nowNs, (buffer, offset, length) ->
            {
                final byte[] copy = new byte[length];
                buffer.getBytes(offset, copy);
                frames.add(copy);
                return true;
            });
            return frames.get(0);
        }

        /** The SYN with only the ACK flag set: a segment of an established flow, as the classifier sees it. */
        byte[] ack()
        {
            final byte[] frame = syn();
            new TcpHeaderFlyweight().wrap(new UnsafeBuffer(frame), parse(frame).l4Offset).flags(TcpHeaderFlyweight.ACK);
            return frame;
        }
    }

    /** A segment from the service's backend port 80 to a client port (a SYN-ACK would do: any segment). */
    private byte[] backendSegment(final int clientPort)
    {
        final TcpEndpoint backend = new TcpEndpoint(new TcpConfig().localMac(SERVER_MAC).remoteMac(CLIENT_MAC)
            .localAddress(SERVICE_IP).remoteAddress(CLIENT_IP).localPort(80).remotePort(clientPort)
            .isnSeed(clientPort).validate());
        backend.connect(nowNs);
        final List<byte[]> frames = new ArrayList<>();
        backend.poll(nowNs, (buffer, offset, length) ->
        {
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            frames.add(copy);
            return true;
        });
        final byte[] frame = frames.get(0);
        new TcpHeaderFlyweight().wrap(new UnsafeBuffer(frame), parse(frame).l4Offset).flags(TcpHeaderFlyweight.ACK);
        return frame;
    }

    private Verdict classify(final ProxyEngine engine, final Side side, final byte[] frame)
    {
        nowNs += 1_000_000;
        final Verdict verdict = engine.classify(side, new UnsafeBuffer(frame), parse(frame), nowNs);
        engine.onTick(nowNs);
        return verdict;
    }

    private static ParsedFrame parse(final byte[] frame)
    {
        final ParsedFrame parsed = new ParsedFrame();
        assertEquals(FrameAnomaly.NONE, new FrameParser().parse(new UnsafeBuffer(frame), 0, frame.length, parsed));
        return parsed;
    }

    private static boolean isRst(final byte[] frame)
    {
        final ParsedFrame parsed = parse(frame);
        return parsed.isTcp() && (new TcpHeaderFlyweight().wrap(new UnsafeBuffer(frame), parsed.l4Offset).flags() &
            TcpHeaderFlyweight.RST) != 0;
    }
}
