package org.inlinetls.appliance.config;

import org.inlinetls.modes.lb.Backend;
import org.inlinetls.modes.lb.BalancingAlgorithm;
import org.inlinetls.modes.lb.CookieScanner;
import org.inlinetls.modes.lb.HealthCheckSettings;
import org.inlinetls.modes.lb.HealthCheckType;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads the pool and policies of a {@code mode: load-balancing} service: {@code backends}, {@code algorithm},
 * {@code healthCheck}, {@code persistence} and {@code proxyProtocol}.
 */
final class LoadBalancingConfigReader
{
    /** The service keys this reader owns; they are errors on services of other modes. */
    static final List<String> KEY_ORDER = List.of("backends", "algorithm", "healthCheck", "persistence",
        "proxyProtocol");
    static final Set<String> KEYS = Set.copyOf(KEY_ORDER);
    static final int MAX_BACKENDS = 256;
    static final long DEFAULT_INTERVAL_MS = 2_000;
    static final long DEFAULT_TIMEOUT_MS = 1_000;
    /** 4 Mi clients: 80 MiB of persistence table per worker at most. */
    static final int MAX_CLIENTS = 1 << 22;

    private static final Pattern IPV4_TEXT = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6_TEXT = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
    /** RFC 6265 §4.1.1 cookie-octet: visible US-ASCII except DQUOTE, comma, semicolon and backslash. */
    private static final Pattern COOKIE_VALUE = Pattern.compile("[\\x21\\x23-\\x2B\\x2D-\\x3A\\x3C-\\x5B\\x5D-\\x7E]+");
    /** RFC 9110 token: the characters of a cookie name. */
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}");
    /** An origin-form request target: visible US-ASCII, no spaces. */
    private static final Pattern PATH = Pattern.compile("/[\\x21-\\x7E]{0,1023}");

    private LoadBalancingConfigReader()
    {
    }

    /** Fails when a service of another mode carries load-balancing keys; returns null (no pool). */
    static ApplianceConfig.LoadBalancing requireAbsent(final YamlSection item, final ApplianceConfig.ServiceMode mode)
        throws ConfigException
    {
        for (final String key : KEY_ORDER)
        {
            if (item.has(key))
            {
                throw item.errorAt(key, "only for mode: load-balancing (this service is " +
                    YamlSection.wordOf(mode) + ")");
            }
        }
        return null;
    }

    static ApplianceConfig.LoadBalancing read(final YamlSection item, final InetSocketAddress listen)
        throws ConfigException
    {
        if (item.has("backendPort"))
        {
            throw item.errorAt("backendPort", "a load-balancing service's backends carry their own ports: set " +
                "backends[].port");
        }
        final List<Backend> backends = backends(item, listen);
        final boolean ipv6 = backends.get(0).address().getAddress().getAddress().length == 16;
        return new ApplianceConfig.LoadBalancing(
            backends,
            item.choice("algorithm", BalancingAlgorithm.class, BalancingAlgorithm.ROUND_ROBIN),
            healthCheck(item, ipv6),
            persistence(item),
            proxyProtocol(item));
    }

    /** The load-balancing lines of the effective configuration (no secrets here). */
    static void describe(final ApplianceConfig.LoadBalancing lb, final StringBuilder text)
    {
        text.append("    backends:");
        for (final Backend backend : lb.backends())
        {
            text.append(' ').append(Backend.addressText(backend.address())).append(" weight=")
                .append(backend.weight()).append(" cookie=").append(backend.cookieValue()).append(';');
        }
        final HealthCheckSettings check = lb.healthCheck();
        text.append('\n')
            .append("    algorithm=").append(YamlSection.wordOf(lb.algorithm()))
            .append(" proxyProtocol=").append(YamlSection.wordOf(lb.proxyProtocol())).append('\n')
            .append("    healthCheck: type=").append(YamlSection.wordOf(check.type()));
        if (check.type() == HealthCheckType.HTTP)
        {
            text.append(" path=").append(check.path()).append(" expectStatus=").append(check.expectStatus());
        }
        text.append(" intervalMs=").append(check.intervalMs())
            .append(" timeoutMs=").append(check.timeoutMs())
            .append(" rise=").append(check.rise())
            .append(" fall=").append(check.fall())
            .append(" sourceAddress=").append(check.sourceAddress() == null ? "(system's choice)" :
                check.sourceAddress().getHostAddress()).append('\n');
        final ApplianceConfig.Persistence persistence = lb.persistence();
        text.append("    persistence: type=").append(YamlSection.wordOf(persistence.type()));
        if (persistence.type() == ApplianceConfig.PersistenceType.COOKIE)
        {
            text.append(" cookieName=").append(persistence.cookieName());
        }
        if (persistence.type() == ApplianceConfig.PersistenceType.SOURCE)
        {
            text.append(" idleTimeoutSec=").append(persistence.idleTimeoutSec())
                .append(" maxClients=").append(persistence.maxClients());
        }
        text.append('\n');
    }

    private static List<Backend> backends(final YamlSection item, final InetSocketAddress listen)
        throws ConfigException
    {
        final List<YamlSection> entries = item.sections("backends");
        if (entries.isEmpty())
        {
            throw item.errorAt("backends", "a load-balancing service needs at least one backend, e.g. " +
                "[{address: 10.0.0.2, port: 80}]");
        }
        if (entries.size() > MAX_BACKENDS)
        {
            throw item.errorAtItem("backends", MAX_BACKENDS, "at most " + MAX_BACKENDS + " backends per service");
        }
        final List<Backend> backends = new ArrayList<>();
        final Map<InetSocketAddress, Integer> lineByAddress = new HashMap<>();
        final Map<String, Integer> lineByCookie = new HashMap<>();
        for (final YamlSection entry : entries)
        {
            entry.requireKnownKeys(Set.of("address", "port", "weight", "cookie"));
            final InetAddress ip = ipAddress(entry, "address");
            if (ip.getClass() != listen.getAddress().getClass())
            {
                throw entry.errorAt("address", "must be an " + family(listen.getAddress()) + " address like the " +
                    "service's listen address (the appliance NATs, it does not translate between families)");
            }
            if (ip.equals(listen.getAddress()))
            {
                throw entry.errorAt("address", "is the service's own listen address");
            }
            final InetSocketAddress address = new InetSocketAddress(ip,
                (int)entry.integer("port", ServiceConfigReader.DEFAULT_BACKEND_PORT, 1, 65_535));
            final Integer previous = lineByAddress.putIfAbsent(address, entry.lineOf("address"));
            if (previous != null)
            {
                throw entry.errorAt("address", Backend.addressText(address) + " is already a backend at line " +
                    previous);
            }
            final String cookie = entry.string("cookie", Backend.addressText(address));
            if (cookie.length() > CookieScanner.MAX_VALUE_BYTES || !COOKIE_VALUE.matcher(cookie).matches())
            {
                throw entry.errorAt("cookie", "must be 1.." + CookieScanner.MAX_VALUE_BYTES + " visible ASCII " +
                    "characters without spaces, '\"', ',', ';' or '\\\\', was '" + cookie + "'");
            }
            final Integer cookieLine = lineByCookie.putIfAbsent(cookie, entry.lineOf("cookie"));
            if (cookieLine != null)
            {
                throw entry.errorAt("cookie", "'" + cookie + "' already names the backend at line " + cookieLine);
            }
            backends.add(new Backend(address, (int)entry.integer("weight", 1, 1, Backend.MAX_WEIGHT), cookie));
        }
        return backends;
    }

    private static HealthCheckSettings healthCheck(final YamlSection item, final boolean ipv6) throws ConfigException
    {
        if (!item.has("healthCheck"))
        {
            return HealthCheckSettings.tcp(DEFAULT_INTERVAL_MS, DEFAULT_TIMEOUT_MS, 2, 3);
        }
        final YamlSection check = item.section("healthCheck");
        check.requireKnownKeys(Set.of("type", "path", "expectStatus", "intervalMs", "timeoutMs", "rise", "fall",
            "sourceAddress"));
        final HealthCheckType type = check.choice("type", HealthCheckType.class, HealthCheckType.TCP);
        if (type != HealthCheckType.HTTP)
        {
            for (final String key : List.of("path", "expectStatus"))
            {
                if (check.has(key))
                {
                    throw check.errorAt(key, "only for type: http");
                }
            }
        }
        final String path = check.string("path", "/");
        if (!PATH.matcher(path).matches())
        {
            throw check.errorAt("path", "must start with '/' and hold no spaces or control characters, at most " +
                "1024 characters, was '" + path + "'");
        }
        final long intervalMs = check.integer("intervalMs", DEFAULT_INTERVAL_MS, 100, 3_600_000);
        final long timeoutMs = check.integer("timeoutMs", Math.min(DEFAULT_TIMEOUT_MS, intervalMs), 10, 3_600_000);
        if (timeoutMs > intervalMs)
        {
            throw check.errorAt("timeoutMs", "must not exceed intervalMs (" + intervalMs + "): one check per " +
                "backend at a time");
        }
        InetAddress source = null;
        if (check.has("sourceAddress"))
        {
            source = ipAddress(check, "sourceAddress");
            if ((source.getAddress().length == 16) != ipv6)
            {
                throw check.errorAt("sourceAddress", "must be an " + (ipv6 ? "IPv6" : "IPv4") + " address like " +
                    "the backends");
            }
        }
        return new HealthCheckSettings(type, path, (int)check.integer("expectStatus", 200, 100, 599), intervalMs,
            timeoutMs, (int)check.integer("rise", 2, 1, 100), (int)check.integer("fall", 3, 1, 100), source);
    }

    private static ApplianceConfig.Persistence persistence(final YamlSection item) throws ConfigException
    {
        if (!item.has("persistence"))
        {
            return ApplianceConfig.Persistence.NONE;
        }
        final YamlSection section = item.section("persistence");
        section.requireKnownKeys(Set.of("type", "cookieName", "idleTimeoutSec", "maxClients"));
        final ApplianceConfig.PersistenceType type =
            section.choice("type", ApplianceConfig.PersistenceType.class, ApplianceConfig.PersistenceType.NONE);
        if (type != ApplianceConfig.PersistenceType.COOKIE && section.has("cookieName"))
        {
            throw section.errorAt("cookieName", "only for type: cookie");
        }
        if (type != ApplianceConfig.PersistenceType.SOURCE)
        {
            for (final String key : List.of("idleTimeoutSec", "maxClients"))
            {
                if (section.has(key))
                {
                    throw section.errorAt(key, "only for type: source");
                }
            }
        }
        String cookieName = null;
        if (type == ApplianceConfig.PersistenceType.COOKIE)
        {
            cookieName = section.string("cookieName", null);
            if (!TOKEN.matcher(cookieName).matches())
            {
                throw section.errorAt("cookieName", "must be 1-64 HTTP token characters (letters, digits, " +
                    "!#$%&'*+.^_`|~-), was '" + cookieName + "'");
            }
        }
        return new ApplianceConfig.Persistence(type, cookieName,
            section.integer("idleTimeoutSec", ApplianceConfig.Persistence.NONE.idleTimeoutSec(), 1, 86_400),
            (int)section.integer("maxClients", ApplianceConfig.Persistence.NONE.maxClients(), 1, MAX_CLIENTS));
    }

    private static ApplianceConfig.ProxyProtocol proxyProtocol(final YamlSection item) throws ConfigException
    {
        final String text = item.string("proxyProtocol", "false").toLowerCase(Locale.ROOT);
        switch (text)
        {
            case "false":
            case "off":
            case "no":
            case "none":
                return ApplianceConfig.ProxyProtocol.OFF;
            case "v2":
                return ApplianceConfig.ProxyProtocol.V2;
            default:
                throw item.errorAt("proxyProtocol", "must be false or v2, was '" + text + "'");
        }
    }

    private static InetAddress ipAddress(final YamlSection section, final String key) throws ConfigException
    {
        final String text = section.string(key, null);
        if (!IPV4_TEXT.matcher(text).matches() && !IPV6_TEXT.matcher(text).matches())
        {
            throw section.errorAt(key, "must be an IPv4 or IPv6 address without a port, e.g. 10.0.0.2 or " +
                "2001:db8::2, was '" + text + "'");
        }
        return ServiceConfigReader.ipLiteral(section, key, text);
    }

    private static String family(final InetAddress address)
    {
        return address.getAddress().length == 16 ? "IPv6" : "IPv4";
    }
}
