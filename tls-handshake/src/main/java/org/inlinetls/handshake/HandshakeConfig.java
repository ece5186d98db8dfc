package org.inlinetls.handshake;

import org.inlinetls.crypto.cbc.CbcSuite;
import org.inlinetls.crypto.suite.CipherSuite;
import org.inlinetls.handshake.cert.CredentialSelector;
import org.inlinetls.handshake.keylog.KeyLogSink;
import org.inlinetls.handshake.session.SessionResumption;
import org.inlinetls.handshake.session.SessionStore;
import org.inlinetls.handshake.session.TicketKeys;
import org.inlinetls.handshake.tls13.PskServerHandshake;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The immutable TLS policy a {@link HandshakeEngine} answers clients with: suites in server preference order,
 * minimum version, key-share groups, ALPN protocols, where the certificates come from and how sessions resume
 * (TLS 1.2 session ids from a {@link SessionStore}; RFC 5077 tickets and TLS 1.3 resumption tickets sealed by
 * {@link TicketKeys}; both off unless given).
 */
public final class HandshakeConfig
{
    /** The AEAD suites offered by default, in server preference order. */
    public static final List<CipherSuite> DEFAULT_SUITES = List.of(
        CipherSuite.TLS_AES_128_GCM_SHA256,
        CipherSuite.TLS_AES_256_GCM_SHA384,
        CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256);

    /** The legacy CBC suites, offered after the AEAD suites only when {@link Builder#allowCbc(boolean)} is set. */
    public static final List<CbcSuite> DEFAULT_CBC_SUITES = List.of(
        CbcSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
        CbcSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
        CbcSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
        CbcSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
        CbcSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
        CbcSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA);

    public static final List<KeyShareGroup> DEFAULT_GROUPS =
        List.of(KeyShareGroup.X25519, KeyShareGroup.SECP256R1, KeyShareGroup.SECP384R1);

    public static final List<String> DEFAULT_ALPN = List.of("http/1.1");

    /** How long a TLS 1.2 session stays resumable by default (nginx's ssl_session_timeout). */
    public static final long DEFAULT_SESSION_LIFETIME_MS = 300_000;

    private final CredentialSelector credentials;
    private final List<CipherSuite> suites;
    private final List<CbcSuite> cbcSuites;
    private final boolean allowCbc;
    private final CipherSuite.TlsVersion minimumVersion;
    private final List<KeyShareGroup> groups;
    private final List<String> alpnProtocols;
    private final SecureRandom random;
    private final int[] suiteCodes;
    private final int[] groupCodes;
    private final SessionResumption resumption;
    private final PskServerHandshake.Policy tls13Resumption;
    private final KeyLogSink keyLog;

    private HandshakeConfig(final Builder builder)
    {
        this.credentials = Objects.requireNonNull(builder.credentials, "credentials");
        this.suites = List.copyOf(builder.suites);
        this.cbcSuites = List.copyOf(builder.cbcSuites);
        this.allowCbc = builder.allowCbc;
        this.minimumVersion = Objects.requireNonNull(builder.minimumVersion, "minimumVersion");
        this.groups = List.copyOf(builder.groups);
        this.alpnProtocols = List.copyOf(builder.alpnProtocols);
        this.random = builder.random != null ? builder.random : new SecureRandom();
        this.keyLog = builder.keyLog;

        final List<Integer> codes = new ArrayList<>();
        for (final CipherSuite suite : suites)
        {
            if (suite.isTls13() || minimumVersion == CipherSuite.TlsVersion.TLS12)
            {
                codes.add(suite.code());
            }
        }
        if (allowCbc && minimumVersion == CipherSuite.TlsVersion.TLS12)
        {
            for (final CbcSuite suite : cbcSuites)
            {
                codes.add(suite.code());
            }
        }
        if (codes.isEmpty())
        {
            throw new IllegalArgumentException("no cipher suite is enabled for " + minimumVersion + " and above");
        }
        if (groups.isEmpty())
        {
            throw new IllegalArgumentException("no key share group is enabled");
        }
        this.suiteCodes = codes.stream().mapToInt(Integer::intValue).toArray();
        this.groupCodes = groups.stream().mapToInt(KeyShareGroup::code).toArray();
        final SessionStore store = builder.sessionIds ? builder.sessionStore : null;
        final TicketKeys keys = builder.tickets ? builder.ticketKeys : null;
        this.resumption = null == store && null == keys ? SessionResumption.DISABLED :
            new SessionResumption(store, keys, builder.sessionLifetimeMs, builder.sessionClockMs);
        this.tls13Resumption = null == keys ? null : new PskServerHandshake.Policy(suiteCodes, groupCodes,
            alpnProtocols, keys, builder.sessionLifetimeMs, builder.sessionClockMs, random);
    }

    public static Builder builder(final CredentialSelector credentials)
    {
        return new Builder().credentials(credentials);
    }

    public CredentialSelector credentials()
    {
        return credentials;
    }

    /** The AEAD suites, in server preference order. */
    public List<CipherSuite> suites()
    {
        return suites;
    }

    public List<CbcSuite> cbcSuites()
    {
        return cbcSuites;
    }

    public boolean allowCbc()
    {
        return allowCbc;
    }

    public CipherSuite.TlsVersion minimumVersion()
    {
        return minimumVersion;
    }

