package org.inlinetls.modes.direct;

import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.ACK;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.FIN;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.PSH;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.RST;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.SYN;

import org.agrona.DirectBuffer;
import org.inlinetls.crypto.record.AlertDescription;
import org.inlinetls.crypto.record.ContentType;
import org.inlinetls.crypto.record.SegmentDecoder;
import org.inlinetls.crypto.record.SegmentEncoder;
import org.inlinetls.handshake.ServerHandshake;
import org.inlinetls.handshake.NegotiatedKeys;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.frame.ParsedFrame;
import org.inlinetls.seqdb.FlowEntry;
import org.inlinetls.seqdb.FlowKey;
/**
 * One intercepted TCP connection in direct mode (DESIGN §4–§7): the client talks TLS to the server's own address on
 * port 443, the server talks plain TCP on its backend port, and the appliance in between absorbs the client's
 * handshake, injects its own flight, decrypts the client's records segment by segment and encrypts each server
 * segment into records, translating sequence numbers, ACKs and windows between the two byte streams.
 *
 * <h2>Sequence spaces</h2>
 * The SYN and SYN-ACK pass (ports rewritten, MSS clamped, SACK-permitted stripped unless SACK is translated, see
 * {@link SackBlocks}), so both legs share the ISNs.
 * Client→server: the client's stream is cipher bytes from {@code clientIsn + 1}; the server's is plaintext from the
 * same number. Server→client: the server's stream is plaintext from {@code serverIsn + 1}; the client's is the
 * appliance's flight (and TLS 1.3 NewSessionTicket) followed by one or more records per server segment.
 * <p>
 * Each direction has a ring of checkpoints in the journal at every segment boundary not yet acknowledged:
 * {@code (cipher seq, plain seq, blob)}. The newest is always the frontier: the next byte expected. Client→server
 * blobs are the decoder's state; server→client blobs hold the record sequence number at the boundary and, for the
 * interval that ends there, a CRC-32C of its plaintext and whether it carried the server's FIN. ACKs translate
 * through the rings: a peer's ACK maps to the newest checkpoint at or below it, so an ACK never covers a byte the
 * appliance has not processed and (for client records) authenticated.
 *
 * <h2>Loss</h2>
 * Segments are processed in order only: a segment beyond the frontier is held in a few slots of a pool shared by the
 * engine's flows ({@link HeldSegments}) and processed when the hole fills, or dropped when no slot is free (its
 * sender resends it, since the translated ACK never passes the hole). A segment below the frontier is a retransmission: it is processed again
 * from the checkpoint where it starts, interval by interval, each interval checked against the checkpoint at its end
 * (client: the decoder's state must match, or the flow fails as a forgery; server: the plaintext's CRC must match,
 * since encrypting other bytes under the same record number would reuse a nonce). The part past the frontier is
 * new data. Bytes before the oldest checkpoint were acknowledged already: only an ACK answers them.
 *
 * <h2>Roles</h2>
 * The flow holds the connection's state and its lifecycle: the SYN exchange, the two entry points
 * ({@link #onClientSegment}, {@link #onServerSegment}), close and failure. {@link HandshakePhase} absorbs the client's
 * handshake, sends the appliance's flight and enters cut-through; {@link ClientToServerPath} decrypts the client's
 * records and {@link ServerToClientPath} encrypts the server's segments, each with its retransmissions, held segments
 * and ACK translation; {@link FlowRestorer} rebuilds a flow from its journal entry after a restart.
 *
 * <p>Single-threaded: the owning engine's thread. Nothing in it is ever logged with key material.
 */
final class DirectFlow
{
    static final int STATE_SYN = 1;
    static final int STATE_SYN_ACK = 2;
    static final int STATE_OPEN = 3;
    static final int STATE_HANDSHAKE = 4;
    static final int STATE_CUT_THROUGH = 5;
    static final int STATE_PASS = 6;
    static final int STATE_CLOSED = 7;

