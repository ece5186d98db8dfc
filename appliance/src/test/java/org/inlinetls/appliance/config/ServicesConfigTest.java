package org.inlinetls.appliance.config;

import org.inlinetls.crypto.cbc.CbcSuite;
import org.inlinetls.crypto.record.IntegrityMode;
import org.inlinetls.crypto.suite.CipherSuite;
import org.inlinetls.handshake.HandshakeConfig;
import org.inlinetls.handshake.KeyShareGroup;
import org.inlinetls.handshake.cert.CertificateSpec;
import org.inlinetls.modes.lb.Backend;
import org.inlinetls.modes.lb.BalancingAlgorithm;
import org.inlinetls.modes.lb.HealthCheckSettings;
import org.inlinetls.modes.lb.HealthCheckType;
import org.inlinetls.seqdb.JournalConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code tls}, {@code certificates}, {@code services} and {@code journal} sections.
 */
class ServicesConfigTest
{
    private static final Path FILE = Path.of("test.yaml");
    private static final String HEAD = "interfaces: {outside: a0, inside: b0}\n";
    /** Lines 2 to 6: a certificate and a load-balancing service without its backends. */
    private static final String LB_HEAD =
        "CERT\nservices:\n  - name: www\n    mode: load-balancing\n    listen: 192.0.2.10";

    @TempDir
    Path dir;

    @BeforeEach
    void createCertificateFiles() throws IOException
    {
        for (final String name : List.of("a.chain.pem", "a.key.pem", "b.chain.pem", "b.key.pem"))
        {
            Files.writeString(dir.resolve(name), "placeholder; PEM is parsed by the store, not the loader\n");
        }
    }

    @Test
    void shouldApplyDefaultsWhenTheNewSectionsAreAbsent() throws ConfigException
    {
        final ApplianceConfig config = ConfigLoader.parse(FILE, HEAD);
        final ApplianceConfig.Tls tls = config.tls();
        assertEquals(CipherSuite.TlsVersion.TLS12, tls.minVersion());
        assertEquals(HandshakeConfig.DEFAULT_SUITES, tls.suites());
        assertFalse(tls.allowCbc());
        assertTrue(tls.cbcSuites().isEmpty());
        assertEquals(HandshakeConfig.DEFAULT_GROUPS, tls.groups());
        assertEquals(List.of("http/1.1"), tls.alpn());
        assertEquals(IntegrityMode.DEFERRED, tls.integrity());
        assertEquals(ApplianceConfig.SackMode.TRANSLATE, tls.sack());
        assertEquals(new ApplianceConfig.SessionTickets(true, 3_600, 300), tls.sessionTickets());
        assertEquals(new ApplianceConfig.SessionCache(true, 20_480, Path.of("/dev/shm/inline-tls/sessions.dat")),
            tls.sessionCache());
        assertTrue(config.certificates().isEmpty());
        assertTrue(config.services().isEmpty());
        assertEquals(new ApplianceConfig.Journal(Path.of("/dev/shm/inline-tls/journal.dat"), 65_536, 32, 300),
            config.journal());
    }

    @Test
    void shouldReadAFullTlsPolicy() throws ConfigException
    {
        final ApplianceConfig config = ConfigLoader.parse(FILE, HEAD + String.join("\n",
            "tls:",
            "  minVersion: tls1.2",
            "  suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, " +
                "TLS_AES_128_GCM_SHA256]",
            "  allowCbc: true",
            "  groups: [secp384r1, x25519]",
            "  alpn: [h2, http/1.1]",
            "  integrity: strict",
            "  sack: strip",
            "  sessionTickets: {enabled: false, rotationIntervalSec: 7200, lifetimeSec: 7200}",
            "  sessionCache: {enabled: false, maxEntries: 100, path: /dev/shm/x/s.dat}",
            ""));
        final ApplianceConfig.Tls tls = config.tls();
        assertEquals(List.of(CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, CipherSuite.TLS_AES_128_GCM_SHA256),
            tls.suites());
        assertEquals(List.of(CbcSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA), tls.cbcSuites());
        assertEquals(List.of(KeyShareGroup.SECP384R1, KeyShareGroup.X25519), tls.groups());
        assertEquals(List.of("h2", "http/1.1"), tls.alpn());
        assertEquals(IntegrityMode.STRICT, tls.integrity());
        assertEquals(ApplianceConfig.SackMode.STRIP, tls.sack());
        assertEquals(new ApplianceConfig.SessionTickets(false, 7_200, 7_200), tls.sessionTickets());
        assertEquals(new ApplianceConfig.SessionCache(false, 100, Path.of("/dev/shm/x/s.dat")), tls.sessionCache());
        assertTrue(config.describe().contains("cbcSuites=[TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA]"), config.describe());
    }

