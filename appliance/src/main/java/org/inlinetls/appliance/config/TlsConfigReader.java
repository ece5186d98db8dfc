package org.inlinetls.appliance.config;

import org.inlinetls.crypto.cbc.CbcSuite;
import org.inlinetls.crypto.record.IntegrityMode;
import org.inlinetls.crypto.suite.CipherSuite;
import org.inlinetls.handshake.HandshakeConfig;
import org.inlinetls.handshake.KeyShareGroup;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads the {@code tls:} section: versions, suites, groups, ALPN, integrity and session resumption.
 */
final class TlsConfigReader
{
    static final long DEFAULT_TICKET_ROTATION_SEC = 3_600;
    static final long DEFAULT_SESSION_LIFETIME_SEC = HandshakeConfig.DEFAULT_SESSION_LIFETIME_MS / 1_000;
    static final int DEFAULT_SESSION_CACHE_ENTRIES = 20_480;
    /** RFC 8446 §4.6.1: servers must not keep a ticket usable for more than seven days. */
    static final long MAX_SESSION_LIFETIME_SEC = 7 * 86_400;

    private TlsConfigReader()
    {
    }

    static ApplianceConfig.Tls read(final YamlSection top) throws ConfigException
    {
        if (!top.has("tls"))
        {
            return new ApplianceConfig.Tls(CipherSuite.TlsVersion.TLS12, HandshakeConfig.DEFAULT_SUITES, List.of(),
                false, HandshakeConfig.DEFAULT_GROUPS, HandshakeConfig.DEFAULT_ALPN, IntegrityMode.DEFERRED,
                sessionTickets(null), sessionCache(null), ApplianceConfig.SackMode.TRANSLATE);
        }
        final YamlSection tls = top.section("tls");
        tls.requireKnownKeys(Set.of("minVersion", "suites", "allowCbc", "groups", "alpn", "integrity",
            "sessionTickets", "sessionCache", "sack"));

        final CipherSuite.TlsVersion minVersion = minVersion(tls);
        final boolean allowCbc = tls.bool("allowCbc", false);
        if (allowCbc && minVersion == CipherSuite.TlsVersion.TLS13)
        {
            throw tls.errorAt("allowCbc", "CBC suites are TLS 1.2 only and are never offered with minVersion tls1.3");
        }
        final List<CipherSuite> suites = new ArrayList<>();
        final List<CbcSuite> cbcSuites = new ArrayList<>();
        if (tls.has("suites"))
        {
            suites(tls, minVersion, allowCbc, suites, cbcSuites);
        }
        else
        {
            for (final CipherSuite suite : HandshakeConfig.DEFAULT_SUITES)
            {
                if (suite.isTls13() || minVersion == CipherSuite.TlsVersion.TLS12)
                {
                    suites.add(suite);
                }
            }
            if (allowCbc)
            {
                cbcSuites.addAll(HandshakeConfig.DEFAULT_CBC_SUITES);
            }
        }

        final List<KeyShareGroup> groups = tls.choices("groups", KeyShareGroup.class, HandshakeConfig.DEFAULT_GROUPS);
        if (groups.isEmpty())
        {
            throw tls.errorAt("groups", "must name at least one group");
        }
        requireUnique(tls, "groups", groups.stream().map(YamlSection::wordOf).toList());

        return new ApplianceConfig.Tls(
            minVersion,
            List.copyOf(suites),
            List.copyOf(cbcSuites),
            allowCbc,
            List.copyOf(groups),
            alpn(tls),
            tls.choice("integrity", IntegrityMode.class, IntegrityMode.DEFERRED),
            sessionTickets(tls.has("sessionTickets") ? tls.section("sessionTickets") : null),
            sessionCache(tls.has("sessionCache") ? tls.section("sessionCache") : null),
            tls.choice("sack", ApplianceConfig.SackMode.class, ApplianceConfig.SackMode.TRANSLATE));
    }

    /** The word a version is written as in the file. */
    static String versionWord(final CipherSuite.TlsVersion version)
    {
        return version == CipherSuite.TlsVersion.TLS13 ? "tls1.3" : "tls1.2";
    }

    private static CipherSuite.TlsVersion minVersion(final YamlSection tls) throws ConfigException
    {
        final String text = tls.string("minVersion", "tls1.2");
        for (final CipherSuite.TlsVersion version : CipherSuite.TlsVersion.values())
        {
            if (versionWord(version).equalsIgnoreCase(text))
            {
                return version;
            }
        }
        throw tls.errorAt("minVersion", "must be one of [tls1.2, tls1.3], was '" + text + "'");
    }

