package org.inlinetls.crypto.keys;

import java.nio.charset.StandardCharsets;

import javax.crypto.Mac;
import javax.crypto.ShortBufferException;

/**
 * The TLS 1.2 pseudo-random function (RFC 5246 §5, P_SHA256 and P_SHA384 over the JDK's HMAC) and the values the
 * record layer derives with it: the master secret (RFC 5246 §8.1, extended form RFC 7627 §4), the key block
 * (RFC 5246 §6.3) and Finished verify_data (RFC 5246 §7.4.9).
 * <p>
 * Every method allocates its result, which the caller owns and wipes with {@link Secrets#zero}. Inputs are never
 * modified; no secret appears in an exception message.
 */
public final class Tls12Prf
{
    /** Length of ClientHello.random and ServerHello.random. */
    public static final int RANDOM_LENGTH = 32;

    /** Length of the master secret (RFC 5246 §8.1). */
    public static final int MASTER_SECRET_LENGTH = 48;

    /** Length of Finished verify_data for every supported suite (RFC 5246 §7.4.9). */
    public static final int VERIFY_DATA_LENGTH = 12;

    public static final String MASTER_SECRET_LABEL = "master secret";
    public static final String EXTENDED_MASTER_SECRET_LABEL = "extended master secret";
    public static final String KEY_EXPANSION_LABEL = "key expansion";
    public static final String CLIENT_FINISHED_LABEL = "client finished";
    public static final String SERVER_FINISHED_LABEL = "server finished";

    private Tls12Prf()
    {
    }

    /**
     * {@code PRF(secret, label, seed) = P_<hash>(secret, label + seed)}, truncated to {@code length} bytes.
     *
     * @param secret the PRF secret (may be empty).
     * @param label  an ASCII label without a length byte or terminator.
     * @param seed   the seed that follows the label.
     * @param length output length in bytes, at least 1.
     * @param hash   SHA256 for the default PRF, SHA384 for {@code _SHA384} suites.
     * @return {@code length} fresh bytes.
     */
    public static byte[] prf(
        final byte[] secret, final String label, final byte[] seed, final int length, final HashAlgorithm hash)
    {
        return pHash(secret, Secrets.concat(label.getBytes(StandardCharsets.US_ASCII), seed), length, hash);
    }

    /**
     * {@code P_hash(secret, seed)} of RFC 5246 §5: {@code HMAC(secret, A(1) + seed) + HMAC(secret, A(2) + seed) ...}
     * with {@code A(0) = seed} and {@code A(i) = HMAC(secret, A(i-1))}.
     */
    public static byte[] pHash(final byte[] secret, final byte[] seed, final int length, final HashAlgorithm hash)
    {
        if (length < 1)
        {
            throw new IllegalArgumentException("length must be positive: " + length);
        }

        final Mac mac = hash.newMac(secret);
        final int hashLength = hash.outputLength();
        final byte[] out = new byte[length];
        final byte[] a = new byte[hashLength];
        final byte[] block = new byte[hashLength];

        try
        {
            mac.update(seed);
            mac.doFinal(a, 0);
            for (int offset = 0; offset < length; offset += hashLength)
            {
                mac.update(a);
                mac.update(seed);
                mac.doFinal(block, 0);
                System.arraycopy(block, 0, out, offset, Math.min(hashLength, length - offset));

                mac.update(a);
                mac.doFinal(a, 0);
            }
        }
        catch (final ShortBufferException ex)
        {
            throw new IllegalStateException(hash.hmacName() + " output longer than expected");
        }
        finally
        {
            Secrets.zero(a, block);
        }

        return out;
    }

    /**
     * The master secret of RFC 5246 §8.1:
     * {@code PRF(pre_master_secret, "master secret", ClientHello.random + ServerHello.random)[0..47]}.
     */
    public static byte[] masterSecret(
        final byte[] preMasterSecret, final byte[] clientRandom, final byte[] serverRandom, final HashAlgorithm hash)
    {
        checkRandom("clientRandom", clientRandom);
        checkRandom("serverRandom", serverRandom);

        final byte[] seed = Secrets.concat(clientRandom, serverRandom);
        return prf(preMasterSecret, MASTER_SECRET_LABEL, seed, MASTER_SECRET_LENGTH, hash);
    }

    /**
     * The extended master secret of RFC 7627 §4:
     * {@code PRF(pre_master_secret, "extended master secret", session_hash)[0..47]}, where the session hash is the
     * handshake hash up to and including the ClientKeyExchange, computed with the PRF's hash.
     */
    public static byte[] extendedMasterSecret(
        final byte[] preMasterSecret, final byte[] sessionHash, final HashAlgorithm hash)
    {
        if (sessionHash.length != hash.outputLength())
        {
            throw new IllegalArgumentException(
                "session hash must be " + hash.outputLength() + " bytes for " + hash + ": " + sessionHash.length);
        }

        return prf(preMasterSecret, EXTENDED_MASTER_SECRET_LABEL, sessionHash, MASTER_SECRET_LENGTH, hash);
    }

    /**
     * The key block of RFC 5246 §6.3:
     * {@code PRF(master_secret, "key expansion", ServerHello.random + ClientHello.random)} (note the server random
     * comes first here, unlike in the master secret). Split it with {@link Tls12KeyBlock#split}.
     */
    public static byte[] keyBlock(
        final byte[] masterSecret,
        final byte[] serverRandom,
        final byte[] clientRandom,
        final HashAlgorithm hash,
        final int length)
    {
        checkMasterSecret(masterSecret);
        checkRandom("serverRandom", serverRandom);
        checkRandom("clientRandom", clientRandom);

        return prf(masterSecret, KEY_EXPANSION_LABEL, Secrets.concat(serverRandom, clientRandom), length, hash);
    }

    /**
     * Finished verify_data of RFC 5246 §7.4.9:
     * {@code PRF(master_secret, finished_label, Hash(handshake_messages))[0..11]}.
     *
     * @param label         {@link #CLIENT_FINISHED_LABEL} or {@link #SERVER_FINISHED_LABEL}.
     * @param handshakeHash hash of the handshake messages so far, with the PRF's hash.
     */
    public static byte[] verifyData(
        final byte[] masterSecret, final String label, final byte[] handshakeHash, final HashAlgorithm hash)
    {
        checkMasterSecret(masterSecret);
        if (!CLIENT_FINISHED_LABEL.equals(label) && !SERVER_FINISHED_LABEL.equals(label))
        {
            throw new IllegalArgumentException("not a Finished label: " + label);
        }

        return prf(masterSecret, label, handshakeHash, VERIFY_DATA_LENGTH, hash);
    }

    private static void checkRandom(final String name, final byte[] random)
    {
        if (random.length != RANDOM_LENGTH)
        {
            throw new IllegalArgumentException(name + " must be " + RANDOM_LENGTH + " bytes: " + random.length);
        }
    }

    private static void checkMasterSecret(final byte[] masterSecret)
    {
        if (masterSecret.length != MASTER_SECRET_LENGTH)
        {
            throw new IllegalArgumentException(
                "master secret must be " + MASTER_SECRET_LENGTH + " bytes: " + masterSecret.length);
        }
    }
}
