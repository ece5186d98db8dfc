package org.inlinetls.crypto.keys;

/**
 * The write key and write IV of one direction of a TLS 1.3 connection (RFC 8446 §7.3), derived from a traffic
 * secret by {@link Tls13KeySchedule#trafficKeys}.
 * <p>
 * The components are the arrays this record holds, not copies; {@link #destroy()} wipes them. {@link #toString()}
 * shows lengths only.
 *
 * @param key the AEAD key: 16 bytes for AES-128-GCM, 32 for AES-256-GCM and ChaCha20-Poly1305.
 * @param iv  the 12-byte IV that each record's sequence number is XORed into (RFC 8446 §5.3).
 */
public record TrafficKeys(byte[] key, byte[] iv)
{
    public TrafficKeys
    {
        if (key == null || iv == null)
        {
            throw new NullPointerException("key and iv must not be null");
        }
    }

    /** Wipes key and IV; the record is useless afterwards. */
    public void destroy()
    {
        Secrets.zero(key, iv);
    }

    public String toString()
    {
        return "TrafficKeys{key=" + Secrets.describe(key) + ", iv=" + Secrets.describe(iv) + "}";
    }
}
