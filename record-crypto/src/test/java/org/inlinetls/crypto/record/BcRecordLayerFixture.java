package org.inlinetls.crypto.record;

import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SecurityParameters;
import org.bouncycastle.tls.TlsContext;
import org.bouncycastle.tls.TlsPeer;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCipher;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.TlsDecodeResult;
import org.bouncycastle.tls.crypto.TlsEncodeResult;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.inlinetls.crypto.keys.HashAlgorithm;
import org.inlinetls.crypto.keys.Tls12KeyBlock;
import org.inlinetls.crypto.keys.Tls13KeySchedule;
import org.inlinetls.crypto.keys.TrafficKeys;
import org.inlinetls.crypto.suite.CipherSuite;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Random;

/**
 * Test fixture: BouncyCastle's own TLS record protection ({@code TlsAEADCipher} made by
 * {@code BcTlsCrypto.createCipher}) for a client and a server context, and our {@link RecordProtection}s keyed
 * independently, by our own key derivation, from the same secrets.
 * <p>
 * BC derives record keys from a {@code TlsContext}'s {@code SecurityParameters}, whose fields and setters are
 * package-private in {@code org.bouncycastle.tls}. A helper class in that package cannot be used: bctls-jdk18on is
 * a signed jar, and the JVM refuses a class-path package whose classes have different signers ("signer information
 * does not match"). So the fixture drives BC's own package-private code by reflection instead, from the unnamed
 * module where that is allowed: it constructs the real {@code TlsServerContextImpl} / {@code TlsClientContextImpl},
 * starts a handshake on it ({@code handshakeBeginning}, which creates the handshake {@code SecurityParameters} with
 * the right connection end), negotiates the version and suite the way the handshake does
 * ({@code TlsUtils.negotiatedCipherSuite} maps the code point to BC's PRF and hash), and sets the secrets.
 */
final class BcRecordLayerFixture
{
    /** The writer of one direction of a connection. */
    enum Side
    {
        CLIENT,
        SERVER;

        Side peer()
        {
            return this == CLIENT ? SERVER : CLIENT;
        }
    }

    /** Every record's legacy_record_version after the handshake (RFC 8446 §5.1, RFC 5246 §6.2.1). */
    static final ProtocolVersion RECORD_VERSION = ProtocolVersion.TLSv12;

    final CipherSuite suite;
    private final TlsCipher bcClient;
    private final TlsCipher bcServer;
    private final byte[] clientKey;
    private final byte[] clientIv;
    private final byte[] serverKey;
    private final byte[] serverIv;

    private BcRecordLayerFixture(
        final CipherSuite suite,
        final TlsCipher bcClient,
        final TlsCipher bcServer,
        final byte[] clientKey,
        final byte[] clientIv,
        final byte[] serverKey,
        final byte[] serverIv)
    {
        this.suite = suite;
        this.bcClient = bcClient;
        this.bcServer = bcServer;
        this.clientKey = clientKey;
        this.clientIv = clientIv;
        this.serverKey = serverKey;
        this.serverIv = serverIv;
    }

    /**
     * Draws the connection's secrets from {@code random}: for TLS 1.2 a master secret and both hello randoms, for
     * TLS 1.3 both application traffic secrets.
     */
    static BcRecordLayerFixture create(final CipherSuite suite, final Random random)
    {
        final HashAlgorithm hash = HashAlgorithm.forName(suite.hash().name());
        // BC's crypto draws randomness only for its context nonce generator, never for AEAD record protection
        final BcTlsCrypto crypto = new BcTlsCrypto(new SecureRandom());
        if (suite.isTls13())
        {
            final byte[] clientSecret = randomBytes(random, hash.outputLength());
            final byte[] serverSecret = randomBytes(random, hash.outputLength());
            final TrafficKeys client = Tls13KeySchedule.trafficKeys(clientSecret, suite.keyLength(), hash);
            final TrafficKeys server = Tls13KeySchedule.trafficKeys(serverSecret, suite.keyLength(), hash);
            final SecretsSetter secrets = (params) ->
            {
                set(params, "trafficSecretClient", crypto.createSecret(clientSecret.clone()));
                set(params, "trafficSecretServer", crypto.createSecret(serverSecret.clone()));
            };
            return new BcRecordLayerFixture(suite,
                bcCipher(crypto, Side.CLIENT, suite, ProtocolVersion.TLSv13, secrets),
                bcCipher(crypto, Side.SERVER, suite, ProtocolVersion.TLSv13, secrets),
                client.key(), client.iv(), server.key(), server.iv());
        }
        final byte[] masterSecret = randomBytes(random, 48);
        final byte[] clientRandom = randomBytes(random, 32);
        final byte[] serverRandom = randomBytes(random, 32);
        final Tls12KeyBlock keyBlock = Tls12KeyBlock.aead(
            masterSecret, serverRandom, clientRandom, hash, suite.keyLength(), suite.fixedIvLength());
        final SecretsSetter secrets = (params) ->
        {
            set(params, "masterSecret", crypto.createSecret(masterSecret.clone()));
            set(params, "clientRandom", clientRandom.clone());
            set(params, "serverRandom", serverRandom.clone());
        };
        return new BcRecordLayerFixture(suite,
            bcCipher(crypto, Side.CLIENT, suite, ProtocolVersion.TLSv12, secrets),
            bcCipher(crypto, Side.SERVER, suite, ProtocolVersion.TLSv12, secrets),
            keyBlock.clientKey(), keyBlock.clientIv(), keyBlock.serverKey(), keyBlock.serverIv());
    }

