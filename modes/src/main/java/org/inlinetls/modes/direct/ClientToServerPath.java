package org.inlinetls.modes.direct;

import static org.inlinetls.modes.direct.DirectFlow.STATE_CUT_THROUGH;
import static org.inlinetls.modes.direct.DirectFlow.STATE_HANDSHAKE;
import static org.inlinetls.modes.direct.DirectFlow.STATE_OPEN;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.ACK;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.FIN;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.PSH;

import org.agrona.DirectBuffer;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.crypto.record.AlertDescription;
import org.inlinetls.crypto.record.ContentType;
import org.inlinetls.crypto.record.RecordDecoder;
import org.inlinetls.crypto.record.RecordListener;
import org.inlinetls.crypto.record.SegmentDecoder;
import org.inlinetls.seqdb.Direction;
import org.inlinetls.seqdb.FlowEntry;

/**
 * The client→server role of a {@link DirectFlow}: decrypts the client's records at the frontier, replays client
 * retransmissions from the checkpoints (each interval checked against the decoder state saved at its end), processes
 * held client segments, translates the server's ACKs into the client's cipher space and sends the plaintext, ACKs and
 * windows the server sees. It is the client decoder's {@link RecordListener}.
 *
 * <p>Single-threaded, like its flow; the flow's state lives in the flow.
 */
final class ClientToServerPath implements RecordListener
{
    /** The most cipher bytes of client retransmissions kept for a later one to continue (a CBC record and more). */
    static final int MAX_KEPT_BYTES = 1 << 15;

    private final DirectFlow flow;
    private final DirectEngine engine;
    // plaintext collected from the decoder for one segment
    private byte[] plain;
    private int plainLength;
    /**
     * The first part of an interval a client retransmission ended inside, kept until a later retransmission brings
     * the rest: a sender that merged or re-split its segments (Linux after SACK reneging or a timeout) resends an
     * interval in pieces, and an interval is only decrypted again whole, from one checkpoint to the next.
     */
    private byte[] partial;
    private int partialFrom;
    private int partialLength;
    private final org.agrona.concurrent.UnsafeBuffer partialView = new org.agrona.concurrent.UnsafeBuffer(0, 0);

    ClientToServerPath(final DirectFlow flow, final DirectEngine engine)
    {
        this.flow = flow;
        this.engine = engine;
        this.plain = new byte[4096];
    }

    /** Processes held client segments the frontier has reached, in order. */
    void drainHeldFromClient(final long nowNs)
    {
        final SegmentPool pool = engine.segmentPool();
        int i;
        while (flow.state == STATE_CUT_THROUGH && !flow.failed &&
            (i = flow.heldFromClient.find(pool, flow.c2sCipherNext)) >= 0)
        {
            final int before = flow.c2sCipherNext;
            onClientData(flow.heldFromClient.data(i), 0, flow.heldFromClient.length(i), flow.heldFromClient.seq(i),
                flow.heldFromClient.fin(i), nowNs);
            if (flow.c2sCipherNext == before && !flow.failed && engine.ringCapacity() - flow.c2sRingCount < 1)
            {
                // not usable now (ring full): kept, since it may have been SACKed, and tried again when the
                // server's ACK frees the ring
                break;
            }
            flow.heldFromClient.release(pool, i);
            if (flow.c2sCipherNext == before)
            {
                break;
            }
        }
    }

