package org.inlinetls.crypto.keys;

/**
 * A TLS 1.2 key block split into its parts in the order of RFC 5246 §6.3: client MAC key, server MAC key, client
 * write key, server write key, client write IV, server write IV.
 * <p>
 * AEAD suites have no MAC keys and a fixed IV (the implicit nonce part, RFC 5288 §3 and RFC 7905 §2): 4 bytes of
 * salt for AES-GCM, 12 bytes for ChaCha20-Poly1305. TLS 1.2 CBC suites have MAC keys and no IVs (the IV is explicit
 * in each record; RFC 5246 §6.3 generates write IVs only for implicit-nonce ciphers), so their IVs are empty.
 * <p>
 * The components are the arrays this record holds, not copies; {@link #destroy()} wipes them. {@link #toString()}
 * shows lengths only.
 *
 * @param clientMacKey client_write_MAC_key (empty for AEAD suites).
 * @param serverMacKey server_write_MAC_key (empty for AEAD suites).
 * @param clientKey    client_write_key.
 * @param serverKey    server_write_key.
 * @param clientIv     client_write_IV (empty for CBC suites).
 * @param serverIv     server_write_IV (empty for CBC suites).
 */
public record Tls12KeyBlock(
    byte[] clientMacKey, byte[] serverMacKey, byte[] clientKey, byte[] serverKey, byte[] clientIv, byte[] serverIv)
{
    /** Fixed IV (salt) length of the AES-GCM suites (RFC 5288 §3). */
    public static final int GCM_FIXED_IV_LENGTH = 4;

    /** Fixed IV length of the ChaCha20-Poly1305 suites (RFC 7905 §2). */
    public static final int CHACHA20_FIXED_IV_LENGTH = 12;

    /** TLS 1.2 CBC suites take no IV from the key block. */
    public static final int CBC_FIXED_IV_LENGTH = 0;

    public Tls12KeyBlock
    {
        if (clientMacKey == null || serverMacKey == null || clientKey == null || serverKey == null ||
            clientIv == null || serverIv == null)
        {
            throw new NullPointerException("key block parts must not be null");
        }
    }

    /** Bytes of key block needed for the given part lengths. */
    public static int length(final int macKeyLength, final int keyLength, final int fixedIvLength)
    {
        if (macKeyLength < 0 || keyLength < 1 || fixedIvLength < 0)
        {
            throw new IllegalArgumentException(
                "bad part lengths: mac=" + macKeyLength + " key=" + keyLength + " iv=" + fixedIvLength);
        }
        return 2 * (macKeyLength + keyLength + fixedIvLength);
    }

    /**
     * Splits a key block; bytes beyond {@link #length(int, int, int)} are ignored. The key block is not modified.
     */
    public static Tls12KeyBlock split(
        final byte[] keyBlock, final int macKeyLength, final int keyLength, final int fixedIvLength)
    {
        final int needed = length(macKeyLength, keyLength, fixedIvLength);
        if (keyBlock.length < needed)
        {
            throw new IllegalArgumentException("key block too short: " + keyBlock.length + " < " + needed);
        }

        int offset = 0;
        final byte[] clientMacKey = Secrets.slice(keyBlock, offset, macKeyLength);
        offset += macKeyLength;
        final byte[] serverMacKey = Secrets.slice(keyBlock, offset, macKeyLength);
        offset += macKeyLength;
        final byte[] clientKey = Secrets.slice(keyBlock, offset, keyLength);
        offset += keyLength;
        final byte[] serverKey = Secrets.slice(keyBlock, offset, keyLength);
        offset += keyLength;
        final byte[] clientIv = Secrets.slice(keyBlock, offset, fixedIvLength);
        offset += fixedIvLength;
        final byte[] serverIv = Secrets.slice(keyBlock, offset, fixedIvLength);

        return new Tls12KeyBlock(clientMacKey, serverMacKey, clientKey, serverKey, clientIv, serverIv);
    }

    /** Derives the key block from the master secret and splits it; the unsplit block is wiped. */
    public static Tls12KeyBlock derive(
        final byte[] masterSecret,
        final byte[] serverRandom,
        final byte[] clientRandom,
        final HashAlgorithm hash,
        final int macKeyLength,
        final int keyLength,
        final int fixedIvLength)
    {
        final byte[] keyBlock = Tls12Prf.keyBlock(
            masterSecret, serverRandom, clientRandom, hash, length(macKeyLength, keyLength, fixedIvLength));
        try
        {
            return split(keyBlock, macKeyLength, keyLength, fixedIvLength);
        }
        finally
        {
            Secrets.zero(keyBlock);
        }
    }

    /**
     * The keys of an AEAD suite.
     *
     * @param keyLength     16 or 32 for AES-GCM, 32 for ChaCha20-Poly1305.
     * @param fixedIvLength {@link #GCM_FIXED_IV_LENGTH} or {@link #CHACHA20_FIXED_IV_LENGTH}.
     */
    public static Tls12KeyBlock aead(
        final byte[] masterSecret,
        final byte[] serverRandom,
        final byte[] clientRandom,
        final HashAlgorithm hash,
        final int keyLength,
        final int fixedIvLength)
    {
        return derive(masterSecret, serverRandom, clientRandom, hash, 0, keyLength, fixedIvLength);
    }

    /**
     * The keys of a CBC suite with HMAC.
     *
     * @param macKeyLength 20 (HMAC-SHA1), 32 (HMAC-SHA256) or 48 (HMAC-SHA384).
     * @param keyLength    16 or 32 for AES.
     */
    public static Tls12KeyBlock cbc(
        final byte[] masterSecret,
        final byte[] serverRandom,
        final byte[] clientRandom,
        final HashAlgorithm hash,
        final int macKeyLength,
        final int keyLength)
    {
        return derive(masterSecret, serverRandom, clientRandom, hash, macKeyLength, keyLength, CBC_FIXED_IV_LENGTH);
    }

    /** Wipes every part; the record is useless afterwards. */
    public void destroy()
    {
        Secrets.zero(clientMacKey, serverMacKey, clientKey, serverKey, clientIv, serverIv);
    }

    public String toString()
    {
        return "Tls12KeyBlock{macKey=" + Secrets.describe(clientMacKey) +
            ", key=" + Secrets.describe(clientKey) +
            ", iv=" + Secrets.describe(clientIv) + " (client and server each)}";
    }
}
