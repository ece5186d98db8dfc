package org.inlinetls.modes.direct;

import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.ACK;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.FIN;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.PSH;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.RST;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.SYN;

import java.util.zip.CRC32C;

import org.agrona.DirectBuffer;
import org.inlinetls.crypto.record.AlertDescription;
import org.inlinetls.crypto.record.ContentType;
import org.inlinetls.crypto.record.RecordDecoder;
import org.inlinetls.crypto.record.RecordListener;
import org.inlinetls.crypto.record.SegmentDecoder;
import org.inlinetls.crypto.record.SegmentEncoder;
import org.inlinetls.handshake.HandshakeEngine;
import org.inlinetls.handshake.NegotiatedKeys;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.frame.ParsedFrame;
import org.inlinetls.seqdb.AppendResult;
import org.inlinetls.seqdb.Direction;
import org.inlinetls.seqdb.FlowEntry;
import org.inlinetls.seqdb.FlowKey;
import org.inlinetls.seqdb.KeyMaterial;

/**
 * One intercepted TCP connection in direct mode (DESIGN §4–§7): the client talks TLS to the server's own address on
 * port 443, the server talks plain TCP on its backend port, and the appliance in between absorbs the client's
 * handshake, injects its own flight, decrypts the client's records segment by segment and encrypts each server
 * segment into records, translating sequence numbers, ACKs and windows between the two byte streams.
 *
 * <h2>Sequence spaces</h2>
 * The SYN and SYN-ACK pass (ports rewritten, MSS clamped, SACK-permitted stripped), so both legs share the ISNs.
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
 * Segments are processed in order only: a segment beyond the frontier is dropped (its sender resends it, since the
 * translated ACK never passes the hole). A segment below the frontier is a retransmission: it is processed again
 * from the checkpoint where it starts, interval by interval, each interval checked against the checkpoint at its end
 * (client: the decoder's state must match, or the flow fails as a forgery; server: the plaintext's CRC must match,
 * since encrypting other bytes under the same record number would reuse a nonce). The part past the frontier is
 * new data. Bytes before the oldest checkpoint were acknowledged already: only an ACK answers them.
 *
 * <p>Single-threaded: the owning engine's thread. Nothing in it is ever logged with key material.
 */
final class DirectFlow implements RecordListener
{
    static final int STATE_SYN = 1;
    static final int STATE_SYN_ACK = 2;
    static final int STATE_OPEN = 3;
    static final int STATE_HANDSHAKE = 4;
    static final int STATE_CUT_THROUGH = 5;
    static final int STATE_PASS = 6;
    static final int STATE_CLOSED = 7;

