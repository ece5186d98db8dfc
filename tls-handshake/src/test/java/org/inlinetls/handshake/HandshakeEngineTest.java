package org.inlinetls.handshake;

import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.NamedGroup;
import org.bouncycastle.tls.ProtocolVersion;
import org.inlinetls.crypto.cbc.CbcSuite;
import org.inlinetls.crypto.record.IntegrityMode;
import org.inlinetls.crypto.record.RecordDecoder;
import org.inlinetls.crypto.record.RecordListener;
import org.inlinetls.crypto.record.SegmentDecoder;
import org.inlinetls.crypto.record.SegmentEncoder;
import org.inlinetls.crypto.suite.CipherSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine against BouncyCastle's own client in memory: every suite, the keys and sequence numbers handed to
 * record-crypto checked by exchanging application data both ways, and the hand-over boundary.
 */
class HandshakeEngineTest
{
    static final ProtocolVersion[] TLS13 = ProtocolVersion.TLSv13.only();
    static final ProtocolVersion[] TLS12 = ProtocolVersion.TLSv12.only();
    static final int[] ALL_GROUPS = {NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1};

    private final TestPki pki = TestPki.get();

    HandshakeEngine engine(final HandshakeConfig.Builder builder)
    {
        return new HandshakeEngine(builder.build());
    }