    @Test
    void shouldOfferTheDefaultCbcSuitesWhenAllowedWithoutAList() throws ConfigException
    {
        final ApplianceConfig.Tls tls = ConfigLoader.parse(FILE, HEAD + "tls: {allowCbc: true}\n").tls();
        assertEquals(HandshakeConfig.DEFAULT_SUITES, tls.suites());
        assertEquals(HandshakeConfig.DEFAULT_CBC_SUITES, tls.cbcSuites());
    }

    @Test
    void shouldKeepOnlyTls13DefaultSuitesForMinVersionTls13() throws ConfigException
    {
        final ApplianceConfig.Tls tls = ConfigLoader.parse(FILE, HEAD + "tls: {minVersion: tls1.3}\n").tls();
        assertEquals(CipherSuite.TlsVersion.TLS13, tls.minVersion());
        assertEquals(List.of(CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384,
            CipherSuite.TLS_CHACHA20_POLY1305_SHA256), tls.suites());
    }

    @Test
    void shouldReadCertificatesServicesAndJournal() throws ConfigException
    {
        final ApplianceConfig config = ConfigLoader.parse(FILE, withFiles(HEAD + String.join("\n",
            "certificates:",
            "  - {chain: A_CHAIN, key: A_KEY}",
            "  - chain: B_CHAIN",
            "    key: B_KEY",
            "    names: [www.example.com, '*.Example.net']",
            "    default: true",
            "services:",
            "  - {name: www, listen: 192.0.2.10}",
            "  - {name: www-8443, mode: direct, listen: '192.0.2.10:8443', backendPort: 8080, onNonTls: pass}",
            "  - {name: v6, listen: '[2001:db8::10]:443'}",
            "  - {name: v6-bare, listen: '2001:db8::11'}",
            "journal: {path: /dev/shm/j/journal.dat, maxFlows: 2000, ringCapacity: 64, idleTimeoutSec: 60}",
            "")));
        assertEquals(List.of(
            new CertificateSpec(dir.resolve("a.chain.pem"), dir.resolve("a.key.pem"), List.of(), false),
            new CertificateSpec(dir.resolve("b.chain.pem"), dir.resolve("b.key.pem"),
                List.of("www.example.com", "*.example.net"), true)), config.certificates());

        final List<ApplianceConfig.Service> services = config.services();
        assertEquals(4, services.size());
        assertEquals(new InetSocketAddress("192.0.2.10", 443), services.get(0).listen());
        assertEquals(80, services.get(0).backendPort());
        assertEquals(ApplianceConfig.NonTlsAction.RESET, services.get(0).onNonTls());
        assertEquals(ApplianceConfig.ServiceMode.DIRECT, services.get(0).mode());
        assertEquals(8443, services.get(1).listen().getPort());
        assertEquals(8080, services.get(1).backendPort());
        assertEquals(ApplianceConfig.NonTlsAction.PASS, services.get(1).onNonTls());
        assertEquals("[2001:db8:0:0:0:0:0:10]:443", ServiceConfigReader.addressText(services.get(2).listen()));
        assertEquals(443, services.get(3).listen().getPort());

        assertEquals(new ApplianceConfig.Journal(Path.of("/dev/shm/j/journal.dat"), 2_000, 64, 60), config.journal());
        final JournalConfig journal = config.journal().toJournalConfig(false).validate();
        assertEquals(JournalConfig.AEAD_CHECKPOINT_LENGTH, journal.checkpointLength());

        final String described = config.describe();
        assertTrue(described.contains("service www: mode=direct listen=192.0.2.10:443 backendPort=80"), described);
        assertTrue(described.contains("b.key.pem names=[www.example.com, *.example.net] default"), described);
        assertTrue(described.contains("journal: path=/dev/shm/j/journal.dat maxFlows=2000"), described);
    }

