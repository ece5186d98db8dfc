package org.inlinetls.modes.direct;

import static org.inlinetls.modes.direct.DirectFlow.STATE_CUT_THROUGH;
import static org.inlinetls.modes.direct.DirectFlow.STATE_HANDSHAKE;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.ACK;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.FIN;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.PSH;

import java.util.zip.CRC32C;

import org.agrona.DirectBuffer;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.crypto.record.AlertDescription;
import org.inlinetls.crypto.record.ContentType;
import org.inlinetls.seqdb.AppendResult;
import org.inlinetls.seqdb.Direction;
import org.inlinetls.seqdb.FlowEntry;

/**
 * The server→client role of a {@link DirectFlow}: encrypts each server segment into records sized for the client's
 * MSS, re-encrypts server retransmissions from the checkpoints (each interval's plaintext checked against its CRC, so
 * a record number never covers other bytes), processes held server segments, translates the client's ACKs into the
 * server's plain space and sends the records, ACKs and windows the client sees.
 *
 * <p>A server→client checkpoint blob:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |             record sequence number at the boundary            |
 *  |                                                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          CRC-32C of the interval's plaintext ending here      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     flags     |                    (unused)                   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * Flags: bit 0, the interval carried the server's FIN. Big-endian.
 *
 * <p>Single-threaded, like its flow; the flow's state lives in the flow.
 */