    void onClientData(final DirectBuffer buffer, final int payloadOffset, final int length, final int seq,
        final boolean fin, final long nowNs)
    {
        if (flow.state == STATE_OPEN)
        {
            if (seq != flow.c2sCipherNext)
            {
                return; // not the first byte: wait for it
            }
            if (length == 0 || !flow.handshakePhase.looksLikeHandshake(buffer, payloadOffset, length))
            {
                flow.handshakePhase.onNotTls(buffer, payloadOffset, length, seq, fin);
                return;
            }
            flow.state = STATE_HANDSHAKE;
            flow.handshake = engine.newHandshake(flow.key);
            flow.injected.reset(flow.serverIsn + 1);
            engine.needsTimer(flow);
        }
        if (flow.state == STATE_HANDSHAKE)
        {
            flow.handshakePhase.onHandshakeBytes(buffer, payloadOffset, length, seq, nowNs);
            return;
        }
        if (flow.state != STATE_CUT_THROUGH)
        {
            return;
        }
        final int offsetFromFrontier = seq - flow.c2sCipherNext;
        if (offsetFromFrontier > 0)
        {
            engine.count(DirectCounter.CLIENT_OUT_OF_ORDER);
            if (!flow.heldFromClient.hold(engine.segmentPool(), buffer, payloadOffset, length, seq, fin))
            {
                engine.count(DirectCounter.OUT_OF_ORDER_DROPPED);
            }
            duplicateAcksToClient();
            return;
        }
        if (flow.c2sProxy.isActive() ||
            offsetFromFrontier == 0 && flow.c2sProxy.beforeClientDataInCutThrough(length))
        {
            flow.c2sProxy.onClientData(buffer, payloadOffset, length, seq, fin, nowNs);
            return;
        }
        if (offsetFromFrontier < 0)
        {
            if (flow.c2sProxy.beforeRetransmissionInCutThrough(seq, length))
            {
                flow.c2sProxy.onClientData(buffer, payloadOffset, length, seq, fin, nowNs);
                return;
            }
            onClientRetransmission(buffer, payloadOffset, length, seq, fin);
            return;
        }
        processClientRecords(buffer, payloadOffset, length, fin);
    }

    /** New client bytes at the frontier, decrypted by the flow's decoder. */
    void processClientRecords(final DirectBuffer buffer, final int payloadOffset, final int segmentLength,
        final boolean segmentFin)
    {
        // stop where a held segment (maybe SACKed to the client) begins: it continues from there
        final int cut = flow.heldFromClient.firstStartBetween(flow.c2sCipherNext,
            flow.c2sCipherNext + segmentLength);
        final int length = cut - flow.c2sCipherNext;
        final boolean fin = segmentFin && length == segmentLength;
        final FlowEntry entry = engine.acquire(flow.key);
        if (null == entry)
        {
            return;
        }
        try
        {
            if (entry.ringFree(Direction.CLIENT_TO_SERVER) < 1)
            {
                engine.count(DirectCounter.RING_FULL_DROPS);
                flow.serverPath.sendAckToClient();
                return;
            }
            final byte[] cipher = engine.payloadScratch(length);
            buffer.getBytes(payloadOffset, cipher, 0, length);
            if (decode(cipher, length) < 0)
            {
                return;
            }
            final int plainStart = flow.c2sPlainNext;
            flow.c2sCipherNext += length;
            flow.c2sPlainNext += plainLength;
            if (fin && !flow.clientFinSeen)
            {
                flow.clientFinSeen = true;
                flow.c2sCipherNext++;
                flow.c2sPlainNext++;
                entry.tcpOptions(flow.tcpOptions());
            }
            final byte[] blob = engine.checkpointScratch();
            // a boundary the decoder cannot resume from keeps its positions but no state: nothing acknowledges past it
            // and no retransmission starts there (inside a CBC record's body, or past what a checkpoint carries of a
            // large record held whole; small TLS 1.3 records held whole carry their ciphertext so far)
            final int blobLength = flow.decoder.saveCheckpoint(blob, 0) ? flow.decoder.checkpointLength() : 0;
            entry.appendCheckpoint(Direction.CLIENT_TO_SERVER, flow.c2sCipherNext, flow.c2sPlainNext, 0, blob, 0,
                blobLength);
            // bytes that map to no plaintext (part of a record held whole, a header, a tag) right after everything the
            // server acknowledged: the appliance acknowledges them itself (DESIGN §4), as no ACK of the server's will
            final boolean ackNow = plainLength == 0 && blobLength > 0 &&
                flow.serverAckInPlain - flow.c2sPlainNext >= 0 && flow.c2sCipherNext - flow.serverAckInCipher > 0;
            if (ackNow)
            {
                entry.dropCheckpointsUpTo(Direction.CLIENT_TO_SERVER, flow.c2sCipherNext);
                flow.serverAckInCipher = flow.c2sCipherNext;
            }
            entry.recordSequence(Direction.CLIENT_TO_SERVER, flow.decoder.sequence())
                .lastActivityNs(flow.lastActivityNs);
            flow.c2sRingCount = entry.ringCount(Direction.CLIENT_TO_SERVER);
            sendPlainToServer(plainStart, plain, plainLength, fin);
            if (ackNow)
            {
                flow.serverPath.sendAckToClient();
            }
        }
        finally
        {
            entry.close();
        }
    }