    @Test
    void shouldReadALoadBalancingService() throws ConfigException, UnknownHostException
    {
        final ApplianceConfig config = ConfigLoader.parse(FILE, withFiles(HEAD + String.join("\n",
            "certificates: [{chain: A_CHAIN, key: A_KEY}]",
            "services:",
            "  - name: shop",
            "    mode: load-balancing",
            "    listen: 192.0.2.20:443",
            "    backends:",
            "      - {address: 10.0.0.2, port: 80, weight: 3, cookie: web1}",
            "      - {address: 10.0.0.3, port: 8080, cookie: web2}",
            "    algorithm: weighted",
            "    healthCheck:",
            "      type: http",
            "      path: /healthz",
            "      expectStatus: 204",
            "      intervalMs: 500",
            "      timeoutMs: 200",
            "      rise: 3",
            "      fall: 2",
            "      sourceAddress: 10.0.0.1",
            "    persistence: {type: cookie, cookieName: SERVERID}",
            "    proxyProtocol: v2",
            "  - name: www",
            "    listen: 192.0.2.10",
            "")));
        final ApplianceConfig.Service shop = config.services().get(0);
        assertEquals(ApplianceConfig.ServiceMode.LOAD_BALANCING, shop.mode());
        assertEquals(new InetSocketAddress("192.0.2.20", 443), shop.listen());
        final ApplianceConfig.LoadBalancing lb = shop.loadBalancing();
        assertEquals(List.of(
            new Backend(new InetSocketAddress("10.0.0.2", 80), 3, "web1"),
            new Backend(new InetSocketAddress("10.0.0.3", 8080), 1, "web2")), lb.backends());
        assertEquals(BalancingAlgorithm.WEIGHTED, lb.algorithm());
        assertEquals(new HealthCheckSettings(HealthCheckType.HTTP, "/healthz", 204, 500, 200, 3, 2,
            InetAddress.getByName("10.0.0.1")), lb.healthCheck());
        assertEquals(new ApplianceConfig.Persistence(ApplianceConfig.PersistenceType.COOKIE, "SERVERID", 300, 65_536),
            lb.persistence());
        assertEquals(ApplianceConfig.ProxyProtocol.V2, lb.proxyProtocol());
        assertEquals(null, config.services().get(1).loadBalancing(), "a direct service has no pool");

        final String described = config.describe();
        assertTrue(described.contains("service shop: mode=load-balancing listen=192.0.2.20:443 onNonTls=reset\n" +
            "    backends: 10.0.0.2:80 weight=3 cookie=web1; 10.0.0.3:8080 weight=1 cookie=web2;\n" +
            "    algorithm=weighted proxyProtocol=v2\n" +
            "    healthCheck: type=http path=/healthz expectStatus=204 intervalMs=500 timeoutMs=200 rise=3 fall=2 " +
            "sourceAddress=10.0.0.1\n" +
            "    persistence: type=cookie cookieName=SERVERID\n"), described);
        assertTrue(described.contains("service www: mode=direct listen=192.0.2.10:443 backendPort=80"), described);
    }

