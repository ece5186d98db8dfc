package org.inlinetls.handshake.session;

/**
 * Where the appliance keeps TLS 1.2 sessions resumable by session id: encoded {@link SessionState}s keyed by the
 * session id, each with an expiry. Implementations answer from local memory or a local file (no network round trip
 * on the handshake thread; a shared store keeps a local view), are safe to call from several threads, and treat
 * the values as secrets: never logged, never shown by {@code toString()}.
 */
public interface SessionStore extends AutoCloseable
{
    /** Longest session id TLS allows (RFC 5246 §7.4.1.2). */
    int MAX_SESSION_ID_LENGTH = 32;

    /**
     * Stores (or replaces) a session until {@code expiresAtMs}; may evict others to stay within its bound.
     *
     * @param sessionId 1 to 32 bytes, copied.
     * @param state an encoded {@link SessionState}, copied; the caller zeroes its own array.
     */
    void put(byte[] sessionId, byte[] state, long expiresAtMs);

    /**
     * The encoded state stored for the id, or null when it is unknown or expired at {@code nowMs} (an expired entry
     * is removed). The caller owns and zeroes the returned copy.
     */
    byte[] get(byte[] sessionId, long nowMs);

    /** Forgets a session; true if it was there. */
    boolean remove(byte[] sessionId);

    /** Sessions held, expired ones included until they are swept. */
    int size();

    /** Releases the store (a persisted store keeps its file). */
    @Override
    void close();
}
