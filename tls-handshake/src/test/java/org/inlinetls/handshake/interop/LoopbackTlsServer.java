package org.inlinetls.handshake.interop;

import org.inlinetls.crypto.record.IntegrityMode;
import org.inlinetls.crypto.record.RecordDecoder;
import org.inlinetls.crypto.record.RecordListener;
import org.inlinetls.crypto.record.SegmentDecoder;
import org.inlinetls.crypto.record.SegmentEncoder;
import org.inlinetls.handshake.HandshakeConfig;
import org.inlinetls.handshake.HandshakeEngine;
import org.inlinetls.handshake.NegotiatedKeys;
import org.inlinetls.handshake.PostHandshakeMessages;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Test server on 127.0.0.1: {@link HandshakeEngine} answers the handshake, then record-crypto (the decoder and
 * encoder from {@link NegotiatedKeys}) reads one HTTP/1.1 request and answers a fixed 100 KiB body, one record per
 * chunk of at most 16 KiB, and closes with close_notify. Connections share whatever session store and ticket keys
 * the configuration holds, so clients can resume (TLS 1.3: the appliance's NewSessionTicket goes out right after the
 * hand-over); the outcome's session ends in {@code resumed} when one did.
 */
public final class LoopbackTlsServer implements AutoCloseable
{
    public static final int BODY_LENGTH = 100 * 1024;
    public static final byte[] BODY = body();
    public static final String BODY_SHA256 = sha256(BODY);
    private static final int CHUNK = 16 * 1024;
    private static final int TIMEOUT_MS = 10_000;

    /** What one connection negotiated and how it ended, for the tests to check. */
    public record Outcome(String session, String error, boolean renegotiationRefused, String alert)
    {
    }

    private final HandshakeConfig config;
    private final ServerSocket socket;
    private final ExecutorService executor = Executors.newCachedThreadPool((r) ->
    {
        final Thread thread = new Thread(r, "loopback-tls");
        thread.setDaemon(true);
        return thread;
    });
    public final Queue<Outcome> outcomes = new ConcurrentLinkedQueue<>();

    public LoopbackTlsServer(final HandshakeConfig config) throws IOException
    {
        this.config = config;
        socket = new ServerSocket();
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        executor.execute(this::acceptLoop);
    }

    public int port()
    {
        return socket.getLocalPort();
    }

    @Override
    public void close() throws IOException
    {
        socket.close();
        executor.shutdownNow();
    }

    private void acceptLoop()
    {
        while (!socket.isClosed())
        {
            try
            {
                final Socket connection = socket.accept();
                executor.execute(() -> serve(connection));
            }
            catch (final IOException ex)
            {
                return;
            }
        }
    }

    private void serve(final Socket connection)
    {
        final Connection flow = new Connection();
        try (connection)
        {
            connection.setSoTimeout(TIMEOUT_MS);
            connection.setTcpNoDelay(true);
            flow.run(connection.getInputStream(), connection.getOutputStream());
        }
        catch (final Exception ex)
        {
            flow.error = ex.toString();
        }
        finally
        {
            if (null != flow.keys)
            {
                flow.keys.destroy();
            }
            outcomes.add(new Outcome(flow.session, flow.error, flow.renegotiationRefused, flow.alert));
        }
    }

    /** One client's connection. */
    private final class Connection implements RecordListener
    {
        final byte[] buffer = new byte[64 * 1024];
        final ByteArrayOutputStream request = new ByteArrayOutputStream();
        NegotiatedKeys keys;
        SegmentEncoder encoder;
        OutputStream out;
        long serverSequence;
        String session;
        String error;
        String alert;
        boolean renegotiationRefused;
        boolean closed;
        boolean answered;