    public List<KeyShareGroup> groups()
    {
        return groups;
    }

    /** The ALPN protocols the backend speaks, in preference order; empty when ALPN is not negotiated. */
    public List<String> alpnProtocols()
    {
        return alpnProtocols;
    }

    public SecureRandom random()
    {
        return random;
    }

    /** How TLS 1.2 sessions resume; {@link SessionResumption#DISABLED} unless a store or ticket keys were given. */
    public SessionResumption resumption()
    {
        return resumption;
    }

    /**
     * How TLS 1.3 tickets are issued and answered by the appliance's own abbreviated handshake (the ticket keys,
     * lifetime and clock of {@link #resumption()}); null when tickets are off.
     */
    PskServerHandshake.Policy tls13Resumption()
    {
        return tls13Resumption;
    }

    /**
     * Where the secrets of each completed handshake go for the opt-in NSS key log export; null when it is off (the
     * default: session secrets otherwise never leave the appliance's memory and tmpfs journal).
     */
    public KeyLogSink keyLog()
    {
        return keyLog;
    }

    /** Every enabled suite's code point in server preference order (CBC last, and only when allowed). */
    int[] suiteCodes()
    {
        return suiteCodes.clone();
    }

    int[] groupCodes()
    {
        return groupCodes.clone();
    }

    @Override
    public String toString()
    {
        return "HandshakeConfig{suites=" + suites + (allowCbc ? ", cbc=" + cbcSuites : ", cbc off") +
            ", minimumVersion=" + minimumVersion + ", groups=" + groups + ", alpn=" + alpnProtocols +
            ", resumption=" + resumption + "}";
    }

    /** Builds a {@link HandshakeConfig}; every setting has the documented default. */
    public static final class Builder
    {
        private CredentialSelector credentials;
        private List<CipherSuite> suites = DEFAULT_SUITES;
        private List<CbcSuite> cbcSuites = DEFAULT_CBC_SUITES;
        private boolean allowCbc;
        private CipherSuite.TlsVersion minimumVersion = CipherSuite.TlsVersion.TLS12;
        private List<KeyShareGroup> groups = DEFAULT_GROUPS;
        private List<String> alpnProtocols = DEFAULT_ALPN;
        private SecureRandom random;
        private SessionStore sessionStore;
        private TicketKeys ticketKeys;
        private boolean sessionIds = true;
        private boolean tickets = true;
        private long sessionLifetimeMs = DEFAULT_SESSION_LIFETIME_MS;
        private LongSupplier sessionClockMs = System::currentTimeMillis;
        private KeyLogSink keyLog;

        /** Exports every completed handshake's secrets to {@code keyLog} (opt-in; null for off, the default). */
        public Builder keyLog(final KeyLogSink keyLog)
        {
            this.keyLog = keyLog;
            return this;
        }

        public Builder credentials(final CredentialSelector credentials)
        {
            this.credentials = credentials;
            return this;
        }

        public Builder suites(final CipherSuite... suites)
        {
            this.suites = Arrays.asList(suites);
            return this;
        }

        public Builder suites(final List<CipherSuite> suites)
        {
            this.suites = suites;
            return this;
        }

        public Builder cbcSuites(final CbcSuite... cbcSuites)
        {
            this.cbcSuites = Arrays.asList(cbcSuites);
            return this;
        }

        public Builder allowCbc(final boolean allowCbc)
        {
            this.allowCbc = allowCbc;
            return this;
        }

        public Builder minimumVersion(final CipherSuite.TlsVersion minimumVersion)
        {
            this.minimumVersion = minimumVersion;
            return this;
        }

        public Builder groups(final KeyShareGroup... groups)
        {
            this.groups = Arrays.asList(groups);
            return this;
        }

        public Builder alpnProtocols(final String... alpnProtocols)
        {
            this.alpnProtocols = Arrays.asList(alpnProtocols);
            return this;
        }

        public Builder random(final SecureRandom random)
        {
            this.random = random;
            return this;
        }

        /** Where TLS 1.2 sessions resumable by session id are kept (shared by every engine); null: none. */
        public Builder sessionStore(final SessionStore sessionStore)
        {
            this.sessionStore = sessionStore;
            return this;
        }

        /** The keys sealing RFC 5077 tickets (shared by every engine); null: no tickets. */
        public Builder ticketKeys(final TicketKeys ticketKeys)
        {
            this.ticketKeys = ticketKeys;
            return this;
        }

        /** Switches session-id resumption off (or back on) without dropping the store; on by default. */
        public Builder sessionIds(final boolean sessionIds)
        {
            this.sessionIds = sessionIds;
            return this;
        }

        /** Switches tickets off (or back on) without dropping the keys; on by default. */
        public Builder tickets(final boolean tickets)
        {
            this.tickets = tickets;
            return this;
        }

        /** How long a session stays resumable after its full handshake; also the ticket lifetime hint. */
        public Builder sessionLifetimeMs(final long sessionLifetimeMs)
        {
            this.sessionLifetimeMs = sessionLifetimeMs;
            return this;
        }

        /** The epoch-millisecond clock sessions expire on (tests advance their own). */
        public Builder sessionClockMs(final LongSupplier sessionClockMs)
        {
            this.sessionClockMs = sessionClockMs;
            return this;
        }

        public HandshakeConfig build()
        {
            return new HandshakeConfig(this);
        }
    }
}