    HandshakeConfig.Builder config()
    {
        return HandshakeConfig.builder(pki.selector());
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void shouldHandOverKeysThatCarryDataBothWaysForEverySuite(final CipherSuite suite) throws IOException
    {
        final boolean rsa = suite.name().contains("_RSA_");
        final BcTestClient client = new BcTestClient(suite.isTls13() ? TLS13 : TLS12, new int[]{suite.code()},
            ALL_GROUPS, rsa ? TestPki.RSA_HOST : TestPki.EC_HOST, "http/1.1").connect();
        final HandshakeEngine engine = engine(config());

        assertEquals(0, client.pump(engine).length);

        assertTrue(engine.isComplete(), engine::toString);
        assertTrue(client.protocol.isConnected());
        final NegotiatedKeys keys = engine.takeKeys();
        assertEquals(suite, keys.suite());
        assertEquals(suite.version(), keys.version());
        final long expectedSequence = suite.isTls13() ? 0 : 1;
        assertEquals(expectedSequence, keys.clientSequence());
        assertEquals(expectedSequence, keys.serverSequence());
        assertEquals("http/1.1", keys.applicationProtocol());
        assertEquals(rsa ? TestPki.RSA_HOST : TestPki.EC_HOST, keys.serverName());
        assertEquals(KeyShareGroup.X25519, keys.group());
        assertFalse(keys.toString().contains("key=["));
        exchangeApplicationData(client, keys);
        assertThrows(IllegalStateException.class, engine::takeKeys);
        keys.destroy();
        assertThrows(IllegalStateException.class, keys::newServerEncoder);
    }

    @ParameterizedTest
    @EnumSource(CbcSuite.class)
    void shouldServeCbcSuitesOnlyWhenAllowed(final CbcSuite suite) throws IOException
    {
        final boolean rsa = suite.name().contains("_RSA_");
        final String host = rsa ? TestPki.RSA_HOST : TestPki.EC_HOST;
        final BcTestClient refused = new BcTestClient(TLS12, new int[]{suite.code()}, ALL_GROUPS, host).connect();
        final HandshakeEngine off = engine(config());
        refused.pump(off);
        assertTrue(off.isFailed());
        assertEquals(AlertDescription.handshake_failure, off.alert());

        final BcTestClient client = new BcTestClient(TLS12, new int[]{suite.code()}, ALL_GROUPS, host).connect();
        final HandshakeEngine engine = engine(config().allowCbc(true).cbcSuites(CbcSuite.values()));
        client.pump(engine);
        assertTrue(engine.isComplete(), engine::toString);
        final NegotiatedKeys keys = engine.takeKeys();
        assertEquals(suite, keys.cbcSuite());
        assertEquals(1, keys.clientSequence());
        exchangeApplicationData(client, keys);
    }

    @Test
    void shouldLeaveApplicationDataSentWithTheFinishedToTheRecordLayer() throws IOException
    {
        final BcTestClient client = new BcTestClient(TLS13, new int[]{CipherSuite.TLS_AES_128_GCM_SHA256.code()},
            ALL_GROUPS, TestPki.EC_HOST).connect();
        final HandshakeEngine engine = engine(config());
        final byte[] hello = drain(client);
        assertEquals(hello.length, engine.offer(hello, 0, hello.length));
        final byte[] flight = new byte[engine.pendingOutput()];
        engine.readOutput(flight, 0, flight.length);
        client.protocol.offerInput(flight);
        assertTrue(client.protocol.isConnected());
        final byte[] request = "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        client.protocol.writeApplicationData(request, 0, request.length);
        final byte[] segment = drain(client);

        // offered a byte at a time, to split every record header and body
        int consumed = 0;
        while (consumed < segment.length && !engine.isComplete())
        {
            consumed += engine.offer(segment, consumed, 1);
        }
        assertTrue(engine.isComplete());
        assertEquals(0, engine.offer(segment, consumed, segment.length - consumed));
        final NegotiatedKeys keys = engine.takeKeys();
        final SegmentDecoder decoder = keys.newClientDecoder(IntegrityMode.DEFERRED,
            new byte[RecordDecoder.SCRATCH_LENGTH]);
        final Collector collector = new Collector();
        assertEquals(RecordDecoder.OK, decoder.onSegment(segment, consumed, segment.length - consumed, collector));
        assertArrayEquals(request, collector.plaintext.toByteArray());
    }

    @Test
    void shouldChooseTheCredentialBySni() throws IOException
    {
        for (final String host : new String[]{TestPki.RSA_HOST, TestPki.EC_HOST, TestPki.P384_HOST})
        {
            final BcTestClient client = new BcTestClient(TLS13, new int[]{CipherSuite.TLS_AES_256_GCM_SHA384.code()},
                ALL_GROUPS, host).connect();
            final HandshakeEngine engine = engine(config());
            client.pump(engine);
            assertTrue(engine.isComplete(), engine::toString);
            assertEquals(host + ".pem", engine.takeKeys().credentialName());
        }
    }

    @Test
    void shouldNegotiateEachConfiguredGroupAndRefuseOthers() throws IOException
    {
        final int[][] cases = {{NamedGroup.x25519}, {NamedGroup.secp256r1}, {NamedGroup.secp384r1}};
        for (final ProtocolVersion[] versions : new ProtocolVersion[][]{TLS13, TLS12})
        {
            final int suite = versions == TLS13 ? CipherSuite.TLS_AES_128_GCM_SHA256.code() :
                CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256.code();
            for (final int[] groups : cases)
            {
                // TLS 1.2 ECDSA: the certificate's curve must be listed too (RFC 8422 §5.1.1)
                final int[] offered = versions == TLS13 ? groups : new int[]{groups[0], NamedGroup.secp256r1};
                final BcTestClient client =
                    new BcTestClient(versions, new int[]{suite}, offered, TestPki.EC_HOST).connect();
                final HandshakeEngine engine = engine(config());
                client.pump(engine);
                assertTrue(engine.isComplete(), engine::toString);
                assertEquals(groups[0], engine.takeKeys().group().code());
            }
            final BcTestClient client =
                new BcTestClient(versions, new int[]{suite}, new int[]{NamedGroup.secp521r1}, TestPki.EC_HOST)
                    .connect();
            final HandshakeEngine engine = engine(config());
            client.pump(engine);
            assertTrue(engine.isFailed());
            assertEquals(AlertDescription.handshake_failure, engine.alert());
        }
    }

    @Test
    void shouldNotPickAnEcdsaSuiteWhoseCertificateCurveTheTls12ClientLacks() throws IOException
    {
        final BcTestClient client = new BcTestClient(TLS12, new int[]{
            CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256.code()}, new int[]{NamedGroup.x25519},
            TestPki.EC_HOST).connect();
        final HandshakeEngine engine = engine(config());
        client.pump(engine);
        assertTrue(engine.isFailed());
        assertEquals(AlertDescription.handshake_failure, engine.alert());
    }

    @Test
    void shouldRefuseAClientThatSpeaksNoneOfTheBackendsProtocols() throws IOException
    {
        final BcTestClient client = new BcTestClient(TLS13, new int[]{CipherSuite.TLS_AES_128_GCM_SHA256.code()},
            ALL_GROUPS, TestPki.EC_HOST, "h2").connect();
        final HandshakeEngine engine = engine(config());
        client.pump(engine);
        assertTrue(engine.isFailed());
        assertEquals(AlertDescription.no_application_protocol, engine.alert());
        assertEquals(AlertDescription.no_application_protocol, client.alertReceived);
        // the modes' metrics count it by the alert sent
        final HandshakeFailures failures = new HandshakeFailures();
        failures.record(engine);
        assertEquals(1, failures.sent(AlertDescription.no_application_protocol));
        assertEquals(0, failures.received(AlertDescription.no_application_protocol) + failures.withoutAlert());
    }

    @Test
    void shouldHandshakeWithoutAlpnWhenTheClientOffersNone() throws IOException
    {
        final BcTestClient client = new BcTestClient(TLS12,
            new int[]{CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384.code()}, ALL_GROUPS, null).connect();
        final HandshakeEngine engine = engine(config().credentials((name) -> pki.rsa));
        client.pump(engine);
        final NegotiatedKeys keys = engine.takeKeys();
        assertEquals(null, keys.applicationProtocol());
        assertEquals(null, keys.serverName());
    }

    @Test
    void shouldRefuseTls12WhenTheMinimumIsTls13() throws IOException
    {
        final BcTestClient client = new BcTestClient(TLS12,
            new int[]{CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256.code()}, ALL_GROUPS, TestPki.EC_HOST)
            .connect();
        final HandshakeEngine engine = engine(config().minimumVersion(CipherSuite.TlsVersion.TLS13));
        client.pump(engine);
        assertTrue(engine.isFailed());
        assertEquals(AlertDescription.protocol_version, engine.alert());
    }

    @Test
    void shouldPreferTheServersSuiteOrder() throws IOException
    {
        final BcTestClient client = new BcTestClient(TLS13, new int[]{
            CipherSuite.TLS_CHACHA20_POLY1305_SHA256.code(), CipherSuite.TLS_AES_256_GCM_SHA384.code(),
            CipherSuite.TLS_AES_128_GCM_SHA256.code()}, ALL_GROUPS, TestPki.EC_HOST).connect();
        final HandshakeEngine engine = engine(config());
        client.pump(engine);
        assertEquals(CipherSuite.TLS_AES_128_GCM_SHA256, engine.takeKeys().suite());
    }

    static void exchangeApplicationData(final BcTestClient client, final NegotiatedKeys keys) throws IOException
    {
        final byte[] request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        client.protocol.writeApplicationData(request, 0, request.length);
        final byte[] records = drain(client);
        final SegmentDecoder decoder = keys.newClientDecoder(IntegrityMode.STRICT,
            new byte[RecordDecoder.SCRATCH_LENGTH]);
        final Collector collector = new Collector();
        assertEquals(RecordDecoder.OK, decoder.onSegment(records, 0, records.length, collector),
            () -> decoder.failureReason());
        assertArrayEquals(request, collector.plaintext.toByteArray());

        final byte[] response = new byte[3000];
        Arrays.fill(response, (byte)'r');
        final SegmentEncoder encoder = keys.newServerEncoder();
        final byte[] record = new byte[encoder.recordLength(response.length)];
        long seq = keys.serverSequence();
        for (int i = 0; i < 2; i++)
        {
            final int length = encoder.encode(23, response, 0, response.length, seq++, record, 0);
            client.protocol.offerInput(record, 0, length);
            final byte[] received = new byte[client.protocol.getAvailableInputBytes()];
            client.protocol.readInput(received, 0, received.length);
            assertArrayEquals(response, received);
        }
    }

    static byte[] drain(final BcTestClient client)
    {
        final byte[] out = new byte[client.protocol.getAvailableOutputBytes()];
        client.protocol.readOutput(out, 0, out.length);
        return out;
    }

    /** Collects what a decoder releases. */
    static final class Collector implements RecordListener
    {
        final ByteArrayOutputStream plaintext = new ByteArrayOutputStream();
        int lastType = -1;
        byte[] lastRecord;

        @Override
        public void onPlaintext(final byte[] buffer, final int offset, final int length)
        {
            plaintext.write(buffer, offset, length);
        }

        @Override
        public void onRecord(final int contentType, final byte[] buffer, final int offset, final int length)
        {
            lastType = contentType;
            lastRecord = Arrays.copyOfRange(buffer, offset, offset + length);
        }

        @Override
        public void onRecordAuthenticated(final long sequence, final int contentType)
        {
        }
    }

    static void assertHasOutput(final HandshakeEngine engine)
    {
        assertNotNull(engine);
        assertTrue(engine.pendingOutput() > 0);
    }
}
