package org.inlinetls.handshake.session;

import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsSession;
import org.inlinetls.crypto.record.IntegrityMode;
import org.inlinetls.crypto.record.RecordDecoder;
import org.inlinetls.crypto.record.RecordListener;
import org.inlinetls.crypto.record.SegmentDecoder;
import org.inlinetls.handshake.HandshakeConfig;
import org.inlinetls.handshake.HandshakeEngine;
import org.inlinetls.handshake.NegotiatedKeys;
import org.inlinetls.handshake.TestPki;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS 1.2 resumption through {@link HandshakeEngine} against BouncyCastle's client in memory: session ids from a
 * store, RFC 5077 tickets across key rotations, and every refusal ending in a clean full handshake.
 */
class SessionResumptionTest
{
    private static final ProtocolVersion[] TLS12 = ProtocolVersion.TLSv12.only();
    private static final long INTERVAL_MS = 60_000;
    private static final long LIFETIME_MS = 10 * INTERVAL_MS;

    private final AtomicLong clockMs = new AtomicLong(1_700_000_000_000L);
    private final TicketKeys ticketKeys = new TicketKeys(32, INTERVAL_MS, clockMs::get, new SecureRandom());
    private final HeapSessionStore store = new HeapSessionStore(100);

    private HandshakeConfig config(final boolean sessionIds, final boolean tickets)
    {
        return HandshakeConfig.builder(TestPki.get().selector())
            .sessionStore(store).sessionIds(sessionIds)
            .ticketKeys(ticketKeys).tickets(tickets)
            .sessionLifetimeMs(LIFETIME_MS).sessionClockMs(clockMs::get)
            .build();
    }

    @Test
    void shouldResumeBySessionId() throws IOException
    {
        final HandshakeConfig config = config(true, false);
        final ResumingTlsClient first = handshake(config, null, null, false, TestPki.EC_HOST);
        assertFalse(first.resumed);
        assertEquals(32, first.sessionId.length);
        assertEquals(1, store.size());

        final ResumingTlsClient second = handshake(config, first.session(), null, false, TestPki.EC_HOST);
        assertTrue(second.resumed);
        assertArrayEquals(first.sessionId, second.sessionId);
    }

    @Test
    void shouldNotResumeAnExpiredSessionId() throws IOException
    {
        final HandshakeConfig config = config(true, false);
        final ResumingTlsClient first = handshake(config, null, null, false, TestPki.EC_HOST);
        clockMs.addAndGet(LIFETIME_MS);
        assertFalse(handshake(config, first.session(), null, false, TestPki.EC_HOST).resumed);
    }

    @Test
    void shouldNotResumeASessionIdForAnotherServerName() throws IOException
    {
        final HandshakeConfig config = config(true, false);
        final ResumingTlsClient first = handshake(config, null, null, false, TestPki.EC_HOST);
        assertFalse(handshake(config, first.session(), null, false, TestPki.RSA_HOST).resumed);
    }

    @Test
    void shouldResumeByTicket() throws IOException
    {
        final HandshakeConfig config = config(true, true);
        final ResumingTlsClient first = handshake(config, null, null, true, TestPki.EC_HOST);
        assertFalse(first.resumed);
        assertNotNull(first.ticketReceived);
        assertTrue(first.ticketReceived.getTicket().length > TicketKeys.OVERHEAD);
        assertEquals(LIFETIME_MS / 1000, first.ticketReceived.getTicketLifetimeHint());
        assertEquals(0, first.sessionId.length, "no session id when a ticket is issued");
        assertEquals(0, store.size(), "the ticket is the only copy of the session");

        final ResumingTlsClient second = resumeByTicket(config, first);
        assertTrue(second.resumed);
        assertNull(second.ticketReceived, "an abbreviated handshake carries no new ticket");
    }

    @Test
    void shouldAcceptATicketSealedByThePreviousKey() throws IOException
    {
        final HandshakeConfig config = config(false, true);
        final ResumingTlsClient first = handshake(config, null, null, true, TestPki.EC_HOST);
        clockMs.addAndGet(INTERVAL_MS + INTERVAL_MS / 2);
        assertTrue(resumeByTicket(config, first).resumed);
    }

