package org.inlinetls.handshake.keylog;

import org.inlinetls.crypto.keys.Secrets;

import java.nio.ByteBuffer;

/**
 * The secrets of one completed handshake, as the key log export writes them: the client random and one secret per
 * {@link KeyLogLabel}. It owns its arrays (copies made for it) and {@link #destroy()} zeroes them; never logged.
 */
public final class KeyLogEntry
{
    /** The client random of a ClientHello (RFC 8446 §4.1.2). */
    public static final int CLIENT_RANDOM_LENGTH = 32;
    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private final byte[] clientRandom;
    private final KeyLogLabel[] labels;
    private final byte[][] secrets;

    private KeyLogEntry(final byte[] clientRandom, final KeyLogLabel[] labels, final byte[][] secrets)
    {
        if (null == clientRandom || clientRandom.length != CLIENT_RANDOM_LENGTH)
        {
            Secrets.zero(secrets);
            throw new IllegalArgumentException("client random must be " + CLIENT_RANDOM_LENGTH + " bytes");
        }
        for (final byte[] secret : secrets)
        {
            if (null == secret || secret.length == 0)
            {
                Secrets.zero(secrets);
                throw new IllegalArgumentException("missing secret");
            }
        }
        this.clientRandom = clientRandom;
        this.labels = labels;
        this.secrets = secrets;
    }

    /** A TLS 1.2 connection's entry; takes ownership of both arrays. */
    public static KeyLogEntry tls12(final byte[] clientRandom, final byte[] masterSecret)
    {
        return new KeyLogEntry(clientRandom, new KeyLogLabel[]{KeyLogLabel.CLIENT_RANDOM}, new byte[][]{masterSecret});
    }

    /** A TLS 1.3 connection's entry; takes ownership of every array. */
    public static KeyLogEntry tls13(
        final byte[] clientRandom,
        final byte[] clientHandshakeTrafficSecret,
        final byte[] serverHandshakeTrafficSecret,
        final byte[] clientTrafficSecret0,
        final byte[] serverTrafficSecret0)
    {
        return new KeyLogEntry(clientRandom, new KeyLogLabel[]{
            KeyLogLabel.CLIENT_HANDSHAKE_TRAFFIC_SECRET, KeyLogLabel.SERVER_HANDSHAKE_TRAFFIC_SECRET,
            KeyLogLabel.CLIENT_TRAFFIC_SECRET_0, KeyLogLabel.SERVER_TRAFFIC_SECRET_0},
            new byte[][]{clientHandshakeTrafficSecret, serverHandshakeTrafficSecret, clientTrafficSecret0,
                serverTrafficSecret0});
    }

    /** Lines in this entry. */
    public int lineCount()
    {
        return labels.length;
    }

    /** Bytes of all its lines, newlines included. */
    public int lengthBytes()
    {
        int length = 0;
        for (int i = 0; i < labels.length; i++)
        {
            length += lineLength(i);
        }
        return length;
    }

    private int lineLength(final int i)
    {
        return labels[i].name().length() + 1 + 2 * CLIENT_RANDOM_LENGTH + 1 + 2 * secrets[i].length + 1;
    }

    /**
     * Writes every line of the entry ({@code LABEL client_random secret\n}, lower-case hex) at the buffer's
     * position; the caller zeroes the buffer once it has written it out.
     *
     * @throws java.nio.BufferOverflowException when it does not fit.
     */
    public void writeLines(final ByteBuffer into)
    {
        for (int i = 0; i < labels.length; i++)
        {
            final String label = labels[i].name();
            for (int c = 0; c < label.length(); c++)
            {
                into.put((byte)label.charAt(c));
            }
            into.put((byte)' ');
            putHex(into, clientRandom);
            into.put((byte)' ');
            putHex(into, secrets[i]);
            into.put((byte)'\n');
        }
    }

    private static void putHex(final ByteBuffer into, final byte[] bytes)
    {
        for (final byte b : bytes)
        {
            into.put(HEX[(b >> 4) & 0xF]).put(HEX[b & 0xF]);
        }
    }

    /** Zeroes the secrets (the client random is public, but goes too). */
    public void destroy()
    {
        Secrets.zero(secrets);
        Secrets.zero(clientRandom);
    }

    @Override
    public String toString()
    {
        return "KeyLogEntry{" + labels.length + " secrets " + Secrets.REDACTED + "}";
    }
}
