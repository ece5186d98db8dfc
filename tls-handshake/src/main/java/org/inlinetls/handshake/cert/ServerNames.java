package org.inlinetls.handshake.cert;

import java.util.List;

/**
 * DNS name rules of the store: normalisation of configured and certificate names, and RFC 6125 matching with a
 * whole-label leftmost wildcard ({@code *.example.com} matches exactly one label in front of {@code example.com}).
 */
final class ServerNames
{
    static final String WILDCARD_PREFIX = "*.";
    static final int MAX_NAME_LENGTH = 253;

    private ServerNames()
    {
    }

    /**
     * @param name a host name as configured or found in a certificate.
     * @return it in lower case without a trailing dot, or null when it is not a name the store can match: only
     * ASCII letters, digits, '-' and '_' in non-empty labels, optionally behind a leading {@code *.}; partial
     * wildcards ({@code w*.example.com}) and a bare {@code *} are refused.
     */
    static String normalise(final String name)
    {
        if (name == null)
        {
            return null;
        }
        String result = name.trim();
        if (result.endsWith("."))
        {
            result = result.substring(0, result.length() - 1);
        }
        final int start = result.startsWith(WILDCARD_PREFIX) ? WILDCARD_PREFIX.length() : 0;
        if (result.length() == start || result.length() > MAX_NAME_LENGTH)
        {
            return null;
        }

        final StringBuilder builder = new StringBuilder(result.length()).append(result, 0, start);
        char previous = '.';
        for (int i = start; i < result.length(); i++)
        {
            final char c = lower(result.charAt(i));
            final boolean valid = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                (c == '.' && previous != '.');
            if (!valid)
            {
                return null;
            }
            builder.append(c);
            previous = c;
        }

        return previous == '.' ? null : builder.toString();
    }

    /**
     * @param name             a normalised name (possibly a wildcard).
     * @param certificateNames normalised names from a certificate.
     * @return whether a client asking for {@code name} would accept a certificate with those names.
     */
    static boolean coveredBy(final String name, final List<String> certificateNames)
    {
        for (final String certificateName : certificateNames)
        {
            if (certificateName.equals(name))
            {
                return true;
            }
            if (certificateName.startsWith(WILDCARD_PREFIX) && !name.startsWith(WILDCARD_PREFIX))
            {
                final int dot = name.indexOf('.');
                if (dot > 0 && name.regionMatches(dot + 1, certificateName, WILDCARD_PREFIX.length(),
                    certificateName.length() - WILDCARD_PREFIX.length()) &&
                    name.length() - dot - 1 == certificateName.length() - WILDCARD_PREFIX.length())
                {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * ASCII-only lower casing: SNI host names are A-labels (RFC 6066 §3), and Unicode folding would let the Kelvin
     * sign match 'k'.
     */
    static char lower(final char c)
    {
        return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
    }
}
