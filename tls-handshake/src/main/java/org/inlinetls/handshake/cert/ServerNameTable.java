package org.inlinetls.handshake.cert;

import java.util.Map;

/**
 * Immutable open-addressing map from lower-case names to credentials, looked up by a region of a caller's string
 * with ASCII case folding, so that selection neither lower-cases nor takes substrings: no allocation per lookup.
 */
final class ServerNameTable
{
    private final String[] keys;
    private final ServerCredential[] values;
    private final int mask;

    /**
     * @param entries normalised (lower-case) names and their credentials.
     */
    ServerNameTable(final Map<String, ServerCredential> entries)
    {
        // load factor at most 1/2 keeps probe chains short and guarantees an empty slot to stop on
        int capacity = 2;
        while (capacity < entries.size() * 2)
        {
            capacity <<= 1;
        }
        keys = new String[capacity];
        values = new ServerCredential[capacity];
        mask = capacity - 1;

        for (final Map.Entry<String, ServerCredential> entry : entries.entrySet())
        {
            final String key = entry.getKey();
            int index = hash(key, 0, key.length()) & mask;
            while (keys[index] != null)
            {
                index = (index + 1) & mask;
            }
            keys[index] = key;
            values[index] = entry.getValue();
        }
    }

    /**
     * @param name  the string holding the name.
     * @param start first char of the name in it.
     * @param end   one past its last char.
     * @return the credential stored for the name compared without ASCII case, or null.
     */
    ServerCredential get(final String name, final int start, final int end)
    {
        int index = hash(name, start, end) & mask;
        String key;
        while ((key = keys[index]) != null)
        {
            if (matches(key, name, start, end))
            {
                return values[index];
            }
            index = (index + 1) & mask;
        }
        return null;
    }

    int size()
    {
        int size = 0;
        for (final String key : keys)
        {
            size += key != null ? 1 : 0;
        }
        return size;
    }

    private static boolean matches(final String key, final String name, final int start, final int end)
    {
        final int length = end - start;
        if (key.length() != length)
        {
            return false;
        }
        for (int i = 0; i < length; i++)
        {
            if (key.charAt(i) != ServerNames.lower(name.charAt(start + i)))
            {
                return false;
            }
        }
        return true;
    }

    private static int hash(final String name, final int start, final int end)
    {
        int hash = 0;
        for (int i = start; i < end; i++)
        {
            hash = 31 * hash + ServerNames.lower(name.charAt(i));
        }
        return hash ^ (hash >>> 16);
    }
}
