package org.inlinetls.modes.direct;

import static org.inlinetls.modes.direct.DirectFlow.STATE_CUT_THROUGH;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.ACK;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.PSH;

import org.inlinetls.seqdb.Direction;
import org.inlinetls.seqdb.FlowEntry;

/**
 * Proxy handling of a {@link DirectFlow}'s client→server direction, for as long as the client sends a run of tiny
 * segments (see {@link SwitchPolicy#tinySegmentBytes()}; DESIGN §6).
 * <p>
 * In cut-through every client segment becomes a plaintext segment to the server and a checkpoint in the journal, so a
 * client trickling a few bytes per segment costs a frame to the server and a ring slot each, and its checkpoints
 * bound how many such segments may be in flight. In proxy handling the appliance acknowledges the client's ciphertext
 * itself as soon as its decoder has taken it, and appends the plaintext to a sender of its own
 * ({@link InjectedStreamSender}, the same small TCP sender that injects the handshake toward the client) which sends it
 * to the server in full segments and retransmits it; the window offered to the client is that sender's free room
 * (a segment's plaintext may exceed its ciphertext by what the decoder held of a record: that much waits in a spill
 * buffer until the sender has room). Authentication stays as in cut-through: the decoder holds
 * a record's tail until its tag verifies, and a forgery fails the flow.
 * <p>
 * The same handling gets a flow out of a boundary cut-through cannot acknowledge (see
 * {@link #beforeRetransmissionInCutThrough}). Switching in happens only with everything of cut-through delivered to
 * the server (the bytes the decoder holds are then the appliance's to carry), switching back after a run of
 * segments that are not tiny (or the client's FIN): the right edge of the window offered to the client stops moving,
 * and once the sender has every byte acknowledged and the decoder stands at a boundary it can resume from, a new
 * client→server checkpoint with its state is the frontier cut-through continues from. The journal entry marks the flow
 * meanwhile: a restart resets it (its bytes in the sender would be lost) instead of continuing it.
 * <p>
 * Single-threaded, like its flow. The sender is allocated the first time a flow object switches and kept with it.
 */
final class ClientToServerProxy
{
    /** The journal's TCP options flag of a flow whose client→server direction is in proxy handling. */
    static final int OPTION_C2S_PROXIED = 1 << 13;

    private final DirectFlow flow;
    private final DirectEngine engine;
    private final SegmentSink toServer = this::onSegment;
    private InjectedStreamSender sender;
    /**
     * Plaintext the sender had no room for: a segment may release more than its own ciphertext (the held tail of a
     * record, or a whole record whose tag came late), at most one record more. Moved to the sender as it frees room.
     */
    private byte[] spill;
    private int spillLength;
    private int tinyRun;
    private int normalRun;
    private boolean active;
    private boolean finPending;
    /** Going back: the window offered to the client stops moving its right edge (see the class comment). */
    private boolean draining;
    private int drainEdge;