    private static final int DEFAULT_MSS = 536;
    /** SACK blocks relayed: three fit with timestamps. */
    static final int SACK_BLOCKS = 3;
    /** Duplicate ACKs that trigger a fast retransmit (RFC 5681 §3.2). */
    static final int FAST_RETRANSMIT_DUPLICATES = 3;
    /** TCP options word in the journal: bits 0-3 client window scale, 4-7 server's, then these flags. */
    static final int OPTION_TIMESTAMPS = 1 << 8;
    static final int OPTION_CLIENT_FIN = 1 << 9;
    static final int OPTION_SACK = 1 << 10;
    /** The flow was parked: off the heap, its entry the whole state (cleared when it comes back). */
    static final int OPTION_PARKED = 1 << 11;
    private static final int ALERT_LEVEL_FATAL = 2;

    final DirectEngine engine;
    final FlowKey key = new FlowKey();
    long id;
    /** The service the flow started under; it keeps it across service table changes (set by the engine). */
    DirectEngine.Service service;
    int state;
    /** When both FINs were acknowledged, 0 before: the flow lingers a little for the last ACKs. */
    long finishedAtNs;
    boolean closeRequested;
    /** In the engine's list of flows polled every cycle. */
    boolean timerListed;

    // TCP parameters, from the SYN and SYN-ACK
    int clientIsn;
    int serverIsn;
    int clientShift;
    int serverShift;
    boolean timestamps;
    /**
     * SACK (RFC 2018) agreed by both ends and translated by the appliance: blocks of the peer's ACK mapped into
     * the other space, for the frames sent while handling that ACK's segment.
     */
    boolean sack;
    final int[] sackToServer = new int[2 * SACK_BLOCKS];
    int sackToServerCount;
    final int[] sackToClient = new int[2 * SACK_BLOCKS];
    int sackToClientCount;
    int clientMss = DEFAULT_MSS;
    int serverMss = DEFAULT_MSS;
    int lastClientTsval;
    int lastServerTsval;
    int clientWindowBytes = 65_535;
    int serverWindowBytes = 65_535;
    long lastActivityNs;

    // the client's SYN, kept as the addressing template of frames the appliance builds
    private final byte[] template = new byte[128];
    private final ParsedFrame templateFrame = new ParsedFrame();
    private final org.agrona.concurrent.UnsafeBuffer templateBuffer = new org.agrona.concurrent.UnsafeBuffer(template);
    /** The template is a server→client frame (a flow restored from a server segment). */
    private boolean templateFromServer;

    // client → server
    int c2sCipherNext;
    int c2sPlainNext;
    int ackToClient;
    boolean clientFinSeen;
    boolean clientCloseNotify;

    // server → client
    int s2cPlainNext;
    int s2cCipherNext;
    long s2cRecordSeq;
    int ackToServer;
    /**
     * The highest right edge offered to the server in cut-through, in its plain space: later windows never take it
     * back ({@code ServerToClientPath.windowToServerField}).
     */
    int s2cEdgeToServer;
    boolean serverFinSeen;

    // mirrors of the journal rings, so translation never needs a second entry lock
    int c2sRingCount;
    int s2cRingCount;
    /** The client's ACK in the server's plain space (the newest server→client checkpoint it covers). */
    int clientAckInPlain;
    /** The server's ACK in the client's cipher space (the newest client→server checkpoint it covers). */
    int serverAckInCipher;
    /** The server's newest ACK as it sent it, in its plain space. */
    int serverAckInPlain;
    int recordOverhead;
    int lastHoleAckToServer;
    int lastHoleAckToClient;

    ServerHandshake handshake;
    NegotiatedKeys keys;
    /** Decrypts new client bytes at the frontier; its state is always the frontier's. */
    SegmentDecoder decoder;
    /**
     * Decrypts client retransmissions again from a checkpoint, so the frontier's decoder is never disturbed: its
     * state cannot always be saved (inside a small record it holds whole), and a replay that stops short of the
     * frontier could not put it back.
     */
    SegmentDecoder replayDecoder;
    SegmentEncoder encoder;
    InjectedStreamSender injected;
    boolean failed;
    int pendingAlert = -1;

