package org.inlinetls.crypto.keys;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The hash functions the supported suites use for the TLS 1.2 PRF and the TLS 1.3 HKDF, with their JCE names.
 */
public enum HashAlgorithm
{
    /** SHA-256: TLS 1.3 AES_128_GCM and CHACHA20_POLY1305, TLS 1.2 suites without {@code _SHA384}. */
    SHA256("SHA-256", "HmacSHA256", 32),

    /** SHA-384: TLS 1.3 AES_256_GCM, TLS 1.2 {@code _SHA384} suites. */
    SHA384("SHA-384", "HmacSHA384", 48);

    private final String digestName;
    private final String hmacName;
    private final int outputLength;
    private final byte[] emptyHash;

    HashAlgorithm(final String digestName, final String hmacName, final int outputLength)
    {
        this.digestName = digestName;
        this.hmacName = hmacName;
        this.outputLength = outputLength;
        this.emptyHash = newDigest().digest();
    }

    /** The JCE {@link MessageDigest} name, e.g. {@code SHA-256}. */
    public String digestName()
    {
        return digestName;
    }

    /** The JCE {@link Mac} name, e.g. {@code HmacSHA256}. */
    public String hmacName()
    {
        return hmacName;
    }

    /** Hash output length in bytes (HashLen in RFC 5869, Hash.length in RFC 8446). */
    public int outputLength()
    {
        return outputLength;
    }

    /** A fresh copy of the hash of the empty string (RFC 8446 §7.1 {@code Transcript-Hash("")}). */
    public byte[] emptyHash()
    {
        return emptyHash.clone();
    }

    /** A new digest instance. */
    public MessageDigest newDigest()
    {
        try
        {
            return MessageDigest.getInstance(digestName);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("JCE lacks " + digestName, ex);
        }
    }

    /** The hash of the concatenation of {@code parts}. */
    public byte[] hash(final byte[]... parts)
    {
        final MessageDigest digest = newDigest();
        for (final byte[] part : parts)
        {
            digest.update(part);
        }
        return digest.digest();
    }

    /**
     * A new HMAC keyed with {@code key}; an empty key is accepted (HMAC pads the key with zeros to the block size,
     * so the empty key and a one-byte zero key are the same key, and the JCE rejects empty keys).
     */
    public Mac newMac(final byte[] key)
    {
        try
        {
            final Mac mac = Mac.getInstance(hmacName);
            final byte[] keyBytes = key.length == 0 ? new byte[1] : key;
            mac.init(new SecretKeySpec(keyBytes, hmacName));
            return mac;
        }
        catch (final GeneralSecurityException ex)
        {
            // never pass the key or the provider's message about it on
            throw new IllegalStateException("JCE cannot initialise " + hmacName);
        }
    }

    /** The algorithm for a TLS 1.2 PRF or TLS 1.3 hash name such as {@code "SHA256"} or {@code "SHA-384"}. */
    public static HashAlgorithm forName(final String name)
    {
        final String normalised = name.replace("-", "").toUpperCase(java.util.Locale.ROOT);
        for (final HashAlgorithm algorithm : values())
        {
            if (algorithm.name().equals(normalised))
            {
                return algorithm;
            }
        }
        throw new IllegalArgumentException("unsupported hash: " + name + " (supported: " +
            Arrays.toString(values()) + ")");
    }
}
