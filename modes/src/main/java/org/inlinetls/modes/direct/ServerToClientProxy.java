package org.inlinetls.modes.direct;

import static org.inlinetls.modes.direct.DirectFlow.STATE_CUT_THROUGH;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.crypto.record.ContentType;
import org.inlinetls.seqdb.Direction;
import org.inlinetls.seqdb.FlowEntry;

/**
 * Proxy handling of a {@link DirectFlow}'s server→client direction, for as long as the client's window is too small for
 * cut-through (see {@link SwitchPolicy}; DESIGN §6).
 * <p>
 * While it lasts, the server's in-order plaintext goes into a stage and the appliance acknowledges it to the server
 * itself, offering a window of the stage's free room (so the server never sends what cannot be taken, and the window
 * never shrinks). Records are cut from the stage whenever the flow's {@link InjectedStreamSender} is about to run out
 * of bytes to send, each as large as a cut-through record for this client would be, and appended to that sender, which
 * sends them in whatever pieces the client's window allows and retransmits them (the same sender carried the
 * handshake flight, whose bytes it had to own for the same reason: the server never sees them). Record numbers go
 * on from cut-through's; the switch back writes the newest into the journal entry.
 * <p>
 * Switching in happens only with nothing of cut-through in flight toward the client (its newest record acknowledged,
 * the handshake flight too). Switching back starts when the client's window has grown (or the server's FIN came): the
 * right edge of the window offered to the server stops moving, and once the stage is empty and every record
 * acknowledged, a new
 * server→client checkpoint at the current positions is the frontier cut-through continues from, and a server FIN that
 * came meanwhile (not acknowledged to it until then) is handled by cut-through as usual. A flow in proxy handling is
 * marked in its journal entry: its staged bytes would not survive a restart, so a restarted appliance resets it rather
 * than continue it with bytes missing.
 * <p>
 * Single-threaded, like its flow. The stage is allocated the first time a flow object switches and kept with it.
 */
final class ServerToClientProxy
{
    /** The journal's TCP options flag of a flow in proxy handling: a restart must not continue it. */
    static final int OPTION_S2C_PROXIED = 1 << 12;
    /** An empty payload, for a FIN handed to cut-through after the switch back. */
    static final UnsafeBuffer NO_BYTES = new UnsafeBuffer(new byte[0]);

    private final DirectFlow flow;
    private final DirectEngine engine;
    private byte[] stage;
    /** Staged bytes lie at [stageStart, stageStart + stagedBytes); moved to the front when an append needs room. */
    private int stageStart;
    private int stagedBytes;
    private int smallWindowRun;
    /** The server's FIN came while in proxy handling: handled by cut-through after the switch back. */
    private boolean finPending;
    private boolean active;
    /**
     * Going back: the window offered to the server no longer moves its right edge ({@link #drainEdge}), so a server
     * that streams on still lets the stage and the sender run empty, which the switch back waits for.
     */
    private boolean draining;
    private int drainEdge;

    ServerToClientProxy(final DirectFlow flow, final DirectEngine engine)
    {
        this.flow = flow;
        this.engine = engine;
    }

    /** Forgets everything (a new flow in this object, a restore, or the flow's end). */
    void reset()
    {
        if (active)
        {
            engine.proxiedFlowEnded();
        }
        active = false;
        stageStart = 0;
        stagedBytes = 0;
        smallWindowRun = 0;
        finPending = false;
        draining = false;
    }

    boolean isActive()
    {
        return active;
    }

    /**
     * After the client's ACK was handled in cut-through: counts small windows in a row and switches when the run is
     * long enough and nothing of cut-through is in flight toward the client.
     */
    void afterClientAckInCutThrough(final long nowNs)
    {
        final SwitchPolicy policy = engine.switchPolicy();
        if (!policy.enabled() || flow.state != STATE_CUT_THROUGH || flow.failed || flow.serverFinSeen ||
            flow.closeRequested)
        {
            return;
        }
        if (flow.clientWindowBytes >= policy.smallWindowBytes(flow.clientMss))
        {
            smallWindowRun = 0;
            return;
        }
        if (++smallWindowRun < policy.smallWindowAcks() || flow.clientAckInPlain != flow.s2cPlainNext ||
            !flow.injected.isFullyAcknowledged() || flow.injected.unsentBytes() > 0)
        {
            return;
        }
        if (!engine.tryStartProxiedFlow())
        {
            engine.count(DirectCounter.SWITCHES_REFUSED_BUDGET);
            smallWindowRun = 0;
            return;
        }
        enter(nowNs);
    }

    private void enter(final long nowNs)
    {
        if (null == stage || stage.length != engine.switchPolicy().stageBytes())
        {
            stage = new byte[engine.switchPolicy().stageBytes()]; // once per flow object that ever switches
        }
        active = true;
        stageStart = 0;
        stagedBytes = 0;
        finPending = false;
        draining = false;
        smallWindowRun = 0;
        flow.injected.reset(flow.s2cCipherNext);
        flow.persistTcpOptions();
        engine.count(DirectCounter.SWITCHES_TO_PROXY_SMALL_WINDOW);
        engine.needsTimer(flow);
        flow.clientPath.sendAckToServer(); // the stage's window, at once
    }

