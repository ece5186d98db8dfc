package org.inlinetls.handshake;

import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.NamedGroup;
import org.inlinetls.crypto.record.IntegrityMode;
import org.inlinetls.crypto.record.RecordDecoder;
import org.inlinetls.crypto.record.SegmentDecoder;
import org.inlinetls.crypto.record.SegmentEncoder;
import org.inlinetls.crypto.suite.CipherSuite;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile and broken ClientHellos: each leaves the engine failed with the right fatal alert in its output, and
 * nothing is thrown.
 */
class HostileClientHelloTest
{
    private final TestPki pki = TestPki.get();

    private HandshakeEngine engine()
    {
        return new HandshakeEngine(HandshakeConfig.builder(pki.selector()).build());
    }

    private void assertFatal(final int expectedAlert, final byte[] input)
    {
        final HandshakeEngine engine = engine();
        engine.offer(input, 0, input.length);
        assertTrue(engine.isFailed(), engine::toString);
        assertFalse(engine.isComplete());
        assertEquals(AlertNames.name(expectedAlert), AlertNames.name(engine.alert()));
        final byte[] out = new byte[engine.pendingOutput()];
        assertEquals(out.length, engine.readOutput(out, 0, out.length));
        // the last record out is the plaintext fatal alert: 21, version, length 2, level 2, description
        assertTrue(out.length >= 7, "no alert in the output");
        final int at = out.length - 7;
        assertEquals(21, out[at]);
        assertEquals(2, out[at + 5]);
        assertEquals(expectedAlert, out[at + 6] & 0xFF);
        assertEquals(0, engine.offer(input, 0, input.length), "a failed engine takes nothing more");
    }