    /**
     * Decrypts new client bytes at the frontier with the flow's decoder; the plaintext it releases is in
     * {@link #plain()}.
     *
     * @return plaintext bytes released, or -1 when the record layer refused the bytes (the flow failed: alert to the
     * client, RST to the server).
     */
    int decode(final byte[] cipher, final int length)
    {
        plainLength = 0;
        final int result = length > 0 ? flow.decoder.onSegment(cipher, 0, length, this) : RecordDecoder.OK;
        if (result != RecordDecoder.OK)
        {
            flow.onClientRecordFailure(result);
            return -1;
        }
        return plainLength;
    }

    /** The plaintext of the last {@link #decode}. */
    byte[] plain()
    {
        return plain;
    }

    /**
     * A client segment starting below the frontier: decrypted again from the checkpoint where it starts, interval
     * by interval, each checked against the checkpoint at its end; a part past the frontier is new data. A segment
     * continuing the part kept of an interval is decrypted together with it; one inside a kept part the client was
     * told is acknowledged ({@link #ackForClient}) brings the kept part again.
     */
    private void onClientRetransmission(final DirectBuffer buffer, final int payloadOffset, final int length,
        final int seq, final boolean fin)
    {
        trimPartial();
        final boolean anchored = isPartialAnchored();
        final int have = partialFrom + partialLength;
        if (partialLength > 0 && seq - partialFrom >= (anchored ? 0 : 1) && seq - have <= 0)
        {
            if (seq + length - have > 0)
            {
                // continues the part kept of an interval: decrypt the two together, from the interval's start
                engine.count(DirectCounter.RETRANSMISSIONS_JOINED);
                final int take = seq + length - have;
                final int combined = partialLength + take;
                final byte[] joined = engine.joinScratch(combined);
                System.arraycopy(partial, 0, joined, 0, partialLength);
                buffer.getBytes(payloadOffset + (have - seq), joined, partialLength, take);
                final int from = partialFrom;
                if (anchored && combined <= MAX_KEPT_BYTES)
                {
                    // the client may already count the kept part as acknowledged: keep it all until the server's ACK
                    // passes it, in case the plaintext now sent is lost on the way
                    keepPartial(from, joined, 0, combined);
                }
                else if (!anchored)
                {
                    partialLength = 0;
                }
                partialView.wrap(joined, 0, combined);
                replayRetransmission(partialView, 0, combined, from, fin);
                return;
            }
            if (anchored && seq + length - have <= 0)
            {
                // inside what is kept, which the client counts as acknowledged: the client is waiting for the server's
                // ACK of it, so the plaintext sent for it may have been lost; decrypt and send the kept part again
                engine.count(DirectCounter.CLIENT_RETRANSMISSIONS_OF_KEPT);
                final int kept = partialLength;
                final byte[] joined = engine.joinScratch(kept);
                System.arraycopy(partial, 0, joined, 0, kept);
                partialView.wrap(joined, 0, kept);
                replayRetransmission(partialView, 0, kept, partialFrom, false);
                return;
            }
        }
        replayRetransmission(buffer, payloadOffset, length, seq, fin);
    }

