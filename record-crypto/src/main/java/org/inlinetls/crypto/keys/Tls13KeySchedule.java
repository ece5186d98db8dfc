package org.inlinetls.crypto.keys;

import java.nio.charset.StandardCharsets;

import javax.crypto.Mac;
import javax.crypto.ShortBufferException;

/**
 * The TLS 1.3 key schedule's building blocks over the JDK's HMAC: HKDF-Extract and HKDF-Expand (RFC 5869 §2),
 * HKDF-Expand-Label and Derive-Secret (RFC 8446 §7.1), traffic keys (§7.3), KeyUpdate (§7.2), and the steps from
 * PSK and (EC)DHE shared secret to the master secret. {@link Tls13Secrets} walks a whole handshake with them.
 * <p>
 * Every method allocates its result, which the caller owns and wipes with {@link Secrets#zero}. Inputs are never
 * modified; no secret appears in an exception message. Derive-Secret here takes the transcript <em>hash</em>, not
 * the messages, since the handshake keeps a running hash.
 */
public final class Tls13KeySchedule
{
    /** Prefix of every HkdfLabel.label (RFC 8446 §7.1). */
    public static final String LABEL_PREFIX = "tls13 ";

    /** Length of a TLS 1.3 record IV (RFC 8446 §5.3: max(8 bytes, N_MIN) for the supported AEADs). */
    public static final int IV_LENGTH = 12;

    public static final String DERIVED = "derived";
    public static final String EXT_BINDER = "ext binder";
    public static final String RES_BINDER = "res binder";
    public static final String CLIENT_EARLY_TRAFFIC = "c e traffic";
    public static final String EARLY_EXPORTER_MASTER = "e exp master";
    public static final String CLIENT_HANDSHAKE_TRAFFIC = "c hs traffic";
    public static final String SERVER_HANDSHAKE_TRAFFIC = "s hs traffic";
    public static final String CLIENT_APPLICATION_TRAFFIC = "c ap traffic";
    public static final String SERVER_APPLICATION_TRAFFIC = "s ap traffic";
    public static final String EXPORTER_MASTER = "exp master";
    public static final String RESUMPTION_MASTER = "res master";
    public static final String KEY = "key";
    public static final String IV = "iv";
    public static final String FINISHED = "finished";
    public static final String TRAFFIC_UPDATE = "traffic upd";
    public static final String RESUMPTION = "resumption";

    private static final int MAX_LABEL_LENGTH = 255;
    private static final int MAX_CONTEXT_LENGTH = 255;
    private static final byte[] EMPTY = new byte[0];

    private Tls13KeySchedule()
    {
    }

    /**
     * {@code HKDF-Extract(salt, IKM) = HMAC-Hash(salt, IKM)} (RFC 5869 §2.2).
     *
     * @param salt the salt; {@code null} or empty means {@code Hash.length} zero bytes (equal keys to HMAC).
     * @param ikm  the input keying material; {@code null} means {@code Hash.length} zero bytes (RFC 8446 §7.1,
     *             "if a given secret is not available, then the 0-value ... is used").
     */
    public static byte[] hkdfExtract(final byte[] salt, final byte[] ikm, final HashAlgorithm hash)
    {
        final Mac mac = hash.newMac(salt == null ? EMPTY : salt);
        return mac.doFinal(ikm == null ? new byte[hash.outputLength()] : ikm);
    }

