package org.inlinetls.modes.direct;

import static org.inlinetls.modes.direct.DirectFlow.STATE_CLOSED;
import static org.inlinetls.modes.direct.DirectFlow.STATE_CUT_THROUGH;
import static org.inlinetls.modes.direct.DirectFlow.STATE_HANDSHAKE;
import static org.inlinetls.modes.direct.DirectFlow.STATE_PASS;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.ACK;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.PSH;

import org.agrona.DirectBuffer;
import org.inlinetls.crypto.record.ContentType;
import org.inlinetls.seqdb.Direction;
import org.inlinetls.seqdb.FlowEntry;
import org.inlinetls.seqdb.KeyMaterial;

/**
 * The handshake role of a {@link DirectFlow}: feeds the client's handshake bytes to the appliance's
 * {@link HandshakeEngine}, sends its flight (and the TLS 1.3 NewSessionTicket) through the injected stream with its
 * own retransmissions, and enters cut-through once the keys are known, journaling them with the first checkpoints.
 *
 * <p>Single-threaded, like its flow; the flow's state lives in the flow.
 */
final class HandshakePhase
{
    private static final int TLS_HANDSHAKE_RECORD = 22;

    private final DirectFlow flow;
    private final DirectEngine engine;
    private final SegmentSink injectedSink;

    HandshakePhase(final DirectFlow flow, final DirectEngine engine)
    {
        this.flow = flow;
        this.engine = engine;
        this.injectedSink = this::onInjectedSegment;
    }

    void onHandshakeBytes(final DirectBuffer buffer, final int payloadOffset, final int length, final int seq,
        final long nowNs)
    {
        final int offsetFromFrontier = seq - flow.c2sCipherNext;
        if (offsetFromFrontier > 0)
        {
            engine.count(DirectCounter.CLIENT_OUT_OF_ORDER);
            return;
        }
        final int skip = -offsetFromFrontier;
        if (skip >= length)
        {
            flow.serverPath.sendAckToClient(); // a retransmission of bytes already absorbed: acknowledge again
            return;
        }
        final byte[] bytes = engine.payloadScratch(length);
        buffer.getBytes(payloadOffset, bytes, 0, length);
        final int taken = flow.handshake.offer(bytes, skip, length - skip);
        flow.c2sCipherNext += taken;
        drainHandshakeOutput();
        if (flow.handshake.isFailed())
        {
            engine.count(DirectCounter.HANDSHAKE_FAILED);
            engine.handshakeFailures().record(flow.handshake);
            flow.failFlow(-1);
            return;
        }
        if (flow.handshake.isComplete())
        {
            if (!enterCutThrough(nowNs))
            {
                return;
            }
            final int rest = length - skip - taken;
            if (rest > 0)
            {
                flow.clientPath.processClientRecords(buffer, payloadOffset + skip + taken, rest, false);
            }
        }
        if (flow.injected.unsentBytes() == 0)
        {
            flow.serverPath.sendAckToClient();
        }
    }

    private void drainHandshakeOutput()
    {
        final byte[] out = engine.outputScratch();
        int n;
        while ((n = flow.handshake.readOutput(out, 0, out.length)) > 0)
        {
            if (!flow.injected.append(out, 0, n))
            {
                flow.failed = true; // the flight does not fit the injected ring: configuration error, counted below
                engine.count(DirectCounter.HANDSHAKE_FAILED);
                engine.handshakeFailures().record(flow.handshake);
                return;
            }
        }
    }

    private boolean enterCutThrough(final long nowNs)
    {
        flow.keys = flow.handshake.takeKeys();
        flow.handshake.release();
        flow.handshake = null;
        flow.decoder = flow.keys.newClientDecoder(engine.integrityMode(), engine.decoderScratch());
        flow.replayDecoder = flow.keys.newClientDecoder(engine.integrityMode(), engine.decoderScratch());
        flow.encoder = flow.keys.newServerEncoder();
        flow.s2cRecordSeq = flow.keys.serverSequence();
        final byte[] ticket = flow.keys.sessionTicket();
        if (null != ticket)
        {
            final byte[] record = engine.outputScratch();
            final int n = flow.encoder.encode(ContentType.HANDSHAKE, ticket, 0, ticket.length, flow.s2cRecordSeq++,
                record, 0);
            flow.injected.append(record, 0, n);
        }
        flow.s2cPlainNext = flow.serverIsn + 1;
        flow.s2cCipherNext = flow.injected.endSeq();
        engine.needsTimer(flow); // the NewSessionTicket, if any
        final FlowEntry entry = engine.acquire(flow.key);
        if (null == entry)
        {
            return false;
        }
        try
        {
            writeCutThroughEntry(entry, nowNs);
        }
        finally
        {
            entry.close();
        }
        flow.state = STATE_CUT_THROUGH;
        flow.serverAckInCipher = flow.c2sCipherNext; // the handshake bytes, acknowledged by the appliance itself
        flow.clientAckInPlain = flow.serverIsn + 1;
        flow.recordOverhead = flow.encoder.recordLength(1024) - 1024 + (null == flow.keys.suite() ? 16 : 0);
        engine.count(DirectCounter.FLOWS_ESTABLISHED);
        if (flow.keys.resumed())
        {
            engine.count(DirectCounter.FLOWS_RESUMED);
        }
        return true;
    }

