package org.inlinetls.crypto.cbc;

/**
 * The record MAC algorithms of the TLS 1.2 CBC suites (RFC 5246 §6.2.3.1, RFC 5289), each making its own digest.
 */
public enum CbcMacAlgorithm
{
    HMAC_SHA1(20)
    {
        Sha newDigest()
        {
            return new Sha1();
        }
    },
    HMAC_SHA256(32)
    {
        Sha newDigest()
        {
            return new Sha256();
        }
    };

    private final int macLength;

    CbcMacAlgorithm(final int macLength)
    {
        this.macLength = macLength;
    }

    /** Bytes of the MAC, and of the MAC key. */
    public int macLength()
    {
        return macLength;
    }

    /** A new unkeyed HMAC of this algorithm. */
    public Hmac newHmac()
    {
        return new Hmac(newDigest());
    }

    abstract Sha newDigest();
}
