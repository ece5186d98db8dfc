package org.inlinetls.handshake.session;

import org.bouncycastle.tls.NewSessionTicket;
import org.inlinetls.crypto.keys.Secrets;

import java.security.SecureRandom;
import java.util.Objects;
import java.util.function.LongSupplier;

import static java.lang.System.Logger.Level.DEBUG;

/**
 * The appliance's TLS 1.2 resumption policy, shared by every handshake: which mechanisms are on (session ids backed
 * by a {@link SessionStore}, RFC 5077 tickets sealed by {@link TicketKeys}), how long a session lives, and the
 * checks a remembered session must pass before it is resumed. Anything that fails gives a full handshake, never an
 * alert. Thread-safe when its store is.
 */
public final class SessionResumption
{
    /** Resumption switched off. */
    public static final SessionResumption DISABLED = new SessionResumption(null, null, 1, System::currentTimeMillis);

    /** TLS 1.2 on the wire (RFC 5246). */
    static final int TLS12 = 0x0303;
    private static final int SESSION_ID_LENGTH = 32;
    private static final System.Logger LOG = System.getLogger(SessionResumption.class.getName());

    private final SessionStore store;
    private final TicketKeys ticketKeys;
    private final long lifetimeMs;
    private final LongSupplier clockMs;

    /**
     * @param store where session ids resume from, or null for no session ids.
     * @param ticketKeys what seals tickets, or null for no tickets.
     * @param lifetimeMs how long a session may be resumed after its full handshake (also the ticket lifetime hint).
     * @param clockMs epoch milliseconds.
     */
    public SessionResumption(
        final SessionStore store, final TicketKeys ticketKeys, final long lifetimeMs, final LongSupplier clockMs)
    {
        if (lifetimeMs <= 0)
        {
            throw new IllegalArgumentException("session lifetimeMs " + lifetimeMs);
        }
        this.store = store;
        this.ticketKeys = ticketKeys;
        this.lifetimeMs = lifetimeMs;
        this.clockMs = Objects.requireNonNull(clockMs, "clockMs");
    }

    public boolean sessionIdsEnabled()
    {
        return null != store;
    }

    public boolean ticketsEnabled()
    {
        return null != ticketKeys;
    }

    public long lifetimeMs()
    {
        return lifetimeMs;
    }

    public long nowMs()
    {
        return clockMs.getAsLong();
    }

    /** A fresh random session id (RFC 5246 §7.4.1.3 leaves its form to the server). */
    public byte[] newSessionId(final SecureRandom random)
    {
        final byte[] id = new byte[SESSION_ID_LENGTH];
        random.nextBytes(id);
        return id;
    }

    /** Remembers a completed full handshake's session under its id, until its lifetime ends. */
    public void store(final byte[] sessionId, final SessionState state)
    {
        if (null == store || null == sessionId || sessionId.length == 0)
        {
            return;
        }
        final byte[] encoded = state.encode();
        try
        {
            store.put(sessionId, encoded, state.createdMs() + lifetimeMs);
        }
        catch (final RuntimeException ex)
        {
            LOG.log(DEBUG, () -> "session not stored: " + ex);
        }
        finally
        {
            Secrets.zero(encoded);
        }
    }

    /** The stored session for an id the client offered, or null (unknown, expired, unreadable). */
    public SessionState findBySessionId(final byte[] sessionId)
    {
        if (null == store || null == sessionId || sessionId.length == 0)
        {
            return null;
        }
        byte[] encoded = null;
        try
        {
            encoded = store.get(sessionId, clockMs.getAsLong());
            return null == encoded ? null : live(SessionState.decode(encoded));
        }
        catch (final RuntimeException ex)
        {
            LOG.log(DEBUG, () -> "stored session unusable: " + ex.getMessage());
            store.remove(sessionId);
            return null;
        }
        finally
        {
            Secrets.zero(encoded);
        }
    }

    /** Seals a session into a ticket (RFC 5077 §3.3); an empty ticket when tickets are off or sealing fails. */
    public NewSessionTicket newTicket(final SessionState state)
    {
        if (null == ticketKeys)
        {
            return new NewSessionTicket(0L, new byte[0]);
        }
        final byte[] encoded = state.encode();
        try
        {
            return new NewSessionTicket(lifetimeMs / 1000, ticketKeys.seal(encoded));
        }
        catch (final RuntimeException ex)
        {
            LOG.log(DEBUG, () -> "ticket not issued: " + ex);
            return new NewSessionTicket(0L, new byte[0]);
        }
        finally
        {
            Secrets.zero(encoded);
        }
    }

    /** The session a ticket carries, or null when its key is unknown or expired, it was altered or it is too old. */
    public SessionState findByTicket(final byte[] ticket)
    {
        if (null == ticketKeys || null == ticket || ticket.length == 0)
        {
            return null;
        }
        final byte[] encoded = ticketKeys.open(ticket);
        if (null == encoded)
        {
            LOG.log(DEBUG, "ticket refused: unknown or expired key, or altered");
            return null;
        }
        try
        {
            return live(SessionState.decode(encoded));
        }
        catch (final IllegalArgumentException ex)
        {
            LOG.log(DEBUG, () -> "ticket refused: " + ex.getMessage());
            return null;
        }
        finally
        {
            Secrets.zero(encoded);
        }
    }

    /**
     * Whether a remembered session may be resumed by this ClientHello; false means a full handshake. BC would
     * otherwise answer some mismatches with a fatal alert (a suite no longer offered, extended master secret).
     *
     * @param enabledSuites the suites the appliance offers now.
     * @param offeredSuites the client's suites.
     * @param clientOffersEms whether the ClientHello carries extended_master_secret (RFC 7627).
     * @param serverName the SNI host name of this ClientHello (lower case), or null.
     */
    public static boolean canResume(
        final SessionState state,
        final int[] enabledSuites,
        final int[] offeredSuites,
        final boolean clientOffersEms,
        final String serverName)
    {
        if (state.protocolVersion() != TLS12 || state.hasPeerCertificate())
        {
            return false;
        }
        // RFC 7627 §5.3: never resume a session without extended master secret; nor one the client no longer backs
        if (!state.extendedMasterSecret() || !clientOffersEms)
        {
            return false;
        }
        if (!contains(enabledSuites, state.cipherSuite()) || null == offeredSuites ||
            !contains(offeredSuites, state.cipherSuite()))
        {
            return false;
        }
        // RFC 6066 §3: a session resumes only for the name it was established for (ALPN is negotiated afresh)
        return Objects.equals(state.serverName(), serverName);
    }

    @Override
    public String toString()
    {
        return "SessionResumption{sessionIds=" + (null == store ? "off" : store) + ", tickets=" +
            (null == ticketKeys ? "off" : ticketKeys) + ", lifetimeMs=" + lifetimeMs + "}";
    }

    private SessionState live(final SessionState state)
    {
        final long ageMs = clockMs.getAsLong() - state.createdMs();
        if (ageMs >= lifetimeMs)
        {
            state.destroy();
            return null;
        }
        return state;
    }

    private static boolean contains(final int[] values, final int value)
    {
        for (final int v : values)
        {
            if (v == value)
            {
                return true;
            }
        }
        return false;
    }
}