    /** Journals the flow as cut-through: the first checkpoint of each direction, TCP parameters and record keys. */
    private void writeCutThroughEntry(final FlowEntry entry, final long nowNs)
    {
        final byte[] blob = engine.checkpointScratch();
        flow.decoder.saveCheckpoint(blob, 0);
        entry.clearCheckpoints(Direction.CLIENT_TO_SERVER);
        entry.clearCheckpoints(Direction.SERVER_TO_CLIENT);
        entry.appendCheckpoint(Direction.CLIENT_TO_SERVER, flow.c2sCipherNext, flow.c2sPlainNext, 0, blob, 0,
            flow.decoder.checkpointLength());
        flow.serverPath.appendServerCheckpoint(entry, 0, false);
        flow.c2sRingCount = entry.ringCount(Direction.CLIENT_TO_SERVER);
        entry.cipherSuite(flow.keys.suiteCode()).tlsVersion(flow.keys.version().ordinal())
            .clientIsn(flow.clientIsn).serverIsn(flow.serverIsn).tcpOptions(flow.tcpOptions())
            .mss(Direction.CLIENT_TO_SERVER, flow.clientMss).mss(Direction.SERVER_TO_CLIENT, flow.serverMss)
            .state(STATE_CUT_THROUGH).lastActivityNs(nowNs);
        for (int kind = 0; kind < 3; kind++)
        {
            final KeyMaterial material = kind == 0 ? KeyMaterial.KEY : kind == 1 ? KeyMaterial.IV :
                KeyMaterial.MAC_KEY;
            final byte[] client = flow.keys.clientRecordKey(kind);
            final byte[] server = flow.keys.serverRecordKey(kind);
            entry.putKeyMaterial(Direction.CLIENT_TO_SERVER, material, client, 0, client.length);
            entry.putKeyMaterial(Direction.SERVER_TO_CLIENT, material, server, 0, server.length);
            java.util.Arrays.fill(client, (byte)0);
            java.util.Arrays.fill(server, (byte)0);
        }
    }

    void onNotTls(final DirectBuffer buffer, final int payloadOffset, final int length, final int seq,
        final boolean fin)
    {
        if (engine.passNonTls())
        {
            engine.count(DirectCounter.FLOWS_NOT_TLS_PASSED);
            flow.state = STATE_PASS; // the caller forwards this segment as it is, and the flow from now on
            return;
        }
        engine.count(DirectCounter.FLOWS_NOT_TLS_RESET);
        flow.resetBoth();
    }

    static boolean looksLikeHandshake(final DirectBuffer buffer, final int offset, final int length)
    {
        return buffer.getByte(offset) == TLS_HANDSHAKE_RECORD &&
            (length < 2 || buffer.getByte(offset + 1) == 3);
    }

    /** Sends the appliance's flight (and retransmits it) as the client's window allows. */
    int serviceInjected(final long nowNs)
    {
        if (null == flow.injected || flow.state < STATE_HANDSHAKE || flow.state == STATE_PASS ||
            flow.state == STATE_CLOSED)
        {
            return 0;
        }
        flow.s2cProxy.pump(nowNs);
        final int c2sWork = flow.c2sProxy.pump(nowNs);
        final int work = c2sWork + flow.injected.poll(nowNs, injectedSink,
            Math.max(1, flow.clientMss - (flow.timestamps ? 12 : 0)), flow.clientWindowBytes);
        if (flow.injected.hasGivenUp())
        {
            engine.count(DirectCounter.INJECTED_GAVE_UP);
            flow.resetBoth();
        }
        else if (flow.failed && flow.injected.isFullyAcknowledged())
        {
            flow.resetBoth();
        }
        return work;
    }

    private boolean onInjectedSegment(final int seq, final byte[] buffer, final int offset, final int length,
        final boolean retransmission)
    {
        final int ack = flow.clientPath.ackForClient();
        if (ack - flow.ackToClient > 0 || flow.ackToClient == 0)
        {
            flow.ackToClient = ack;
        }
        return engine.buildToClient(flow, seq, flow.ackToClient, PSH | ACK, flow.clientPath.windowToClientField(),
            buffer, offset, length);
    }

    /** True while the injected stream has bytes unsent or unacknowledged (its timers must run). */
    boolean needsTimer()
    {
        return null != flow.injected && flow.state >= STATE_HANDSHAKE && flow.state != STATE_PASS &&
            flow.state != STATE_CLOSED && (!(flow.injected.isFullyAcknowledged() && !flow.failed) ||
            flow.s2cProxy.needsTimer() || flow.c2sProxy.needsTimer());
    }

    long nextDeadlineNs()
    {
        return null == flow.injected || flow.state < STATE_HANDSHAKE ? InjectedStreamSender.NO_DEADLINE :
            flow.injected.nextDeadlineNs();
    }
}
