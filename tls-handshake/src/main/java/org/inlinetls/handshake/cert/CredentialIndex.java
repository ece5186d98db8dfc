package org.inlinetls.handshake.cert;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One immutable generation of the store: the credentials and the precomputed exact and wildcard name tables that
 * {@link #select(String)} reads without locking or allocating.
 */
final class CredentialIndex
{
    private final List<ServerCredential> credentials;
    private final ServerCredential defaultCredential;
    private final ServerNameTable exactNames;
    private final ServerNameTable wildcardSuffixes;
    private final List<String> warnings;
    private final long generation;

    private CredentialIndex(
        final List<ServerCredential> credentials,
        final ServerCredential defaultCredential,
        final ServerNameTable exactNames,
        final ServerNameTable wildcardSuffixes,
        final List<String> warnings,
        final long generation)
    {
        this.credentials = credentials;
        this.defaultCredential = defaultCredential;
        this.exactNames = exactNames;
        this.wildcardSuffixes = wildcardSuffixes;
        this.warnings = warnings;
        this.generation = generation;
    }

    /**
     * @param credentials  loaded credentials, in spec order.
     * @param defaultIndex which one is the default.
     * @param warnings     non-fatal findings of the load.
     * @param generation   1 for the first load, then one more per successful reload.
     * @return the index.
     * @throws CertificateStoreException when two credentials claim the same name.
     */
    static CredentialIndex build(
        final List<ServerCredential> credentials,
        final int defaultIndex,
        final List<String> warnings,
        final long generation) throws CertificateStoreException
    {
        final Map<String, ServerCredential> exact = new HashMap<>();
        final Map<String, ServerCredential> wildcard = new HashMap<>();
        for (final ServerCredential credential : credentials)
        {
            for (final String name : credential.serverNames())
            {
                final boolean isWildcard = name.startsWith(ServerNames.WILDCARD_PREFIX);
                final String key = isWildcard ? name.substring(ServerNames.WILDCARD_PREFIX.length()) : name;
                final ServerCredential previous = (isWildcard ? wildcard : exact).putIfAbsent(key, credential);
                if (previous != null && previous != credential)
                {
                    throw new CertificateStoreException("server name " + name + " is claimed by both " +
                        previous.name() + " and " + credential.name() + "; give each name to one credential");
                }
            }
        }

        return new CredentialIndex(
            List.copyOf(credentials),
            credentials.get(defaultIndex),
            new ServerNameTable(exact),
            new ServerNameTable(wildcard),
            List.copyOf(warnings),
            generation);
    }

    /**
     * Exact name first, then a wildcard for everything after the first label, else the default.
     *
     * @param serverName the SNI host name (any ASCII case, a trailing dot tolerated) or null.
     * @return the credential; never null.
     */
    ServerCredential select(final String serverName)
    {
        if (serverName == null)
        {
            return defaultCredential;
        }
        int end = serverName.length();
        if (end > 0 && serverName.charAt(end - 1) == '.')
        {
            end--;
        }
        if (end == 0)
        {
            return defaultCredential;
        }

        final ServerCredential exact = exactNames.get(serverName, 0, end);
        if (exact != null)
        {
            return exact;
        }

        // RFC 6125 §6.4.3: '*' stands for exactly one whole, non-empty leftmost label
        final int dot = serverName.indexOf('.');
        if (dot > 0 && dot < end - 1)
        {
            final ServerCredential wildcard = wildcardSuffixes.get(serverName, dot + 1, end);
            if (wildcard != null)
            {
                return wildcard;
            }
        }

        return defaultCredential;
    }

    List<ServerCredential> credentials()
    {
        return credentials;
    }

    ServerCredential defaultCredential()
    {
        return defaultCredential;
    }

    List<String> warnings()
    {
        return warnings;
    }

    long generation()
    {
        return generation;
    }
}