    @Test
    void shouldGiveAFullHandshakeForATicketTwoRotationsOld() throws IOException
    {
        final HandshakeConfig config = config(false, true);
        final ResumingTlsClient first = handshake(config, null, null, true, TestPki.EC_HOST);
        clockMs.addAndGet(INTERVAL_MS + 1);
        ticketKeys.rotateIfDue();
        clockMs.addAndGet(INTERVAL_MS + 1);
        final ResumingTlsClient second = resumeByTicket(config, first);
        assertFalse(second.resumed);
        assertNotNull(second.ticketReceived, "a full handshake issues a fresh ticket");
        assertTrue(resumeByTicket(config, second).resumed, "and that one resumes");
    }

    @Test
    void shouldGiveAFullHandshakeForATamperedTicket() throws IOException
    {
        final HandshakeConfig config = config(false, true);
        final ResumingTlsClient first = handshake(config, null, null, true, TestPki.EC_HOST);
        final byte[] ticket = first.ticketReceived.getTicket().clone();
        ticket[ticket.length - 20] ^= 1;
        final TlsSession session = ResumingTlsClient.ticketSession(first.established);
        assertFalse(handshake(config, session, ticket, false, TestPki.EC_HOST).resumed);
    }

    @Test
    void shouldGiveAFullHandshakeWhenResumptionIsOff() throws IOException
    {
        final HandshakeConfig config = config(false, false);
        final ResumingTlsClient first = handshake(config, null, null, true, TestPki.EC_HOST);
        assertNull(first.ticketReceived);
        assertEquals(0, first.sessionId.length);
    }

    @Test
    void shouldKeepTls13FullHandshakesWorkingWithResumptionOn() throws IOException
    {
        final HandshakeConfig config = config(true, true);
        final ResumingTlsClient client = new ResumingTlsClient(ProtocolVersion.TLSv13.downTo(ProtocolVersion.TLSv12),
            TestPki.EC_HOST, null, null, true).connect();
        final HandshakeEngine engine = new HandshakeEngine(config);
        client.pump(engine);
        assertTrue(engine.isComplete(), engine::toString);
        final NegotiatedKeys keys = engine.takeKeys();
        assertFalse(keys.resumed());
        assertEquals(org.inlinetls.crypto.suite.CipherSuite.TlsVersion.TLS13, keys.version());
        assertEquals(0, store.size());
        keys.destroy();
    }

    private ResumingTlsClient resumeByTicket(final HandshakeConfig config, final ResumingTlsClient previous)
        throws IOException
    {
        return handshake(config, ResumingTlsClient.ticketSession(previous.established),
            previous.ticketReceived.getTicket(), false, TestPki.EC_HOST);
    }

    /** One TLS 1.2 connection; the keys handed over must carry the client's data, resumed or not. */
    private ResumingTlsClient handshake(
        final HandshakeConfig config,
        final TlsSession session,
        final byte[] ticket,
        final boolean askForTicket,
        final String sni) throws IOException
    {
        final ResumingTlsClient client = new ResumingTlsClient(TLS12, sni, session, ticket, askForTicket).connect();
        final HandshakeEngine engine = new HandshakeEngine(config);
        client.pump(engine);
        assertTrue(engine.isComplete(), engine::toString);
        assertTrue(client.protocol.isConnected());
        final NegotiatedKeys keys = engine.takeKeys();
        assertEquals(client.resumed, keys.resumed(), keys::toString);
        assertEquals(client.resumed, engine.isResumed());
        assertEquals(1, keys.clientSequence());
        assertEquals(1, keys.serverSequence());
        assertEquals("http/1.1", keys.applicationProtocol());
        assertFalse(keys.toString().contains("key=["));

        final byte[] request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        client.protocol.writeApplicationData(request, 0, request.length);
        final byte[] records = new byte[client.protocol.getAvailableOutputBytes()];
        client.protocol.readOutput(records, 0, records.length);
        final SegmentDecoder decoder = keys.newClientDecoder(IntegrityMode.STRICT,
            new byte[RecordDecoder.SCRATCH_LENGTH]);
        final ByteArrayOutputStream plaintext = new ByteArrayOutputStream();
        assertEquals(RecordDecoder.OK, decoder.onSegment(records, 0, records.length, new RecordListener()
        {
            @Override
            public void onPlaintext(final byte[] src, final int offset, final int length)
            {
                plaintext.write(src, offset, length);
            }

            @Override
            public void onRecord(final int contentType, final byte[] src, final int offset, final int length)
            {
            }

            @Override
            public void onRecordAuthenticated(final long sequence, final int contentType)
            {
            }
        }), decoder::failureReason);
        assertArrayEquals(request, plaintext.toByteArray());
        keys.destroy();
        return client;
    }
}