    final HeldSegments heldFromClient = new HeldSegments();
    final HeldSegments heldFromServer = new HeldSegments();

    final ClientToServerPath clientPath;
    final ServerToClientPath serverPath;
    final HandshakePhase handshakePhase;
    /** Proxy handling of the server→client direction while the client's window is small. */
    final ServerToClientProxy s2cProxy;
    /** Proxy handling of the client→server direction while the client sends tiny segments. */
    final ClientToServerProxy c2sProxy;

    DirectFlow(final DirectEngine engine)
    {
        this.engine = engine;
        this.clientPath = new ClientToServerPath(this, engine);
        this.serverPath = new ServerToClientPath(this, engine);
        this.handshakePhase = new HandshakePhase(this, engine);
        this.s2cProxy = new ServerToClientProxy(this, engine);
        this.c2sProxy = new ClientToServerProxy(this, engine);
    }

    // ------------------------------------------------------------------------------------------------ lifecycle --

    /** Starts a flow from the client's SYN; the caller has inserted its journal entry. */
    void open(final FlowKey clientToServer, final long flowId, final DirectBuffer buffer, final ParsedFrame frame,
        final TcpHeaderFlyweight tcp, final long nowNs)
    {
        key.set(clientToServer);
        id = flowId;
        state = STATE_SYN;
        finishedAtNs = 0;
        closeRequested = false;
        clientIsn = tcp.sequenceNumber();
        clientShift = Math.max(tcp.windowScale(), -1);
        serverShift = -1;
        timestamps = tcp.hasTimestamps();
        sack = engine.translatesSack() && tcp.sackPermitted();
        sackToServerCount = 0;
        sackToClientCount = 0;
        clientMss = tcp.mss() > 0 ? tcp.mss() : DEFAULT_MSS;
        lastClientTsval = tcp.timestampValue();
        c2sCipherNext = clientIsn + 1;
        c2sPlainNext = clientIsn + 1;
        ackToClient = 0;
        clientFinSeen = false;
        clientCloseNotify = false;
        serverFinSeen = false;
        failed = false;
        pendingAlert = -1;
        handshake = null;
        keys = null;
        decoder = null;
        replayDecoder = null;
        encoder = null;
        c2sRingCount = 0;
        s2cRingCount = 0;
        templateFromServer = false;
        clientWindowBytes = 65_535;
        serverWindowBytes = 65_535;
        clientAckInPlain = 0;
        serverAckInCipher = 0;
        serverAckInPlain = c2sPlainNext; // nothing sent to the server yet
        recordOverhead = engine.maxRecordOverhead();
        lastActivityNs = nowNs;
        clientPath.resetPartial();
        serverPath.resetPartial();
        s2cProxy.reset();
        c2sProxy.reset();
        takeTemplate(buffer, frame, false);
    }

    void takeTemplate(final DirectBuffer buffer, final ParsedFrame frame, final boolean fromServer)
    {
        final int headerEnd = frame.l4Offset + frame.tcpHeaderLength - frame.frameOffset;
        final int copy = Math.min(headerEnd, template.length);
        buffer.getBytes(frame.frameOffset, template, 0, copy);
        // headers only: the IP length fields must say so, or the copy does not parse
        final int l3 = frame.l3Offset - frame.frameOffset;
        if (frame.ipVersion == 4)
        {
            templateBuffer.putShort(l3 + 2, (short)(copy - l3), java.nio.ByteOrder.BIG_ENDIAN);
            org.inlinetls.packet.checksum.Checksums.writeIpv4HeaderChecksum(templateBuffer, l3,
                (templateBuffer.getByte(l3) & 0xF) * 4);
        }
        else
        {
            templateBuffer.putShort(l3 + 4, (short)(copy - l3 - 40), java.nio.ByteOrder.BIG_ENDIAN);
        }
        engine.parseTemplate(templateBuffer, copy, templateFrame);
        templateFromServer = fromServer;
    }

