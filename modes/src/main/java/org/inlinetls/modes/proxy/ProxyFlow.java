package org.inlinetls.modes.proxy;

import org.inlinetls.crypto.record.AlertDescription;
import org.inlinetls.crypto.record.ContentType;
import org.inlinetls.crypto.record.IntegrityMode;
import org.inlinetls.crypto.record.RecordDecoder;
import org.inlinetls.crypto.record.RecordEncoder;
import org.inlinetls.crypto.record.RecordListener;
import org.inlinetls.crypto.record.SegmentDecoder;
import org.inlinetls.crypto.record.SegmentEncoder;
import org.inlinetls.handshake.NegotiatedKeys;
import org.inlinetls.handshake.ServerHandshake;
import org.inlinetls.modes.lb.BackendPool;
import org.inlinetls.modes.lb.CookieScanner;
import org.inlinetls.packet.tcp.AbortReason;
import org.inlinetls.packet.tcp.TcpEndpoint;
import org.inlinetls.packet.tcp.TcpState;

/**
 * One full-proxy flow: the appliance's TCP endpoint toward the client (passive, with the server's address), the TLS
 * handshake and then the client's record layer, and the appliance's TCP endpoint toward the backend (active, with the
 * client's address and port), opened once the handshake completed.
 * <p>
 * Bytes move only as far as the next hop takes them: the client's stream is read only while the plaintext stage has
 * room for what it can yield, the backend's only while the record stage has room for a record, and each stage drains
 * into the other endpoint's send buffer. So each leg's receive window closes when the other leg is slow, and a flow
 * holds at most its two endpoints' buffers and its two stages.
 * <p>
 * A flow of a load-balanced service ({@link Balancing}) opens its backend leg later: after the handshake it is
 * <em>binding</em>: the client's plaintext fills the plaintext stage (and the cookie scanner) until the first request's
 * header block ended, the scan gave up, the stage is full or the client finished; then the engine chooses the backend
 * ({@link BackendBinder#bindBackend}) and the leg opens to it, the PROXY header first when configured.
 * <p>
 * Single-threaded: driven by its {@link ProxyEngine} from {@link #pump}.
 */
final class ProxyFlow implements RecordListener
{
    /** Room kept free before reading the client: a record's plaintext held uncommitted (strict) and more. */
    static final int DECODER_HELD_MAX_BYTES = RecordDecoder.MAX_TLS12_RECORD_LENGTH;
    /** Room the record stage must have before the handshake is fed more bytes: a whole flight fits in it. */
    static final int FLIGHT_ROOM_BYTES = 32 * 1024;
    /** Bytes of the client's stream offered to the handshake at a time. */
    private static final int HANDSHAKE_READ_BYTES = 16 * 1024;
    /** A record smaller than this is not cut just because the record stage is nearly full (it soon drains). */
    private static final int MIN_PARTIAL_RECORD_BYTES = 4096;
    private static final int MAX_PASSES = 8;
    private static final int TLS_HANDSHAKE_RECORD = 22;
    private static final int ALERT_LEVEL_WARNING = 1;
    private static final int ALERT_LEVEL_FATAL = 2;

    private final ProxyEngine engine;
    final ByteStage toServer;
    final ByteStage toClient;

    ProxyEngine.Service service;
    int clientAddress;
    int clientPort;
    long clientMac;
    long serverMac;
    /** Where the backend leg goes: the service's address and backend port, or the load-balanced backend chosen. */
    int backendAddress;
    int backendPort;
    long backendMac;
    /** The load-balanced backend's id in its pool and its health stamp when bound; -1 when none. */
    int backendId = -1;
    private int backendStamp;
    /** A load-balanced flow waiting for its first request before the backend leg opens. */
    private boolean binding;
    private CookieScanner scanner;
    private int cookieBackend = BackendPool.NONE;
    /** Next flow of the same client address and port (to another service) in the engine's table. */
    ProxyFlow next;
    int activeIndex = -1;
    long lastActivityNs;
    /** Work was left for the next cycle (the pass limit, or a frame the port refused). */
    boolean morePending;