    /** A retransmission (or a kept part with what continues it), decrypted again from the checkpoint it starts at. */
    private void replayRetransmission(final DirectBuffer buffer, final int payloadOffset, final int length,
        final int seq, final boolean fin)
    {
        final int end = seq + length + (fin ? 1 : 0);
        final FlowEntry entry = engine.acquire(flow.key);
        if (null == entry)
        {
            return;
        }
        boolean reachedFrontier = false;
        try
        {
            final Direction dir = Direction.CLIENT_TO_SERVER;
            final int count = entry.ringCount(dir);
            int k = 0;
            while (k < count && (entry.checkpointCipherSeq(dir, k) - seq < 0 ||
                entry.checkpointBlobLength(dir, k) == 0 && k < count - 1))
            {
                k++;
            }
            if (k == count || entry.checkpointCipherSeq(dir, k) - end >= 0)
            {
                engine.count(DirectCounter.CLIENT_RETRANSMISSIONS_UNUSABLE);
                flow.serverPath.sendAckToClient();
                return;
            }
            engine.count(DirectCounter.CLIENT_RETRANSMISSIONS);
            final byte[] cipher = engine.payloadScratch(length);
            buffer.getBytes(payloadOffset, cipher, 0, length);
            k = replayIntervals(entry, cipher, seq, end, fin, k, count);
            if (k < 0)
            {
                return;
            }
            // the replay ran on the flow's second decoder: the frontier's decoder is as it was
            reachedFrontier = k == count - 1 && end - flow.c2sCipherNext > 0;
        }
        finally
        {
            entry.close();
        }
        if (reachedFrontier)
        {
            final int skip = flow.c2sCipherNext - seq;
            processClientRecords(buffer, payloadOffset + skip, length - skip, fin);
        }
        else
        {
            // the client resent bytes it may not know were acknowledged: tell it again
            flow.serverPath.sendAckToClient();
        }
    }

    /**
     * Decrypts the retransmitted bytes again from checkpoint {@code first}, interval by interval, each checked
     * against the checkpoint at its end, and sends each interval's plaintext to the server.
     *
     * @return the checkpoint the replay stopped at, or -1 when an interval did not match (the flow failed).
     */
    private int replayIntervals(final FlowEntry entry, final byte[] cipher, final int seq, final int end,
        final boolean fin, final int first, final int count)
    {
        final Direction dir = Direction.CLIENT_TO_SERVER;
        final byte[] blob = engine.checkpointScratch();
        final byte[] check = engine.compareScratch();
        final SegmentDecoder replay = flow.replayDecoder;
        final int checkpointLength = replay.checkpointLength();
        int k = first;
        while (k < count - 1)
        {
            final int from = entry.checkpointCipherSeq(dir, k);
            int next = k + 1;
            while (next < count - 1 && entry.checkpointBlobLength(dir, next) == 0)
            {
                next++; // an interval ends at a boundary the state can be compared at
            }
            final int to = entry.checkpointCipherSeq(dir, next);
            if (to - end > 0)
            {
                // the segment ends inside this interval: that part cannot be checked yet, so it is kept until the
                // rest of the interval comes
                if (end - from > 0 && !fin)
                {
                    keepPartial(from, cipher, from - seq, end - from);
                }
                break;
            }
            entry.getCheckpointBlob(dir, k, blob, 0);
            replay.restoreCheckpoint(blob, 0);
            plainLength = 0;
            final int result = replay.onSegment(cipher, from - seq, to - from - finLength(entry, next), this);
            entry.getCheckpointBlob(dir, next, blob, 0);
            final boolean comparable = entry.checkpointBlobLength(dir, next) > 0;
            replay.saveCheckpoint(check, 0);
            final int plainFrom = entry.checkpointPlainSeq(dir, k);
            final int plainTo = entry.checkpointPlainSeq(dir, next);
            if (result != RecordDecoder.OK || comparable && !java.util.Arrays.equals(blob, 0, checkpointLength,
                check, 0, checkpointLength) || plainTo - plainFrom - finLength(entry, next) != plainLength)
            {
                flow.onClientRecordFailure(AlertDescription.BAD_RECORD_MAC);
                return -1;
            }
            sendPlainToServer(plainFrom, plain, plainLength, finLength(entry, next) == 1);
            k = next;
        }
        return k;
    }

    /**
     * Keeps {@code length} cipher bytes of the interval starting at checkpoint position {@code from}. A kept part the
     * client may count as acknowledged is only ever replaced by a longer one from the same position.
     */
    private void keepPartial(final int from, final byte[] cipher, final int offset, final int length)
    {
        if (isPartialAnchored() && (from != partialFrom || length <= partialLength))
        {
            return;
        }
        if (length > MAX_KEPT_BYTES)
        {
            return;
        }
        if (null == partial || partial.length < length)
        {
            // once per flow that needs it (and as it grows, at most to MAX_KEPT_BYTES), not per segment
            partial = new byte[Math.max(length, null == partial ? 2048 : Math.min(MAX_KEPT_BYTES,
                2 * partial.length))];
        }
        System.arraycopy(cipher, offset, partial, 0, length);
        partialFrom = from;
        partialLength = length;
    }

