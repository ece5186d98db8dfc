package org.inlinetls.handshake.session;

import org.inlinetls.crypto.keys.Secrets;

import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link SessionStore} on the Java heap, bounded: for tests and for appliances that keep no session across a
 * restart. When full it drops expired sessions, then those closest to expiry among a sample.
 */
public final class HeapSessionStore implements SessionStore
{
    private static final int EVICTION_SAMPLE = 32;

    private record Entry(byte[] state, long expiresAtMs)
    {
    }

    private final Map<ByteBuffer, Entry> sessions = new ConcurrentHashMap<>();
    private final int maxEntries;

    public HeapSessionStore(final int maxEntries)
    {
        if (maxEntries < 1)
        {
            throw new IllegalArgumentException("maxEntries " + maxEntries);
        }
        this.maxEntries = maxEntries;
    }

    @Override
    public void put(final byte[] sessionId, final byte[] state, final long expiresAtMs)
    {
        checkId(sessionId);
        final ByteBuffer key = ByteBuffer.wrap(sessionId.clone());
        if (!sessions.containsKey(key) && sessions.size() >= maxEntries)
        {
            evict();
        }
        final Entry old = sessions.put(key, new Entry(state.clone(), expiresAtMs));
        if (null != old)
        {
            Secrets.zero(old.state());
        }
    }

    @Override
    public byte[] get(final byte[] sessionId, final long nowMs)
    {
        final ByteBuffer key = ByteBuffer.wrap(sessionId);
        final Entry entry = sessions.get(key);
        if (null == entry)
        {
            return null;
        }
        if (entry.expiresAtMs() - nowMs <= 0)
        {
            if (sessions.remove(key, entry))
            {
                Secrets.zero(entry.state());
            }
            return null;
        }
        return entry.state().clone();
    }

    @Override
    public boolean remove(final byte[] sessionId)
    {
        final Entry entry = sessions.remove(ByteBuffer.wrap(sessionId));
        if (null != entry)
        {
            Secrets.zero(entry.state());
        }
        return null != entry;
    }

    @Override
    public int size()
    {
        return sessions.size();
    }

    @Override
    public void close()
    {
        sessions.values().forEach((entry) -> Secrets.zero(entry.state()));
        sessions.clear();
    }

    @Override
    public String toString()
    {
        return "HeapSessionStore{entries=" + sessions.size() + "/" + maxEntries + "}";
    }

    /** Drops the sampled session closest to expiry (an expired one first, since it expired earliest). */
    private void evict()
    {
        ByteBuffer victim = null;
        long earliest = Long.MAX_VALUE;
        int sampled = 0;
        for (final Iterator<Map.Entry<ByteBuffer, Entry>> it = sessions.entrySet().iterator();
            it.hasNext() && sampled < EVICTION_SAMPLE; sampled++)
        {
            final Map.Entry<ByteBuffer, Entry> e = it.next();
            if (e.getValue().expiresAtMs() < earliest)
            {
                earliest = e.getValue().expiresAtMs();
                victim = e.getKey();
            }
        }
        if (null != victim)
        {
            remove(victim.array());
        }
    }

    static void checkId(final byte[] sessionId)
    {
        if (sessionId.length == 0 || sessionId.length > MAX_SESSION_ID_LENGTH)
        {
            throw new IllegalArgumentException("session id length " + sessionId.length);
        }
    }
}
