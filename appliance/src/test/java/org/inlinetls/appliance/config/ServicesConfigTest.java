package org.inlinetls.appliance.config;

import org.inlinetls.crypto.cbc.CbcSuite;
import org.inlinetls.crypto.record.IntegrityMode;
import org.inlinetls.crypto.suite.CipherSuite;
import org.inlinetls.handshake.HandshakeConfig;
import org.inlinetls.handshake.KeyShareGroup;
import org.inlinetls.handshake.cert.CertificateSpec;
import org.inlinetls.seqdb.JournalConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.InetSocketAddress;
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
        assertEquals(List.of("www", "www-v6"), config.services().stream().map(ApplianceConfig.Service::name).toList());
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
        "load-balancing mode     | CERT\\nservices:\\n  - name: www\\n    mode: load-balancing\\n    listen: 192.0.2.10 | 5 | services[0].mode | 'load-balancing' is not implemented yet",
        "full-proxy mode         | CERT\\nservices:\\n  - {name: www, mode: full-proxy, listen: 192.0.2.10} | 4 | services[0].mode | 'full-proxy' is not implemented yet",
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