    private static void suites(
        final YamlSection tls,
        final CipherSuite.TlsVersion minVersion,
        final boolean allowCbc,
        final List<CipherSuite> suites,
        final List<CbcSuite> cbcSuites) throws ConfigException
    {
        final List<String> names = tls.strings("suites", List.of());
        requireUnique(tls, "suites", names);
        for (int i = 0; i < names.size(); i++)
        {
            final String name = names.get(i);
            final CipherSuite suite = aeadSuite(name);
            final CbcSuite cbcSuite = cbcSuite(name);
            if (suite != null)
            {
                if (!suite.isTls13() && minVersion == CipherSuite.TlsVersion.TLS13)
                {
                    throw tls.errorAtItem("suites", i, name + " is a TLS 1.2 suite, never offered with " +
                        "minVersion tls1.3");
                }
                suites.add(suite);
            }
            else if (cbcSuite != null)
            {
                if (!allowCbc)
                {
                    throw tls.errorAtItem("suites", i, name + " is a legacy CBC suite (off by default, DESIGN §6: " +
                        "scanners flag any CBC offer as LUCKY13-prone); set tls.allowCbc: true to offer it");
                }
                cbcSuites.add(cbcSuite);
            }
            else
            {
                throw tls.errorAtItem("suites", i, "not a supported IANA suite name: '" + name + "'; expected one of " +
                    knownSuiteNames());
            }
        }
        if (suites.isEmpty() && cbcSuites.isEmpty())
        {
            throw tls.errorAt("suites", "must name at least one suite");
        }
        if (allowCbc && cbcSuites.isEmpty())
        {
            throw tls.errorAt("allowCbc", "is true but tls.suites lists no CBC suite; list the CBC suites to offer, " +
                "or drop tls.suites to offer the defaults");
        }
    }

    private static CipherSuite aeadSuite(final String name)
    {
        for (final CipherSuite suite : CipherSuite.values())
        {
            if (suite.name().equals(name))
            {
                return suite;
            }
        }
        return null;
    }

    private static CbcSuite cbcSuite(final String name)
    {
        for (final CbcSuite suite : CbcSuite.values())
        {
            if (suite.name().equals(name))
            {
                return suite;
            }
        }
        return null;
    }

    private static List<String> knownSuiteNames()
    {
        final List<String> names = new ArrayList<>();
        for (final CipherSuite suite : CipherSuite.values())
        {
            names.add(suite.name());
        }
        for (final CbcSuite suite : CbcSuite.values())
        {
            names.add(suite.name() + " (needs allowCbc)");
        }
        return names;
    }

    private static List<String> alpn(final YamlSection tls) throws ConfigException
    {
        final List<String> protocols = tls.strings("alpn", HandshakeConfig.DEFAULT_ALPN);
        requireUnique(tls, "alpn", protocols);
        for (int i = 0; i < protocols.size(); i++)
        {
            final String protocol = protocols.get(i);
            // RFC 7301 §3.1: a protocol name is 1..255 bytes; printable ASCII is all the IANA registry uses
            if (protocol.getBytes(StandardCharsets.UTF_8).length > 255 || !protocol.matches("[\\x21-\\x7e]+"))
            {
                throw tls.errorAtItem("alpn", i, "not an ALPN protocol id (1-255 printable ASCII characters, " +
                    "e.g. http/1.1): '" + protocol + "'");
            }
        }
        return List.copyOf(protocols);
    }

    private static ApplianceConfig.SessionTickets sessionTickets(final YamlSection tickets) throws ConfigException
    {
        if (tickets == null)
        {
            return new ApplianceConfig.SessionTickets(true, DEFAULT_TICKET_ROTATION_SEC, DEFAULT_SESSION_LIFETIME_SEC);
        }
        tickets.requireKnownKeys(Set.of("enabled", "rotationIntervalSec", "lifetimeSec"));
        final boolean enabled = tickets.bool("enabled", true);
        final long rotationIntervalSec = tickets.integer("rotationIntervalSec", DEFAULT_TICKET_ROTATION_SEC, 60,
            MAX_SESSION_LIFETIME_SEC);
        final long lifetimeSec = tickets.integer("lifetimeSec", DEFAULT_SESSION_LIFETIME_SEC, 1,
            MAX_SESSION_LIFETIME_SEC);
        if (lifetimeSec > rotationIntervalSec)
        {
            // a key opens tickets for one interval after it stops sealing: a longer lifetime would be a lie
            throw tickets.errorAt("lifetimeSec", "must not exceed rotationIntervalSec (" + rotationIntervalSec +
                "): a ticket key opens tickets for only one interval after it stops sealing, was " + lifetimeSec);
        }
        return new ApplianceConfig.SessionTickets(enabled, rotationIntervalSec, lifetimeSec);
    }

    private static ApplianceConfig.SessionCache sessionCache(final YamlSection cache) throws ConfigException
    {
        final String defaultPath = ConfigLoader.defaultRuntimeDirectory() + "/sessions.dat";
        if (cache == null)
        {
            return new ApplianceConfig.SessionCache(true, DEFAULT_SESSION_CACHE_ENTRIES, Path.of(defaultPath));
        }
        cache.requireKnownKeys(Set.of("enabled", "maxEntries", "path"));
        return new ApplianceConfig.SessionCache(
            cache.bool("enabled", true),
            (int)cache.integer("maxEntries", DEFAULT_SESSION_CACHE_ENTRIES, 1, 16_777_216),
            ConfigLoader.absolutePath(cache, "path", defaultPath));
    }

    private static void requireUnique(final YamlSection section, final String key, final List<String> values)
        throws ConfigException
    {
        final Set<String> seen = new HashSet<>();
        for (int i = 0; i < values.size(); i++)
        {
            if (!seen.add(values.get(i)))
            {
                throw section.errorAtItem(key, i, "'" + values.get(i) + "' appears twice");
            }
        }
    }
}
