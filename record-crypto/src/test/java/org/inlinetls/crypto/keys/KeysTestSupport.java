package org.inlinetls.crypto.keys;

import java.util.HexFormat;
import java.util.Random;

import org.bouncycastle.tls.PRFAlgorithm;
import org.bouncycastle.tls.crypto.CryptoHashAlgorithm;
import org.bouncycastle.tls.crypto.TlsCryptoUtils;
import org.bouncycastle.tls.crypto.TlsSecret;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

/**
 * Hex parsing, seeded randomness and BouncyCastle's TLS key derivation as an independent reference for the tests.
 */
final class KeysTestSupport
{
    static final BcTlsCrypto BC = new BcTlsCrypto();

    /** Replay a failing run with {@code -Dkeys.seed=<seed printed in the failure>}. */
    static final long SEED = Long.getLong("keys.seed", System.nanoTime());

    private KeysTestSupport()
    {
    }

    /** Bytes from hex as printed in RFCs: whitespace and line breaks are ignored. */
    static byte[] hex(final String text)
    {
        return HexFormat.of().parseHex(text.replaceAll("\\s", ""));
    }

    static String toHex(final byte[] bytes)
    {
        return HexFormat.of().formatHex(bytes);
    }

    static Random random(final long salt)
    {
        return new Random(SEED ^ salt);
    }

    static String seedMessage()
    {
        return "seed=" + SEED + " (replay with -Dkeys.seed=" + SEED + ")";
    }

    static byte[] randomBytes(final Random random, final int length)
    {
        final byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    static int bcHash(final HashAlgorithm hash)
    {
        return hash == HashAlgorithm.SHA256 ? CryptoHashAlgorithm.sha256 : CryptoHashAlgorithm.sha384;
    }

    static int bcPrf(final HashAlgorithm hash)
    {
        return hash == HashAlgorithm.SHA256 ? PRFAlgorithm.tls_prf_sha256 : PRFAlgorithm.tls_prf_sha384;
    }

    /** BouncyCastle's TLS 1.2 PRF. */
    static byte[] bcPrf(
        final byte[] secret, final String label, final byte[] seed, final int length, final HashAlgorithm hash)
    {
        return secret(secret).deriveUsingPRF(bcPrf(hash), label, seed, length).extract();
    }

    /** BouncyCastle's HKDF-Extract; a {@code null} salt means zeros, a {@code null} IKM means zeros. */
    static byte[] bcHkdfExtract(final byte[] salt, final byte[] ikm, final HashAlgorithm hash)
    {
        final TlsSecret saltSecret = salt == null ? BC.hkdfInit(bcHash(hash)) : secret(salt);
        final byte[] ikmBytes = ikm == null ? new byte[hash.outputLength()] : ikm;
        return saltSecret.hkdfExtract(bcHash(hash), secret(ikmBytes)).extract();
    }

    /** BouncyCastle's HKDF-Expand. */
    static byte[] bcHkdfExpand(final byte[] prk, final byte[] info, final int length, final HashAlgorithm hash)
    {
        return secret(prk).hkdfExpand(bcHash(hash), info, length).extract();
    }

    /** BouncyCastle's HKDF-Expand-Label (RFC 8446 §7.1). */
    static byte[] bcExpandLabel(
        final byte[] secret, final String label, final byte[] context, final int length, final HashAlgorithm hash)
    {
        try
        {
            return TlsCryptoUtils.hkdfExpandLabel(secret(secret), bcHash(hash), label, context, length).extract();
        }
        catch (final java.io.IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static TlsSecret secret(final byte[] bytes)
    {
        return BC.createSecret(bytes.clone());
    }
}
