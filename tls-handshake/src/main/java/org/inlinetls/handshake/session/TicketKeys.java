package org.inlinetls.handshake.session;

import org.inlinetls.crypto.keys.Secrets;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * The keys that seal RFC 5077 session tickets: a current key that seals, rotated every {@code rotationIntervalMs}
 * on an injected clock, and the previous key, still accepted for opening. A ticket whose key is two rotations old
 * (or never was ours) does not open, and the client gets a full handshake.
 * <p>
 * Ticket layout (RFC 5077 §4, with AES-GCM in place of AES-CBC + HMAC):
 * <pre>
 *  +----------------+---------------+---------------------------------+-----------------+
 *  | key name (16)  |  nonce (12)   |  sealed SessionState (variable) |  GCM tag (16)   |
 *  +----------------+---------------+---------------------------------+-----------------+
 * </pre>
 * The key name is random per key and is the GCM additional data. Thread-safe: rotation swaps an immutable pair.
 * The keys never appear in {@link #toString()} and {@link #destroy()} zeroes them.
 */
public final class TicketKeys
{
    public static final int KEY_NAME_LENGTH = 16;
    public static final int NONCE_LENGTH = 12;
    public static final int TAG_LENGTH = 16;
    public static final int OVERHEAD = KEY_NAME_LENGTH + NONCE_LENGTH + TAG_LENGTH;
    private static final String TRANSFORMATION = "AES/GCM/NoPadding";

    /** One key: its name, AES key and when it started sealing. */
    private record Key(byte[] name, byte[] secret, long startMs)
    {
        @Override
        public String toString()
        {
            return "Key{startMs=" + startMs + ", " + Secrets.REDACTED + "}";
        }
    }

    /** The sealing key and the one before it (null after a start or a gap of two intervals). */
    private record KeyPair(Key current, Key previous)
    {
    }

    private final int keyLengthBytes;
    private final long rotationIntervalMs;
    private final LongSupplier clockMs;
    private final SecureRandom random;
    private volatile KeyPair keys;

    /**
     * @param keyLengthBytes 16 (AES-128-GCM) or 32 (AES-256-GCM).
     * @param rotationIntervalMs how long a key seals; it opens for one more interval after that.
     * @param clockMs epoch milliseconds.
     */
    public TicketKeys(
        final int keyLengthBytes, final long rotationIntervalMs, final LongSupplier clockMs, final SecureRandom random)
    {
        if (keyLengthBytes != 16 && keyLengthBytes != 32)
        {
            throw new IllegalArgumentException("ticket key length must be 16 or 32 bytes, not " + keyLengthBytes);
        }
        if (rotationIntervalMs <= 0)
        {
            throw new IllegalArgumentException("rotationIntervalMs " + rotationIntervalMs);
        }
        this.keyLengthBytes = keyLengthBytes;
        this.rotationIntervalMs = rotationIntervalMs;
        this.clockMs = clockMs;
        this.random = random;
        this.keys = new KeyPair(newKey(clockMs.getAsLong()), null);
    }

    public long rotationIntervalMs()
    {
        return rotationIntervalMs;
    }

    /** The clock the keys rotate on (epoch ms). */
    public long nowMs()
    {
        return clockMs.getAsLong();
    }

    /** Seals an encoded {@link SessionState} under the current key (rotating first if it is due). */
    public byte[] seal(final byte[] state)
    {
        final Key key = current(clockMs.getAsLong()).current();
        final byte[] ticket = new byte[OVERHEAD + state.length];
        System.arraycopy(key.name(), 0, ticket, 0, KEY_NAME_LENGTH);
        final byte[] nonce = new byte[NONCE_LENGTH];
        random.nextBytes(nonce);
        System.arraycopy(nonce, 0, ticket, KEY_NAME_LENGTH, NONCE_LENGTH);
        try
        {
            final Cipher cipher = cipher(Cipher.ENCRYPT_MODE, key, nonce);
            cipher.updateAAD(ticket, 0, KEY_NAME_LENGTH);
            cipher.doFinal(state, 0, state.length, ticket, KEY_NAME_LENGTH + NONCE_LENGTH);
            return ticket;
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("sealing a ticket failed", ex);
        }
    }

    /**
     * Opens a ticket sealed by the current or the previous key.
     *
     * @return the encoded state (the caller zeroes it), or null when the key is unknown or expired or the ticket was
     * altered.
     */
    public byte[] open(final byte[] ticket)
    {
        if (null == ticket || ticket.length <= OVERHEAD)
        {
            return null;
        }
        final KeyPair pair = current(clockMs.getAsLong());
        final Key key = matches(pair.current(), ticket) ? pair.current() :
            matches(pair.previous(), ticket) ? pair.previous() : null;
        if (null == key)
        {
            return null;
        }
        try
        {
            final Cipher cipher = cipher(Cipher.DECRYPT_MODE, key,
                Arrays.copyOfRange(ticket, KEY_NAME_LENGTH, KEY_NAME_LENGTH + NONCE_LENGTH));
            cipher.updateAAD(ticket, 0, KEY_NAME_LENGTH);
            final int sealedOffset = KEY_NAME_LENGTH + NONCE_LENGTH;
            return cipher.doFinal(ticket, sealedOffset, ticket.length - sealedOffset);
        }
        catch (final GeneralSecurityException ex)
        {
            return null;
        }
    }

    /** Rotates now if the current key's interval is over; exposed for a conductor that rotates on a timer. */
    public void rotateIfDue()
    {
        current(clockMs.getAsLong());
    }

    /** Zeroes both keys; sealing and opening fail afterwards. */
    public synchronized void destroy()
    {
        final KeyPair pair = keys;
        Secrets.zero(pair.current().secret());
        if (null != pair.previous())
        {
            Secrets.zero(pair.previous().secret());
        }
    }

    @Override
    public String toString()
    {
        return "TicketKeys{AES-" + keyLengthBytes * 8 + "-GCM, rotationIntervalMs=" + rotationIntervalMs +
            ", currentSinceMs=" + keys.current().startMs() + ", keys " + Secrets.REDACTED + "}";
    }

    private KeyPair current(final long nowMs)
    {
        final KeyPair pair = keys;
        if (nowMs - pair.current().startMs() < rotationIntervalMs)
        {
            return pair;
        }
        return rotate(nowMs);
    }

    private synchronized KeyPair rotate(final long nowMs)
    {
        final KeyPair pair = keys;
        final long elapsedMs = nowMs - pair.current().startMs();
        if (elapsedMs < rotationIntervalMs)
        {
            return pair;
        }
        if (null != pair.previous())
        {
            Secrets.zero(pair.previous().secret());
        }
        final KeyPair rotated;
        if (elapsedMs < 2 * rotationIntervalMs)
        {
            // the scheduled step: the old key opens for one more interval
            rotated = new KeyPair(newKey(pair.current().startMs() + rotationIntervalMs), pair.current());
        }
        else
        {
            // two or more rotations missed: nothing sealed before is still acceptable
            Secrets.zero(pair.current().secret());
            rotated = new KeyPair(newKey(nowMs), null);
        }
        keys = rotated;
        return rotated;
    }

    private Key newKey(final long startMs)
    {
        final byte[] name = new byte[KEY_NAME_LENGTH];
        final byte[] secret = new byte[keyLengthBytes];
        random.nextBytes(name);
        random.nextBytes(secret);
        return new Key(name, secret, startMs);
    }

    private static boolean matches(final Key key, final byte[] ticket)
    {
        return null != key && MessageDigest.isEqual(key.name(), Arrays.copyOf(ticket, KEY_NAME_LENGTH));
    }

    private static Cipher cipher(final int mode, final Key key, final byte[] nonce) throws GeneralSecurityException
    {
        final Cipher cipher = Cipher.getInstance(TRANSFORMATION);
        cipher.init(mode, new SecretKeySpec(key.secret(), "AES"), new GCMParameterSpec(TAG_LENGTH * 8, nonce));
        return cipher;
    }
}
