package org.inlinetls.handshake.cert;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The appliance's certificate store: loads and checks the configured chains and keys, picks the credential for a
 * handshake from its SNI, and reloads from disk without a restart.
 * <p>
 * Selection ({@link #select(String)}) is one volatile read of an immutable generation plus a lookup in precomputed
 * open-addressing tables: no lock and no allocation. {@link #reload()} builds a whole new generation off to the side
 * and swaps it in only when every spec loaded cleanly, so new handshakes see it at once, a failed reload leaves the
 * previous generation serving, and handshakes already under way keep the {@link ServerCredential} they were given
 * (credentials are immutable and never closed).
 * <p>
 * Default credential: the one spec marked {@link CertificateSpec#isDefault()}; when none is marked, the first spec
 * (logged); more than one marked is an error.
 * <p>
 * Name conflicts: a name (exact or wildcard) given to two credentials is an error, not first-wins: the selector
 * only sees the SNI, so two credentials for one name (e.g. RSA + ECDSA) could not both be served anyway.
 */
public final class CertificateStore implements CredentialSelector
{
    private static final System.Logger LOGGER = System.getLogger(CertificateStore.class.getName());

    private final Clock clock;
    private List<CertificateSpec> specs;
    private volatile CredentialIndex index;

    private CertificateStore(final Clock clock, final List<CertificateSpec> specs, final CredentialIndex index)
    {
        this.clock = clock;
        this.specs = specs;
        this.index = index;
    }

    /**
     * Load a store, checking validity against the system clock.
     *
     * @param specs the credentials to load, at least one.
     * @return the loaded store.
     * @throws CertificateStoreException listing every spec that failed, each problem naming its file.
     */
    public static CertificateStore open(final List<CertificateSpec> specs) throws CertificateStoreException
    {
        return open(specs, Clock.systemUTC());
    }

    /**
     * Load a store.
     *
     * @param specs the credentials to load, at least one.
     * @param clock what "now" is when checking expiry (a fixed clock in tests).
     * @return the loaded store.
     * @throws CertificateStoreException listing every spec that failed, each problem naming its file.
     */
    public static CertificateStore open(final List<CertificateSpec> specs, final Clock clock)
        throws CertificateStoreException
    {
        Objects.requireNonNull(clock, "clock");
        final List<CertificateSpec> copy = List.copyOf(specs);
        final CredentialIndex index = load(copy, clock, 1);
        logLoaded(index);
        return new CertificateStore(clock, copy, index);
    }

    /**
     * {@inheritDoc}
     * <p>
     * Exact name (ASCII case-insensitive), then {@code *.parent} for a name with exactly one more label, else the
     * default. Lock-free and allocation-free.
     */
    @Override
    public ServerCredential select(final String serverName)
    {
        return index.select(serverName);
    }

    /**
     * Re-read every chain and key file of the current specs and swap them in if all load.
     *
     * @throws CertificateStoreException when any spec fails; the previous generation stays active.
     */
    public synchronized void reload() throws CertificateStoreException
    {
        reload(specs);
    }

    /**
     * Load a new set of specs (after a configuration change) and swap them in if all load.
     *
     * @param newSpecs the credentials to serve from now on, at least one.
     * @throws CertificateStoreException when any spec fails; the previous specs and generation stay active.
     */
    public synchronized void reload(final List<CertificateSpec> newSpecs) throws CertificateStoreException
    {
        final CredentialIndex current = index;
        final List<CertificateSpec> copy = List.copyOf(newSpecs);
        final CredentialIndex next;
        try
        {
            next = load(copy, clock, current.generation() + 1);
        }
        catch (final CertificateStoreException ex)
        {
            LOGGER.log(Level.ERROR, "certificate reload failed, generation " + current.generation() +
                " stays active:" + System.lineSeparator() + ex.getMessage());
            throw ex;
        }

        specs = copy;
        index = next;
        logLoaded(next);
    }

    /**
     * @return the credentials of the active generation, in spec order.
     */
    public List<ServerCredential> credentials()
    {
        return index.credentials();
    }

    /**
     * @return the credential served without SNI or for an unknown name.
     */
    public ServerCredential defaultCredential()
    {
        return index.defaultCredential();
    }

    /**
     * @return non-fatal findings of the active generation's load (expiry within 30 days, ignored certificate
     * names, configured names the certificate does not cover, unchecked permissions).
     */
    public List<String> warnings()
    {
        return index.warnings();
    }

    /**
     * @return 1 after {@link #open}, incremented by each successful reload.
     */
    public long generation()
    {
        return index.generation();
    }

    /**
     * @return the specs the active generation was loaded from.
     */
    public synchronized List<CertificateSpec> specs()
    {
        return specs;
    }

    @Override
    public String toString()
    {
        final CredentialIndex current = index;
        return "CertificateStore{generation=" + current.generation() + ", credentials=" + current.credentials() + "}";
    }

    private static CredentialIndex load(final List<CertificateSpec> specs, final Clock clock, final long generation)
        throws CertificateStoreException
    {
        if (specs.isEmpty())
        {
            throw new CertificateStoreException("no certificates configured: at least one chain and key are needed");
        }

        int defaultIndex = -1;
        final List<String> problems = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++)
        {
            if (specs.get(i).isDefault())
            {
                if (defaultIndex >= 0)
                {
                    problems.add("more than one default certificate: " + specs.get(defaultIndex).chainPem() +
                        " and " + specs.get(i).chainPem() + "; mark exactly one");
                }
                else
                {
                    defaultIndex = i;
                }
            }
        }

        final List<String> warnings = new ArrayList<>();
        final CredentialLoader loader = new CredentialLoader(clock, warnings);
        final List<ServerCredential> credentials = new ArrayList<>(specs.size());
        for (final CertificateSpec spec : specs)
        {
            try
            {
                credentials.add(loader.load(spec));
            }
            catch (final CertificateStoreException ex)
            {
                problems.addAll(ex.problems());
            }
        }

        if (!problems.isEmpty())
        {
            throw new CertificateStoreException(problems);
        }

        if (defaultIndex < 0)
        {
            defaultIndex = 0;
            LOGGER.log(Level.INFO, "no certificate marked default; using the first, " + specs.get(0).chainPem());
        }

        return CredentialIndex.build(credentials, defaultIndex, warnings, generation);
    }

    private static void logLoaded(final CredentialIndex index)
    {
        for (final String warning : index.warnings())
        {
            LOGGER.log(Level.WARNING, warning);
        }
        LOGGER.log(Level.INFO, "certificate store generation " + index.generation() + ": " +
            index.credentials().size() + " credential(s), default " + index.defaultCredential().name() +
            ", " + index.credentials());
    }
}
