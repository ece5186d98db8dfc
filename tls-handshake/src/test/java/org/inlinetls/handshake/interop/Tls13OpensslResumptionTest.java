package org.inlinetls.handshake.interop;

import org.inlinetls.handshake.HandshakeConfig;
import org.inlinetls.handshake.TestPki;
import org.inlinetls.handshake.session.TicketKeys;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS 1.3 resumption with {@code openssl s_client -sess_out} then {@code -sess_in}: the appliance's own
 * NewSessionTicket after a full handshake by BC, its own abbreviated psk_dhe_ke handshake on the way back (for each
 * suite), and full handshakes for a ticket whose key has rotated out or that other keys sealed. Every connection fetches
 * the page, so the resumed keys are checked by record-crypto.
 */
class Tls13OpensslResumptionTest
{
    private static final byte[] REQUEST = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final long INTERVAL_MS = 3_600_000;
    private static final AtomicLong CLOCK_MS = new AtomicLong(System.currentTimeMillis());

    @TempDir
    static Path dir;
    static Path caPem;
    static LoopbackTlsServer server;

    @BeforeAll
    static void startServer() throws Exception
    {
        AbstractInteropTest.assumeBinary("openssl");
        caPem = TestPki.get().writeCaPem(dir);
        final TicketKeys keys = new TicketKeys(32, INTERVAL_MS, CLOCK_MS::get, new SecureRandom());
        server = new LoopbackTlsServer(HandshakeConfig.builder(TestPki.get().selector())
            .ticketKeys(keys).sessionLifetimeMs(10 * INTERVAL_MS).sessionClockMs(CLOCK_MS::get).build());
    }

    @AfterAll
    static void stopServer() throws Exception
    {
        if (null != server)
        {
            server.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"})
    void shouldResumeWithTheAppliancesOwnTicket(final String suite) throws Exception
    {
        final Path session = dir.resolve(suite + ".pem");
        final String first = fetch(suite, List.of("-sess_out", session.toString()));
        assertTrue(first.contains("New, TLSv1.3, Cipher is " + suite), () -> head(first));
        assertFalse(outcome().endsWith("resumed"));

        final String resumed = fetch(suite, List.of("-sess_in", session.toString(), "-sess_out", session.toString()));
        assertTrue(resumed.contains("Reused, TLSv1.3, Cipher is " + suite), () -> head(resumed));
        final String outcome = outcome();
        assertTrue(outcome.endsWith("alpn=http/1.1 resumed"), outcome);

        // the resumed connection's own ticket resumes again
        final String again = fetch(suite, List.of("-sess_in", session.toString()));
        assertTrue(again.contains("Reused, TLSv1.3"), () -> head(again));
        assertTrue(outcome().endsWith("resumed"));
    }

    @Test
    void shouldFallBackToAFullHandshakeForATicketOfOtherKeys() throws Exception
    {
        final Path session = dir.resolve("unknown.pem");
        fetch("TLS_AES_128_GCM_SHA256", List.of("-sess_out", session.toString()));
        outcome();
        final TicketKeys otherKeys = new TicketKeys(32, INTERVAL_MS, CLOCK_MS::get, new SecureRandom());
        try (LoopbackTlsServer other = new LoopbackTlsServer(HandshakeConfig.builder(TestPki.get().selector())
            .ticketKeys(otherKeys).sessionClockMs(CLOCK_MS::get).build()))
        {
            final LoopbackTlsServer saved = server;
            server = other;
            try
            {
                final String full = fetch("TLS_AES_128_GCM_SHA256", List.of("-sess_in", session.toString()));
                assertTrue(full.contains("New, TLSv1.3"), () -> head(full));
                assertFalse(outcome().endsWith("resumed"));
            }
            finally
            {
                server = saved;
            }
        }
    }

    @Test
    void shouldFallBackToAFullHandshakeOnceTheTicketKeyRotatedOut() throws Exception
    {
        final Path session = dir.resolve("expired.pem");
        fetch("TLS_AES_128_GCM_SHA256", List.of("-sess_out", session.toString()));
        outcome();
        CLOCK_MS.addAndGet(2 * INTERVAL_MS + 1);
        final String full = fetch("TLS_AES_128_GCM_SHA256", List.of("-sess_in", session.toString()));
        assertTrue(full.contains("New, TLSv1.3"), () -> head(full));
        assertFalse(outcome().endsWith("resumed"));
    }

    private static String fetch(final String suite, final List<String> options) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of("openssl", "s_client", "-connect",
            "127.0.0.1:" + server.port(), "-servername", TestPki.EC_HOST, "-CAfile", caPem.toString(),
            "-verify_return_error", "-tls1_3", "-ciphersuites", suite, "-ign_eof", "-alpn", "http/1.1"));
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
