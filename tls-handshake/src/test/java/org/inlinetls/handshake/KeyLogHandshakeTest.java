package org.inlinetls.handshake;

import org.inlinetls.crypto.record.ContentType;
import org.inlinetls.crypto.record.SegmentEncoder;
import org.inlinetls.crypto.suite.CipherSuite;
import org.inlinetls.handshake.keylog.KeyLogEntry;
import org.inlinetls.handshake.keylog.KeyLogFile;
import org.inlinetls.handshake.keylog.KeyLogWriterAgent;
import org.inlinetls.handshake.keylog.RecordOpener;
import org.inlinetls.handshake.session.TicketKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The key log export and its replay stand-in against a live handshake: {@link HandshakeEngine} with the export on
 * answers BouncyCastle's client while both byte streams are recorded; the logged secrets go through the writer and
 * the reader; then {@link KeyLogHandshake}, fed the same client bytes in the same pieces with the recorded server
 * stream as its capture, must release the same flights at the same points and hand over the same keys.
 */
class KeyLogHandshakeTest
{
    @TempDir
    Path directory;

    private final TestPki pki = TestPki.get();

    /** One live handshake as a capture would show it. */
    private static final class Recorded
    {
        final List<byte[]> clientPieces = new ArrayList<>();
        final List<Integer> outputAfterPiece = new ArrayList<>();
        final ByteArrayOutputStream serverStream = new ByteArrayOutputStream();
        int handshakeOutputLength;
        NegotiatedKeys keys;
        byte[] clientRandom;
    }

    private Recorded live(final CipherSuite suite, final List<KeyLogEntry> entries) throws IOException
    {
        final boolean rsa = suite.name().contains("_RSA_");
        final BcTestClient client = new BcTestClient(suite.isTls13() ? HandshakeEngineTest.TLS13 :
            HandshakeEngineTest.TLS12, new int[]{suite.code()}, HandshakeEngineTest.ALL_GROUPS,
            rsa ? TestPki.RSA_HOST : TestPki.EC_HOST, "http/1.1").connect();
        final SecureRandom random = new SecureRandom();
        final HandshakeEngine engine = new HandshakeEngine(HandshakeConfig.builder(pki.selector())
            .ticketKeys(new TicketKeys(32, 3_600_000L, System::currentTimeMillis, random))
            .keyLog(entries::add).build());
        final Recorded recorded = new Recorded();
        final byte[] buffer = new byte[1 << 16];
        for (int round = 0; round < 20 && !engine.isComplete() && !engine.isFailed(); round++)
        {
            final int n = client.protocol.getAvailableOutputBytes();
            if (n > 0)
            {
                final byte[] piece = new byte[n];
                client.protocol.readOutput(piece, 0, n);
                assertEquals(n, engine.offer(piece, 0, n));
                recorded.clientPieces.add(piece);
                if (null == recorded.clientRandom)
                {
                    recorded.clientRandom = Arrays.copyOfRange(piece, 11, 43);
                }
            }
            int read;
            while ((read = engine.readOutput(buffer, 0, buffer.length)) > 0)
            {
                recorded.serverStream.write(buffer, 0, read);
                client.protocol.offerInput(buffer, 0, read);
            }
            recorded.outputAfterPiece.add(recorded.serverStream.size());
        }
        assertTrue(engine.isComplete(), engine::toString);
        recorded.handshakeOutputLength = recorded.serverStream.size();
        recorded.keys = engine.takeKeys();
        final byte[] ticket = recorded.keys.sessionTicket();
        if (null != ticket)
        {
            // the flow sends the ticket right after the hand-over, as its first record (HandshakePhase)
            final SegmentEncoder encoder = recorded.keys.newServerEncoder();
            final byte[] record = new byte[encoder.recordLength(ticket.length)];
            final int n = encoder.encode(ContentType.HANDSHAKE, ticket, 0, ticket.length,
                recorded.keys.serverSequence(), record, 0);
            recorded.serverStream.write(record, 0, n);
        }
        recorded.serverStream.write(new byte[]{23, 3, 3, 0, 20}, 0, 5); // the start of application data
        recorded.serverStream.write(new byte[20], 0, 20);
        engine.release();
        return recorded;
    }