    @Test
    void shouldApplyLoadBalancingDefaults() throws ConfigException
    {
        final ApplianceConfig config = ConfigLoader.parse(FILE, withFiles(HEAD + String.join("\n",
            "certificates: [{chain: A_CHAIN, key: A_KEY}]",
            "services:",
            "  - {name: v6, mode: load-balancing, listen: '[2001:db8::10]', backends: [{address: '2001:db8::2'}],",
            "     persistence: {type: source}, proxyProtocol: false}",
            "  - name: lc",
            "    mode: load-balancing",
            "    listen: 192.0.2.30",
            "    algorithm: least-connections",
            "    backends: [{address: 10.0.0.2}, {address: 10.0.0.3}]",
            "    persistence: {type: source, idleTimeoutSec: 60, maxClients: 1000}",
            "    healthCheck: {type: http, intervalMs: 300}",
            "")));
        final ApplianceConfig.LoadBalancing v6 = config.services().get(0).loadBalancing();
        assertEquals(List.of(new Backend(new InetSocketAddress("2001:db8::2", 80), 1, "[2001:db8:0:0:0:0:0:2]:80")),
            v6.backends());
        assertEquals(BalancingAlgorithm.ROUND_ROBIN, v6.algorithm());
        assertEquals(HealthCheckSettings.tcp(2_000, 1_000, 2, 3), v6.healthCheck());
        assertEquals(new ApplianceConfig.Persistence(ApplianceConfig.PersistenceType.SOURCE, null, 300, 65_536),
            v6.persistence());
        assertEquals(ApplianceConfig.ProxyProtocol.OFF, v6.proxyProtocol());

        final ApplianceConfig.LoadBalancing lc = config.services().get(1).loadBalancing();
        assertEquals(BalancingAlgorithm.LEAST_CONNECTIONS, lc.algorithm());
        assertEquals("10.0.0.3:80", lc.backends().get(1).cookieValue());
        assertEquals(new HealthCheckSettings(HealthCheckType.HTTP, "/", 200, 300, 300, 2, 3, null), lc.healthCheck());
        assertEquals(new ApplianceConfig.Persistence(ApplianceConfig.PersistenceType.SOURCE, null, 60, 1_000),
            lc.persistence());
    }

    @Test
    void shouldMakeTheFirstCertificateTheDefaultWhenNoneIsMarked() throws ConfigException
    {
        final ApplianceConfig config = ConfigLoader.parse(FILE, withFiles(HEAD + String.join("\n",
            "certificates:",
            "  - {chain: A_CHAIN, key: A_KEY}",
            "  - {chain: B_CHAIN, key: B_KEY}",
            "")));
        assertTrue(config.certificates().get(0).isDefault());
        assertFalse(config.certificates().get(1).isDefault());
    }

    @Test
    void shouldResolveRelativeCertificatePathsAgainstTheConfigFile() throws ConfigException
    {
        final ApplianceConfig config = ConfigLoader.parse(dir.resolve("appliance.yaml"),
            HEAD + "certificates: [{chain: a.chain.pem, key: ./a.key.pem}]\n");
        assertEquals(dir.resolve("a.chain.pem"), config.certificates().get(0).chainPem());
        assertEquals(dir.resolve("a.key.pem"), config.certificates().get(0).keyPem());
    }

