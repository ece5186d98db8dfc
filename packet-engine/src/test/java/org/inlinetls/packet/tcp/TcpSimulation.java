package org.inlinetls.packet.tcp;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Two {@link TcpEndpoint}s over a {@link SimulatedWire}, each with an application that writes its payload, reads the
 * peer's, and closes once everything is written; a simulated clock that jumps to the next deadline when nothing is
 * left to do at the current instant.
 */
final class TcpSimulation
{
    static final int CLIENT = 0;
    static final int SERVER = 1;
    static final long MAX_SIM_TIME_NS = 3_600_000_000_000L;
    static final int MAX_STEPS = 20_000_000;
    static final int MAX_STEPS_PER_INSTANT = 1_000_000;

    static byte[] macOf(final int side)
    {
        return new byte[]{ 0x02, 0, 0, 0, 0, (byte)(side + 1) };
    }

    /** Config of one side; the test adjusts buffers and options before the endpoints are made. */
    static TcpConfig config(final int side, final boolean ipv6)
    {
        final byte[] client = ipv6 ? new byte[]{ 0x20, 0x01, 0x0d, (byte)0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } :
            new byte[]{ (byte)192, 0, 2, 1 };
        final byte[] server = ipv6 ? new byte[]{ 0x20, 0x01, 0x0d, (byte)0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 } :
            new byte[]{ (byte)198, 51, 100, 2 };
        final boolean isClient = side == CLIENT;
        return new TcpConfig()
            .localMac(isClient ? 0x02_00_00_00_00_01L : 0x02_00_00_00_00_02L)
            .remoteMac(isClient ? 0x02_00_00_00_00_02L : 0x02_00_00_00_00_01L)
            .localAddress(isClient ? client : server)
            .remoteAddress(isClient ? server : client)
            .localPort(isClient ? 40000 : 443)
            .remotePort(isClient ? 443 : 40000);
    }

    /** The application on one side. */
    static final class App
    {
        final byte[] toSend;
        final byte[] received;
        int sentOffset;
        int receivedLength;
        boolean closed;
        boolean overrun;
        long nextReadNs;
        int readChunk = Integer.MAX_VALUE;
        long readIntervalNs;
        int writeChunk = Integer.MAX_VALUE;
        boolean closeWhenDone = true;

        App(final byte[] toSend, final int expectedLength)
        {
            this.toSend = toSend;
            this.received = new byte[expectedLength];
        }

        boolean step(final TcpEndpoint endpoint, final long nowNs)
        {
            boolean progress = false;
            if (sentOffset < toSend.length)
            {
                final int n = endpoint.write(toSend, sentOffset, Math.min(writeChunk, toSend.length - sentOffset));
                sentOffset += n;
                progress = n > 0;
            }
            if (sentOffset == toSend.length && !closed && closeWhenDone && endpoint.state() != TcpState.LISTEN &&
                endpoint.state() != TcpState.SYN_SENT)
            {
                endpoint.close();
                closed = true;
                progress = true;
            }
            if (nowNs - nextReadNs >= 0 && endpoint.readableBytes() > 0)
            {
                final int room = received.length - receivedLength;
                if (room == 0)
                {
                    overrun = true;
                    return false;
                }
                final int n = endpoint.read(received, receivedLength, Math.min(room, readChunk));
                receivedLength += n;
                nextReadNs = nowNs + readIntervalNs;
                progress |= n > 0;
            }
            return progress;
        }

        long nextWakeNs(final TcpEndpoint endpoint)
        {
            return endpoint.readableBytes() > 0 ? nextReadNs : TcpEndpoint.NO_DEADLINE;
        }
    }

    final TcpEndpoint[] endpoints = new TcpEndpoint[2];
    final App[] apps = new App[2];
    final SimulatedWire wire;
    final FrameSink[] sinks = new FrameSink[2];
    long nowNs;
    int steps;
    int stepsAtThisInstant;
    boolean livelock;