final class ServerToClientPath
{
    static final int S2C_BLOB_LENGTH = 16;
    static final int S2C_BLOB_SEQUENCE = 0;
    static final int S2C_BLOB_CRC = 8;
    static final int S2C_BLOB_FLAGS = 12;
    static final int S2C_FLAG_FIN = 1;
    private static final int ALERT_LEVEL_WARNING = 1;
    private static final java.lang.invoke.VarHandle LONG =
        java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.BIG_ENDIAN);
    private static final java.lang.invoke.VarHandle INT =
        java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, java.nio.ByteOrder.BIG_ENDIAN);

    private final DirectFlow flow;
    private final DirectEngine engine;
    private final CRC32C crc = new CRC32C();
    /**
     * The first part of an interval a server retransmission ended inside, kept until a later retransmission brings
     * the rest: a sender that merged or re-split its segments (Linux after SACK reneging or a timeout) resends an
     * interval in pieces, and a record is only ever encrypted again over its whole original plaintext.
     */
    private byte[] partial;
    private int partialFrom;
    private int partialLength;

    ServerToClientPath(final DirectFlow flow, final DirectEngine engine)
    {
        this.flow = flow;
        this.engine = engine;
    }

    /** Processes held server segments the frontier has reached, in order. */
    void drainHeldFromServer()
    {
        final SegmentPool pool = engine.segmentPool();
        int i;
        while (flow.state == STATE_CUT_THROUGH && !flow.failed &&
            (i = flow.heldFromServer.find(pool, flow.s2cPlainNext)) >= 0)
        {
            final int before = flow.s2cPlainNext;
            onServerData(flow.heldFromServer.data(i), 0, flow.heldFromServer.length(i), flow.heldFromServer.seq(i),
                flow.heldFromServer.fin(i));
            if (flow.s2cPlainNext == before && !flow.failed && engine.ringCapacity() - flow.s2cRingCount < 1)
            {
                break; // not usable now (ring full): kept (it may have been SACKed) until the client's ACK frees it
            }
            flow.heldFromServer.release(pool, i);
            if (flow.s2cPlainNext == before)
            {
                break;
            }
        }
    }

    void onClientAck(final TcpHeaderFlyweight tcp, final long nowNs)
    {
        final int ack = tcp.acknowledgmentNumber();
        if (null != flow.injected && flow.state >= STATE_HANDSHAKE && !flow.injected.isFullyAcknowledged())
        {
            // an ACK past the flight also covers server data: for the flight's sender it acknowledges all it sent
            flow.injected.onAck(ack - flow.injected.nextSeq() > 0 ? flow.injected.nextSeq() : ack,
                flow.clientWindowBytes, nowNs);
        }
        if (flow.state != STATE_CUT_THROUGH || flow.s2cProxy.isActive())
        {
            return; // in proxy handling the appliance acknowledged the server itself: nothing to translate
        }
        final FlowEntry entry = engine.acquire(flow.key);
        if (null == entry)
        {
            return;
        }
        try
        {
            final Direction dir = Direction.SERVER_TO_CLIENT;
            entry.dropCheckpointsUpTo(dir, ack);
            final int k = entry.findCheckpointAtOrBefore(dir, ack);
            if (k >= 0 && entry.checkpointPlainSeq(dir, k) - flow.clientAckInPlain > 0)
            {
                flow.clientAckInPlain = entry.checkpointPlainSeq(dir, k);
            }
            flow.s2cRingCount = entry.ringCount(dir);
            entry.lastActivityNs(flow.lastActivityNs()); // ACK-only periods keep the entry from expiring as orphan
            if (flow.sack && tcp.sackBlockCount() > 0)
            {
                flow.sackToServerCount = SackBlocks.translateCounted(engine, entry, dir, tcp, true,
                    flow.clientAckInPlain, flow.sackToServer);
            }
        }
        finally
        {
            entry.close();
        }
    }

    /** The client's ACK in the server's plain space. */
    int translateClientAck()
    {
        if (flow.s2cProxy.isActive())
        {
            return flow.s2cPlainNext; // every staged byte is the appliance's to deliver
        }
        return flow.state == STATE_CUT_THROUGH ? flow.clientAckInPlain : flow.serverIsn + 1;
    }

    /**
     * The window the server may fill, in its plain bytes: the client's window less the record overhead of the
     * segments it takes, and no more records than the checkpoint ring can hold.
     */
    private int windowForServer(final int ringFree)
    {
        final int overhead = flow.recordOverhead;
        final int segment = Math.max(1, flow.clientMss - overhead);
        final int segments = flow.clientWindowBytes / flow.clientMss + 1;
        int window = flow.clientWindowBytes - segments * overhead;
        // two slots in hand: the byte window cannot bound segments exactly (a sender may split its last one)
        window = (int)Math.min(window, Math.max(0L, ringFree - 2L) * (segment - (flow.timestamps ? 12 : 0)));
        return Math.max(0, window);
    }

    void onServerData(final DirectBuffer buffer, final int payloadOffset, final int length, final int seq,
        final boolean fin)
    {
        final int offsetFromFrontier = seq - flow.s2cPlainNext;
        if (offsetFromFrontier <= 0 && flow.s2cProxy.isActive())
        {
            flow.s2cProxy.onServerData(buffer, payloadOffset, length, seq, fin);
            return;
        }
        if (offsetFromFrontier > 0)
        {
            engine.count(DirectCounter.SERVER_OUT_OF_ORDER);
            if (!flow.heldFromServer.hold(engine.segmentPool(), buffer, payloadOffset, length, seq, fin))
            {
                engine.count(DirectCounter.OUT_OF_ORDER_DROPPED);
            }
            duplicateAcksToServer();
            return;
        }
        final FlowEntry entry = engine.acquire(flow.key);
        if (null == entry)
        {
            return;
        }
        try
        {
            int skip = 0;
            if (offsetFromFrontier < 0)
            {
                skip = resendServerIntervals(entry, buffer, payloadOffset, length, seq, fin);
                if (skip < 0)
                {
                    return;
                }
            }
            int rest = length - skip;
            // stop where a held segment (maybe SACKed to the server) begins: it continues from there
            final int cut = flow.heldFromServer.firstStartBetween(flow.s2cPlainNext, flow.s2cPlainNext + rest);
            final boolean truncated = cut - (flow.s2cPlainNext + rest) < 0 && rest > 0;
            if (truncated)
            {
                rest = cut - flow.s2cPlainNext;
            }
            final boolean newFin = fin && !flow.serverFinSeen && !truncated;
            if (rest <= 0 && !newFin)
            {
                return;
            }
            if (entry.ringFree(Direction.SERVER_TO_CLIENT) < 1)
            {
                engine.count(DirectCounter.RING_FULL_DROPS);
                flow.clientPath.sendAckToServer();
                return;
            }
            final int cipherStart = flow.s2cCipherNext;
            final long recordStart = flow.s2cRecordSeq;
            final byte[] bytes = engine.payloadScratch(rest);
            buffer.getBytes(payloadOffset + skip, bytes, 0, rest);
            crc.reset();
            crc.update(bytes, 0, rest);
            final int cipherLength = cipherLength(rest, newFin);
            flow.s2cPlainNext += rest + (newFin ? 1 : 0);
            flow.s2cCipherNext += cipherLength + (newFin ? 1 : 0);
            flow.s2cRecordSeq += recordCount(rest) + (newFin ? 1 : 0);
            flow.serverFinSeen |= newFin;
            // persisted before anything is sent: a restarted appliance never reuses a record number
            appendServerCheckpoint(entry, (int)crc.getValue(), newFin);
            sendRecordsToClient(bytes, rest, cipherStart, recordStart, newFin);
        }
        finally
        {
            entry.close();
        }
    }

    /**
     * Encrypts again the intervals of a retransmitted server segment that lie below the frontier.
     *
     * @return bytes of the segment handled (the rest is new), or -1 when nothing more may be done with it.
     */
    private int resendServerIntervals(final FlowEntry entry, final DirectBuffer buffer, final int payloadOffset,
        final int length, final int seq, final boolean fin)
    {
        final Direction dir = Direction.SERVER_TO_CLIENT;
        final int end = seq + length + (fin ? 1 : 0);
        final int count = entry.ringCount(dir);
        int k = 0;
        while (k < count && entry.checkpointPlainSeq(dir, k) - seq < 0)
        {
            k++;
        }
        if (k == count)
        {
            engine.count(DirectCounter.SERVER_RETRANSMISSIONS_UNUSABLE);
            return -1;
        }
        if (k == 0 && entry.checkpointPlainSeq(dir, 0) - seq > 0 && count > 0)
        {
            // starts before everything held: the client acknowledged those bytes; answer with an ACK only
            flow.clientPath.sendAckToServer();
        }
        engine.count(DirectCounter.SERVER_RETRANSMISSIONS);
        final byte[] blob = engine.checkpointScratch();
        final byte[] bytes = engine.payloadScratch(length);
        buffer.getBytes(payloadOffset, bytes, 0, length);
        if (k > 0 && partialLength > 0)
        {
            completePartial(entry, k - 1, bytes, seq, seq + length);
        }
        while (k < count - 1)
        {
            final int from = entry.checkpointPlainSeq(dir, k);
            final int to = entry.checkpointPlainSeq(dir, k + 1);
            if (to - end > 0)
            {
                // ends inside an interval (resent in smaller pieces than the original): a record number is never
                // used for other bytes, so that part is kept until the rest of the interval comes. A segment that
                // ends where this interval begins was resent whole: not partial
                if (end - from > 0)
                {
                    engine.count(DirectCounter.SERVER_RETRANSMISSIONS_PARTIAL);
                    keepPartial(from, bytes, from - seq, seq + length - from);
                }
                return length;
            }
            entry.getCheckpointBlob(dir, k + 1, blob, 0);
            final boolean intervalFin = (blob[S2C_BLOB_FLAGS] & S2C_FLAG_FIN) != 0;
            final int expectedCrc = getInt(blob, S2C_BLOB_CRC);
            final int plainLength = to - from - (intervalFin ? 1 : 0);
            crc.reset();
            crc.update(bytes, from - seq, plainLength);
            if ((int)crc.getValue() != expectedCrc)
            {
                engine.count(DirectCounter.SERVER_RETRANSMISSIONS_CHANGED);
                return -1;
            }
            entry.getCheckpointBlob(dir, k, blob, 0);
            final long recordSeq = getLong(blob, S2C_BLOB_SEQUENCE);
            final byte[] copy = engine.resendScratch(plainLength);
            System.arraycopy(bytes, from - seq, copy, 0, plainLength);
            sendRecordsToClient(copy, plainLength, entry.checkpointCipherSeq(dir, k), recordSeq, intervalFin);
            k++;
        }
        return Math.max(0, Math.min(length, flow.s2cPlainNext - seq - (flow.serverFinSeen ? 1 : 0)));
    }

    /** Keeps the first {@code length} bytes of the interval starting at {@code from}. */
    private void keepPartial(final int from, final byte[] bytes, final int offset, final int length)
    {
        if (length <= 0)
        {
            return;
        }
        if (null == partial || partial.length < length)
        {
            partial = new byte[Math.max(length, 2048)]; // once per flow that needs it, not per segment
        }
        System.arraycopy(bytes, offset, partial, 0, length);
        partialFrom = from;
        partialLength = length;
    }

    /**
     * A retransmission beginning inside interval {@code k}: when it continues the part kept of that interval, the
     * two together are checked against the interval's CRC and encrypted again whole.
     */
    private void completePartial(final FlowEntry entry, final int k, final byte[] bytes, final int seq,
        final int dataEnd)
    {
        final Direction dir = Direction.SERVER_TO_CLIENT;
        final int from = entry.checkpointPlainSeq(dir, k);
        final int to = entry.checkpointPlainSeq(dir, k + 1);
        final int have = partialFrom + partialLength;
        if (partialFrom != from || seq - from <= 0 || seq - have > 0 || dataEnd - have <= 0)
        {
            if (partialFrom - entry.checkpointPlainSeq(dir, 0) < 0)
            {
                partialLength = 0; // acknowledged since
            }
            return;
        }
        final byte[] blob = engine.checkpointScratch();
        entry.getCheckpointBlob(dir, k + 1, blob, 0);
        if ((blob[S2C_BLOB_FLAGS] & S2C_FLAG_FIN) != 0)
        {
            return;
        }
        final int take = Math.min(dataEnd, to) - have;
        keepGrow(partialLength + take);
        System.arraycopy(bytes, have - seq, partial, partialLength, take);
        partialLength += take;
        if (partialFrom + partialLength != to)
        {
            return; // still short of the interval's end
        }
        crc.reset();
        crc.update(partial, 0, partialLength);
        if ((int)crc.getValue() != getInt(blob, S2C_BLOB_CRC))
        {
            engine.count(DirectCounter.SERVER_RETRANSMISSIONS_CHANGED);
            partialLength = 0;
            return;
        }
        entry.getCheckpointBlob(dir, k, blob, 0);
        final long recordSeq = getLong(blob, S2C_BLOB_SEQUENCE);
        final byte[] copy = engine.resendScratch(partialLength);
        System.arraycopy(partial, 0, copy, 0, partialLength);
        final int length = partialLength;
        partialLength = 0;
        engine.count(DirectCounter.RETRANSMISSIONS_JOINED);
        sendRecordsToClient(copy, length, entry.checkpointCipherSeq(dir, k), recordSeq, false);
    }

    /** Forgets a kept part (a new flow in this object, or a restore). */
    void resetPartial()
    {
        partialLength = 0;
    }

    private void keepGrow(final int length)
    {
        if (partial.length < length)
        {
            partial = java.util.Arrays.copyOf(partial, Math.max(length, 2 * partial.length));
        }
    }

    void appendServerCheckpoint(final FlowEntry entry, final int intervalCrc, final boolean fin)
    {
        final byte[] blob = engine.checkpointScratch();
        putLong(blob, S2C_BLOB_SEQUENCE, flow.s2cRecordSeq);
        putInt(blob, S2C_BLOB_CRC, intervalCrc);
        blob[S2C_BLOB_FLAGS] = (byte)(fin ? S2C_FLAG_FIN : 0);
        final AppendResult result = entry.appendCheckpoint(Direction.SERVER_TO_CLIENT, flow.s2cCipherNext,
            flow.s2cPlainNext, 0, blob, 0, S2C_BLOB_LENGTH);
        if (result != AppendResult.APPENDED)
        {
            engine.count(DirectCounter.RING_FULL_DROPS);
        }
        flow.s2cRingCount = entry.ringCount(Direction.SERVER_TO_CLIENT);
        entry.recordSequence(Direction.SERVER_TO_CLIENT, flow.s2cRecordSeq).lastActivityNs(flow.lastActivityNs);
    }

    /** Largest content of one record so that record, headers and timestamps fit the client's MSS. */
    int maxContent()
    {
        final int tsSpace = flow.timestamps ? 12 : 0;
        return Math.max(1, Math.min(org.inlinetls.crypto.record.RecordEncoder.MAX_CONTENT_LENGTH,
            flow.clientMss - tsSpace - flow.recordOverhead));
    }

    private int recordCount(final int plainLength)
    {
        if (plainLength == 0)
        {
            return 0;
        }
        return (plainLength + maxContent() - 1) / maxContent();
    }

    private int cipherLength(final int plainLength, final boolean fin)
    {
        int total = 0;
        int left = plainLength;
        final int max = maxContent();
        while (left > 0)
        {
            final int n = Math.min(left, max);
            total += flow.encoder.recordLength(n);
            left -= n;
        }
        if (fin)
        {
            total += flow.encoder.recordLength(2);
        }
        return total;
    }

    /** Encrypts plaintext into records of at most {@link #maxContent()} bytes, one record per frame to the client. */
    private void sendRecordsToClient(final byte[] bytes, final int length, final int cipherStart,
        final long firstRecordSeq, final boolean fin)
    {
        final byte[] record = engine.recordScratch();
        int seq = cipherStart;
        long recordSeq = firstRecordSeq;
        int done = 0;
        final int max = maxContent();
        while (done < length)
        {
            final int n = Math.min(length - done, max);
            final int recordLength = flow.encoder.encode(ContentType.APPLICATION_DATA, bytes, done, n, recordSeq++,
                record, 0);
            done += n;
            sendToClient(seq, record, recordLength, PSH | ACK);
            seq += recordLength;
        }
        if (fin)
        {
            final byte[] alert = engine.alertScratch();
            alert[0] = (byte)ALERT_LEVEL_WARNING;
            alert[1] = (byte)AlertDescription.CLOSE_NOTIFY;
            final int recordLength = flow.encoder.encode(ContentType.ALERT, alert, 0, 2, recordSeq, record, 0);
            sendToClient(seq, record, recordLength, PSH | ACK | FIN);
        }
    }

    /**
     * A segment past a hole is held (or dropped when no slot is free) but not acknowledged, and the sender sees no
     * later segment acknowledged either; with a small congestion window it could not collect the three duplicate
     * ACKs of a fast retransmit and would wait for its retransmission timer after every loss. The first segment
     * after the hole opened is answered with the three duplicate ACKs at once; later ones with one each, as a
     * receiver would. The client's direction does the same ({@code ClientToServerPath.duplicateAcksToClient}).
     */
    private void duplicateAcksToServer()
    {
        final int ack = translateClientAck();
        final int count = ack == flow.lastHoleAckToServer ? 1 : DirectFlow.FAST_RETRANSMIT_DUPLICATES;
        flow.lastHoleAckToServer = ack;
        for (int i = 0; i < count; i++)
        {
            flow.clientPath.sendAckToServer();
        }
    }

    int windowToServerField()
    {
        final int shift = Math.max(0, flow.clientShift);
        if (flow.s2cProxy.isActive() || flow.state != STATE_CUT_THROUGH)
        {
            flow.s2cEdgeToServer = flow.ackToServer; // only cut-through's own offers are kept (see below)
            final int window = flow.s2cProxy.isActive() ? flow.s2cProxy.windowForServer() :
                windowForServer(Integer.MAX_VALUE / 2);
            return Math.min(0xFFFF, window >>> shift);
        }
        final int field = Math.min(0xFFFF, windowForServer(engine.ringCapacity() - flow.s2cRingCount) >>> shift);
        // the right edge never moves back (RFC 9293 §3.8.6.2.2), nor below what was forwarded (a zero-window probe
        // may be a whole segment): a sender resends from SND.UNA only up to the right edge it is offered now (Linux
        // since 2022), and an edge taken back would have it resend an interval in a piece shorter than the original,
        // which the appliance can only keep, never send (its record number covers the whole interval); with the
        // client silent (it lost the record and holds nothing newer) the server then waits for an ACK and the
        // appliance for the rest of the interval. The client's ACKs take the edge back when its application has not
        // read yet, and the record overhead reserved per ACK takes a little more each time
        final int forwardedEnd = flow.s2cPlainNext - (flow.serverFinSeen ? 1 : 0);
        final int keptEdge = forwardedEnd - flow.s2cEdgeToServer > 0 ? forwardedEnd : flow.s2cEdgeToServer;
        final int kept = keptEdge - flow.ackToServer;
        final int keptField = kept <= 0 ? 0 : (int)Math.min(0xFFFF, (kept + (1L << shift) - 1) >>> shift);
        final int offered;
        if (keptField > field)
        {
            engine.count(DirectCounter.SERVER_WINDOW_SHRINK_AVOIDED);
            offered = keptField;
        }
        else
        {
            offered = field;
        }
        final int edge = flow.ackToServer + (offered << shift);
        if (edge - flow.s2cEdgeToServer > 0)
        {
            flow.s2cEdgeToServer = edge;
        }
        return offered;
    }

    void sendAckToClient()
    {
        engine.count(DirectCounter.APPLIANCE_ACKS);
        sendToClient(flow.controlSeqToClient(), null, 0, ACK);
    }

    void sendToClient(final int seq, final byte[] bytes, final int length, final int flags)
    {
        final int ack = flow.clientPath.ackForClient();
        if (ack - flow.ackToClient > 0 || flow.ackToClient == 0)
        {
            flow.ackToClient = ack;
        }
        engine.buildToClient(flow, seq, flow.ackToClient, flags, flow.clientPath.windowToClientField(), bytes, 0,
            length);
    }

    boolean translatedAckChanged()
    {
        return translateClientAck() != flow.ackToServer;
    }

    private static void putLong(final byte[] b, final int at, final long v)
    {
        LONG.set(b, at, v);
    }

    static long getLong(final byte[] b, final int at)
    {
        return (long)LONG.get(b, at);
    }

    private static void putInt(final byte[] b, final int at, final int v)
    {
        INT.set(b, at, v);
    }

    private static int getInt(final byte[] b, final int at)
    {
        return (int)INT.get(b, at);
    }
}