    /**
     * Whether the kept part starts at (or before) the newest position the server acknowledged: then its bytes are the
     * appliance's to bring again, and the client is told they are acknowledged ({@link #ackForClient}).
     */
    private boolean isPartialAnchored()
    {
        return partialLength > 0 && partialFrom - flow.serverAckInCipher <= 0 &&
            partialFrom + partialLength - flow.serverAckInCipher > 0;
    }

    /** Drops the kept bytes the server's ACK has passed (it moves from checkpoint to checkpoint with state). */
    private void trimPartial()
    {
        if (partialLength == 0)
        {
            return;
        }
        final int passed = flow.serverAckInCipher - partialFrom;
        if (passed >= partialLength)
        {
            partialLength = 0;
        }
        else if (passed > 0)
        {
            System.arraycopy(partial, passed, partial, 0, partialLength - passed);
            partialFrom += passed;
            partialLength -= passed;
        }
    }

    /** Forgets a kept part (a new flow in this object, or a restore). */
    void resetPartial()
    {
        partialLength = 0;
    }

    /** 1 when the interval ending at checkpoint {@code k} ended with the client's FIN (cipher and plain both +1). */
    private int finLength(final FlowEntry entry, final int k)
    {
        return flow.clientFinSeen && k == entry.ringCount(Direction.CLIENT_TO_SERVER) - 1 ? 1 : 0;
    }

    private int windowForClient(final int ringFree)
    {
        final int window = (int)Math.min(flow.serverWindowBytes,
            Math.max(0L, ringFree - 2L) * (flow.serverMss - (flow.timestamps ? 12 : 0)));
        return Math.max(0, window);
    }

    void onServerAck(final TcpHeaderFlyweight tcp, final long nowNs)
    {
        final int plainAck = tcp.acknowledgmentNumber();
        if (flow.state != STATE_CUT_THROUGH)
        {
            return;
        }
        if (plainAck - flow.serverAckInPlain > 0)
        {
            flow.serverAckInPlain = plainAck;
        }
        if (flow.c2sProxy.isActive())
        {
            flow.c2sProxy.onServerAck(plainAck, nowNs); // the appliance's own bytes: nothing to translate
            return;
        }
        final FlowEntry entry = engine.acquire(flow.key);
        if (null == entry)
        {
            return;
        }
        try
        {
            final Direction dir = Direction.CLIENT_TO_SERVER;
            int best = -1;
            for (int k = entry.ringCount(dir) - 1; k >= 0; k--)
            {
                if (plainAck - entry.checkpointPlainSeq(dir, k) >= 0 && entry.checkpointBlobLength(dir, k) > 0)
                {
                    best = k;
                    break;
                }
            }
            if (best >= 0)
            {
                final int cipherAck = entry.checkpointCipherSeq(dir, best);
                entry.dropCheckpointsUpTo(dir, cipherAck);
                if (cipherAck - flow.serverAckInCipher > 0)
                {
                    flow.serverAckInCipher = cipherAck;
                }
            }
            flow.c2sRingCount = entry.ringCount(dir);
            entry.lastActivityNs(flow.lastActivityNs());
            if (flow.sack && tcp.sackBlockCount() > 0)
            {
                flow.sackToClientCount = SackBlocks.translateCounted(engine, entry, dir, tcp, false,
                    flow.serverAckInCipher, flow.sackToClient);
            }
        }
        finally
        {
            entry.close();
        }
    }