    TcpEndpoint client;
    TcpEndpoint server;
    private ServerHandshake handshake;
    private NegotiatedKeys keys;
    private SegmentDecoder decoder;
    private SegmentEncoder encoder;
    private long serverRecordSeq;
    private boolean firstBytesSeen;
    private boolean clientInputDone;
    private boolean clientCloseNotify;
    private boolean serverInputDone;
    private boolean serverCloseIssued;
    private boolean clientCloseIssued;
    private boolean failed;
    private boolean endCounted;

    ProxyFlow(final ProxyEngine engine, final int stageBytes)
    {
        this.engine = engine;
        this.toServer = new ByteStage(stageBytes, engine.bufferPool());
        this.toClient = new ByteStage(stageBytes, engine.bufferPool());
    }

    /** Takes a new connection: the client endpoint listens and is given the client's SYN next by the engine. */
    void open(final ProxyEngine.Service service, final int clientAddress, final int clientPort, final long clientMac,
        final long serverMac, final TcpEndpoint client, final ServerHandshake handshake, final long nowNs)
    {
        this.service = service;
        this.clientAddress = clientAddress;
        this.clientPort = clientPort;
        this.clientMac = clientMac;
        this.serverMac = serverMac;
        this.client = client;
        this.handshake = handshake;
        this.lastActivityNs = nowNs;
        this.backendAddress = service.ipv4Address();
        this.backendPort = service.backendPort();
        this.backendMac = serverMac;
        this.backendId = -1;
        client.listen();
    }

    /** Forgets everything for reuse (buffers' arrays go back to the engine's pool); zeroes the keys. */
    void release()
    {
        if (null != handshake)
        {
            handshake.release();
        }
        if (null != keys)
        {
            keys.destroy();
        }
        if (null != client)
        {
            client.releaseMemory();
        }
        if (null != server)
        {
            server.releaseMemory();
        }
        handshake = null;
        keys = null;
        decoder = null;
        encoder = null;
        client = null;
        server = null;
        service = null;
        next = null;
        activeIndex = -1;
        toServer.clear();
        toClient.clear();
        serverRecordSeq = 0;
        firstBytesSeen = false;
        clientInputDone = false;
        clientCloseNotify = false;
        serverInputDone = false;
        serverCloseIssued = false;
        clientCloseIssued = false;
        failed = false;
        endCounted = false;
        morePending = false;
        binding = false;
        scanner = null;
        cookieBackend = BackendPool.NONE;
        backendId = -1;
        backendAddress = 0;
        backendPort = 0;
    }

    /** The load-balanced backend the engine chose (see {@link BackendBinder#bindBackend}). */
    void bound(final int id, final int stamp, final int address, final int port, final long mac)
    {
        backendId = id;
        backendStamp = stamp;
        backendAddress = address;
        backendPort = port;
        backendMac = mac;
    }

    /** Whether the load-balanced backend stayed up since the flow was bound to it. */
    boolean isBackendCurrent()
    {
        return service.balancing().pool().health().isCurrent(backendId, backendStamp);
    }

    /** True when both legs are closed (cleanly or not) and their last frames were offered. */
    boolean isDone()
    {
        return client.isClosed() && (null == server || server.isClosed());
    }

    long nextDeadlineNs()
    {
        return null == server ? client.nextDeadlineNs() : Math.min(client.nextDeadlineNs(), server.nextDeadlineNs());
    }