    private static final int S2C_BLOB_LENGTH = 16;
    private static final int S2C_BLOB_SEQUENCE = 0;
    private static final int S2C_BLOB_CRC = 8;
    private static final int S2C_BLOB_FLAGS = 12;
    private static final int S2C_FLAG_FIN = 1;
    private static final int DEFAULT_MSS = 536;
    private static final java.lang.invoke.VarHandle LONG =
        java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.BIG_ENDIAN);
    private static final java.lang.invoke.VarHandle INT =
        java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, java.nio.ByteOrder.BIG_ENDIAN);
    /** Duplicate ACKs that trigger a fast retransmit (RFC 5681 §3.2). */
    private static final int FAST_RETRANSMIT_DUPLICATES = 3;
    /** TCP options word in the journal: bits 0-3 client window scale, 4-7 server's, then these flags. */
    private static final int OPTION_TIMESTAMPS = 1 << 8;
    private static final int OPTION_CLIENT_FIN = 1 << 9;
    private static final int TLS_HANDSHAKE_RECORD = 22;
    private static final int ALERT_LEVEL_FATAL = 2;
    private static final int ALERT_LEVEL_WARNING = 1;

    private final DirectEngine engine;
    final FlowKey key = new FlowKey();
    long id;
    int state;
    /** When both FINs were acknowledged, 0 before: the flow lingers a little for the last ACKs. */
    long finishedAtNs;
    private boolean closeRequested;

    // TCP parameters, from the SYN and SYN-ACK
    private int clientIsn;
    private int serverIsn;
    private int clientShift;
    private int serverShift;
    private boolean timestamps;
    private int clientMss = DEFAULT_MSS;
    private int serverMss = DEFAULT_MSS;
    private int lastClientTsval;
    private int lastServerTsval;
    private int clientWindowBytes = 65_535;
    private int serverWindowBytes = 65_535;
    private long lastActivityNs;

    // the client's SYN, kept as the addressing template of frames the appliance builds
    private final byte[] template = new byte[128];
    private final ParsedFrame templateFrame = new ParsedFrame();
    private final org.agrona.concurrent.UnsafeBuffer templateBuffer = new org.agrona.concurrent.UnsafeBuffer(template);
    /** The template is a server→client frame (a flow restored from a server segment). */
    private boolean templateFromServer;

    // client → server
    private int c2sCipherNext;
    private int c2sPlainNext;
    private int ackToClient;
    private boolean clientFinSeen;
    private boolean clientCloseNotify;

    // server → client
    private int s2cPlainNext;
    private int s2cCipherNext;
    private long s2cRecordSeq;
    private int ackToServer;
    private boolean serverFinSeen;

    // mirrors of the journal rings, so translation never needs a second entry lock
    private int c2sRingCount;
    private int s2cRingCount;
    /** The client's ACK in the server's plain space (the newest server→client checkpoint it covers). */
    private int clientAckInPlain;
    private int recordOverhead;
    private int lastHoleAckToServer;
    private int lastHoleAckToClient;

    private HandshakeEngine handshake;
    private NegotiatedKeys keys;
    private SegmentDecoder decoder;
    private SegmentEncoder encoder;
    private InjectedStreamSender injected;
    private boolean failed;
    private int pendingAlert = -1;

    // plaintext collected from the decoder for one segment
    private byte[] plain;
    private int plainLength;
    private final CRC32C crc = new CRC32C();
    private final SegmentSink injectedSink;
    private final HeldSegments heldFromClient = new HeldSegments();
    private final HeldSegments heldFromServer = new HeldSegments();

    DirectFlow(final DirectEngine engine)
    {
        this.engine = engine;
        this.plain = new byte[4096];
        this.injectedSink = this::onInjectedSegment;
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
        encoder = null;
        c2sRingCount = 0;
        s2cRingCount = 0;
        templateFromServer = false;
        clientWindowBytes = 65_535;
        serverWindowBytes = 65_535;
        clientAckInPlain = 0;
        serverAckInCipher = 0;
        recordOverhead = engine.maxRecordOverhead();
        lastActivityNs = nowNs;
        takeTemplate(buffer, frame, false);
    }

    private void takeTemplate(final DirectBuffer buffer, final ParsedFrame frame, final boolean fromServer)
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
     * Rebuilds a flow in cut-through from its journal entry after a restart: keys, positions and the record
     * layer's state come from the entry and its newest checkpoints, addressing and timestamps from the frame that
     * brought it back. Flows still in their handshake are not in the journal's cut-through state and are not
     * restored.
     *
     * @return false when the entry cannot be used (the caller resets the flow).
     */
    boolean restore(final FlowEntry entry, final long flowId, final DirectBuffer buffer, final ParsedFrame frame,
        final TcpHeaderFlyweight tcp, final boolean fromServer, final long nowNs)
    {
        final int suite = entry.cipherSuite();
        if (entry.state() != STATE_CUT_THROUGH || !RecordLayers.isKnown(suite) ||
            entry.ringCount(Direction.CLIENT_TO_SERVER) == 0 || entry.ringCount(Direction.SERVER_TO_CLIENT) == 0)
        {
            return false;
        }
        entry.readKey(key);
        id = flowId;
        state = STATE_CUT_THROUGH;
        finishedAtNs = 0;
        closeRequested = false;
        failed = false;
        pendingAlert = -1;
        handshake = null;
        keys = null;
        clientIsn = entry.clientIsn();
        serverIsn = entry.serverIsn();
        final int options = entry.tcpOptions();
        clientShift = options & 0xF;
        serverShift = (options >>> 4) & 0xF;
        timestamps = (options & OPTION_TIMESTAMPS) != 0;
        clientFinSeen = (options & OPTION_CLIENT_FIN) != 0;
        clientMss = entry.mss(Direction.CLIENT_TO_SERVER);
        serverMss = entry.mss(Direction.SERVER_TO_CLIENT);
        if (fromServer)
        {
            lastServerTsval = tcp.timestampValue();
            lastClientTsval = tcp.timestampEchoReply();
        }
        else
        {
            lastClientTsval = tcp.timestampValue();
            lastServerTsval = tcp.timestampEchoReply();
        }
        takeTemplate(buffer, frame, fromServer);
        clientWindowBytes = 65_535;
        serverWindowBytes = 65_535;

        final byte[] k = new byte[32];
        final byte[] iv = new byte[12];
        final byte[] mac = new byte[32];
        decoder = RecordLayers.decoder(suite,
            java.util.Arrays.copyOf(k, entry.getKeyMaterial(Direction.CLIENT_TO_SERVER, KeyMaterial.KEY, k, 0)),
            java.util.Arrays.copyOf(iv, entry.getKeyMaterial(Direction.CLIENT_TO_SERVER, KeyMaterial.IV, iv, 0)),
            java.util.Arrays.copyOf(mac, entry.getKeyMaterial(Direction.CLIENT_TO_SERVER, KeyMaterial.MAC_KEY, mac,
                0)), engine.integrityMode(), engine.decoderScratch());
        encoder = RecordLayers.encoder(suite,
            java.util.Arrays.copyOf(k, entry.getKeyMaterial(Direction.SERVER_TO_CLIENT, KeyMaterial.KEY, k, 0)),
            java.util.Arrays.copyOf(iv, entry.getKeyMaterial(Direction.SERVER_TO_CLIENT, KeyMaterial.IV, iv, 0)),
            java.util.Arrays.copyOf(mac, entry.getKeyMaterial(Direction.SERVER_TO_CLIENT, KeyMaterial.MAC_KEY, mac,
                0)));
        java.util.Arrays.fill(k, (byte)0);
        java.util.Arrays.fill(iv, (byte)0);
        java.util.Arrays.fill(mac, (byte)0);

        final byte[] blob = engine.checkpointScratch();
        final Direction c2s = Direction.CLIENT_TO_SERVER;
        final int c2sNewest = entry.ringCount(c2s) - 1;
        c2sCipherNext = entry.checkpointCipherSeq(c2s, c2sNewest);
        c2sPlainNext = entry.checkpointPlainSeq(c2s, c2sNewest);
        entry.getCheckpointBlob(c2s, c2sNewest, blob, 0);
        decoder.restoreCheckpoint(blob, 0);
        serverAckInCipher = entry.checkpointCipherSeq(c2s, 0);
        ackToClient = serverAckInCipher;

        final Direction s2c = Direction.SERVER_TO_CLIENT;
        final int s2cNewest = entry.ringCount(s2c) - 1;
        s2cCipherNext = entry.checkpointCipherSeq(s2c, s2cNewest);
        s2cPlainNext = entry.checkpointPlainSeq(s2c, s2cNewest);
        entry.getCheckpointBlob(s2c, s2cNewest, blob, 0);
        s2cRecordSeq = getLong(blob, S2C_BLOB_SEQUENCE);
        serverFinSeen = (blob[S2C_BLOB_FLAGS] & S2C_FLAG_FIN) != 0;
        clientAckInPlain = entry.checkpointPlainSeq(s2c, 0);
        ackToServer = clientAckInPlain;
        c2sRingCount = entry.ringCount(c2s);
        s2cRingCount = entry.ringCount(s2c);

        if (null == injected)
        {
            injected = engine.newInjectedSender(s2cCipherNext);
        }
        else
        {
            injected.reset(s2cCipherNext); // nothing injected is pending: the flight was acknowledged long ago
        }
        recordOverhead = encoder.recordLength(1024) - 1024 +
            (null == org.inlinetls.crypto.suite.CipherSuite.forCode(suite) ? 16 : 0);
        lastActivityNs = nowNs;
        entry.lastActivityNs(nowNs);
        return true;
    }

    /** Zeroes the keys and forgets the handshake; the journal entry is removed by the caller. */
    void release()
    {
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
        encoder = null;
        state = STATE_CLOSED;
    }

    /**
     * Ends the flow once the segment being handled is done: the journal entry may be locked by the caller now, and
     * removing it under that lock would not work. Until then the flow takes no further segment.
     */
    private void requestClose()
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
        if (hasAck)
        {
            onClientAck(tcp.acknowledgmentNumber(), nowNs);
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
            onClientData(buffer, frame.payloadOffset, length, seq, fin, nowNs);
            drainHeldFromClient(nowNs);
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
        if (engine.framesToServer == sentBefore && hasAck && (length == 0 || translatedAckChanged()))
        {
            sendAckToServer(); // the client's ACK (and window) reach the server even without plaintext
        }
        serviceInjected(nowNs);
    }

    private boolean translatedAckChanged()
    {
        return translateClientAck() != ackToServer;
    }

    /** Processes held client segments the frontier has reached, in order. */
    private void drainHeldFromClient(final long nowNs)
    {
        final SegmentPool pool = engine.segmentPool();
        int i;
        while (state == STATE_CUT_THROUGH && !failed && (i = heldFromClient.find(pool, c2sCipherNext)) >= 0)
        {
            final int before = c2sCipherNext;
            onClientData(heldFromClient.data(i), 0, heldFromClient.length(i), heldFromClient.seq(i),
                heldFromClient.fin(i), nowNs);
            heldFromClient.release(pool, i);
            if (c2sCipherNext == before)
            {
                break; // not usable now (ring full): the client resends it
            }
        }
    }

    /** Processes held server segments the frontier has reached, in order. */
    private void drainHeldFromServer()
    {
        final SegmentPool pool = engine.segmentPool();
        int i;
        while (state == STATE_CUT_THROUGH && !failed && (i = heldFromServer.find(pool, s2cPlainNext)) >= 0)
        {
            final int before = s2cPlainNext;
            onServerData(heldFromServer.data(i), 0, heldFromServer.length(i), heldFromServer.seq(i),
                heldFromServer.fin(i));
            heldFromServer.release(pool, i);
            if (s2cPlainNext == before)
            {
                break;
            }
        }
    }

    private void onClientData(final DirectBuffer buffer, final int payloadOffset, final int length, final int seq,
        final boolean fin, final long nowNs)
    {
        if (state == STATE_OPEN)
        {
            if (seq != c2sCipherNext)
            {
                return; // not the first byte: wait for it
            }
            if (length == 0 || !looksLikeHandshake(buffer, payloadOffset, length))
            {
                onNotTls(buffer, payloadOffset, length, seq, fin);
                return;
            }
            state = STATE_HANDSHAKE;
            handshake = new HandshakeEngine(engine.handshakeConfig());
            injected.reset(serverIsn + 1);
            engine.needsTimer(this);
        }
        if (state == STATE_HANDSHAKE)
        {
            onHandshakeBytes(buffer, payloadOffset, length, seq, nowNs);
            return;
        }
        if (state != STATE_CUT_THROUGH)
        {
            return;
        }
        final int offsetFromFrontier = seq - c2sCipherNext;
        if (offsetFromFrontier > 0)
        {
            engine.count(DirectCounter.CLIENT_OUT_OF_ORDER);
            if (!heldFromClient.hold(engine.segmentPool(), buffer, payloadOffset, length, seq, fin))
            {
                engine.count(DirectCounter.OUT_OF_ORDER_DROPPED);
            }
            duplicateAcksToClient();
            return;
        }
        if (offsetFromFrontier < 0)
        {
            onClientRetransmission(buffer, payloadOffset, length, seq, fin);
            return;
        }
        processClientRecords(buffer, payloadOffset, length, fin);
    }

    /** New client bytes at the frontier, decrypted by the flow's decoder. */
    private void processClientRecords(final DirectBuffer buffer, final int payloadOffset, final int length,
        final boolean fin)
    {
        final FlowEntry entry = engine.acquire(key);
        if (null == entry)
        {
            return;
        }
        try
        {
            if (entry.ringFree(Direction.CLIENT_TO_SERVER) < 1)
            {
                engine.count(DirectCounter.RING_FULL_DROPS);
                sendAckToClient();
                return;
            }
            plainLength = 0;
            final byte[] cipher = engine.payloadScratch(length);
            buffer.getBytes(payloadOffset, cipher, 0, length);
            final int result = length > 0 ? decoder.onSegment(cipher, 0, length, this) : RecordDecoder.OK;
            if (result != RecordDecoder.OK)
            {
                onClientRecordFailure(result);
                return;
            }
            final int plainStart = c2sPlainNext;
            c2sCipherNext += length;
            c2sPlainNext += plainLength;
            if (fin && !clientFinSeen)
            {
                clientFinSeen = true;
                c2sCipherNext++;
                c2sPlainNext++;
                entry.tcpOptions(tcpOptions());
            }
            final byte[] blob = engine.checkpointScratch();
            // a boundary the decoder cannot resume from (inside a small record it holds whole) keeps its positions
            // but no state: nothing acknowledges past it and no retransmission starts there
            final int blobLength = decoder.saveCheckpoint(blob, 0) ? decoder.checkpointLength() : 0;
            entry.appendCheckpoint(Direction.CLIENT_TO_SERVER, c2sCipherNext, c2sPlainNext, 0, blob, 0, blobLength);
            entry.recordSequence(Direction.CLIENT_TO_SERVER, decoder.sequence()).lastActivityNs(lastActivityNs);
            c2sRingCount = entry.ringCount(Direction.CLIENT_TO_SERVER);
            sendPlainToServer(plainStart, plain, plainLength, fin);
        }
        finally
        {
            entry.close();
        }
    }

    /**
     * A client segment starting below the frontier: decrypted again from the checkpoint where it starts, interval
     * by interval, each checked against the checkpoint at its end; a part past the frontier is new data.
     */
    private void onClientRetransmission(final DirectBuffer buffer, final int payloadOffset, final int length,
        final int seq, final boolean fin)
    {
        final int end = seq + length + (fin ? 1 : 0);
        final FlowEntry entry = engine.acquire(key);
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
                sendAckToClient();
                return;
            }
            engine.count(DirectCounter.CLIENT_RETRANSMISSIONS);
            final byte[] blob = engine.checkpointScratch();
            final byte[] check = engine.compareScratch();
            final byte[] cipher = engine.payloadScratch(length);
            buffer.getBytes(payloadOffset, cipher, 0, length);
            final int checkpointLength = decoder.checkpointLength();
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
                    break; // the segment ends inside this interval: that part cannot be checked, so it is not sent
                }
                entry.getCheckpointBlob(dir, k, blob, 0);
                decoder.restoreCheckpoint(blob, 0);
                plainLength = 0;
                final int result = decoder.onSegment(cipher, from - seq, to - from - finLength(entry, next), this);
                entry.getCheckpointBlob(dir, next, blob, 0);
                final boolean comparable = entry.checkpointBlobLength(dir, next) > 0;
                decoder.saveCheckpoint(check, 0);
                final int plainFrom = entry.checkpointPlainSeq(dir, k);
                final int plainTo = entry.checkpointPlainSeq(dir, next);
                if (result != RecordDecoder.OK || comparable && !java.util.Arrays.equals(blob, 0, checkpointLength,
                    check, 0, checkpointLength) || plainTo - plainFrom - finLength(entry, next) != plainLength)
                {
                    decoder.restoreCheckpoint(lastResumableBlob(entry), 0);
                    onClientRecordFailure(AlertDescription.BAD_RECORD_MAC);
                    return;
                }
                sendPlainToServer(plainFrom, plain, plainLength, finLength(entry, next) == 1);
                k = next;
            }
            // back to the frontier state (its blob is empty when it cannot be resumed: then the decoder that
            // just re-ran up to it holds exactly that state, since the frontier is where the loop stopped)
            if (entry.checkpointBlobLength(dir, count - 1) > 0)
            {
                entry.getCheckpointBlob(dir, count - 1, blob, 0);
                decoder.restoreCheckpoint(blob, 0);
            }
            reachedFrontier = k == count - 1 && end - c2sCipherNext > 0;
        }
        finally
        {
            entry.close();
        }
        if (reachedFrontier)
        {
            final int skip = c2sCipherNext - seq;
            processClientRecords(buffer, payloadOffset + skip, length - skip, fin);
        }
        else
        {
            sendAckToClient(); // the client resent bytes it may not know were acknowledged: tell it again
        }
    }

    private byte[] lastResumableBlob(final FlowEntry entry)
    {
        final byte[] blob = engine.checkpointScratch();
        final Direction dir = Direction.CLIENT_TO_SERVER;
        int k = entry.ringCount(dir) - 1;
        while (k > 0 && entry.checkpointBlobLength(dir, k) == 0)
        {
            k--;
        }
        entry.getCheckpointBlob(dir, k, blob, 0);
        return blob;
    }

    /** 1 when the interval ending at checkpoint {@code k} ended with the client's FIN (cipher and plain both +1). */
    private int finLength(final FlowEntry entry, final int k)
    {
        return clientFinSeen && k == entry.ringCount(Direction.CLIENT_TO_SERVER) - 1 ? 1 : 0;
    }

    private void onHandshakeBytes(final DirectBuffer buffer, final int payloadOffset, final int length, final int seq,
        final long nowNs)
    {
        final int offsetFromFrontier = seq - c2sCipherNext;
        if (offsetFromFrontier > 0)
        {
            engine.count(DirectCounter.CLIENT_OUT_OF_ORDER);
            return;
        }
        final int skip = -offsetFromFrontier;
        if (skip >= length)
        {
            sendAckToClient(); // a retransmission of bytes already absorbed: acknowledge again
            return;
        }
        final byte[] bytes = engine.payloadScratch(length);
        buffer.getBytes(payloadOffset, bytes, 0, length);
        final int taken = handshake.offer(bytes, skip, length - skip);
        c2sCipherNext += taken;
        drainHandshakeOutput();
        if (handshake.isFailed())
        {
            engine.count(DirectCounter.HANDSHAKE_FAILED);
            failFlow(-1);
            return;
        }
        if (handshake.isComplete())
        {
            if (!enterCutThrough(nowNs))
            {
                return;
            }
            final int rest = length - skip - taken;
            if (rest > 0)
            {
                processClientRecords(buffer, payloadOffset + skip + taken, rest, false);
            }
        }
        if (injected.unsentBytes() == 0)
        {
            sendAckToClient();
        }
    }

    private void drainHandshakeOutput()
    {
        final byte[] out = engine.outputScratch();
        int n;
        while ((n = handshake.readOutput(out, 0, out.length)) > 0)
        {
            if (!injected.append(out, 0, n))
            {
                failed = true; // the flight does not fit the injected ring: configuration error, counted below
                engine.count(DirectCounter.HANDSHAKE_FAILED);
                return;
            }
        }
    }

    private boolean enterCutThrough(final long nowNs)
    {
        keys = handshake.takeKeys();
        handshake.release();
        handshake = null;
        decoder = keys.newClientDecoder(engine.integrityMode(), engine.decoderScratch());
        encoder = keys.newServerEncoder();
        s2cRecordSeq = keys.serverSequence();
        final byte[] ticket = keys.sessionTicket();
        if (null != ticket)
        {
            final byte[] record = engine.outputScratch();
            final int n = encoder.encode(ContentType.HANDSHAKE, ticket, 0, ticket.length, s2cRecordSeq++, record, 0);
            injected.append(record, 0, n);
        }
        s2cPlainNext = serverIsn + 1;
        s2cCipherNext = injected.endSeq();
        engine.needsTimer(this); // the NewSessionTicket, if any
        final FlowEntry entry = engine.acquire(key);
        if (null == entry)
        {
            return false;
        }
        try
        {
            final byte[] blob = engine.checkpointScratch();
            decoder.saveCheckpoint(blob, 0);
            entry.clearCheckpoints(Direction.CLIENT_TO_SERVER);
            entry.clearCheckpoints(Direction.SERVER_TO_CLIENT);
            entry.appendCheckpoint(Direction.CLIENT_TO_SERVER, c2sCipherNext, c2sPlainNext, 0, blob, 0,
                decoder.checkpointLength());
            appendServerCheckpoint(entry, 0, false);
            c2sRingCount = entry.ringCount(Direction.CLIENT_TO_SERVER);
            entry.cipherSuite(keys.suiteCode()).tlsVersion(keys.version().ordinal())
                .clientIsn(clientIsn).serverIsn(serverIsn).tcpOptions(tcpOptions())
                .mss(Direction.CLIENT_TO_SERVER, clientMss).mss(Direction.SERVER_TO_CLIENT, serverMss)
                .state(STATE_CUT_THROUGH).lastActivityNs(nowNs);
            for (int kind = 0; kind < 3; kind++)
            {
                final KeyMaterial material = kind == 0 ? KeyMaterial.KEY : kind == 1 ? KeyMaterial.IV :
                    KeyMaterial.MAC_KEY;
                final byte[] client = keys.clientRecordKey(kind);
                final byte[] server = keys.serverRecordKey(kind);
                entry.putKeyMaterial(Direction.CLIENT_TO_SERVER, material, client, 0, client.length);
                entry.putKeyMaterial(Direction.SERVER_TO_CLIENT, material, server, 0, server.length);
                java.util.Arrays.fill(client, (byte)0);
                java.util.Arrays.fill(server, (byte)0);
            }
        }
        finally
        {
            entry.close();
        }
        state = STATE_CUT_THROUGH;
        serverAckInCipher = c2sCipherNext; // the handshake bytes, acknowledged by the appliance itself
        clientAckInPlain = serverIsn + 1;
        recordOverhead = encoder.recordLength(1024) - 1024 + (null == keys.suite() ? 16 : 0);
        engine.count(DirectCounter.FLOWS_ESTABLISHED);
        if (keys.resumed())
        {
            engine.count(DirectCounter.FLOWS_RESUMED);
        }
        return true;
    }

    private void onNotTls(final DirectBuffer buffer, final int payloadOffset, final int length, final int seq,
        final boolean fin)
    {
        if (engine.passNonTls())
        {
            engine.count(DirectCounter.FLOWS_NOT_TLS_PASSED);
            state = STATE_PASS; // the caller forwards this segment as it is, and the flow from now on
            return;
        }
        engine.count(DirectCounter.FLOWS_NOT_TLS_RESET);
        resetBoth();
    }

    private void onClientAck(final int ack, final long nowNs)
    {
        if (null != injected && state >= STATE_HANDSHAKE && !injected.isFullyAcknowledged())
        {
            // an ACK past the flight also covers server data: for the flight's sender it acknowledges all it sent
            injected.onAck(ack - injected.nextSeq() > 0 ? injected.nextSeq() : ack, clientWindowBytes, nowNs);
        }
        if (state != STATE_CUT_THROUGH)
        {
            return;
        }
        final FlowEntry entry = engine.acquire(key);
        if (null == entry)
        {
            return;
        }
        try
        {
            final Direction dir = Direction.SERVER_TO_CLIENT;
            entry.dropCheckpointsUpTo(dir, ack);
            final int k = entry.findCheckpointAtOrBefore(dir, ack);
            if (k >= 0 && entry.checkpointPlainSeq(dir, k) - clientAckInPlain > 0)
            {
                clientAckInPlain = entry.checkpointPlainSeq(dir, k);
            }
            s2cRingCount = entry.ringCount(dir);
        }
        finally
        {
            entry.close();
        }
    }

    /** The client's ACK in the server's plain space. */
    private int translateClientAck()
    {
        return state == STATE_CUT_THROUGH ? clientAckInPlain : serverIsn + 1;
    }

    /**
     * The window the server may fill, in its plain bytes: the client's window less the record overhead of the
     * segments it takes, and no more records than the checkpoint ring can hold.
     */
    private int windowForServer(final int ringFree)
    {
        final int overhead = recordOverhead;
        final int segment = Math.max(1, clientMss - overhead);
        final int segments = clientWindowBytes / clientMss + 1;
        int window = clientWindowBytes - segments * overhead;
        // two slots in hand: the byte window cannot bound segments exactly (a sender may split its last one)
        window = (int)Math.min(window, Math.max(0L, ringFree - 2L) * (segment - (timestamps ? 12 : 0)));
        return Math.max(0, window);
    }

    private int windowForClient(final int ringFree)
    {
        final int window = (int)Math.min(serverWindowBytes,
            Math.max(0L, ringFree - 2L) * (serverMss - (timestamps ? 12 : 0)));
        return Math.max(0, window);
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
                serverIsn = tcp.sequenceNumber();
                serverShift = tcp.windowScale();
                if (serverShift < 0 || clientShift < 0)
                {
                    serverShift = 0;
                    clientShift = 0;
                }
                timestamps &= tcp.hasTimestamps();
                serverMss = tcp.mss() > 0 ? tcp.mss() : DEFAULT_MSS;
                ackToServer = serverIsn + 1;
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
        if ((flags & ACK) != 0)
        {
            onServerAck(tcp.acknowledgmentNumber());
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
            onServerData(buffer, frame.payloadOffset, length, tcp.sequenceNumber(), fin);
            drainHeldFromServer();
        }
        else if (state == STATE_CUT_THROUGH)
        {
            sendAckToClient();
        }
    }

    private void onServerAck(final int plainAck)
    {
        if (state != STATE_CUT_THROUGH)
        {
            return;
        }
        final FlowEntry entry = engine.acquire(key);
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
                if (cipherAck - serverAckInCipher > 0)
                {
                    serverAckInCipher = cipherAck;
                }
            }
            c2sRingCount = entry.ringCount(dir);
        }
        finally
        {
            entry.close();
        }
    }

    /** The server's ACK in the client's cipher space (the newest client→server checkpoint it covers). */
    private int serverAckInCipher;

    private int ackForClient()
    {
        if (state != STATE_CUT_THROUGH)
        {
            return c2sCipherNext; // the appliance acknowledges the handshake bytes it absorbed
        }
        return serverAckInCipher;
    }

    private void onServerData(final DirectBuffer buffer, final int payloadOffset, final int length, final int seq,
        final boolean fin)
    {
        final int offsetFromFrontier = seq - s2cPlainNext;
        if (offsetFromFrontier > 0)
        {
            engine.count(DirectCounter.SERVER_OUT_OF_ORDER);
            if (!heldFromServer.hold(engine.segmentPool(), buffer, payloadOffset, length, seq, fin))
            {
                engine.count(DirectCounter.OUT_OF_ORDER_DROPPED);
            }
            duplicateAcksToServer();
            return;
        }
        final FlowEntry entry = engine.acquire(key);
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
            final int rest = length - skip;
            final boolean newFin = fin && !serverFinSeen;
            if (rest <= 0 && !newFin)
            {
                return;
            }
            if (entry.ringFree(Direction.SERVER_TO_CLIENT) < 1)
            {
                engine.count(DirectCounter.RING_FULL_DROPS);
                sendAckToServer();
                return;
            }
            final int cipherStart = s2cCipherNext;
            final long recordStart = s2cRecordSeq;
            final byte[] bytes = engine.payloadScratch(rest);
            buffer.getBytes(payloadOffset + skip, bytes, 0, rest);
            crc.reset();
            crc.update(bytes, 0, rest);
            final int cipherLength = cipherLength(rest, newFin);
            s2cPlainNext += rest + (newFin ? 1 : 0);
            s2cCipherNext += cipherLength + (newFin ? 1 : 0);
            s2cRecordSeq += recordCount(rest) + (newFin ? 1 : 0);
            serverFinSeen |= newFin;
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
            sendAckToServer();
        }
        engine.count(DirectCounter.SERVER_RETRANSMISSIONS);
        final byte[] blob = engine.checkpointScratch();
        final byte[] bytes = engine.payloadScratch(length);
        buffer.getBytes(payloadOffset, bytes, 0, length);
        while (k < count - 1)
        {
            final int from = entry.checkpointPlainSeq(dir, k);
            final int to = entry.checkpointPlainSeq(dir, k + 1);
            if (to - end > 0)
            {
                // ends inside an interval (resent with a smaller window or MSS than the original): that part is
                // not sent, since a record number is never used for other bytes; the ACK for the intervals sent
                // makes the server resend the rest from the next boundary
                engine.count(DirectCounter.SERVER_RETRANSMISSIONS_PARTIAL);
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
        return Math.max(0, Math.min(length, s2cPlainNext - seq - (serverFinSeen ? 1 : 0)));
    }

    private void appendServerCheckpoint(final FlowEntry entry, final int intervalCrc, final boolean fin)
    {
        final byte[] blob = engine.checkpointScratch();
        putLong(blob, S2C_BLOB_SEQUENCE, s2cRecordSeq);
        putInt(blob, S2C_BLOB_CRC, intervalCrc);
        blob[S2C_BLOB_FLAGS] = (byte)(fin ? S2C_FLAG_FIN : 0);
        final AppendResult result = entry.appendCheckpoint(Direction.SERVER_TO_CLIENT, s2cCipherNext, s2cPlainNext,
            0, blob, 0, S2C_BLOB_LENGTH);
        if (result != AppendResult.APPENDED)
        {
            engine.count(DirectCounter.RING_FULL_DROPS);
        }
        s2cRingCount = entry.ringCount(Direction.SERVER_TO_CLIENT);
        entry.recordSequence(Direction.SERVER_TO_CLIENT, s2cRecordSeq).lastActivityNs(lastActivityNs);
    }

    /** Largest content of one record so that record, headers and timestamps fit the client's MSS. */
    private int maxContent()
    {
        final int tsSpace = timestamps ? 12 : 0;
        return Math.max(1, Math.min(org.inlinetls.crypto.record.RecordEncoder.MAX_CONTENT_LENGTH, clientMss - tsSpace - recordOverhead));
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
            total += encoder.recordLength(n);
            left -= n;
        }
        if (fin)
        {
            total += encoder.recordLength(2);
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
            final int recordLength = encoder.encode(ContentType.APPLICATION_DATA, bytes, done, n, recordSeq++,
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
            final int recordLength = encoder.encode(ContentType.ALERT, alert, 0, 2, recordSeq, record, 0);
            sendToClient(seq, record, recordLength, PSH | ACK | FIN);
        }
    }

    // --------------------------------------------------------------------------------------------- frames out --

    private void sendPlainToServer(final int plainStart, final byte[] bytes, final int length, final boolean fin)
    {
        final int ack = translateClientAckAndRemember();
        final int window = windowToServerField();
        int seq = plainStart;
        int done = 0;
        final int max = Math.max(1, serverMss - (timestamps ? 12 : 0));
        while (done < length)
        {
            final int n = Math.min(length - done, max);
            done += n;
            final int flags = PSH | ACK | (done == length && fin ? FIN : 0);
            engine.buildToServer(this, seq, ack, flags, window, bytes, done - n, n);
            seq += n;
        }
        if (length == 0 && fin)
        {
            engine.buildToServer(this, seq, ack, FIN | ACK, window, bytes, 0, 0);
        }
        else if (length == 0)
        {
            engine.buildToServer(this, seq, ack, ACK, window, bytes, 0, 0);
        }
    }

    private int translateClientAckAndRemember()
    {
        final int ack = translateClientAck();
        if (ack - ackToServer > 0)
        {
            ackToServer = ack;
        }
        return ackToServer;
    }

    private void sendAckToServer()
    {
        final int ack = translateClientAckAndRemember();
        engine.buildToServer(this, c2sPlainNext, ack, ACK, windowToServerField(), null, 0, 0);
    }

    /**
     * A segment past a hole is dropped, not kept (no buffering), so the sender sees no later segment arrive and, with
     * a small congestion window, could not collect the three duplicate ACKs of a fast retransmit: it would wait for
     * its retransmission timer after every loss. The first drop after the hole opened is answered with the three
     * duplicate ACKs at once; later ones with one each, as a receiver would.
     */
    private void duplicateAcksToServer()
    {
        final int ack = translateClientAck();
        final int count = ack == lastHoleAckToServer ? 1 : FAST_RETRANSMIT_DUPLICATES;
        lastHoleAckToServer = ack;
        for (int i = 0; i < count; i++)
        {
            sendAckToServer();
        }
    }

    private void duplicateAcksToClient()
    {
        final int ack = ackForClient();
        final int count = ack == lastHoleAckToClient ? 1 : FAST_RETRANSMIT_DUPLICATES;
        lastHoleAckToClient = ack;
        for (int i = 0; i < count; i++)
        {
            sendAckToClient();
        }
    }

    private int windowToServerField()
    {
        final int ringFree = state == STATE_CUT_THROUGH ? engine.ringCapacity() - s2cRingCount : Integer.MAX_VALUE / 2;
        return Math.min(0xFFFF, windowForServer(ringFree) >>> Math.max(0, clientShift));
    }

    private int windowToClientField()
    {
        final int ringFree = state == STATE_CUT_THROUGH ? engine.ringCapacity() - c2sRingCount : Integer.MAX_VALUE / 2;
        return Math.min(0xFFFF, windowForClient(ringFree) >>> Math.max(0, serverShift));
    }

    private void sendAckToClient()
    {
        engine.count(DirectCounter.APPLIANCE_ACKS);
        final int seq = state == STATE_CUT_THROUGH ? s2cCipherNext : (null == injected ? serverIsn + 1 :
            injected.nextSeq());
        sendToClient(seq, null, 0, ACK);
    }

    private void sendToClient(final int seq, final byte[] bytes, final int length, final int flags)
    {
        final int ack = ackForClient();
        if (ack - ackToClient > 0 || ackToClient == 0)
        {
            ackToClient = ack;
        }
        engine.buildToClient(this, seq, ackToClient, flags, windowToClientField(), bytes, 0, length);
    }

    /** Sends the appliance's flight (and retransmits it) as the client's window allows. */
    int serviceInjected(final long nowNs)
    {
        if (null == injected || state < STATE_HANDSHAKE || state == STATE_PASS || state == STATE_CLOSED)
        {
            return 0;
        }
        final int work = injected.poll(nowNs, injectedSink, Math.max(1, clientMss - (timestamps ? 12 : 0)),
            clientWindowBytes);
        if (injected.hasGivenUp())
        {
            engine.count(DirectCounter.INJECTED_GAVE_UP);
            resetBoth();
        }
        else if (failed && injected.isFullyAcknowledged())
        {
            resetBoth();
        }
        return work;
    }

    private boolean onInjectedSegment(final int seq, final byte[] buffer, final int offset, final int length,
        final boolean retransmission)
    {
        final int ack = ackForClient();
        if (ack - ackToClient > 0 || ackToClient == 0)
        {
            ackToClient = ack;
        }
        return engine.buildToClient(this, seq, ackToClient, PSH | ACK, windowToClientField(), buffer, offset,
            length);
    }

    /** True while the injected stream has bytes unsent or unacknowledged (its timers must run). */
    boolean needsTimer()
    {
        return null != injected && state >= STATE_HANDSHAKE && state != STATE_PASS && state != STATE_CLOSED &&
            !(injected.isFullyAcknowledged() && !failed);
    }

    long nextDeadlineNs()
    {
        return null == injected || state < STATE_HANDSHAKE ? InjectedStreamSender.NO_DEADLINE :
            injected.nextDeadlineNs();
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
            engine.buildToServer(this, c2sPlainNext, ackToServer, RST | ACK, 0, null, 0, 0);
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
            final int seq = state == STATE_CUT_THROUGH ? s2cCipherNext :
                (null == injected ? serverIsn + 1 : injected.nextSeq());
            engine.buildToClient(this, seq, ackForClient(), RST | ACK, 0, null, 0, 0);
        }
        engine.count(DirectCounter.FLOWS_RESET);
        requestClose();
    }

    private void onClientRecordFailure(final int alert)
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
    private void failFlow(final int alert)
    {
        failed = true;
        if (state >= STATE_SYN_ACK)
        {
            engine.buildToServer(this, c2sPlainNext, ackToServer, RST | ACK, 0, null, 0, 0);
        }
        if (alert >= 0 && null != encoder)
        {
            final byte[] body = engine.alertScratch();
            body[0] = (byte)ALERT_LEVEL_FATAL;
            body[1] = (byte)alert;
            final byte[] record = engine.recordScratch();
            final int n = encoder.encode(ContentType.ALERT, body, 0, 2, s2cRecordSeq++, record, 0);
            sendToClient(s2cCipherNext, record, n, PSH | ACK | FIN);
            s2cCipherNext += n + 1;
            requestClose();
            return;
        }
        if (null == injected || injected.isFullyAcknowledged() && injected.unsentBytes() == 0)
        {
            resetBoth();
        }
        // else: the handshake alert is in the injected stream; serviceInjected resets once it is acknowledged
    }

    private void resetBoth()
    {
        if (state >= STATE_SYN_ACK)
        {
            engine.buildToServer(this, c2sPlainNext, ackToServer, RST | ACK, 0, null, 0, 0);
            final int seq = state == STATE_CUT_THROUGH ? s2cCipherNext :
                (null == injected ? serverIsn + 1 : injected.nextSeq());
            engine.buildToClient(this, seq, c2sCipherNext, RST | ACK, 0, null, 0, 0);
        }
        engine.count(DirectCounter.FLOWS_RESET);
        requestClose();
    }

    private int tcpOptions()
    {
        return Math.max(0, clientShift) | Math.max(0, serverShift) << 4 | (timestamps ? OPTION_TIMESTAMPS : 0) |
            (clientFinSeen ? OPTION_CLIENT_FIN : 0);
    }

    /** True once both FINs were exchanged and acknowledged on both legs. */
    boolean isFinished()
    {
        return clientFinSeen && serverFinSeen && ackToServer == s2cPlainNext && serverAckInCipher == c2sCipherNext;
    }

    // ----------------------------------------------------------------------------------------- record listener --

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
            clientCloseNotify = true;
        }
        // other alerts and post-handshake messages (KeyUpdate) are not forwarded: the server speaks plain TCP
    }

    @Override
    public void onRecordAuthenticated(final long sequence, final int contentType)
    {
        // the decoder releases held plaintext itself; nothing to do per record
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

    private static boolean looksLikeHandshake(final DirectBuffer buffer, final int offset, final int length)
    {
        return buffer.getByte(offset) == TLS_HANDSHAKE_RECORD &&
            (length < 2 || buffer.getByte(offset + 1) == 3);
    }

    private static int scaledWindow(final int field, final int shift)
    {
        return field << Math.max(0, shift);
    }

    private static void putLong(final byte[] b, final int at, final long v)
    {
        LONG.set(b, at, v);
    }

    private static long getLong(final byte[] b, final int at)
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
