package org.inlinetls.appliance.config;

import org.inlinetls.handshake.cert.CertificateSpec;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the {@code certificates:} and {@code services:} sections.
 */
final class ServiceConfigReader
{
    static final int DEFAULT_LISTEN_PORT = 443;
    static final int DEFAULT_BACKEND_PORT = 80;

    private static final Pattern DNS_NAME = Pattern.compile(
        "(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern SERVICE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern IPV4_PORT = Pattern.compile("(\\d{1,3}(?:\\.\\d{1,3}){3})(?::(\\d{1,5}))?");
    private static final Pattern IPV6_BRACKETED = Pattern.compile("\\[([0-9A-Fa-f:.]+)](?::(\\d{1,5}))?");
    private static final Pattern IPV6_BARE = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    private static final Set<String> SERVICE_KEYS = union(Set.of("name", "mode", "listen", "backendPort", "onNonTls"),
        LoadBalancingConfigReader.KEYS);

    private ServiceConfigReader()
    {
    }

    /**
     * The certificate specs in file order. Only the YAML shape and the files' existence are checked here; the store
     * parses the PEM, checks the key's mode and matches key to certificate when it loads.
     */
    static List<CertificateSpec> certificates(final Path configFile, final YamlSection top) throws ConfigException
    {
        final List<YamlSection> items = top.sections("certificates");
        final List<CertificateSpec> specs = new ArrayList<>();
        int defaultIndex = -1;
        for (final YamlSection item : items)
        {
            item.requireKnownKeys(Set.of("chain", "key", "names", "default"));
            final Path chain = existingFile(configFile, item, "chain");
            final Path key = existingFile(configFile, item, "key");
            final boolean isDefault = item.bool("default", false);
            if (isDefault)
            {
                if (defaultIndex >= 0)
                {
                    throw item.errorAt("default", "only one certificate may be the default; certificates[" +
                        defaultIndex + "] (line " + items.get(defaultIndex).lineOf("default") + ") already is");
                }
                defaultIndex = specs.size();
            }
            specs.add(new CertificateSpec(chain, key, serverNames(item), isDefault));
        }
        if (defaultIndex < 0 && !specs.isEmpty())
        {
            // as CertificateStore does; made explicit so the printed configuration says which one answers
            final CertificateSpec first = specs.get(0);
            specs.set(0, new CertificateSpec(first.chainPem(), first.keyPem(), first.serverNames(), true));
        }
        return List.copyOf(specs);
    }

    static List<ApplianceConfig.Service> services(final YamlSection top, final int certificateCount)
        throws ConfigException
    {
        final List<YamlSection> items = top.sections("services");
        if (!items.isEmpty() && certificateCount == 0)
        {
            throw top.errorAt("services", "a service terminates TLS and needs a certificate; add one under " +
                "'certificates'");
        }
        final List<ApplianceConfig.Service> services = new ArrayList<>();
        final Map<String, Integer> lineByName = new HashMap<>();
        for (final YamlSection item : items)
        {
            item.requireKnownKeys(SERVICE_KEYS);
            final String name = item.string("name", null);
            if (!SERVICE_NAME.matcher(name).matches())
            {
                throw item.errorAt("name", "must be 1-63 of A-Z a-z 0-9 _ . - starting with a letter or digit, " +
                    "was '" + name + "'");
            }
            final Integer previousLine = lineByName.putIfAbsent(name, item.lineOf("name"));
            if (previousLine != null)
            {
                throw item.errorAt("name", "service '" + name + "' is already defined at line " + previousLine);
            }
            final ApplianceConfig.ServiceMode mode =
                item.choice("mode", ApplianceConfig.ServiceMode.class, ApplianceConfig.ServiceMode.DIRECT);
            final InetSocketAddress listen = listen(item);
            for (int i = 0; i < services.size(); i++)
            {
                if (overlaps(services.get(i).listen(), listen))
                {
                    throw item.errorAt("listen", addressText(listen) + " overlaps the listen address of service '" +
                        services.get(i).name() + "' (" + addressText(services.get(i).listen()) + ", line " +
                        items.get(i).lineOf("listen") + ")");
                }
            }
            final ApplianceConfig.NonTlsAction onNonTls =
                item.choice("onNonTls", ApplianceConfig.NonTlsAction.class, ApplianceConfig.NonTlsAction.RESET);
            final ApplianceConfig.LoadBalancing loadBalancing =
                mode == ApplianceConfig.ServiceMode.LOAD_BALANCING ? LoadBalancingConfigReader.read(item, listen) :
                LoadBalancingConfigReader.requireAbsent(item, mode);
            if (mode == ApplianceConfig.ServiceMode.FULL_PROXY && onNonTls == ApplianceConfig.NonTlsAction.PASS)
            {
                throw item.errorAt("onNonTls", "'pass' is not implemented for 'full-proxy' (its flows are reset " +
                    "when they do not start with a TLS handshake): use 'reset'");
            }
            if (loadBalancing != null && onNonTls == ApplianceConfig.NonTlsAction.PASS)
            {
                throw item.errorAt("onNonTls", "'pass' needs a server at the listen address; a load-balancing " +
                    "service's virtual address has none: use 'reset'");
            }
            services.add(new ApplianceConfig.Service(
                name,
                mode,
                listen,
                (int)item.integer("backendPort", DEFAULT_BACKEND_PORT, 1, 65_535),
                onNonTls,
                loadBalancing));
        }
        return List.copyOf(services);
    }

    /** An address as written in the file: {@code 192.0.2.10:443}, {@code [2001:db8::10]:443}. */
    static String addressText(final InetSocketAddress address)
    {
        final InetAddress ip = address.getAddress();
        final String host = ip.getHostAddress();
        return (ip instanceof Inet6Address ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    private static Path existingFile(final Path configFile, final YamlSection item, final String key)
        throws ConfigException
    {
        final Path path = resolve(configFile, item.string(key, null));
        if (!Files.isRegularFile(path))
        {
            throw item.errorAt(key, Files.exists(path) ? "not a regular file: " + path : "no such file: " + path);
        }
        return path;
    }

    /** Relative paths are taken from the config file's directory, so a file and its certificates move together. */
    private static Path resolve(final Path configFile, final String text)
    {
        final Path path = Path.of(text);
        if (path.isAbsolute())
        {
            return path.normalize();
        }
        final Path directory = configFile.toAbsolutePath().getParent();
        return (directory == null ? path.toAbsolutePath() : directory.resolve(path)).normalize();
    }

    private static List<String> serverNames(final YamlSection item) throws ConfigException
    {
        final List<String> names = new ArrayList<>();
        final List<String> written = item.strings("names", List.of());
        for (int i = 0; i < written.size(); i++)
        {
            final String name = written.get(i).toLowerCase(Locale.ROOT);
            if (name.length() > 253 || !DNS_NAME.matcher(name).matches())
            {
                throw item.errorAtItem("names", i, "not a DNS name or *.wildcard: '" + written.get(i) + "'");
            }
            if (names.contains(name))
            {
                throw item.errorAtItem("names", i, "'" + name + "' appears twice");
            }
            names.add(name);
        }
        return names;
    }

    private static InetSocketAddress listen(final YamlSection item) throws ConfigException
    {
        final String text = item.string("listen", null);
        final String host;
        final String port;
        Matcher matcher;
        if ((matcher = IPV4_PORT.matcher(text)).matches() || (matcher = IPV6_BRACKETED.matcher(text)).matches())
        {
            host = matcher.group(1);
            port = matcher.group(2);
        }
        else if (IPV6_BARE.matcher(text).matches())
        {
            host = text;
            port = null;
        }
        else
        {
            throw item.errorAt("listen", "must be an IP address with an optional port, e.g. 192.0.2.10:443 or " +
                "[2001:db8::10]:443, was '" + text + "'");
        }
        final InetAddress address = ipLiteral(item, "listen", host);
        final int portNumber = port == null ? DEFAULT_LISTEN_PORT : Integer.parseInt(port);
        if (portNumber < 1 || portNumber > 65_535)
        {
            throw item.errorAt("listen", "port must be within 1..65535, was " + portNumber);
        }
        return new InetSocketAddress(address, portNumber);
    }

    /** An IPv4 or IPv6 literal, never a name: nothing here looks anything up in DNS. */
    static InetAddress ipLiteral(final YamlSection item, final String key, final String host) throws ConfigException
    {
        final Matcher ipv4 = IPV4.matcher(host);
        if (ipv4.matches())
        {
            final byte[] octets = new byte[4];
            for (int i = 0; i < 4; i++)
            {
                final int octet = Integer.parseInt(ipv4.group(i + 1));
                if (octet > 255)
                {
                    throw item.errorAt(key, "not an IPv4 address: '" + host + "'");
                }
                octets[i] = (byte)octet;
            }
            return byAddress(item, key, octets);
        }
        try
        {
            // brackets make the JDK parse an IPv6 literal or fail; it never falls back to a DNS lookup
            return InetAddress.getByName("[" + host + "]");
        }
        catch (final UnknownHostException ex)
        {
            throw item.errorAt(key, "not an IPv6 address: '" + host + "'");
        }
    }

    private static InetAddress byAddress(final YamlSection item, final String key, final byte[] octets)
        throws ConfigException
    {
        try
        {
            return InetAddress.getByAddress(octets);
        }
        catch (final UnknownHostException ex)
        {
            throw item.errorAt(key, "not an IP address: " + ex.getMessage());
        }
    }

    private static Set<String> union(final Set<String> a, final Set<String> b)
    {
        final Set<String> all = new java.util.HashSet<>(a);
        all.addAll(b);
        return Set.copyOf(all);
    }

    /** Same port and either the same address or a wildcard of the same family. */
    private static boolean overlaps(final InetSocketAddress a, final InetSocketAddress b)
    {
        if (a.getPort() != b.getPort())
        {
            return false;
        }
        final InetAddress x = a.getAddress();
        final InetAddress y = b.getAddress();
        return x.equals(y) || (x.getClass() == y.getClass() && (x.isAnyLocalAddress() || y.isAnyLocalAddress()));
    }
}