    /**
     * Rebuilds a flow in cut-through from its journal entry after a restart (see {@link FlowRestorer}).
     *
     * @return false when the entry cannot be used (the caller resets the flow).
     */
    boolean restore(final FlowEntry entry, final long flowId, final DirectBuffer buffer, final ParsedFrame frame,
        final TcpHeaderFlyweight tcp, final boolean fromServer, final long nowNs)
    {
        return FlowRestorer.restore(this, entry, flowId, buffer, frame, tcp, fromServer, nowNs);
    }

    /** Zeroes the keys and forgets the handshake; the journal entry is removed by the caller. */
    /**
     * Whether the journal entry alone can carry the flow: in cut-through, nothing unacknowledged or held either way,
     * nothing injected pending, not failed or finishing. Then its rings hold just their frontiers, which is what a
     * restart continues from; a FIN either way is in the entry too (half-closed connections idle long: a server
     * that closed an idle keep-alive connection whose client has not answered yet).
     */
    boolean isQuiescent()
    {
        return state == STATE_CUT_THROUGH && !failed && pendingAlert < 0 && !closeRequested && finishedAtNs == 0 &&
            c2sRingCount == 1 && s2cRingCount == 1 &&
            serverAckInCipher == c2sCipherNext && clientAckInPlain == s2cPlainNext &&
            heldFromClient.count() == 0 && heldFromServer.count() == 0 && !s2cProxy.isActive() && !c2sProxy.isActive() &&
            (null == injected || injected.isFullyAcknowledged());
    }

    void release()
    {
        s2cProxy.reset();
        c2sProxy.reset();
        heldFromClient.clear(engine.segmentPool());
        heldFromServer.clear(engine.segmentPool());
        if (null != handshake)
        {
            handshake.release();
            handshake = null;
        }
        if (null != keys)
        {
            keys.destroy();
            keys = null;
        }
        decoder = null;
        replayDecoder = null;
        encoder = null;
        state = STATE_CLOSED;
    }

    /**
     * Ends the flow once the segment being handled is done: the journal entry may be locked by the caller now, and
     * removing it under that lock would not work. Until then the flow takes no further segment.
     */
    void requestClose()
    {
        closeRequested = true;
    }

    boolean isCloseRequested()
    {
        return closeRequested;
    }

    long lastActivityNs()
    {
        return lastActivityNs;
    }

    boolean isClosed()
    {
        return state == STATE_CLOSED || closeRequested;
    }

    // ---------------------------------------------------------------------------------------------- client side --