    /**
     * {@code HKDF-Expand(PRK, info, L)} (RFC 5869 §2.3): {@code T(1) | T(2) | ...} truncated to {@code length}, with
     * {@code T(i) = HMAC-Hash(PRK, T(i-1) | info | i)}.
     */
    public static byte[] hkdfExpand(final byte[] prk, final byte[] info, final int length, final HashAlgorithm hash)
    {
        final int hashLength = hash.outputLength();
        if (length < 1 || length > 255 * hashLength)
        {
            throw new IllegalArgumentException("HKDF-Expand length out of range: " + length);
        }
        if (prk.length < hashLength)
        {
            throw new IllegalArgumentException("PRK shorter than " + hash + " output: " + prk.length);
        }

        final Mac mac = hash.newMac(prk);
        final byte[] out = new byte[length];
        final byte[] t = new byte[hashLength];

        try
        {
            for (int i = 1, offset = 0; offset < length; i++, offset += hashLength)
            {
                if (i > 1)
                {
                    mac.update(t);
                }
                mac.update(info);
                mac.update((byte)i);
                mac.doFinal(t, 0);
                System.arraycopy(t, 0, out, offset, Math.min(hashLength, length - offset));
            }
        }
        catch (final ShortBufferException ex)
        {
            throw new IllegalStateException(hash.hmacName() + " output longer than expected");
        }
        finally
        {
            Secrets.zero(t);
        }

        return out;
    }

    /**
     * The encoded {@code HkdfLabel} of RFC 8446 §7.1: {@code uint16 length}, {@code opaque label<7..255>} (the
     * {@link #LABEL_PREFIX} and {@code label}), {@code opaque context<0..255>}.
     */
    public static byte[] hkdfLabel(final String label, final byte[] context, final int length)
    {
        final byte[] fullLabel = (LABEL_PREFIX + label).getBytes(StandardCharsets.US_ASCII);
        if (fullLabel.length > MAX_LABEL_LENGTH)
        {
            throw new IllegalArgumentException("label too long: " + label);
        }
        if (context.length > MAX_CONTEXT_LENGTH)
        {
            throw new IllegalArgumentException("context too long: " + context.length);
        }
        if (length < 0 || length > 0xFFFF)
        {
            throw new IllegalArgumentException("length out of range: " + length);
        }

        final byte[] encoded = new byte[2 + 1 + fullLabel.length + 1 + context.length];
        int offset = 0;
        encoded[offset++] = (byte)(length >>> 8);
        encoded[offset++] = (byte)length;
        encoded[offset++] = (byte)fullLabel.length;
        System.arraycopy(fullLabel, 0, encoded, offset, fullLabel.length);
        offset += fullLabel.length;
        encoded[offset++] = (byte)context.length;
        System.arraycopy(context, 0, encoded, offset, context.length);

        return encoded;
    }

    /**
     * {@code HKDF-Expand-Label(Secret, Label, Context, Length) = HKDF-Expand(Secret, HkdfLabel, Length)}
     * (RFC 8446 §7.1).
     *
     * @param label the label without the {@code "tls13 "} prefix, e.g. {@code "key"}.
     */
    public static byte[] hkdfExpandLabel(
        final byte[] secret, final String label, final byte[] context, final int length, final HashAlgorithm hash)
    {
        return hkdfExpand(secret, hkdfLabel(label, context, length), length, hash);
    }

    /**
     * {@code Derive-Secret(Secret, Label, Messages) = HKDF-Expand-Label(Secret, Label, Transcript-Hash(Messages),
     * Hash.length)} (RFC 8446 §7.1), given the transcript hash.
     */
    public static byte[] deriveSecret(
        final byte[] secret, final String label, final byte[] transcriptHash, final HashAlgorithm hash)
    {
        if (transcriptHash.length != hash.outputLength())
        {
            throw new IllegalArgumentException(
                "transcript hash must be " + hash.outputLength() + " bytes for " + hash + ": " + transcriptHash.length);
        }
        return hkdfExpandLabel(secret, label, transcriptHash, hash.outputLength(), hash);
    }

    /**
     * Early Secret = {@code HKDF-Extract(0, PSK)} (RFC 8446 §7.1).
     *
     * @param psk the pre-shared key, or {@code null} when none is in use (full handshake).
     */
    public static byte[] earlySecret(final byte[] psk, final HashAlgorithm hash)
    {
        return hkdfExtract(null, psk, hash);
    }