        void run(final InputStream in, final OutputStream out) throws IOException
        {
            this.out = out;
            final HandshakeEngine engine = new HandshakeEngine(config);
            int consumed = 0;
            int read = 0;
            while (!engine.isComplete() && !engine.isFailed())
            {
                read = in.read(buffer);
                if (read < 0)
                {
                    error = "client closed during handshake";
                    return;
                }
                consumed = engine.offer(buffer, 0, read);
                flush(engine);
            }
            flush(engine);
            if (engine.isFailed())
            {
                alert = "sent " + engine.alert() + " received " + engine.peerAlert();
                error = "handshake failed: " + engine.failureReason();
                return;
            }
            keys = engine.takeKeys();
            session = keys.version() + " " + (null != keys.suite() ? keys.suite() : keys.cbcSuite()) + " " +
                keys.group() + " " + keys.credentialName() + " alpn=" + keys.applicationProtocol() +
                (keys.resumed() ? " resumed" : "");
            encoder = keys.newServerEncoder();
            serverSequence = keys.serverSequence();
            final byte[] ticket = keys.sessionTicket();
            if (null != ticket)
            {
                // TLS 1.3: the appliance's own NewSessionTicket, first record under the application keys
                sendRecord(22, ticket, 0, ticket.length);
            }
            final SegmentDecoder decoder = keys.newClientDecoder(IntegrityMode.DEFERRED,
                new byte[RecordDecoder.SCRATCH_LENGTH]);
            int offset = consumed;
            int length = read - consumed;
            while (!closed)
            {
                if (length > 0 && decoder.onSegment(buffer, offset, length, this) != RecordDecoder.OK)
                {
                    error = "record layer failed: " + decoder.failureReason();
                    sendAlert(2, decoder.failureAlert());
                    return;
                }
                if (closed)
                {
                    return;
                }
                offset = 0;
                length = in.read(buffer);
                if (length < 0)
                {
                    if (!answered)
                    {
                        error = "client closed before a whole request";
                    }
                    return;
                }
            }
        }

        @Override
        public void onPlaintext(final byte[] src, final int offset, final int length)
        {
            request.write(src, offset, length);
            final String text = request.toString(StandardCharsets.ISO_8859_1);
            if (!answered && text.contains("\r\n\r\n"))
            {
                answered = true;
                try
                {
                    respond();
                }
                catch (final IOException ex)
                {
                    error = ex.toString();
                    closed = true;
                }
            }
        }

        @Override
        public void onRecord(final int contentType, final byte[] src, final int offset, final int length)
        {
            try
            {
                if (contentType == 21)
                {
                    alert = "received " + src[offset + 1];
                    if (src[offset + 1] == 0)
                    {
                        sendAlert(1, 0);
                    }
                    closed = true;
                }
                else if (contentType == 22 && PostHandshakeMessages.classify(keys.version(), src, offset, length) ==
                    PostHandshakeMessages.REFUSE_RENEGOTIATION)
                {
                    renegotiationRefused = true;
                    sendRecord(21, PostHandshakeMessages.NO_RENEGOTIATION_ALERT, 0, 2);
                }
                else
                {
                    sendAlert(2, 10);
                    closed = true;
                }
            }
            catch (final IOException ex)
            {
                error = ex.toString();
                closed = true;
            }
        }

        @Override
        public void onRecordAuthenticated(final long sequence, final int contentType)
        {
        }

        private void respond() throws IOException
        {
            final byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + BODY_LENGTH +
                "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            sendRecord(23, head, 0, head.length);
            for (int at = 0; at < BODY_LENGTH; at += CHUNK)
            {
                sendRecord(23, BODY, at, Math.min(CHUNK, BODY_LENGTH - at));
            }
            sendAlert(1, 0);
            closed = true;
        }

        private void sendAlert(final int level, final int description) throws IOException
        {
            sendRecord(21, new byte[]{(byte)level, (byte)description}, 0, 2);
        }

        private void sendRecord(final int type, final byte[] src, final int offset, final int length)
            throws IOException
        {
            final byte[] record = new byte[encoder.recordLength(length)];
            final int written = encoder.encode(type, src, offset, length, serverSequence++, record, 0);
            out.write(record, 0, written);
            out.flush();
        }

        private void flush(final HandshakeEngine engine) throws IOException
        {
            int n;
            while ((n = engine.pendingOutput()) > 0)
            {
                final byte[] flight = new byte[n];
                engine.readOutput(flight, 0, n);
                out.write(flight);
            }
            out.flush();
        }
    }

    private static byte[] body()
    {
        final StringBuilder text = new StringBuilder(BODY_LENGTH + 64);
        for (int line = 0; text.length() < BODY_LENGTH; line++)
        {
            text.append(String.format("inline-tls line %06d ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789%n", line));
        }
        return text.substring(0, BODY_LENGTH).getBytes(StandardCharsets.US_ASCII);
    }

    public static String sha256(final byte[] data)
    {
        try
        {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