    int ackForClient()
    {
        if (flow.state != STATE_CUT_THROUGH || flow.c2sProxy.isActive())
        {
            return flow.c2sCipherNext; // the appliance acknowledges what it absorbed (handshake, proxy handling)
        }
        if (isPartialAnchored())
        {
            // the part kept of an interval the client resent only in pieces (a boundary inside a CBC record carries no
            // state, so no ACK of the server's passes it): the appliance holds those bytes, so the client may send the
            // rest; at least the last byte stays unacknowledged, so the client keeps resending (and the kept part is
            // sent again) until the server's ACK passes
            final int kept = partialFrom + partialLength;
            final int limit = flow.c2sCipherNext - 1;
            return kept - limit > 0 ? limit : kept;
        }
        return flow.serverAckInCipher;
    }

    private void sendPlainToServer(final int plainStart, final byte[] bytes, final int length, final boolean fin)
    {
        final int ack = translateClientAckAndRemember();
        final int window = flow.serverPath.windowToServerField();
        int seq = plainStart;
        int done = 0;
        final int max = Math.max(1, flow.serverMss - (flow.timestamps ? 12 : 0));
        while (done < length)
        {
            final int n = Math.min(length - done, max);
            done += n;
            final int flags = PSH | ACK | (done == length && fin ? FIN : 0);
            engine.buildToServer(flow, seq, ack, flags, window, bytes, done - n, n);
            seq += n;
        }
        if (length == 0 && fin)
        {
            engine.buildToServer(flow, seq, ack, FIN | ACK, window, bytes, 0, 0);
        }
        else if (length == 0)
        {
            engine.buildToServer(flow, seq, ack, ACK, window, bytes, 0, 0);
        }
    }

    /** The client's ACK in the server's plain space, remembered as the newest sent (never moves back). */
    int translatedClientAck()
    {
        return translateClientAckAndRemember();
    }

    private int translateClientAckAndRemember()
    {
        final int ack = flow.serverPath.translateClientAck();
        if (ack - flow.ackToServer > 0)
        {
            flow.ackToServer = ack;
        }
        return flow.ackToServer;
    }

    void sendAckToServer()
    {
        final int ack = translateClientAckAndRemember();
        engine.buildToServer(flow, flow.controlSeqToServer(), ack, ACK, flow.serverPath.windowToServerField(), null, 0,
            0);
    }

    private void duplicateAcksToClient()
    {
        final int ack = ackForClient();
        final int count = ack == flow.lastHoleAckToClient ? 1 : DirectFlow.FAST_RETRANSMIT_DUPLICATES;
        flow.lastHoleAckToClient = ack;
        for (int i = 0; i < count; i++)
        {
            flow.serverPath.sendAckToClient();
        }
    }

    int windowToClientField()
    {
        if (flow.c2sProxy.isActive())
        {
            return Math.min(0xFFFF, flow.c2sProxy.windowForClient() >>> Math.max(0, flow.serverShift));
        }
        final int ringFree = flow.state == STATE_CUT_THROUGH ? engine.ringCapacity() - flow.c2sRingCount :
            Integer.MAX_VALUE / 2;
        // an ACK moved past the server's over a kept part (see ackForClient) leaves the window's right edge in place
        final int keptAcknowledged = flow.state == STATE_CUT_THROUGH && isPartialAnchored() ?
            ackForClient() - flow.serverAckInCipher : 0;
        return Math.min(0xFFFF, Math.max(0, windowForClient(ringFree) - keptAcknowledged) >>>
            Math.max(0, flow.serverShift));
    }

    @Override
    public void onPlaintext(final byte[] buffer, final int offset, final int length)
    {
        if (plainLength + length > plain.length)
        {
            plain = java.util.Arrays.copyOf(plain, Math.max(plain.length * 2, plainLength + length));
        }
        System.arraycopy(buffer, offset, plain, plainLength, length);
        plainLength += length;
    }

    @Override
    public void onRecord(final int contentType, final byte[] buffer, final int offset, final int length)
    {
        if (contentType == ContentType.ALERT && length == 2 && buffer[offset + 1] == AlertDescription.CLOSE_NOTIFY)
        {
            flow.clientCloseNotify = true;
        }
        // other alerts and post-handshake messages (KeyUpdate) are not forwarded: the server speaks plain TCP
    }

    @Override
    public void onRecordAuthenticated(final long sequence, final int contentType)
    {
        // the decoder releases held plaintext itself; nothing to do per record
    }
}