    /** Handshake Secret = {@code HKDF-Extract(Derive-Secret(early, "derived", ""), (EC)DHE)} (RFC 8446 §7.1). */
    public static byte[] handshakeSecret(final byte[] earlySecret, final byte[] sharedSecret, final HashAlgorithm hash)
    {
        return extractAfterDerived(earlySecret, sharedSecret, hash);
    }

    /** Master Secret = {@code HKDF-Extract(Derive-Secret(handshake, "derived", ""), 0)} (RFC 8446 §7.1). */
    public static byte[] masterSecret(final byte[] handshakeSecret, final HashAlgorithm hash)
    {
        return extractAfterDerived(handshakeSecret, null, hash);
    }

    /**
     * A direction's write key ({@code HKDF-Expand-Label(secret, "key", "", keyLength)}) and write IV
     * ({@code HKDF-Expand-Label(secret, "iv", "", 12)}) (RFC 8446 §7.3).
     *
     * @param keyLength 16 for AES-128-GCM, 32 for AES-256-GCM and ChaCha20-Poly1305.
     */
    public static TrafficKeys trafficKeys(final byte[] trafficSecret, final int keyLength, final HashAlgorithm hash)
    {
        final byte[] key = hkdfExpandLabel(trafficSecret, KEY, EMPTY, keyLength, hash);
        final byte[] iv = hkdfExpandLabel(trafficSecret, IV, EMPTY, IV_LENGTH, hash);
        return new TrafficKeys(key, iv);
    }

    /**
     * The traffic secret after a KeyUpdate:
     * {@code application_traffic_secret_N+1 = HKDF-Expand-Label(application_traffic_secret_N, "traffic upd", "",
     * Hash.length)} (RFC 8446 §7.2).
     */
    public static byte[] nextTrafficSecret(final byte[] trafficSecret, final HashAlgorithm hash)
    {
        return hkdfExpandLabel(trafficSecret, TRAFFIC_UPDATE, EMPTY, hash.outputLength(), hash);
    }

    /** {@code finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length)} (RFC 8446 §4.4.4). */
    public static byte[] finishedKey(final byte[] baseKey, final HashAlgorithm hash)
    {
        return hkdfExpandLabel(baseKey, FINISHED, EMPTY, hash.outputLength(), hash);
    }

    /**
     * Finished verify_data = {@code HMAC(finished_key, Transcript-Hash(Handshake Context, Certificate*,
     * CertificateVerify*))} (RFC 8446 §4.4.4); also the PSK binder (§4.2.11.2) with the binder key as base key.
     *
     * @param baseKey the handshake traffic secret of the sender (or the binder key).
     */
    public static byte[] finishedVerifyData(
        final byte[] baseKey, final byte[] transcriptHash, final HashAlgorithm hash)
    {
        final byte[] finishedKey = finishedKey(baseKey, hash);
        try
        {
            return hash.newMac(finishedKey).doFinal(transcriptHash);
        }
        finally
        {
            Secrets.zero(finishedKey);
        }
    }

    /**
     * The PSK a NewSessionTicket stands for: {@code HKDF-Expand-Label(resumption_master_secret, "resumption",
     * ticket_nonce, Hash.length)} (RFC 8446 §4.6.1).
     */
    public static byte[] resumptionPsk(
        final byte[] resumptionMasterSecret, final byte[] ticketNonce, final HashAlgorithm hash)
    {
        return hkdfExpandLabel(resumptionMasterSecret, RESUMPTION, ticketNonce, hash.outputLength(), hash);
    }

    private static byte[] extractAfterDerived(final byte[] secret, final byte[] ikm, final HashAlgorithm hash)
    {
        final byte[] salt = deriveSecret(secret, DERIVED, hash.emptyHash(), hash);
        try
        {
            return hkdfExtract(salt, ikm, hash);
        }
        finally
        {
            Secrets.zero(salt);
        }
    }
}