    private KeyLogFile written(final List<KeyLogEntry> entries) throws IOException
    {
        final Path file = directory.resolve("keys.log");
        final KeyLogWriterAgent writer = new KeyLogWriterAgent(file, 1 << 20, 16);
        entries.forEach(writer::offer);
        writer.onClose();
        return KeyLogFile.read(file);
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void shouldReleaseTheCapturedFlightsAtTheLivePointsAndHandOverTheSameKeys(final CipherSuite suite)
        throws IOException
    {
        final List<KeyLogEntry> entries = new ArrayList<>();
        final Recorded recorded = live(suite, entries);
        assertEquals(1, entries.size(), "one key log entry per completed handshake");
        assertEquals(suite.isTls13() ? 4 : 1, entries.get(0).lineCount());
        final KeyLogFile keyLog = written(entries);
        final byte[] serverStream = recorded.serverStream.toByteArray();

        final KeyLogHandshake standIn = new KeyLogHandshake(keyLog, () -> serverStream);
        final ByteArrayOutputStream released = new ByteArrayOutputStream();
        final byte[] buffer = new byte[1 << 16];
        for (int i = 0; i < recorded.clientPieces.size(); i++)
        {
            final byte[] piece = recorded.clientPieces.get(i);
            assertEquals(piece.length, standIn.offer(piece, 0, piece.length));
            assertFalse(standIn.isFailed(), standIn::toString);
            int n;
            while ((n = standIn.readOutput(buffer, 0, 100)) > 0)
            {
                released.write(buffer, 0, n);
            }
            assertEquals(recorded.outputAfterPiece.get(i), released.size(), "flight released after piece " + i);
        }
        assertTrue(standIn.isComplete(), standIn::toString);
        assertArrayEquals(Arrays.copyOf(serverStream, recorded.handshakeOutputLength), released.toByteArray());

        final NegotiatedKeys keys = standIn.takeKeys();
        assertEquals(recorded.keys.version(), keys.version());
        assertEquals(recorded.keys.suiteCode(), keys.suiteCode());
        assertEquals(recorded.keys.clientSequence(), keys.clientSequence());
        assertEquals(recorded.keys.serverSequence(), keys.serverSequence());
        for (int kind = 0; kind < 3; kind++)
        {
            assertArrayEquals(recorded.keys.clientRecordKey(kind), keys.clientRecordKey(kind), "client key " + kind);
            assertArrayEquals(recorded.keys.serverRecordKey(kind), keys.serverRecordKey(kind), "server key " + kind);
        }
        assertArrayEquals(recorded.keys.sessionTicket(), keys.sessionTicket());
        if (suite.isTls13())
        {
            assertNotNull(keys.sessionTicket(), "TLS 1.3 with tickets on: the live flow sent one");
            assertClientFinishedOpensWithTheLoggedHandshakeSecret(recorded, keyLog, suite);
        }
        keys.destroy();
        standIn.release();
        keyLog.destroy();
        recorded.keys.destroy();
    }

    private static void assertClientFinishedOpensWithTheLoggedHandshakeSecret(final Recorded recorded,
        final KeyLogFile keyLog, final CipherSuite suite)
    {
        final byte[] secret = keyLog.secret(recorded.clientRandom,
            org.inlinetls.handshake.keylog.KeyLogLabel.CLIENT_HANDSHAKE_TRAFFIC_SECRET);
        final org.inlinetls.crypto.keys.TrafficKeys keys = org.inlinetls.crypto.keys.Tls13KeySchedule.trafficKeys(
            secret, suite.keyLength(), org.inlinetls.crypto.keys.HashAlgorithm.forName(suite.hash().name()));
        final RecordOpener opener = new RecordOpener(suite, keys.key(), keys.iv(), 0);
        final byte[] last = recorded.clientPieces.get(recorded.clientPieces.size() - 1);
        int at = 0;
        while (last[at] != 23)
        {
            at += 5 + (((last[at + 3] & 0xFF) << 8) | (last[at + 4] & 0xFF));
        }
        final byte[] finished = opener.open(last, at);
        assertNotNull(finished, "the client's Finished opens with CLIENT_HANDSHAKE_TRAFFIC_SECRET");
        assertEquals(22, opener.contentType());
        assertEquals(20, finished[0], "a Finished message");
    }

    @Test
    void shouldFailCleanlyWhenTheKeyLogLacksTheHandshake() throws IOException
    {
        final List<KeyLogEntry> entries = new ArrayList<>();
        final Recorded recorded = live(CipherSuite.TLS_AES_128_GCM_SHA256, entries);
        entries.forEach(KeyLogEntry::destroy);
        final KeyLogFile empty = written(List.of());
        final byte[] serverStream = recorded.serverStream.toByteArray();
        final KeyLogHandshake standIn = new KeyLogHandshake(empty, () -> serverStream);
        final byte[] hello = recorded.clientPieces.get(0);
        standIn.offer(hello, 0, hello.length);
        assertTrue(standIn.isFailed());
        assertFalse(standIn.isComplete());
        assertTrue(standIn.failureReason().contains("no SERVER_HANDSHAKE_TRAFFIC_SECRET"), standIn.failureReason());
        assertEquals(0, standIn.readOutput(new byte[100], 0, 100));
        assertNull(empty.secret(recorded.clientRandom, org.inlinetls.handshake.keylog.KeyLogLabel.CLIENT_RANDOM));
        recorded.keys.destroy();
    }
}