    /**
     * Moves bytes as far as the legs take them, closes what is finished, and offers the frames now due.
     *
     * @return a measure of the work done (0 when idle).
     */
    int pump(final long nowNs)
    {
        int work = 0;
        morePending = false;
        for (int pass = 0; pass < MAX_PASSES; pass++)
        {
            int moved = 0;
            if (null != handshake)
            {
                moved += feedHandshake(nowNs);
            }
            else if (null != decoder)
            {
                moved += clientToServer();
            }
            if (binding)
            {
                moved += bindWhenReady(nowNs);
            }
            if (null != encoder && null != server)
            {
                moved += serverToClient();
            }
            moved += toClient.drainTo(client);
            if (null != server)
            {
                moved += toServer.drainTo(server);
            }
            moved += settleEnds();
            if (moved == 0)
            {
                break;
            }
            work += moved;
            morePending = pass == MAX_PASSES - 1; // bytes may still move: the engine pumps again next cycle
        }
        work += client.poll(nowNs, engine.clientSink());
        if (null != server)
        {
            work += server.poll(nowNs, engine.serverSink());
        }
        return work;
    }

    /** Both legs reset: the flow was idle too long or its service went away. */
    void abortBoth()
    {
        client.abort();
        if (null != server)
        {
            server.abort();
        }
        countEnd(ProxyCounter.FLOWS_RESET);
    }

    // ------------------------------------------------------------------------------------------------ handshake --

    private int feedHandshake(final long nowNs)
    {
        int work = 0;
        if (!drainHandshakeOutput())
        {
            return 0;
        }
        if (failed)
        {
            return 0;
        }
        final int n = Math.min(client.readableBytes(), HANDSHAKE_READ_BYTES);
        if (n == 0 || toClient.freeBytes() < FLIGHT_ROOM_BYTES)
        {
            if (n == 0 && client.isEndOfStream())
            {
                // the client gave up during its handshake: nothing to forward, close our side too
                handshake.release();
                handshake = null;
                clientInputDone = true;
                serverInputDone = true;
                return 1;
            }
            return 0;
        }
        final byte[] scratch = engine.readScratch();
        client.read(scratch, 0, n);
        work += n;
        if (!firstBytesSeen)
        {
            firstBytesSeen = true;
            if (scratch[0] != TLS_HANDSHAKE_RECORD || (n >= 2 && scratch[1] != 3))
            {
                engine.count(ProxyCounter.FLOWS_NOT_TLS_RESET);
                handshake.release();
                handshake = null;
                failed = true;
                client.abort();
                countEnd(ProxyCounter.FLOWS_RESET);
                return work;
            }
        }
        final int taken = handshake.offer(scratch, 0, n);
        final boolean drained = drainHandshakeOutput();
        if (handshake.isFailed())
        {
            engine.count(ProxyCounter.HANDSHAKE_FAILED);
            engine.handshakeFailures().record(handshake);
            failed = true; // the alert drains on later passes, then the client leg closes
            serverInputDone = true;
            clientInputDone = true;
            return work;
        }
        if (handshake.isComplete())
        {
            if (!drained)
            {
                engine.count(ProxyCounter.HANDSHAKE_FAILED); // cannot happen with FLIGHT_ROOM_BYTES free
                failWith(AlertDescription.INTERNAL_ERROR);
                return work;
            }
            completeHandshake(nowNs);
            if (n > taken)
            {
                decode(scratch, taken, n - taken); // the client's first records came with its Finished
            }
        }
        return work;
    }

    /** @return true when the handshake has no output left (or none can be had). */
    private boolean drainHandshakeOutput()
    {
        if (null == handshake)
        {
            return true;
        }
        final byte[] out = engine.recordScratch();
        while (true)
        {
            final int max = Math.min(toClient.freeBytes(), out.length);
            if (max == 0)
            {
                return false;
            }
            final int n = handshake.readOutput(out, 0, max);
            if (n > 0)
            {
                toClient.append(out, 0, n);
            }
            if (n < max)
            {
                return true;
            }
        }
    }

