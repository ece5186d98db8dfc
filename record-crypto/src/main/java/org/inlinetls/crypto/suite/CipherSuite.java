package org.inlinetls.crypto.suite;

/**
 * The cipher suites the appliance can protect records with (IANA TLS Cipher Suites registry), and the record
 * layout each implies. Nothing weaker than these is implemented.
 */
public enum CipherSuite
{
    /** RFC 8446 §B.4. */
    TLS_AES_128_GCM_SHA256(0x1301, TlsVersion.TLS13, AeadAlgorithm.AES_128_GCM, 12, 0, HashName.SHA256),
    TLS_AES_256_GCM_SHA384(0x1302, TlsVersion.TLS13, AeadAlgorithm.AES_256_GCM, 12, 0, HashName.SHA384),
    TLS_CHACHA20_POLY1305_SHA256(0x1303, TlsVersion.TLS13, AeadAlgorithm.CHACHA20_POLY1305, 12, 0, HashName.SHA256),

    /** RFC 5289: 4-byte salt from the key block, 8-byte explicit nonce in each record. */
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256(0xC02B, TlsVersion.TLS12, AeadAlgorithm.AES_128_GCM, 4, 8,
        HashName.SHA256),
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384(0xC02C, TlsVersion.TLS12, AeadAlgorithm.AES_256_GCM, 4, 8,
        HashName.SHA384),
    TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256(0xC02F, TlsVersion.TLS12, AeadAlgorithm.AES_128_GCM, 4, 8,
        HashName.SHA256),
    TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384(0xC030, TlsVersion.TLS12, AeadAlgorithm.AES_256_GCM, 4, 8,
        HashName.SHA384),

    /** RFC 7905: 12-byte IV from the key block XORed with the sequence number, no explicit nonce. */
    TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256(0xCCA8, TlsVersion.TLS12, AeadAlgorithm.CHACHA20_POLY1305, 12, 0,
        HashName.SHA256),
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256(0xCCA9, TlsVersion.TLS12, AeadAlgorithm.CHACHA20_POLY1305, 12, 0,
        HashName.SHA256);

    /** The protocol versions a suite belongs to. */
    public enum TlsVersion
    {
        TLS12,
        TLS13
    }

    /** The PRF / HKDF hash of a suite. */
    public enum HashName
    {
        SHA256,
        SHA384
    }

    /** Record header: type (1), legacy version (2), length (2); RFC 8446 §5.1. */
    public static final int RECORD_HEADER_LENGTH = 5;

    private final int code;
    private final TlsVersion version;
    private final AeadAlgorithm aead;
    private final int fixedIvLength;
    private final int explicitNonceLength;
    private final HashName hash;

    CipherSuite(
        final int code,
        final TlsVersion version,
        final AeadAlgorithm aead,
        final int fixedIvLength,
        final int explicitNonceLength,
        final HashName hash)
    {
        this.code = code;
        this.version = version;
        this.aead = aead;
        this.fixedIvLength = fixedIvLength;
        this.explicitNonceLength = explicitNonceLength;
        this.hash = hash;
    }

    /** The IANA code point. */
    public int code()
    {
        return code;
    }

    public TlsVersion version()
    {
        return version;
    }

    public boolean isTls13()
    {
        return version == TlsVersion.TLS13;
    }

    public AeadAlgorithm aead()
    {
        return aead;
    }

    public int keyLength()
    {
        return aead.keyLength();
    }

    /** IV bytes from the key schedule: 12, or the 4-byte salt of TLS 1.2 GCM. */
    public int fixedIvLength()
    {
        return fixedIvLength;
    }

    /** Explicit nonce bytes carried in each record (8 for TLS 1.2 GCM, else 0). */
    public int explicitNonceLength()
    {
        return explicitNonceLength;
    }

    public HashName hash()
    {
        return hash;
    }

    /**
     * Bytes a record adds to its content: header, explicit nonce, tag and, for TLS 1.3, the inner content type
     * (no padding is ever added by the appliance).
     */
    public int recordOverhead()
    {
        return RECORD_HEADER_LENGTH + explicitNonceLength + 16 + (isTls13() ? 1 : 0);
    }

    /** The suite with this IANA code, or null. */
    public static CipherSuite forCode(final int code)
    {
        for (final CipherSuite suite : values())
        {
            if (suite.code == code)
            {
                return suite;
            }
        }
        return null;
    }
}
