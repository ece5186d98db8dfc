package org.inlinetls.crypto.cbc;

/**
 * The legacy TLS 1.2 AES-CBC cipher suites the appliance can serve when an operator enables them (RFC 4492 §6,
 * RFC 5289 §3.1; DESIGN §6: off by default).
 */
public enum CbcSuite
{
    TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA(0xC009, 16, CbcMacAlgorithm.HMAC_SHA1),
    TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA(0xC00A, 32, CbcMacAlgorithm.HMAC_SHA1),
    TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA(0xC013, 16, CbcMacAlgorithm.HMAC_SHA1),
    TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA(0xC014, 32, CbcMacAlgorithm.HMAC_SHA1),
    TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256(0xC023, 16, CbcMacAlgorithm.HMAC_SHA256),
    TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256(0xC027, 16, CbcMacAlgorithm.HMAC_SHA256);

    private final int code;
    private final int encKeyLength;
    private final CbcMacAlgorithm mac;

    CbcSuite(final int code, final int encKeyLength, final CbcMacAlgorithm mac)
    {
        this.code = code;
        this.encKeyLength = encKeyLength;
        this.mac = mac;
    }

    /** The IANA code point. */
    public int code()
    {
        return code;
    }

    public int encKeyLength()
    {
        return encKeyLength;
    }

    public int macKeyLength()
    {
        return mac.macLength();
    }

    public CbcMacAlgorithm mac()
    {
        return mac;
    }

    /**
     * Bytes of the key block (RFC 5246 §6.3): client and server MAC keys, then encryption keys; the two IVs that
     * follow are unused since TLS 1.1 (explicit IVs) and are not included.
     */
    public int keyBlockLength()
    {
        return 2 * (mac.macLength() + encKeyLength);
    }

    /** The suite with this IANA code point, or null. */
    public static CbcSuite forCode(final int code)
    {
        for (final CbcSuite suite : values())
        {
            if (suite.code == code)
            {
                return suite;
            }
        }
        return null;
    }
}