    @Test
    void shouldRefusePlainHttp()
    {
        assertFatal(AlertDescription.unexpected_message,
            "GET / HTTP/1.1\r\nHost: rsa.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void shouldRefuseRandomGarbageWithAnAlert()
    {
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        for (int i = 0; i < 200; i++)
        {
            final byte[] garbage = new byte[1 + random.nextInt(600)];
            random.nextBytes(garbage);
            if (random.nextBoolean())
            {
                garbage[0] = 22;
            }
            final HandshakeEngine engine = engine();
            engine.offer(garbage, 0, garbage.length);
            if (engine.isFailed())
            {
                assertTrue(engine.alert() != HandshakeEngine.NO_ALERT, "seed " + seed);
                assertTrue(engine.pendingOutput() >= 7, "seed " + seed);
            }
            else
            {
                assertFalse(engine.isComplete(), "seed " + seed);
            }
        }
    }

    @Test
    void shouldRefuseAnSslv2Hello()
    {
        final byte[] v2 = {(byte)0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10,
            0x07, 0x00, (byte)0xc0, 0x05, 0x00, (byte)0x80, 0x03, 0x00, (byte)0x80, 0x01, 0x00, (byte)0x80,
            0x06, 0x00, 0x40, 0x04, 0x00, (byte)0x80, 0x02, 0x00, (byte)0x80, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
            13, 14, 15, 16};
        assertFatal(AlertDescription.unexpected_message, v2);
    }

    @Test
    void shouldRefuseATruncatedClientHello() throws IOException
    {
        final byte[] hello = bcClientHello();
        final int cut = 40;
        final byte[] truncated = Arrays.copyOf(hello, 5 + 4 + cut);
        truncated[3] = 0;
        truncated[4] = (byte)(4 + cut);
        truncated[6] = 0;
        truncated[7] = 0;
        truncated[8] = (byte)cut;
        assertFatal(AlertDescription.decode_error, truncated);
    }

    @Test
    void shouldWaitForTheRestOfAPartialRecord() throws IOException
    {
        final byte[] hello = bcClientHello();
        final HandshakeEngine engine = engine();
        assertEquals(hello.length - 1, engine.offer(hello, 0, hello.length - 1));
        assertFalse(engine.isFailed());
        assertFalse(engine.isComplete());
        assertEquals(0, engine.pendingOutput());
        assertEquals(1, engine.offer(hello, hello.length - 1, 1));
        assertTrue(engine.pendingOutput() > 0);
    }

    @Test
    void shouldRefuseClientsOfOldVersionsOnly()
    {
        for (final int version : new int[]{0x0300, 0x0301, 0x0302})
        {
            assertFatal(AlertDescription.protocol_version, clientHello(version, new int[]{0xC02B, 0x002F}, null));
        }
    }

    @Test
    void shouldRefuseAClientWithNoSuiteInCommon()
    {
        // TLS_RSA_WITH_AES_128_CBC_SHA and TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA only
        assertFatal(AlertDescription.handshake_failure, clientHello(0x0303, new int[]{0x002F, 0xC012}, null));
    }

    @Test
    void shouldRefuseAnOversizedRecord()
    {
        final byte[] header = {22, 3, 1, (byte)0xFF, (byte)0xFF};
        assertFatal(AlertDescription.record_overflow, header);
    }

    @Test
    void shouldRefuseAnExtensionLongerThanTheMessage()
    {
        // server_name extension claiming 0x4000 bytes where 4 follow
        final byte[] extensions = {0x00, 0x00, 0x40, 0x00, 0, 0, 0, 0};
        assertFatal(AlertDescription.decode_error, clientHello(0x0303, new int[]{0xC02B}, extensions));
    }

    @Test
    void shouldRefuseRenegotiationAfterATls12Handover() throws IOException
    {
        final BcTestClient client = new BcTestClient(HandshakeEngineTest.TLS12,
            new int[]{CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256.code()}, HandshakeEngineTest.ALL_GROUPS,
            TestPki.EC_HOST).connect();
        final HandshakeEngine engine = engine();
        client.pump(engine);
        final NegotiatedKeys keys = engine.takeKeys();

        // the client's renegotiating ClientHello arrives under the connection's keys, through the record layer
        final byte[] hello = bcClientHello();
        final byte[] body = Arrays.copyOfRange(hello, 5, hello.length);
        final SegmentEncoder clientSide = keys.newClientEncoder();
        final byte[] record = new byte[clientSide.recordLength(body.length)];
        final int length = clientSide.encode(22, body, 0, body.length, keys.clientSequence(), record, 0);
        assertEquals(0, engine.offer(record, 0, length), "the engine is done after the hand-over");
        final SegmentDecoder decoder = keys.newClientDecoder(IntegrityMode.DEFERRED,
            new byte[RecordDecoder.SCRATCH_LENGTH]);
        final HandshakeEngineTest.Collector collector = new HandshakeEngineTest.Collector();
        assertEquals(RecordDecoder.OK, decoder.onSegment(record, 0, length, collector));
        assertEquals(22, collector.lastType);
        assertEquals(PostHandshakeMessages.REFUSE_RENEGOTIATION, PostHandshakeMessages.classify(
            keys.version(), collector.lastRecord, 0, collector.lastRecord.length));

        // the refusal goes out under the server's keys and BC's own client reads it as no_renegotiation
        final SegmentEncoder encoder = keys.newServerEncoder();
        final byte[] alert = new byte[encoder.recordLength(2)];
        final int alertLength = encoder.encode(21, PostHandshakeMessages.NO_RENEGOTIATION_ALERT, 0, 2,
            keys.serverSequence(), alert, 0);
        try
        {
            client.protocol.offerInput(alert, 0, alertLength);
        }
        catch (final IOException expected)
        {
            // BC's client treats a refused renegotiation it did not ask for as fatal
        }
        assertEquals(AlertDescription.no_renegotiation, client.alertReceived);
    }

    @Test
    void shouldClassifyKeyUpdates()
    {
        assertEquals(PostHandshakeMessages.KEY_UPDATE,
            PostHandshakeMessages.classify(CipherSuite.TlsVersion.TLS13, new byte[]{24, 0, 0, 1, 0}, 0, 5));
        assertEquals(PostHandshakeMessages.KEY_UPDATE_REQUESTED,
            PostHandshakeMessages.classify(CipherSuite.TlsVersion.TLS13, new byte[]{24, 0, 0, 1, 1}, 0, 5));
        assertEquals(PostHandshakeMessages.UNEXPECTED,
            PostHandshakeMessages.classify(CipherSuite.TlsVersion.TLS13, new byte[]{24, 0, 0, 1, 2}, 0, 5));
        assertEquals(PostHandshakeMessages.UNEXPECTED,
            PostHandshakeMessages.classify(CipherSuite.TlsVersion.TLS13, new byte[]{1, 0, 0, 0}, 0, 4));
    }

    private static byte[] bcClientHello()
    {
        final BcTestClient client = new BcTestClient(HandshakeEngineTest.TLS13,
            new int[]{CipherSuite.TLS_AES_128_GCM_SHA256.code()}, new int[]{NamedGroup.x25519}, TestPki.EC_HOST)
            .connect();
        return HandshakeEngineTest.drain(client);
    }

    /** A ClientHello record built by hand: no extensions unless given. */
    static byte[] clientHello(final int version, final int[] suites, final byte[] extensions)
    {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(version >>> 8);
        body.write(version);
        body.writeBytes(new byte[32]);
        body.write(0);
        body.write((suites.length * 2) >>> 8);
        body.write(suites.length * 2);
        for (final int suite : suites)
        {
            body.write(suite >>> 8);
            body.write(suite);
        }
        body.write(1);
        body.write(0);
        if (null != extensions)
        {
            body.write(extensions.length >>> 8);
            body.write(extensions.length);
            body.writeBytes(extensions);
        }
        final byte[] b = body.toByteArray();
        final ByteArrayOutputStream record = new ByteArrayOutputStream();
        record.writeBytes(new byte[]{22, 3, 1, (byte)((b.length + 4) >>> 8), (byte)(b.length + 4), 1, 0,
            (byte)(b.length >>> 8), (byte)b.length});
        record.writeBytes(b);
        return record.toByteArray();
    }
}