    void onClientSegment(final DirectBuffer buffer, final ParsedFrame frame, final TcpHeaderFlyweight tcp,
        final long nowNs)
    {
        lastActivityNs = nowNs;
        engine.count(DirectCounter.CLIENT_SEGMENTS);
        final int flags = tcp.flags();
        if (tcp.hasTimestamps())
        {
            lastClientTsval = tcp.timestampValue();
        }
        if ((flags & RST) != 0)
        {
            onClientReset(buffer, frame, tcp);
            return;
        }
        if ((flags & SYN) != 0)
        {
            if (state == STATE_SYN || state == STATE_SYN_ACK)
            {
                engine.forwardSyn(buffer, frame, true); // a retransmitted SYN
            }
            return;
        }
        if (state == STATE_PASS)
        {
            engine.forwardPassing(buffer, frame, true);
            return;
        }
        if (state == STATE_CLOSED || failed)
        {
            return;
        }
        if (state == STATE_SYN)
        {
            return; // no SYN-ACK seen yet: nothing this could acknowledge
        }
        clientWindowBytes = scaledWindow(tcp.window(), clientShift);
        final boolean hasAck = (flags & ACK) != 0;
        sackToServerCount = 0; // blocks relayed only with frames answering this segment
        if (hasAck)
        {
            serverPath.onClientAck(tcp, nowNs);
            if (state == STATE_CUT_THROUGH && !s2cProxy.isActive())
            {
                s2cProxy.afterClientAckInCutThrough(nowNs);
            }
            if (heldFromServer.count() > 0)
            {
                serverPath.drainHeldFromServer(); // the ACK may have freed the ring a held segment waits for
            }
        }
        final int seq = tcp.sequenceNumber();
        final int length = frame.payloadLength;
        final boolean fin = (flags & FIN) != 0;
        if (state == STATE_SYN_ACK)
        {
            state = STATE_OPEN;
        }
        final int sentBefore = engine.framesToServer;
        if (length > 0 || fin)
        {
            clientPath.onClientData(buffer, frame.payloadOffset, length, seq, fin, nowNs);
            clientPath.drainHeldFromClient(nowNs);
        }
        if (state == STATE_PASS)
        {
            engine.forwardPassing(buffer, frame, true);
            return;
        }
        if (state == STATE_CLOSED)
        {
            return;
        }
        if (engine.framesToServer == sentBefore && hasAck && (length == 0 || serverPath.translatedAckChanged()))
        {
            clientPath.sendAckToServer(); // the client's ACK (and window) reach the server even without plaintext
        }
        serviceInjected(nowNs);
    }

    // ---------------------------------------------------------------------------------------------- server side --

    void onServerSegment(final DirectBuffer buffer, final ParsedFrame frame, final TcpHeaderFlyweight tcp,
        final long nowNs)
    {
        lastActivityNs = nowNs;
        engine.count(DirectCounter.SERVER_SEGMENTS);
        final int flags = tcp.flags();
        if (tcp.hasTimestamps())
        {
            lastServerTsval = tcp.timestampValue();
        }
        if ((flags & RST) != 0)
        {
            onServerReset(tcp);
            return;
        }
        if ((flags & SYN) != 0)
        {
            if ((flags & ACK) != 0 && (state == STATE_SYN || state == STATE_SYN_ACK))
            {
                onServerSynAck(buffer, frame, tcp);
            }
            return;
        }
        if (state == STATE_PASS)
        {
            engine.forwardPassing(buffer, frame, false);
            return;
        }
        if (state == STATE_CLOSED || failed || state == STATE_SYN)
        {
            return;
        }
        serverWindowBytes = scaledWindow(tcp.window(), serverShift);
        sackToClientCount = 0;
        if ((flags & ACK) != 0)
        {
            clientPath.onServerAck(tcp, nowNs);
            if (heldFromClient.count() > 0)
            {
                clientPath.drainHeldFromClient(nowNs); // the ACK may have freed the ring a held segment waits for
            }
        }
        final int length = frame.payloadLength;
        final boolean fin = (flags & FIN) != 0;
        if (length > 0 || fin)
        {
            if (state != STATE_CUT_THROUGH)
            {
                engine.count(DirectCounter.SERVER_DATA_BEFORE_KEYS);
                return;
            }
            serverPath.onServerData(buffer, frame.payloadOffset, length, tcp.sequenceNumber(), fin);
            serverPath.drainHeldFromServer();
            if (s2cProxy.isActive())
            {
                serviceInjected(nowNs); // records cut from what was staged go out at once
            }
        }
        else if (state == STATE_CUT_THROUGH)
        {
            serverPath.sendAckToClient();
        }
    }