    private void completeHandshake(final long nowNs)
    {
        keys = handshake.takeKeys();
        handshake.release();
        handshake = null;
        // strict integrity is kept by the plaintext stage (for every suite, CBC included), so the decoder itself
        // releases as it goes and holds no record
        decoder = keys.newClientDecoder(IntegrityMode.DEFERRED, engine.decoderScratch());
        encoder = keys.newServerEncoder();
        serverRecordSeq = keys.serverSequence();
        final byte[] ticket = keys.sessionTicket();
        if (null != ticket)
        {
            appendRecord(ContentType.HANDSHAKE, ticket, 0, ticket.length);
        }
        engine.count(ProxyCounter.FLOWS_ESTABLISHED);
        if (null != service.balancing())
        {
            // delayed binding: HTTP/2 sends its headers HPACK-compressed, where no cookie can be read
            binding = true;
            scanner = "h2".equals(keys.applicationProtocol()) ? null : service.balancing().newScanner();
            if (null == scanner)
            {
                bind(nowNs, false);
            }
        }
        else
        {
            server = engine.newBackendEndpoint(this);
            server.connect(nowNs);
        }
        if (keys.resumed())
        {
            engine.count(ProxyCounter.FLOWS_RESUMED);
        }
    }

    // ------------------------------------------------------------------------------------------------ data --

    private int clientToServer()
    {
        if (clientInputDone || failed)
        {
            return 0;
        }
        final byte[] scratch = engine.readScratch();
        final int n = Math.min(Math.min(client.readableBytes(), toServer.freeBytes() - DECODER_HELD_MAX_BYTES),
            scratch.length);
        if (n <= 0)
        {
            if (client.isEndOfStream())
            {
                clientInputDone = true;
                toServer.discardUncommitted(); // a record cut short by the FIN is never authenticated
                if (!clientCloseNotify)
                {
                    engine.count(ProxyCounter.FLOWS_TRUNCATED);
                }
                return 1;
            }
            return 0;
        }
        client.read(scratch, 0, n);
        decode(scratch, 0, n);
        return n;
    }

    private void decode(final byte[] src, final int offset, final int length)
    {
        if (clientInputDone || failed)
        {
            return; // bytes after close_notify are ignored (RFC 8446 §6.1)
        }
        final int result = decoder.onSegment(src, offset, length, this);
        if (result != RecordDecoder.OK)
        {
            engine.count(result == AlertDescription.BAD_RECORD_MAC ? ProxyCounter.AUTH_FAILED :
                ProxyCounter.TLS_PROTOCOL_ERRORS);
            failWith(result);
        }
    }

    @Override
    public void onPlaintext(final byte[] buffer, final int offset, final int length)
    {
        if (clientInputDone || failed)
        {
            return;
        }
        engine.add(ProxyCounter.BYTES_FROM_CLIENTS, length);
        // room reserved: see clientToServer; strict integrity holds a record's plaintext until its tag verified
        if (engine.integrityMode() == IntegrityMode.STRICT)
        {
            toServer.appendUncommitted(buffer, offset, length);
        }
        else
        {
            toServer.append(buffer, offset, length);
        }
        if (binding && null != scanner && !scanner.isDone())
        {
            cookieBackend = scanner.scan(buffer, offset, length); // NEED_MORE (negative) until the header block ends
        }
    }

    @Override
    public void onRecord(final int contentType, final byte[] buffer, final int offset, final int length)
    {
        if (contentType == ContentType.ALERT && length == 2)
        {
            if (buffer[offset + 1] == AlertDescription.CLOSE_NOTIFY)
            {
                clientCloseNotify = true;
                clientInputDone = true;
            }
            else
            {
                // any other alert ends the connection (RFC 8446 §6.2; user_canceled is followed by close_notify)
                engine.count(ProxyCounter.CLIENT_ALERTS);
                failed = true;
                serverInputDone = true;
                clientInputDone = true;
                if (null != server)
                {
                    server.abort();
                }
                countEnd(ProxyCounter.FLOWS_RESET);
            }
            return;
        }
        engine.count(ProxyCounter.POST_HANDSHAKE_IGNORED); // KeyUpdate and the like: not acted on yet
    }