    /**
     * Server data while in proxy handling: the in-order part that fits the stage is taken and acknowledged; what lies
     * below the frontier was taken before (an ACK answers it); a FIN waits for the switch back.
     */
    void onServerData(final DirectBuffer buffer, final int payloadOffset, final int length, final int seq,
        final boolean fin)
    {
        final int skip = flow.s2cPlainNext - seq;
        if (skip < 0)
        {
            return; // past a hole: the caller holds it
        }
        final int fresh = length - skip;
        final int take = Math.max(0, Math.min(fresh, draining ? drainEdge - flow.s2cPlainNext :
            stage.length - stagedBytes));
        if (take > 0)
        {
            if (stageStart + stagedBytes + take > stage.length)
            {
                System.arraycopy(stage, stageStart, stage, 0, stagedBytes);
                stageStart = 0;
            }
            buffer.getBytes(payloadOffset + skip, stage, stageStart + stagedBytes, take);
            stagedBytes += take;
            flow.s2cPlainNext += take;
            engine.count(DirectCounter.PROXIED_SERVER_BYTES, take);
        }
        if (take < fresh)
        {
            engine.count(DirectCounter.PROXIED_STAGE_FULL_DROPS);
        }
        else if (fin && !finPending)
        {
            finPending = true;
        }
        flow.clientPath.sendAckToServer();
        engine.needsTimer(flow);
    }

    /**
     * Moves staged bytes into records while the sender is about to run dry, then switches back when everything is
     * acknowledged and the window allows (or a FIN waits).
     */
    void pump(final long nowNs)
    {
        if (!active)
        {
            return;
        }
        final InjectedStreamSender sender = flow.injected;
        final int segmentBytes = Math.max(1, flow.clientMss - (flow.timestamps ? 12 : 0));
        boolean cut = false;
        while (stagedBytes > 0 && sender.unsentBytes() < segmentBytes)
        {
            final int content = Math.min(stagedBytes, Math.min(flow.serverPath.maxContent(),
                sender.freeBytes() - flow.recordOverhead));
            if (content <= 0)
            {
                break;
            }
            final byte[] record = engine.recordScratch();
            final int n = flow.encoder.encode(ContentType.APPLICATION_DATA, stage, stageStart, content,
                flow.s2cRecordSeq, record, 0);
            if (!sender.append(record, 0, n))
            {
                break; // not reached: the room was checked
            }
            flow.s2cRecordSeq++;
            flow.s2cCipherNext += n;
            stagedBytes -= content;
            stageStart = stagedBytes == 0 ? 0 : stageStart + content;
            cut = true;
        }
        if (cut)
        {
            flow.clientPath.sendAckToServer(); // the stage's room grew: a window update
        }
        final SwitchPolicy policy = engine.switchPolicy();
        if (!draining &&
            (finPending || flow.clientWindowBytes >= policy.resumeWindowBytes(flow.clientMss) || !policy.enabled()))
        {
            draining = true;
            drainEdge = flow.s2cPlainNext + windowForServer();
        }
        if (draining && stagedBytes == 0 && sender.isFullyAcknowledged() && !flow.failed)
        {
            leave();
        }
    }

    /** Back to cut-through from a new checkpoint at the current positions. */
    private void leave()
    {
        final FlowEntry entry = engine.acquire(flow.key);
        if (null == entry)
        {
            return;
        }
        try
        {
            flow.serverPath.appendServerCheckpoint(entry, 0, false);
            entry.dropCheckpointsUpTo(Direction.SERVER_TO_CLIENT, flow.s2cCipherNext);
            flow.s2cRingCount = entry.ringCount(Direction.SERVER_TO_CLIENT);
        }
        finally
        {
            entry.close();
        }
        flow.clientAckInPlain = flow.s2cPlainNext;
        final boolean fin = finPending;
        active = false;
        flow.persistTcpOptions();
        finPending = false;
        draining = false;
        smallWindowRun = 0;
        engine.proxiedFlowEnded();
        engine.count(DirectCounter.SWITCHES_TO_CUT_THROUGH);
        if (fin)
        {
            flow.serverPath.onServerData(NO_BYTES, 0, 0, flow.s2cPlainNext, true);
        }
        else
        {
            flow.clientPath.sendAckToServer(); // the cut-through window, at once
        }
    }

    /** The window offered to the server while in proxy handling: the stage's free room, or up to the drain edge. */
    int windowForServer()
    {
        return draining ? Math.max(0, drainEdge - flow.s2cPlainNext) : stage.length - stagedBytes;
    }

    /** Whether the flow must be polled every cycle: bytes staged, unsent or unacknowledged. */
    boolean needsTimer()
    {
        return active;
    }
}