    @Test
    void shouldLoadTheCommentedOutExamplesOfTheShippedConfig() throws IOException, ConfigException
    {
        final List<String> lines = Files.readAllLines(Path.of("../config/appliance.yaml"), StandardCharsets.UTF_8);
        final List<String> uncommented = new ArrayList<>();
        boolean inExample = false;
        for (final String line : lines)
        {
            inExample = line.startsWith("# certificates:") || (inExample && line.startsWith("#"));
            uncommented.add(inExample ? line.replaceFirst("^# ?", "") : line);
        }
        final String yaml = String.join("\n", uncommented).replace("/etc/inline-tls/", dir + "/");
        for (final String name : List.of("www.example.com", "wildcard.example.net"))
        {
            Files.writeString(dir.resolve(name + ".chain.pem"), "x");
            Files.writeString(dir.resolve(name + ".key.pem"), "x");
        }
        final ApplianceConfig config = ConfigLoader.parse(FILE, yaml);
        assertEquals(2, config.certificates().size());
        assertEquals(List.of("www", "www-v6", "shop"),
            config.services().stream().map(ApplianceConfig.Service::name).toList());
        final ApplianceConfig.LoadBalancing shop = config.services().get(2).loadBalancing();
        assertEquals(2, shop.backends().size());
        assertEquals(ApplianceConfig.PersistenceType.COOKIE, shop.persistence().type());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        // tls
        "unknown tls key         | tls:\\n  minVersoin: tls1.3                                     | 3 | tls.minVersoin | unknown key",
        "bad min version         | tls:\\n  minVersion: tls1.1                                     | 3 | tls.minVersion | [tls1.2, tls1.3]",
        "unknown suite           | tls:\\n  suites:\\n    - TLS_AES_128_GCM_SHA256\\n    - TLS_RSA_WITH_RC4_128_SHA | 5 | tls.suites[1] | not a supported IANA suite",
        "cbc without allowCbc    | tls:\\n  suites:\\n    - TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA    | 4 | tls.suites[0] | set tls.allowCbc: true",
        "tls12 suite with tls13  | tls:\\n  minVersion: tls1.3\\n  suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256] | 4 | tls.suites[0] | never offered with minVersion tls1.3",
        "allowCbc with tls13     | tls:\\n  minVersion: tls1.3\\n  allowCbc: true                  | 4 | tls.allowCbc | TLS 1.2 only",
        "allowCbc but no cbc     | tls:\\n  allowCbc: true\\n  suites: [TLS_AES_128_GCM_SHA256]  | 3 | tls.allowCbc | lists no CBC suite",
        "empty suites            | tls:\\n  suites: []                                             | 3 | tls.suites | at least one suite",
        "duplicate suite         | tls:\\n  suites:\\n    - TLS_AES_128_GCM_SHA256\\n    - TLS_AES_128_GCM_SHA256 | 5 | tls.suites[1] | appears twice",
        "suites not a list       | tls:\\n  suites: TLS_AES_128_GCM_SHA256                         | 3 | tls.suites | must be a list",
        "bad group               | tls:\\n  groups: [x25519, ffdhe2048]                            | 3 | tls.groups | must be one of [x25519, secp256r1, secp384r1]",
        "no groups               | tls:\\n  groups: []                                             | 3 | tls.groups | at least one group",
        "duplicate group         | tls:\\n  groups:\\n    - x25519\\n    - x25519                  | 5 | tls.groups[1] | appears twice",
        "bad alpn                | tls:\\n  alpn: ['http 1.1']                                     | 3 | tls.alpn[0] | not an ALPN protocol id",
        "bad integrity           | tls:\\n  integrity: lax                                         | 3 | tls.integrity | must be one of [deferred, strict]",
        "bad sack                | tls:\\n  sack: maybe                                            | 3 | tls.sack | must be one of [translate, strip]",
        "bad allowCbc            | tls:\\n  allowCbc: sometimes                                    | 3 | tls.allowCbc | true or false",
        "unknown ticket key      | tls:\\n  sessionTickets:\\n    keyFile: /x                     | 4 | tls.sessionTickets.keyFile | unknown key",
        "rotation too short      | tls:\\n  sessionTickets:\\n    rotationIntervalSec: 10         | 4 | tls.sessionTickets.rotationIntervalSec | within 60..604800",
        "lifetime over rotation  | tls:\\n  sessionTickets:\\n    rotationIntervalSec: 600\\n    lifetimeSec: 900 | 5 | tls.sessionTickets.lifetimeSec | must not exceed rotationIntervalSec (600)",
        "cache entries zero      | tls:\\n  sessionCache:\\n    maxEntries: 0                   | 4 | tls.sessionCache.maxEntries | within 1..",
        "cache path relative     | tls:\\n  sessionCache:\\n    path: sessions.dat              | 4 | tls.sessionCache.path | absolute path",
        // certificates
        "certificates not a list | certificates: {chain: A_CHAIN}                                   | 2 | certificates | must be a list",
        "certificate not a map   | certificates:\\n  - A_CHAIN                                    | 3 | certificates[0] | must be a mapping",
        "missing chain           | certificates:\\n  - key: A_KEY                                 | 3 | certificates[0].chain | is required",
        "missing key             | certificates:\\n  - chain: A_CHAIN                             | 3 | certificates[0].key | is required",
        "chain not found         | certificates:\\n  - chain: A_CHAIN\\n    key: A_KEY\\n  - chain: /nonexistent/c.pem\\n    key: B_KEY | 5 | certificates[1].chain | no such file: /nonexistent/c.pem",
        "key is a directory      | certificates:\\n  - chain: A_CHAIN\\n    key: DIR                 | 4 | certificates[0].key | not a regular file",
        "unknown certificate key | certificates:\\n  - chain: A_CHAIN\\n    key: A_KEY\\n    password: x | 5 | certificates[0].password | unknown key",
        "bad server name         | certificates:\\n  - chain: A_CHAIN\\n    key: A_KEY\\n    names: [www.example.com, 'bad_name.com'] | 5 | certificates[0].names[1] | not a DNS name",
        "duplicate server name   | certificates:\\n  - chain: A_CHAIN\\n    key: A_KEY\\n    names: [a.example, A.example] | 5 | certificates[0].names[1] | appears twice",
        "two defaults            | certificates:\\n  - {chain: A_CHAIN, key: A_KEY, default: true}\\n  - {chain: B_CHAIN, key: B_KEY, default: true} | 4 | certificates[1].default | certificates[0] (line 3) already is",
        // services
        "services need a cert    | services:\\n  - {name: www, listen: 192.0.2.10}                | 3 | services | needs a certificate",
        "services not a list     | CERT\\nservices: {name: www}                                    | 3 | services | must be a list",
        "missing service name    | CERT\\nservices:\\n  - listen: 192.0.2.10                      | 4 | services[0].name | is required",
        "bad service name        | CERT\\nservices:\\n  - {name: 'w w', listen: 192.0.2.10}       | 4 | services[0].name | must be 1-63 of",
        "duplicate service name  | CERT\\nservices:\\n  - {name: www, listen: 192.0.2.10}\\n  - {name: www, listen: 192.0.2.11} | 5 | services[1].name | already defined at line 4",
        "load-balancing no pool  | CERT\\nservices:\\n  - name: www\\n    mode: load-balancing\\n    listen: 192.0.2.10 | 4 | services[0].backends | a load-balancing service needs at least one backend",
        "full-proxy passes       | CERT\\nservices:\\n  - {name: www, mode: full-proxy, listen: 192.0.2.10, onNonTls: pass} | 4 | services[0].onNonTls | 'pass' is not implemented for 'full-proxy'",
        "unknown mode            | CERT\\nservices:\\n  - {name: www, mode: magic, listen: 192.0.2.10} | 4 | services[0].mode | must be one of [direct, load-balancing, full-proxy]",
        "missing listen          | CERT\\nservices:\\n  - name: www                                  | 4 | services[0].listen | is required",
        "hostname listen         | CERT\\nservices:\\n  - {name: www, listen: www.example.com}     | 4 | services[0].listen | must be an IP address",
        "bad IPv4 octet          | CERT\\nservices:\\n  - {name: www, listen: '192.0.2.300:443'}   | 4 | services[0].listen | not an IPv4 address",
        "bad IPv6                | CERT\\nservices:\\n  - {name: www, listen: '[2001:db8:::1]:443'} | 4 | services[0].listen | not an IPv6 address",
        "port out of range       | CERT\\nservices:\\n  - {name: www, listen: '192.0.2.10:70000'}  | 4 | services[0].listen | port must be within 1..65535",
        "duplicate listen        | CERT\\nservices:\\n  - {name: a, listen: 192.0.2.10}\\n  - {name: b, listen: '192.0.2.10:443'} | 5 | services[1].listen | overlaps the listen address of service 'a'",
        "wildcard overlap        | CERT\\nservices:\\n  - {name: a, listen: 192.0.2.10}\\n  - {name: b, listen: 0.0.0.0} | 5 | services[1].listen | overlaps",
        "backend port range      | CERT\\nservices:\\n  - {name: www, listen: 192.0.2.10, backendPort: 0} | 4 | services[0].backendPort | within 1..65535",
        "bad onNonTls            | CERT\\nservices:\\n  - {name: www, listen: 192.0.2.10, onNonTls: drop} | 4 | services[0].onNonTls | must be one of [reset, pass]",
        "unknown service key     | CERT\\nservices:\\n  - {name: www, listen: 192.0.2.10, pool: x} | 4 | services[0].pool | unknown key",
        // load-balancing services (LB: a service whose backends line is line 7; LBHEAD: the same without it)
        "empty backends          | LBHEAD\\n    backends: []                                  | 7 | services[0].backends | needs at least one backend",
        "backends not a list     | LBHEAD\\n    backends: {address: 10.0.0.2}                 | 7 | services[0].backends | must be a list",
        "backend hostname        | LBHEAD\\n    backends: [{address: web1.example}]           | 7 | services[0].backends[0].address | must be an IPv4 or IPv6 address without a port",
        "backend bad octet       | LBHEAD\\n    backends: [{address: 10.0.0.256}]             | 7 | services[0].backends[0].address | not an IPv4 address",
        "backend missing address | LBHEAD\\n    backends: [{port: 80}]                        | 7 | services[0].backends[0].address | is required",
        "backend other family    | LBHEAD\\n    backends: [{address: '2001:db8::2'}]          | 7 | services[0].backends[0].address | must be an IPv4 address like the service's listen address",
        "backend is the VIP      | LBHEAD\\n    backends: [{address: 192.0.2.10}]             | 7 | services[0].backends[0].address | is the service's own listen address",
        "duplicate backend       | LBHEAD\\n    backends:\\n      - {address: 10.0.0.2}\\n      - {address: 10.0.0.2, port: 80} | 9 | services[0].backends[1].address | 10.0.0.2:80 is already a backend at line 8",
        "backend port range      | LBHEAD\\n    backends: [{address: 10.0.0.2, port: 0}]      | 7 | services[0].backends[0].port | within 1..65535",
        "backend weight zero     | LBHEAD\\n    backends: [{address: 10.0.0.2, weight: 0}]    | 7 | services[0].backends[0].weight | within 1..1000",
        "backend bad cookie      | LBHEAD\\n    backends: [{address: 10.0.0.2, cookie: 'a;b'}] | 7 | services[0].backends[0].cookie | visible ASCII characters without spaces",
        "duplicate cookie        | LBHEAD\\n    backends:\\n      - {address: 10.0.0.2, cookie: web}\\n      - {address: 10.0.0.3, cookie: web} | 9 | services[0].backends[1].cookie | already names the backend at line 8",
        "unknown backend key     | LBHEAD\\n    backends: [{address: 10.0.0.2, check: x}]     | 7 | services[0].backends[0].check | unknown key",
        "bad algorithm           | LB\\n    algorithm: random                                 | 8 | services[0].algorithm | must be one of [round-robin, weighted, least-connections, source-hash]",
        "backendPort in LB       | LB\\n    backendPort: 8080                                 | 8 | services[0].backendPort | backends carry their own ports",
        "onNonTls pass in LB     | LB\\n    onNonTls: pass                                    | 8 | services[0].onNonTls | virtual address has none",
        "LB key on direct        | CERT\\nservices:\\n  - {name: www, listen: 192.0.2.10, algorithm: weighted} | 4 | services[0].algorithm | only for mode: load-balancing (this service is direct)",
        "backends on direct      | CERT\\nservices:\\n  - name: www\\n    listen: 192.0.2.10\\n    backends: [{address: 10.0.0.2}] | 6 | services[0].backends | only for mode: load-balancing",
        "bad check type          | LB\\n    healthCheck: {type: icmp}                         | 8 | services[0].healthCheck.type | must be one of [tcp, http]",
        "path on a tcp check     | LB\\n    healthCheck: {type: tcp, path: /}                 | 8 | services[0].healthCheck.path | only for type: http",
        "status on a tcp check   | LB\\n    healthCheck:\\n      expectStatus: 204          | 9 | services[0].healthCheck.expectStatus | only for type: http",
        "relative check path     | LB\\n    healthCheck: {type: http, path: health}           | 8 | services[0].healthCheck.path | must start with '/'",
        "check path with space   | LB\\n    healthCheck: {type: http, path: '/a b'}           | 8 | services[0].healthCheck.path | no spaces",
        "bad expected status     | LB\\n    healthCheck: {type: http, expectStatus: 99}       | 8 | services[0].healthCheck.expectStatus | within 100..599",
        "timeout over interval   | LB\\n    healthCheck:\\n      intervalMs: 500\\n      timeoutMs: 800 | 10 | services[0].healthCheck.timeoutMs | must not exceed intervalMs (500)",
        "interval too short      | LB\\n    healthCheck: {intervalMs: 10}                     | 8 | services[0].healthCheck.intervalMs | within 100..3600000",
        "fall zero               | LB\\n    healthCheck: {fall: 0}                            | 8 | services[0].healthCheck.fall | within 1..100",
        "rise too large          | LB\\n    healthCheck: {rise: 101}                          | 8 | services[0].healthCheck.rise | within 1..100",
        "source other family     | LB\\n    healthCheck: {sourceAddress: '2001:db8::1'}       | 8 | services[0].healthCheck.sourceAddress | must be an IPv4 address like the backends",
        "source hostname         | LB\\n    healthCheck: {sourceAddress: inside.local}        | 8 | services[0].healthCheck.sourceAddress | must be an IPv4 or IPv6 address",
        "unknown check key       | LB\\n    healthCheck: {port: 81}                           | 8 | services[0].healthCheck.port | unknown key",
        "check not a mapping     | LB\\n    healthCheck: tcp                                  | 8 | services[0].healthCheck | must be a mapping",
        "bad persistence type    | LB\\n    persistence: {type: ssl-id}                       | 8 | services[0].persistence.type | must be one of [none, source, cookie]",
        "cookie without a name   | LB\\n    persistence: {type: cookie}                       | 8 | services[0].persistence.cookieName | is required",
        "bad cookie name         | LB\\n    persistence: {type: cookie, cookieName: 'SERVER ID'} | 8 | services[0].persistence.cookieName | HTTP token characters",
        "cookie name on source   | LB\\n    persistence: {type: source, cookieName: S}        | 8 | services[0].persistence.cookieName | only for type: cookie",
        "idle timeout on cookie  | LB\\n    persistence: {type: cookie, cookieName: S, idleTimeoutSec: 5} | 8 | services[0].persistence.idleTimeoutSec | only for type: source",
        "source idle timeout 0   | LB\\n    persistence: {type: source, idleTimeoutSec: 0}    | 8 | services[0].persistence.idleTimeoutSec | within 1..86400",
        "source max clients 0    | LB\\n    persistence: {type: source, maxClients: 0}        | 8 | services[0].persistence.maxClients | within 1..",
        "proxy protocol v1       | LB\\n    proxyProtocol: v1                                 | 8 | services[0].proxyProtocol | must be false or v2, was 'v1'",
        // delayed binding (cookie persistence, PROXY header) runs on the full-proxy engine: still no non-TLS pass
        "cookie and non-TLS pass | LB\\n    persistence: {type: cookie, cookieName: S}\\n    onNonTls: pass | 9 | services[0].onNonTls | 'pass' needs a server at the listen address",
        "PROXY and non-TLS pass  | LB\\n    proxyProtocol: v2\\n    onNonTls: pass       | 9 | services[0].onNonTls | 'pass' needs a server at the listen address",
        // journal
        "unknown journal key     | journal:\\n  size: 10                                                | 3 | journal.size | unknown key",
        "journal path relative   | journal:\\n  path: journal.dat                                       | 3 | journal.path | absolute path",
        "max flows zero          | journal:\\n  maxFlows: 0                                             | 3 | journal.maxFlows | within 1..",
        "ring too small          | journal:\\n  ringCapacity: 1                                         | 3 | journal.ringCapacity | within 2..4096",
        "ring too large          | journal:\\n  ringCapacity: 5000                                      | 3 | journal.ringCapacity | within 2..4096",
        "idle timeout zero       | journal:\\n  idleTimeoutSec: 0                                       | 3 | journal.idleTimeoutSec | within 1..86400",
    })
    void shouldNameFileLineAndFieldOfEachError(
        final String name, final String yaml, final int line, final String field, final String reason)
    {
        final String text = withFiles(HEAD + yaml.replace("\\n", "\n")
            .replace("LBHEAD", LB_HEAD)
            .replace("LB", LB_HEAD + "\n    backends: [{address: 10.0.0.2}]")
            .replace("CERT", "certificates: [{chain: A_CHAIN, key: A_KEY}]") + "\n");
        final ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.parse(FILE, text));
        final String message = error.getMessage();
        assertTrue(message.startsWith("test.yaml:" + line + ": field '" + field + "'"), message);
        assertTrue(message.contains(reason), message);
    }

    private String withFiles(final String yaml)
    {
        return yaml
            .replace("A_CHAIN", dir.resolve("a.chain.pem").toString())
            .replace("A_KEY", dir.resolve("a.key.pem").toString())
            .replace("B_CHAIN", dir.resolve("b.chain.pem").toString())
            .replace("B_KEY", dir.resolve("b.key.pem").toString())
            .replace("DIR", dir.toString());
    }
}