    TcpSimulation(final TcpConfig clientConfig, final TcpConfig serverConfig, final SimulatedWire wire,
        final byte[] clientPayload, final byte[] serverPayload)
    {
        this.wire = wire;
        endpoints[CLIENT] = new TcpEndpoint(clientConfig);
        endpoints[SERVER] = new TcpEndpoint(serverConfig);
        apps[CLIENT] = new App(clientPayload, serverPayload.length);
        apps[SERVER] = new App(serverPayload, clientPayload.length);
        sinks[CLIENT] = wire.sinkFrom(CLIENT);
        sinks[SERVER] = wire.sinkFrom(SERVER);
    }

    void open()
    {
        endpoints[SERVER].listen();
        endpoints[CLIENT].connect(nowNs);
    }

    /** Runs until {@code done} holds, the clock stops (nothing scheduled) or the limits pass; returns done's value. */
    boolean runUntil(final java.util.function.BooleanSupplier done)
    {
        while (steps++ < MAX_STEPS && nowNs < MAX_SIM_TIME_NS)
        {
            if (done.getAsBoolean())
            {
                return true;
            }
            wire.now(nowNs);
            boolean progress = false;
            for (int side = 0; side < 2; side++)
            {
                progress |= apps[side].step(endpoints[side], nowNs);
                progress |= endpoints[side].poll(nowNs, sinks[side]) > 0;
            }
            progress |= wire.takeRefused();
            progress |= wire.deliver(nowNs, endpoints) > 0;
            if (progress && ++stepsAtThisInstant > MAX_STEPS_PER_INSTANT)
            {
                livelock = true;
                return false;
            }
            if (!progress)
            {
                stepsAtThisInstant = 0;
                long next = wire.nextDeliveryNs();
                for (int side = 0; side < 2; side++)
                {
                    next = Math.min(next, endpoints[side].nextDeadlineNs());
                    next = Math.min(next, apps[side].nextWakeNs(endpoints[side]));
                }
                if (next == TcpEndpoint.NO_DEADLINE)
                {
                    return done.getAsBoolean();
                }
                nowNs = Math.max(nowNs, next);
            }
        }
        return done.getAsBoolean();
    }

    boolean transferComplete()
    {
        return endpoints[CLIENT].isClosed() && endpoints[SERVER].isClosed() &&
            apps[CLIENT].receivedLength == apps[CLIENT].received.length &&
            apps[SERVER].receivedLength == apps[SERVER].received.length;
    }

    /** Null when both payloads arrived intact and both sides closed cleanly; otherwise what went wrong. */
    String verdict()
    {
        final StringBuilder problems = new StringBuilder();
        for (int side = 0; side < 2; side++)
        {
            final TcpEndpoint endpoint = endpoints[side];
            final App app = apps[side];
            final byte[] expected = apps[1 - side].toSend;
            if (endpoint.isAborted() || !endpoint.isClosed())
            {
                problems.append(" side").append(side).append(" not cleanly closed;");
            }
            if (app.overrun || app.receivedLength != expected.length)
            {
                problems.append(" side").append(side).append(" received ").append(app.receivedLength).append(" of ")
                    .append(expected.length).append(app.overrun ? " (overrun)" : "").append(';');
            }
            else if (!Arrays.equals(app.received, expected))
            {
                problems.append(" side").append(side).append(" received different bytes;");
            }
            if (endpoint.bytesDelivered() != expected.length)
            {
                problems.append(" side").append(side).append(" delivered ").append(endpoint.bytesDelivered())
                    .append(';');
            }
        }
        return problems.length() == 0 ? null : problems.toString();
    }

    String describe()
    {
        return "t=" + nowNs + "ns steps=" + steps + (livelock ? " LIVELOCK" : "") + "\n  client " + endpoints[CLIENT] +
            "\n  server " +
            endpoints[SERVER] + "\n  wire sent=" + wire.framesSent + " lost=" + wire.framesLost;
    }

    static byte[] payload(final SplittableRandom random, final int length)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)random.nextInt(256);
        }
        return bytes;
    }
}