    /** Our protection of the direction {@code writer} writes, keyed by our own derivation. */
    RecordProtection ours(final Side writer)
    {
        return writer == Side.CLIENT ?
            new RecordProtection(suite, clientKey, clientIv) : new RecordProtection(suite, serverKey, serverIv);
    }

    /** BC's cipher of the endpoint {@code side}: it encrypts what {@code side} writes and decrypts its peer's. */
    TlsCipher bc(final Side side)
    {
        return side == Side.CLIENT ? bcClient : bcServer;
    }

    /**
     * A whole record (header included) that BC's {@code encodePlaintext} protects, with the header BC's
     * {@code RecordStream} would write around it.
     */
    static byte[] bcRecord(final TlsCipher cipher, final long seq, final int contentType, final byte[] content)
        throws IOException
    {
        final int header = CipherSuite.RECORD_HEADER_LENGTH;
        final TlsEncodeResult result = cipher.encodePlaintext(
            seq, (short)contentType, RECORD_VERSION, header, content, 0, content.length);
        final byte[] record = Arrays.copyOfRange(result.buf, result.off, result.off + result.len);
        final int length = result.len - header;
        record[0] = (byte)result.recordType;
        record[1] = (byte)RECORD_VERSION.getMajorVersion();
        record[2] = (byte)RECORD_VERSION.getMinorVersion();
        record[3] = (byte)(length >>> 8);
        record[4] = (byte)length;
        return record;
    }

    /**
     * Decrypts one whole record with BC's {@code decodeCiphertext}, taking type and version from its header as BC's
     * {@code RecordStream} does; the record is not modified.
     */
    static TlsDecodeResult bcDecode(final TlsCipher cipher, final long seq, final byte[] record) throws IOException
    {
        final int header = CipherSuite.RECORD_HEADER_LENGTH;
        final byte[] body = Arrays.copyOfRange(record, header, record.length);
        return cipher.decodeCiphertext(seq, (short)(record[0] & 0xFF),
            ProtocolVersion.get(record[1] & 0xFF, record[2] & 0xFF), body, 0, body.length);
    }

    private static TlsCipher bcCipher(
        final BcTlsCrypto crypto,
        final Side side,
        final CipherSuite suite,
        final ProtocolVersion version,
        final SecretsSetter secrets)
    {
        try
        {
            final Class<?> contextClass = Class.forName(side == Side.SERVER ?
                "org.bouncycastle.tls.TlsServerContextImpl" : "org.bouncycastle.tls.TlsClientContextImpl");
            final Constructor<?> constructor =
                contextClass.getDeclaredConstructor(org.bouncycastle.tls.crypto.TlsCrypto.class);
            constructor.setAccessible(true);
            final TlsContext context = (TlsContext)constructor.newInstance(crypto);

            final Method handshakeBeginning =
                Class.forName("org.bouncycastle.tls.AbstractTlsContext").getDeclaredMethod(
                    "handshakeBeginning", TlsPeer.class);
            handshakeBeginning.setAccessible(true);
            handshakeBeginning.invoke(context, silentPeer());

            final SecurityParameters params = context.getSecurityParametersHandshake();
            set(params, "negotiatedVersion", version);
            final Method negotiatedCipherSuite =
                TlsUtils.class.getDeclaredMethod("negotiatedCipherSuite", SecurityParameters.class, int.class);
            negotiatedCipherSuite.setAccessible(true);
            negotiatedCipherSuite.invoke(null, params, suite.code());
            secrets.fill(params);

            // BC maps the code point to its record cipher itself (AEAD suites carry no MAC algorithm)
            return crypto.createCipher(new TlsCryptoParameters(context),
                TlsUtils.getEncryptionAlgorithm(suite.code()), TlsUtils.getMACAlgorithm(suite.code()));
        }
        catch (final InvocationTargetException ex)
        {
            throw new IllegalStateException("BC refused the " + side + " context for " + suite, ex.getCause());
        }
        catch (final ReflectiveOperationException | IOException ex)
        {
            throw new IllegalStateException("BC's TLS internals are not as this fixture expects (bctls 1.84)", ex);
        }
    }

    /** {@code handshakeBeginning} only tells the peer the handshake began; nothing else may be asked of it. */
    private static TlsPeer silentPeer()
    {
        return (TlsPeer)Proxy.newProxyInstance(TlsPeer.class.getClassLoader(), new Class<?>[]{TlsPeer.class},
            (proxy, method, args) ->
            {
                if (method.getName().equals("notifyHandshakeBeginning"))
                {
                    return null;
                }
                throw new UnsupportedOperationException("fixture peer: " + method.getName());
            });
    }

    private static void set(final SecurityParameters params, final String field, final Object value)
    {
        try
        {
            final Field f = SecurityParameters.class.getDeclaredField(field);
            f.setAccessible(true);
            f.set(params, value);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new IllegalStateException("BC's SecurityParameters has no field " + field, ex);
        }
    }

    private static byte[] randomBytes(final Random random, final int length)
    {
        final byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    @FunctionalInterface
    private interface SecretsSetter
    {
        void fill(SecurityParameters params);
    }
}