    @Override
    public void onRecordAuthenticated(final long sequence, final int contentType)
    {
        toServer.commit();
    }

    /** Binds a load-balanced flow once its first request's header block was scanned (or cannot be). */
    private int bindWhenReady(final long nowNs)
    {
        if (failed)
        {
            binding = false; // the client leg ends with its alert; no backend leg is opened
            return 1;
        }
        final boolean stageFull = toServer.freeBytes() - DECODER_HELD_MAX_BYTES <= 0;
        if (scanner.isDone() || clientInputDone || stageFull)
        {
            return bind(nowNs, stageFull && !scanner.isDone());
        }
        return 0;
    }

    private int bind(final long nowNs, final boolean stageFull)
    {
        binding = false;
        final int named = cookieBackend >= 0 ? cookieBackend : BackendPool.NONE;
        final boolean chosen = engine.binder().bindBackend(this, scanner, named, stageFull, nowNs);
        scanner = null;
        if (!chosen)
        {
            resetUnbound();
            return 1;
        }
        server = engine.newBackendEndpoint(this);
        server.connect(nowNs);
        if (service.balancing().proxyProtocolV2() && !engine.binder().writeProxyHeader(this, keys, server))
        {
            server.abort();
            resetUnbound();
        }
        return 1;
    }

    /** No backend for this flow: the client is reset, nothing more is read or sent. */
    private void resetUnbound()
    {
        failed = true;
        clientInputDone = true;
        serverInputDone = true;
        toServer.clear();
        client.abort();
        countEnd(ProxyCounter.FLOWS_RESET);
    }

    private int serverToClient()
    {
        if (serverInputDone || failed)
        {
            return 0;
        }
        final int readable = server.readableBytes();
        if (readable == 0)
        {
            if (server.isEndOfStream() && toClient.freeBytes() >= encoder.recordLength(2))
            {
                appendAlert(ALERT_LEVEL_WARNING, AlertDescription.CLOSE_NOTIFY);
                serverInputDone = true;
                return 1;
            }
            return 0;
        }
        int n = Math.min(readable, RecordEncoder.MAX_CONTENT_LENGTH);
        final int free = toClient.freeBytes();
        if (encoder.recordLength(n) > free)
        {
            n = free - (encoder.recordLength(RecordEncoder.MAX_CONTENT_LENGTH) - RecordEncoder.MAX_CONTENT_LENGTH);
            while (n > 0 && encoder.recordLength(n) > free)
            {
                n--; // CBC padding varies with the length: at most a block more
            }
            if (n < MIN_PARTIAL_RECORD_BYTES)
            {
                return 0;
            }
        }
        final byte[] plain = engine.readScratch();
        server.read(plain, 0, n);
        appendRecord(ContentType.APPLICATION_DATA, plain, 0, n);
        engine.add(ProxyCounter.BYTES_TO_CLIENTS, n);
        return n;
    }

    private void appendRecord(final int contentType, final byte[] src, final int offset, final int length)
    {
        final byte[] record = engine.recordScratch();
        final int n = encoder.encode(contentType, src, offset, length, serverRecordSeq++, record, 0);
        toClient.append(record, 0, n);
    }

    private void appendAlert(final int level, final int description)
    {
        final byte[] body = engine.alertScratch();
        body[0] = (byte)level;
        body[1] = (byte)description;
        appendRecord(ContentType.ALERT, body, 0, 2);
    }

    /**
     * A fatal alert to the client (after what is staged for it), then its FIN; a RST to the backend at once, so it
     * drops whatever it has not consumed.
     */
    private void failWith(final int alert)
    {
        failed = true;
        toServer.discardUncommitted();
        clientInputDone = true;
        serverInputDone = true;
        if (null != encoder && alert >= 0 && toClient.freeBytes() >= encoder.recordLength(2))
        {
            appendAlert(ALERT_LEVEL_FATAL, alert);
        }
        if (null != server)
        {
            server.abort();
        }
        countEnd(ProxyCounter.FLOWS_RESET);
    }

