package org.inlinetls.handshake.interop;

import org.inlinetls.handshake.HandshakeConfig;
import org.inlinetls.handshake.TestPki;
import org.inlinetls.handshake.session.HeapSessionStore;
import org.inlinetls.handshake.session.TicketKeys;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS 1.2 resumption with {@code openssl s_client -sess_out} then {@code -sess_in}: by session id
 * ({@code -no_ticket}), by RFC 5077 ticket, and a full handshake once the ticket's key has rotated out. The resumed
 * connections fetch the page too, so the keys of the abbreviated handshake are checked by record-crypto.
 */
class OpensslResumptionTest
{
    private static final byte[] REQUEST = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final long INTERVAL_MS = 3_600_000;
    private static final AtomicLong CLOCK_MS = new AtomicLong(System.currentTimeMillis());

    @TempDir
    static Path dir;
    static Path caPem;
    static LoopbackTlsServer server;
    static HeapSessionStore store;

    @BeforeAll
    static void startServer() throws Exception
    {
        AbstractInteropTest.assumeBinary("openssl");
        caPem = TestPki.get().writeCaPem(dir);
        store = new HeapSessionStore(1000);
        final TicketKeys keys = new TicketKeys(32, INTERVAL_MS, CLOCK_MS::get, new SecureRandom());
        server = new LoopbackTlsServer(HandshakeConfig.builder(TestPki.get().selector())
            .sessionStore(store).ticketKeys(keys).sessionLifetimeMs(10 * INTERVAL_MS).sessionClockMs(CLOCK_MS::get)
            .build());
    }

    @AfterAll
    static void stopServer() throws Exception
    {
        if (null != server)
        {
            server.close();
            store.close();
        }
    }

    @Test
    void shouldResumeBySessionId() throws Exception
    {
        final Path session = dir.resolve("id.pem");
        assertTrue(fetch(List.of("-no_ticket", "-sess_out", session.toString())).contains("New, TLSv1.2"));
        assertFalse(outcome().endsWith("resumed"));
        final String resumed = fetch(List.of("-no_ticket", "-sess_in", session.toString()));
        assertTrue(resumed.contains("Reused, TLSv1.2"), () -> head(resumed));
        assertTrue(outcome().endsWith("resumed"));
    }

    @Test
    void shouldResumeByTicketAndNotAfterTheKeyRotatedOut() throws Exception
    {
        final Path session = dir.resolve("ticket.pem");
        final String first = fetch(List.of("-sess_out", session.toString()));
        assertTrue(first.contains("New, TLSv1.2"), () -> head(first));
        assertTrue(first.contains("TLS session ticket lifetime hint: " + 10 * INTERVAL_MS / 1000), () -> head(first));
        outcome();
        final int stored = store.size();

        final String resumed = fetch(List.of("-sess_in", session.toString()));
        assertTrue(resumed.contains("Reused, TLSv1.2"), () -> head(resumed));
        assertTrue(outcome().endsWith("resumed"));
        assertEquals(stored, store.size(), "tickets leave the store alone");

        CLOCK_MS.addAndGet(2 * INTERVAL_MS + 1);
        final String expired = fetch(List.of("-sess_in", session.toString()));
        assertTrue(expired.contains("New, TLSv1.2"), () -> head(expired));
        assertFalse(outcome().endsWith("resumed"));
    }

    private static String fetch(final List<String> options) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of("openssl", "s_client", "-connect",
            "127.0.0.1:" + server.port(), "-servername", TestPki.EC_HOST, "-CAfile", caPem.toString(),
            "-verify_return_error", "-tls1_2", "-ign_eof", "-alpn", "http/1.1"));
        command.addAll(options);
        server.outcomes.clear();
        return AbstractInteropTest.fetchWithOpenssl(command, dir, REQUEST);
    }

    private static String outcome() throws InterruptedException
    {
        return AbstractInteropTest.cleanOutcomeSession(server);
    }

    private static String head(final String out)
    {
        return out.substring(0, Math.min(out.length(), 4000));
    }
}
