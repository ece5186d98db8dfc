package org.inlinetls.appliance.daemon;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.inlinetls.packet.frame.FrameParser;
import org.inlinetls.packet.frame.ParsedFrame;
import org.inlinetls.packet.port.RingPort;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Drives the daemon tests' {@link TlsTransfer}s through the far ends of the two veth pairs: the clients' frames leave
 * and arrive on the outside end ({@code a}), the servers' on the inside end ({@code d}, plain HTTP on port 80).
 */
final class TransferPump
{
    private final List<TlsTransfer> active = new ArrayList<>();
    private final FrameParser parser = new FrameParser();
    private final ParsedFrame parsed = new ParsedFrame();
    private final long waitNs;

    /** @param waitNs how long {@link #runUntil} waits before it fails. */
    TransferPump(final long waitNs)
    {
        this.waitNs = waitNs;
    }

    TlsTransfer add(final TlsTransfer transfer)
    {
        active.add(transfer);
        return transfer;
    }

    /** Pumps until {@code condition} holds; fails the test after the wait. */
    void runUntil(final RingPort a, final RingPort d, final BooleanSupplier condition, final String what)
        throws IOException
    {
        final long deadline = System.nanoTime() + waitNs;
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() - deadline < 0, "timed out waiting for " + what + ": " + active);
            pump(a, d);
        }
    }

    /** One round: applications, endpoints, and the frames both ways. */
    void pump(final RingPort a, final RingPort d) throws IOException
    {
        final long nowNs = System.nanoTime();
        for (final TlsTransfer t : active)
        {
            t.step();
            t.client.poll(nowNs, (b, o, l) -> a.send(b, o, l));
            t.server.poll(nowNs, (b, o, l) -> d.send(b, o, l));
        }
        a.flush(nowNs);
        d.flush(nowNs);
        final int frames = a.receive((b, o, l, ts) ->
        {
            parser.parse(b, o, l, parsed);
            final TlsTransfer t = parsed.isTcp() ? byClientPort(parsed.dstPort) : null;
            if (null != t)
            {
                t.client.onFrame(b, o, l, System.nanoTime());
            }
        }, 256) + d.receive((b, o, l, ts) ->
        {
            parser.parse(b, o, l, parsed);
            final TlsTransfer t = parsed.isTcp() && parsed.dstPort == 80 ? byClientPort(parsed.srcPort) : null;
            if (null != t)
            {
                t.server.onFrame(b, o, l, System.nanoTime());
            }
        }, 256);
        if (frames == 0)
        {
            Thread.onSpinWait();
        }
    }

    private TlsTransfer byClientPort(final int port)
    {
        for (final TlsTransfer t : active)
        {
            if (t.clientPort == port)
            {
                return t;
            }
        }
        return null;
    }
}