    /** The server's SYN-ACK: its ISN, window scale, timestamps and MSS set both legs' parameters; it passes on. */
    private void onServerSynAck(final DirectBuffer buffer, final ParsedFrame frame, final TcpHeaderFlyweight tcp)
    {
        serverIsn = tcp.sequenceNumber();
        serverShift = tcp.windowScale();
        if (serverShift < 0 || clientShift < 0)
        {
            serverShift = 0;
            clientShift = 0;
        }
        timestamps &= tcp.hasTimestamps();
        sack &= tcp.sackPermitted();
        serverMss = tcp.mss() > 0 ? tcp.mss() : DEFAULT_MSS;
        ackToServer = serverIsn + 1;
        s2cEdgeToServer = ackToServer;
        s2cPlainNext = serverIsn + 1;
        s2cCipherNext = serverIsn + 1;
        if (null == injected)
        {
            injected = engine.newInjectedSender(serverIsn + 1);
        }
        else
        {
            injected.reset(serverIsn + 1);
        }
        state = STATE_SYN_ACK;
        engine.forwardSyn(buffer, frame, false);
    }

    /** Sends the appliance's flight (and retransmits it) as the client's window allows. */
    int serviceInjected(final long nowNs)
    {
        return handshakePhase.serviceInjected(nowNs);
    }

    /** True while the injected stream has bytes unsent or unacknowledged (its timers must run). */
    boolean needsTimer()
    {
        return handshakePhase.needsTimer();
    }

    long nextDeadlineNs()
    {
        return Math.min(handshakePhase.nextDeadlineNs(), c2sProxy.nextDeadlineNs());
    }

    // ------------------------------------------------------------------------------------------- close, failure --

    private void onClientReset(final DirectBuffer buffer, final ParsedFrame frame, final TcpHeaderFlyweight tcp)
    {
        if (state == STATE_PASS)
        {
            engine.forwardPassing(buffer, frame, true);
        }
        else if (state >= STATE_SYN_ACK)
        {
            engine.buildToServer(this, controlSeqToServer(), ackToServer, RST | ACK, 0, null, 0, 0);
        }
        engine.count(DirectCounter.FLOWS_RESET);
        requestClose();
    }

    private void onServerReset(final TcpHeaderFlyweight tcp)
    {
        if (state == STATE_PASS)
        {
            engine.buildToClient(this, tcp.sequenceNumber(), tcp.acknowledgmentNumber(), tcp.flags(), 0, null, 0, 0);
        }
        else
        {
            engine.buildToClient(this, controlSeqToClient(), clientPath.ackForClient(), RST | ACK, 0, null, 0, 0);
        }
        engine.count(DirectCounter.FLOWS_RESET);
        requestClose();
    }

    void onClientRecordFailure(final int alert)
    {
        if (alert == AlertDescription.BAD_RECORD_MAC)
        {
            engine.count(DirectCounter.AUTH_FAILED);
        }
        else
        {
            engine.count(DirectCounter.TLS_PROTOCOL_ERRORS);
        }
        failFlow(alert);
    }

    /**
     * RST to the server at once (so it drops what it has not consumed of a forged record), a fatal alert to the
     * client in the record layer (or the handshake's own alert, already queued), then the flow closes.
     */
    void failFlow(final int alert)
    {
        failed = true;
        if (state >= STATE_SYN_ACK)
        {
            engine.buildToServer(this, controlSeqToServer(), ackToServer, RST | ACK, 0, null, 0, 0);
        }
        if (alert >= 0 && null != encoder && !s2cProxy.isActive())
        {
            final byte[] body = engine.alertScratch();
            body[0] = (byte)ALERT_LEVEL_FATAL;
            body[1] = (byte)alert;
            final byte[] record = engine.recordScratch();
            final int n = encoder.encode(ContentType.ALERT, body, 0, 2, s2cRecordSeq++, record, 0);
            serverPath.sendToClient(s2cCipherNext, record, n, PSH | ACK | FIN);
            s2cCipherNext += n + 1;
            requestClose();
            return;
        }
        if (null == injected || injected.isFullyAcknowledged() && injected.unsentBytes() == 0 ||
            s2cProxy.isActive())
        {
            resetBoth();
        }
        // else: the handshake alert is in the injected stream; serviceInjected resets once it is acknowledged
    }