    // ------------------------------------------------------------------------------------------------ ends --

    /** FIN each leg whose other side has finished and been drained; RST a leg whose other side was reset. */
    private int settleEnds()
    {
        int work = 0;
        // a FIN for a backend leg still in SYN-SENT would delete that connection, and the request written to it
        // (RFC 9293 §3.10.4 CLOSE): a client that closes right after its first flight waits for the SYN-ACK
        if (null != server && clientInputDone && toServer.isEmpty() && !serverCloseIssued &&
            (failed || server.state() != TcpState.SYN_SENT))
        {
            serverCloseIssued = true;
            if (failed)
            {
                server.abort();
            }
            else
            {
                server.close();
            }
            work++;
        }
        if (serverInputDone && toClient.isEmpty() && null == handshake && !clientCloseIssued)
        {
            clientCloseIssued = true;
            client.close();
            work++;
        }
        if (failed && null != handshake && toClient.isEmpty() && !clientCloseIssued)
        {
            clientCloseIssued = true; // the handshake's alert went out: close the client leg
            client.close();
            work++;
        }
        if (abortedByPeer(client) && null != server && !server.isClosed())
        {
            server.abort();
            countEnd(ProxyCounter.FLOWS_RESET);
            work++;
        }
        if (null != server && abortedByPeer(server) && !client.isClosed())
        {
            if (server.abortReason() == AbortReason.CONNECTION_REFUSED || bytesNeverAcknowledged(server))
            {
                engine.count(ProxyCounter.BACKEND_REFUSED);
            }
            client.abort();
            countEnd(ProxyCounter.FLOWS_RESET);
            work++;
        }
        if (client.isAborted() && !endCounted)
        {
            countEnd(ProxyCounter.FLOWS_RESET);
        }
        return work;
    }

    /** A RST from the peer or retransmissions given up, not an abort of our own. */
    private static boolean abortedByPeer(final TcpEndpoint endpoint)
    {
        return endpoint.isAborted() && endpoint.abortReason() != AbortReason.LOCAL_ABORT;
    }

    private static boolean bytesNeverAcknowledged(final TcpEndpoint endpoint)
    {
        return endpoint.abortReason() == AbortReason.RETRANSMISSION_TIMEOUT && endpoint.bytesDelivered() == 0 &&
            endpoint.bytesAcknowledged() == 0;
    }

    /** Adds the endpoints' retransmissions to the engine's counters; once, as the flow is let go. */
    void countRetransmissions()
    {
        engine.add(ProxyCounter.CLIENT_RETRANSMISSIONS, client.counters().retransmissions());
        if (null != server)
        {
            engine.add(ProxyCounter.BACKEND_RETRANSMISSIONS, server.counters().retransmissions());
        }
    }

    /** Counts how the flow ended, once: a clean end is counted by the engine when it finds the flow done. */
    /** {@link ProxyEngine#FLOWS_HANDSHAKE}, {@link ProxyEngine#FLOWS_ESTABLISHED} or {@link ProxyEngine#FLOWS_CLOSING}. */
    int stateIndex()
    {
        if (failed || clientInputDone || serverInputDone)
        {
            return ProxyEngine.FLOWS_CLOSING;
        }
        return null == server ? ProxyEngine.FLOWS_HANDSHAKE : ProxyEngine.FLOWS_ESTABLISHED;
    }

    void countEnd(final ProxyCounter counter)
    {
        if (!endCounted)
        {
            endCounted = true;
            engine.count(counter);
        }
    }

    @Override
    public String toString()
    {
        return "ProxyFlow{client=" + client + "\n    server=" + server + "\n    toServer=" + toServer.readableBytes() +
            " toClient=" + toClient.readableBytes() + " handshake=" + (null != handshake) + " clientInputDone=" +
            clientInputDone + " closeNotify=" + clientCloseNotify + " serverInputDone=" + serverInputDone +
            " failed=" + failed + "}";
    }
}
