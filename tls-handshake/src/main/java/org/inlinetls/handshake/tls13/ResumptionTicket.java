package org.inlinetls.handshake.tls13;

import org.inlinetls.crypto.keys.HashAlgorithm;
import org.inlinetls.crypto.keys.Secrets;
import org.inlinetls.crypto.keys.Tls13KeySchedule;
import org.inlinetls.crypto.suite.CipherSuite;
import org.inlinetls.handshake.session.TicketKeys;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

/**
 * The state a TLS 1.3 resumption ticket carries (RFC 8446 §4.6.1), sealed by {@link TicketKeys}, and the
 * NewSessionTicket message that delivers it. The PSK itself (not the resumption master secret) is sealed, so a
 * ticket stands alone.
 * <p>
 * Plaintext layout (big-endian):
 * <pre>
 *  +------------+-----------+--------------+--------------+-------------+-------------+-------------+
 *  | 0x13 (1)   | suite (2) | created (8)  | age_add (4)  | PSK (1+n)   | ALPN (1+n)  | SNI (1+n)   |
 *  +------------+-----------+--------------+--------------+-------------+-------------+-------------+
 * </pre>
 * The first byte keeps TLS 1.2 session states (format 1) and TLS 1.3 tickets apart. {@link #toString()} never shows
 * the PSK and {@link #destroy()} zeroes it.
 */
public final class ResumptionTicket
{
    public static final int FORMAT = 0x13;
    /** RFC 8446 §4.6.1: lifetimes above seven days are not allowed. */
    public static final long MAX_LIFETIME_S = 604_800;
    private static final int NEW_SESSION_TICKET = 4;
    private static final byte[] NONCE = {0};

    private final int suiteCode;
    private final long createdMs;
    private final long ageAdd;
    private final byte[] psk;
    private final String applicationProtocol;
    private final String serverName;

    /** @param psk kept, not copied. */
    public ResumptionTicket(
        final int suiteCode,
        final long createdMs,
        final long ageAdd,
        final byte[] psk,
        final String applicationProtocol,
        final String serverName)
    {
        this.suiteCode = suiteCode;
        this.createdMs = createdMs;
        this.ageAdd = ageAdd & 0xFFFF_FFFFL;
        this.psk = psk;
        this.applicationProtocol = applicationProtocol;
        this.serverName = serverName;
    }

    /**
     * The NewSessionTicket handshake message (header included) for a connection whose resumption master secret is
     * {@code resumptionMasterSecret}, sealed under {@code keys}; the caller protects it with the server's
     * application keys.
     */
    public static byte[] newSessionTicket(
        final CipherSuite suite,
        final byte[] resumptionMasterSecret,
        final String applicationProtocol,
        final String serverName,
        final TicketKeys keys,
        final long lifetimeMs,
        final SecureRandom random)
    {
        final HashAlgorithm hash = HashAlgorithm.forName(suite.hash().name());
        final byte[] psk = Tls13KeySchedule.resumptionPsk(resumptionMasterSecret, NONCE, hash);
        final ResumptionTicket state = new ResumptionTicket(
            suite.code(), keys.nowMs(), random.nextInt(), psk, applicationProtocol, serverName);
        final byte[] plain = state.encode();
        final byte[] ticket;
        try
        {
            ticket = keys.seal(plain);
        }
        finally
        {
            Secrets.zero(plain);
            state.destroy();
        }
        final long lifetimeS = Math.min(MAX_LIFETIME_S, lifetimeMs / 1000);
        final int bodyLength = 4 + 4 + 1 + NONCE.length + 2 + ticket.length + 2;
        final ByteBuffer message = ByteBuffer.allocate(4 + bodyLength);
        message.putInt(NEW_SESSION_TICKET << 24 | bodyLength);
        message.putInt((int)lifetimeS).putInt((int)state.ageAdd);
        message.put((byte)NONCE.length).put(NONCE);
        message.putShort((short)ticket.length).put(ticket);
        message.putShort((short)0);
        return message.array();
    }

    /** Opens a ticket identity, or null when it is not ours, altered, sealed by a retired key or malformed. */
    public static ResumptionTicket open(final TicketKeys keys, final byte[] identity)
    {
        final byte[] plain = keys.open(identity);
        if (null == plain)
        {
            return null;
        }
        try
        {
            return decode(plain);
        }
        catch (final RuntimeException ex)
        {
            return null;
        }
        finally
        {
            Secrets.zero(plain);
        }
    }

    byte[] encode()
    {
        final byte[] alpn = bytes(applicationProtocol, StandardCharsets.UTF_8);
        final byte[] sni = bytes(serverName, StandardCharsets.US_ASCII);
        if (alpn.length > 255 || sni.length > 255)
        {
            throw new IllegalStateException("ticket field too long");
        }
        final ByteBuffer buffer = ByteBuffer.allocate(15 + 1 + psk.length + 1 + alpn.length + 1 + sni.length);
        buffer.put((byte)FORMAT).putShort((short)suiteCode).putLong(createdMs).putInt((int)ageAdd);
        buffer.put((byte)psk.length).put(psk);
        buffer.put((byte)alpn.length).put(alpn);
        buffer.put((byte)sni.length).put(sni);
        return buffer.array();
    }

    static ResumptionTicket decode(final byte[] src)
    {
        final ByteBuffer buffer = ByteBuffer.wrap(src);
        if (buffer.get() != FORMAT)
        {
            throw new IllegalArgumentException("not a TLS 1.3 ticket");
        }
        final int suite = buffer.getShort() & 0xFFFF;
        final long created = buffer.getLong();
        final long ageAdd = buffer.getInt() & 0xFFFF_FFFFL;
        final byte[] psk = new byte[buffer.get() & 0xFF];
        buffer.get(psk);
        final byte[] alpn = new byte[buffer.get() & 0xFF];
        buffer.get(alpn);
        final byte[] sni = new byte[buffer.get() & 0xFF];
        buffer.get(sni);
        if (buffer.hasRemaining() || psk.length == 0)
        {
            Secrets.zero(psk);
            throw new IllegalArgumentException("malformed TLS 1.3 ticket");
        }
        return new ResumptionTicket(suite, created, ageAdd, psk,
            alpn.length == 0 ? null : new String(alpn, StandardCharsets.UTF_8),
            sni.length == 0 ? null : new String(sni, StandardCharsets.US_ASCII));
    }

    public int suiteCode()
    {
        return suiteCode;
    }

    public long createdMs()
    {
        return createdMs;
    }

    /** The client's view of the ticket's age in ms, from its obfuscated_ticket_age (RFC 8446 §4.2.11.1). */
    public long clientAgeMs(final long obfuscatedTicketAge)
    {
        return (obfuscatedTicketAge - ageAdd) & 0xFFFF_FFFFL;
    }

    /** The resumption PSK (the array held; do not keep it past {@link #destroy()}). */
    public byte[] psk()
    {
        return psk;
    }

    public String applicationProtocol()
    {
        return applicationProtocol;
    }

    public String serverName()
    {
        return serverName;
    }

    public void destroy()
    {
        Secrets.zero(psk);
    }

    @Override
    public String toString()
    {
        return "ResumptionTicket{suite=0x" + Integer.toHexString(suiteCode) + ", createdMs=" + createdMs +
            ", alpn=" + applicationProtocol + ", sni=" + serverName + ", psk " + Secrets.REDACTED + "}";
    }

    private static byte[] bytes(final String value, final java.nio.charset.Charset charset)
    {
        return null == value ? new byte[0] : value.getBytes(charset);
    }
}