    void resetBoth()
    {
        if (state >= STATE_SYN_ACK)
        {
            engine.buildToServer(this, controlSeqToServer(), ackToServer, RST | ACK, 0, null, 0, 0);
            engine.buildToClient(this, controlSeqToClient(), c2sCipherNext, RST | ACK, 0, null, 0, 0);
        }
        engine.count(DirectCounter.FLOWS_RESET);
        requestClose();
    }

    /**
     * Sequence number of a frame without data toward the client (ACK, RST): the next byte of cut-through, else the
     * next byte the injected stream sends (handshake flight, or records in proxy handling not sent yet must not be
     * skipped over).
     */
    int controlSeqToClient()
    {
        return state == STATE_CUT_THROUGH && !s2cProxy.isActive() ? s2cCipherNext :
            (null == injected ? serverIsn + 1 : injected.nextSeq());
    }

    /** Sequence number of a frame without data toward the server: past the last byte sent to it. */
    int controlSeqToServer()
    {
        return c2sProxy.isActive() ? c2sProxy.controlSeq() : c2sPlainNext;
    }

    /** Writes {@link #tcpOptions()} into the flow's journal entry (a switch of handling: a restart must know). */
    void persistTcpOptions()
    {
        final FlowEntry entry = engine.acquire(key);
        if (null == entry)
        {
            return;
        }
        try
        {
            entry.tcpOptions(tcpOptions());
        }
        finally
        {
            entry.close();
        }
    }

    int tcpOptions()
    {
        return Math.max(0, clientShift) | Math.max(0, serverShift) << 4 | (timestamps ? OPTION_TIMESTAMPS : 0) |
            (clientFinSeen ? OPTION_CLIENT_FIN : 0) | (sack ? OPTION_SACK : 0) |
            (s2cProxy.isActive() ? ServerToClientProxy.OPTION_S2C_PROXIED : 0) |
            (c2sProxy.isActive() ? ClientToServerProxy.OPTION_C2S_PROXIED : 0);
    }

    /** True once both FINs were exchanged and acknowledged on both legs. */
    boolean isFinished()
    {
        return clientFinSeen && serverFinSeen && ackToServer == s2cPlainNext && serverAckInCipher == c2sCipherNext;
    }

    // ---------------------------------------------------------------------------------------------- accessors --

    boolean templateFromServer()
    {
        return templateFromServer;
    }

    ParsedFrame templateFrame()
    {
        return templateFrame;
    }

    DirectBuffer templateBuffer()
    {
        return templateBuffer;
    }

    boolean timestamps()
    {
        return timestamps;
    }

    int lastClientTsval()
    {
        return lastClientTsval;
    }

    int lastServerTsval()
    {
        return lastServerTsval;
    }

    int clientIsn()
    {
        return clientIsn;
    }

    int c2sPlainNext()
    {
        return c2sPlainNext;
    }

    int ackToServer()
    {
        return ackToServer;
    }

    private static int scaledWindow(final int field, final int shift)
    {
        return field << Math.max(0, shift);
    }

    @Override
    public String toString()
    {
        return "DirectFlow{" + key + " state=" + state + (failed ? " failed" : "") +
            " c2s cipher=" + (c2sCipherNext - clientIsn) + " plain=" + (c2sPlainNext - clientIsn) +
            " ackToClient=" + (ackToClient - clientIsn) + " serverAckInCipher=" + (serverAckInCipher - clientIsn) +
            " ring=" + c2sRingCount + " | s2c plain=" + (s2cPlainNext - serverIsn) + " cipher=" +
            (s2cCipherNext - serverIsn) + " record=" + s2cRecordSeq + " ackToServer=" + (ackToServer - serverIsn) +
            " clientAckInPlain=" + (clientAckInPlain - serverIsn) + " ring=" + s2cRingCount +
            " | windows c/s=" + clientWindowBytes + "/" + serverWindowBytes + (null == injected ? "" :
            " injected una/end=" + (injected.unackedSeq() - serverIsn) + "/" + (injected.endSeq() - serverIsn)) + "}";
    }
}