    ClientToServerProxy(final DirectFlow flow, final DirectEngine engine)
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
        finPending = false;
        draining = false;
        tinyRun = 0;
        normalRun = 0;
        spillLength = 0;
    }

    boolean isActive()
    {
        return active;
    }

    /**
     * A client data segment at the frontier, before cut-through handles it: counts tiny segments in a row and switches
     * when the run is long enough and nothing of cut-through is in flight toward the server.
     *
     * @return true when the flow is in proxy handling now (the caller hands the segment to {@link #onClientData}).
     */
    boolean beforeClientDataInCutThrough(final int length)
    {
        final SwitchPolicy policy = engine.switchPolicy();
        if (!policy.enabled() || policy.tinySegmentBytes() == 0 || flow.state != STATE_CUT_THROUGH || flow.failed ||
            flow.clientFinSeen || flow.closeRequested || length == 0)
        {
            return false;
        }
        if (length > policy.tinySegmentBytes())
        {
            tinyRun = 0;
            return false;
        }
        if (++tinyRun < policy.tinySegmentRun() || !isDeliveredToServer())
        {
            return false;
        }
        return enter(DirectCounter.SWITCHES_TO_PROXY_TINY_SEGMENTS);
    }

    /**
     * A client retransmission in cut-through while the server has every plaintext byte and the client's ACK still lags
     * behind the frontier: the checkpoints past it are boundaries the decoder cannot resume from (inside a CBC
     * record's body, or past what a checkpoint carries of a large record held whole), which no ACK may pass, so a
     * client sending one segment at a time after a timeout would resend the same bytes forever. The flow switches to
     * proxy handling: the appliance acknowledges the bytes its decoder holds itself.
     *
     * @return true when the flow is in proxy handling now (the caller hands the segment to {@link #onClientData}).
     */
    boolean beforeRetransmissionInCutThrough(final int seq, final int length)
    {
        final SwitchPolicy policy = engine.switchPolicy();
        if (!policy.enabled() || flow.state != STATE_CUT_THROUGH || flow.failed || flow.clientFinSeen ||
            flow.closeRequested || flow.serverAckInCipher == flow.c2sCipherNext || !isDeliveredToServer())
        {
            return false;
        }
        return enter(DirectCounter.SWITCHES_TO_PROXY_UNRESUMABLE);
    }

    /**
     * The server acknowledged every plaintext byte sent to it (segments held past a hole are the appliance's either
     * way: they are processed in order once it fills, in whichever handling the flow is then).
     */
    private boolean isDeliveredToServer()
    {
        return flow.serverAckInPlain == flow.c2sPlainNext;
    }

    private boolean enter(final DirectCounter reason)
    {
        if (!engine.tryStartProxiedFlow())
        {
            engine.count(DirectCounter.SWITCHES_REFUSED_BUDGET);
            tinyRun = 0;
            return false;
        }
        if (null == sender)
        {
            sender = engine.newInjectedSender(flow.c2sPlainNext); // once per flow object that ever switches
        }
        sender.reset(flow.c2sPlainNext);
        spillLength = 0;
        active = true;
        finPending = false;
        draining = false;
        tinyRun = 0;
        normalRun = 0;
        flow.persistTcpOptions();
        engine.count(reason);
        engine.needsTimer(flow);
        return true;
    }

    /**
     * Client bytes in proxy handling: the part at and past the frontier that the sender has room for is decrypted,
     * its plaintext queued for the server and the ciphertext acknowledged; older bytes are answered with an ACK.
     */
    void onClientData(final org.agrona.DirectBuffer buffer, final int payloadOffset, final int length, final int seq,
        final boolean fin, final long nowNs)
    {
        final int skip = flow.c2sCipherNext - seq;
        final int fresh = length - Math.max(0, skip);
        if (skip < 0)
        {
            return; // past a hole: the caller holds it
        }
        final SwitchPolicy policy = engine.switchPolicy();
        if (fresh > 0)
        {
            normalRun = fresh > policy.tinySegmentBytes() ? normalRun + 1 : 0;
            final int room = windowForClient();
            if (fresh > room)
            {
                engine.count(DirectCounter.PROXIED_STAGE_FULL_DROPS);
                flow.serverPath.sendAckToClient();
                return;
            }
            final byte[] cipher = engine.payloadScratch(fresh);
            buffer.getBytes(payloadOffset + skip, cipher, 0, fresh);
            final int plainLength = flow.clientPath.decode(cipher, fresh);
            if (plainLength < 0)
            {
                return; // the flow failed (alert to the client, RST to the server)
            }
            queue(flow.clientPath.plain(), plainLength);
            flow.c2sCipherNext += fresh;
            flow.c2sPlainNext += plainLength;
            engine.count(DirectCounter.PROXIED_CLIENT_BYTES, fresh);
        }
        if (fin && !finPending && seq + length == flow.c2sCipherNext)
        {
            finPending = true;
        }
        flow.serverPath.sendAckToClient();
        pump(nowNs);
    }

    /** Plaintext for the server: into the sender as far as it has room (after what waits already), the rest spilt. */
    private void queue(final byte[] plain, final int length)
    {
        int done = 0;
        if (spillLength == 0)
        {
            done = Math.min(length, sender.freeBytes());
            if (done > 0)
            {
                sender.append(plain, 0, done);
            }
        }
        if (done < length)
        {
            final int rest = length - done;
            if (null == spill || spill.length < spillLength + rest)
            {
                // grows at most to a record beyond the window: once per flow object that needs it
                spill = java.util.Arrays.copyOf(null == spill ? new byte[0] : spill,
                    Math.max(spillLength + rest, 2 * (null == spill ? 4096 : spill.length)));
            }
            System.arraycopy(plain, done, spill, spillLength, rest);
            spillLength += rest;
        }
    }

    /** Moves spilt plaintext into the sender as it has room. */
    private void unspill()
    {
        final int n = Math.min(spillLength, sender.freeBytes());
        if (n > 0)
        {
            sender.append(spill, 0, n);
            spillLength -= n;
            System.arraycopy(spill, n, spill, 0, spillLength);
        }
    }

    /** The server's ACK while in proxy handling: for the sender, in the server's own space. */
    void onServerAck(final int ack, final long nowNs)
    {
        sender.onAck(ack - sender.nextSeq() > 0 ? sender.nextSeq() : ack, flow.serverWindowBytes, nowNs);
    }

    /** Sends what the server's window allows, retransmits, and goes back to cut-through when it can. */
    int pump(final long nowNs)
    {
        if (!active)
        {
            return 0;
        }
        if (spillLength > 0)
        {
            unspill();
        }
        final int work = sender.poll(nowNs, toServer, Math.max(1, flow.serverMss - (flow.timestamps ? 12 : 0)),
            flow.serverWindowBytes);
        if (sender.hasGivenUp())
        {
            engine.count(DirectCounter.INJECTED_GAVE_UP);
            flow.resetBoth();
            return work;
        }
        final SwitchPolicy policy = engine.switchPolicy();
        if (!draining && (finPending || normalRun >= policy.tinySegmentRun() || !policy.enabled()))
        {
            draining = true;
            drainEdge = flow.c2sCipherNext + windowForClient();
        }
        if (draining && spillLength == 0 && sender.isFullyAcknowledged() && sender.unsentBytes() == 0 &&
            !flow.failed)
        {
            leave();
        }
        return work;
    }

    /** Back to cut-through from a new checkpoint at the current positions, if the decoder can resume from here. */
    private void leave()
    {
        final byte[] blob = engine.checkpointScratch();
        if (!flow.decoder.saveCheckpoint(blob, 0))
        {
            // inside a record the decoder cannot resume (a CBC record's body): reopen the window, the next bytes
            // bring a boundary cut-through can resume from
            draining = false;
            normalRun = 0;
            return;
        }
        final FlowEntry entry = engine.acquire(flow.key);
        if (null == entry)
        {
            return;
        }
        try
        {
            entry.appendCheckpoint(Direction.CLIENT_TO_SERVER, flow.c2sCipherNext, flow.c2sPlainNext, 0, blob, 0,
                flow.decoder.checkpointLength());
            entry.dropCheckpointsUpTo(Direction.CLIENT_TO_SERVER, flow.c2sCipherNext);
            entry.recordSequence(Direction.CLIENT_TO_SERVER, flow.decoder.sequence());
            flow.c2sRingCount = entry.ringCount(Direction.CLIENT_TO_SERVER);
        }
        finally
        {
            entry.close();
        }
        flow.serverAckInCipher = flow.c2sCipherNext;
        final boolean fin = finPending;
        active = false;
        finPending = false;
        draining = false;
        normalRun = 0;
        tinyRun = 0;
        flow.persistTcpOptions();
        engine.proxiedFlowEnded();
        engine.count(DirectCounter.SWITCHES_TO_CUT_THROUGH);
        if (fin)
        {
            flow.clientPath.processClientRecords(ServerToClientProxy.NO_BYTES, 0, 0, true);
        }
        else
        {
            flow.serverPath.sendAckToClient(); // the cut-through window, at once
        }
    }

    /** The window offered to the client while in proxy handling, in its cipher bytes. */
    int windowForClient()
    {
        return draining ? Math.max(0, drainEdge - flow.c2sCipherNext) : Math.max(0, sender.freeBytes() - spillLength);
    }

    /** Sequence number of a frame without data toward the server: the next byte the sender sends. */
    int controlSeq()
    {
        return sender.nextSeq();
    }

    boolean needsTimer()
    {
        return active;
    }

    long nextDeadlineNs()
    {
        return active ? sender.nextDeadlineNs() : InjectedStreamSender.NO_DEADLINE;
    }

    private boolean onSegment(final int seq, final byte[] bytes, final int offset, final int length,
        final boolean retransmission)
    {
        return engine.buildToServer(flow, seq, flow.clientPath.translatedClientAck(), PSH | ACK,
            flow.serverPath.windowToServerField(), bytes, offset, length);
    }
}
