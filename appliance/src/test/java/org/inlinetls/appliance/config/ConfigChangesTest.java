package org.inlinetls.appliance.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.inlinetls.crypto.suite.CipherSuite;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a reload applies and what it keeps for a restart.
 */
class ConfigChangesTest
{
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

    private ApplianceConfig parse(final String yaml) throws ConfigException
    {
        return ConfigLoader.parse(dir.resolve("appliance.yaml"), yaml);
    }

    private static String file(final String interfaces, final String threading, final String tls,
        final String certificate, final String services)
    {
        return "interfaces: " + interfaces + "\n" +
            "threading: " + threading + "\n" +
            "tls: " + tls + "\n" +
            "certificates:\n  - {chain: " + certificate + ".chain.pem, key: " + certificate + ".key.pem}\n" +
            "services:\n" + services;
    }

    private static final String WWW = "  - {name: www, listen: 192.0.2.10}\n";
    private static final String API = "  - {name: api, listen: 192.0.2.11}\n";

    @Test
    void shouldApplyServicesCertificatesAndTlsPolicy() throws ConfigException
    {
        final ApplianceConfig running = parse(file("{outside: a0, inside: b0}", "{mode: shared}",
            "{minVersion: tls1.2}", "a", WWW + API));
        final ApplianceConfig loaded = parse(file("{outside: a0, inside: b0}", "{mode: shared}",
            "{minVersion: tls1.3, suites: [TLS_AES_256_GCM_SHA384]}", "b",
            "  - {name: www, listen: 192.0.2.10, backendPort: 8080}\n  - {name: new, listen: 192.0.2.12}\n"));
        final ConfigChanges changes = ConfigChanges.between(running, loaded, true);

        assertEquals(List.of(), changes.needsRestart());
        assertEquals(List.of("new"), changes.servicesAdded());
        assertEquals(List.of("api"), changes.servicesRemoved());
        assertEquals(List.of("www"), changes.servicesChanged());
        assertTrue(changes.certificatesChanged());
        assertTrue(changes.tlsChanged());
        assertEquals("services +new -api ~www, certificates, tls", changes.summary());
        assertEquals(loaded.services(), changes.effective().services());
        assertEquals(loaded.certificates(), changes.effective().certificates());
        assertEquals(CipherSuite.TlsVersion.TLS13, changes.effective().tls().minVersion());
    }

    @Test
    void shouldKeepWhatNeedsARestartAndSayWhat() throws ConfigException
    {
        final ApplianceConfig running = parse(file("{outside: a0, inside: b0}", "{mode: shared}",
            "{minVersion: tls1.2}", "a", WWW));
        final ApplianceConfig loaded = parse(file("{outside: a1, inside: b0}", "{mode: dedicated}",
            "{minVersion: tls1.2, allowCbc: true, sessionTickets: {enabled: false}}", "a", API) +
            "journal: {maxFlows: 1000}\n");
        final ConfigChanges changes = ConfigChanges.between(running, loaded, true);

        assertEquals(List.of("interfaces.outside", "threading", "journal", "tls.allowCbc", "tls.sessionTickets"),
            changes.needsRestart());
        final ApplianceConfig effective = changes.effective();
        assertEquals("a0", effective.outside());
        assertEquals(running.threading(), effective.threading());
        assertEquals(running.journal(), effective.journal());
        assertFalse(effective.tls().allowCbc());
        assertEquals(running.tls().sessionTickets(), effective.tls().sessionTickets());
        assertFalse(changes.tlsChanged());
        assertEquals(loaded.services(), effective.services(), "services still apply");
        assertEquals("services +api -www", changes.summary());
    }

    @Test
    void shouldKeepServicesWhenTheDaemonHasNoDirectMode() throws ConfigException
    {
        final ApplianceConfig running = parse("interfaces: {outside: a0, inside: b0}\n");
        final ApplianceConfig loaded = parse(file("{outside: a0, inside: b0}", "{mode: shared}",
            "{minVersion: tls1.2}", "a", WWW));
        final ConfigChanges changes = ConfigChanges.between(running, loaded, false);

        assertEquals(1, changes.needsRestart().size());
        assertTrue(changes.needsRestart().get(0).startsWith("services"), changes.needsRestart().toString());
        assertEquals(List.of(), changes.effective().services());
        assertEquals("certificates", changes.summary());
    }

    @Test
    void shouldFindNothingInTheSameFile() throws ConfigException
    {
        final String yaml = file("{outside: a0, inside: b0}", "{mode: shared}", "{minVersion: tls1.2}", "a", WWW);
        final ConfigChanges changes = ConfigChanges.between(parse(yaml), parse(yaml), true);
        assertEquals(List.of(), changes.needsRestart());
        assertEquals("nothing", changes.summary());
        assertEquals(parse(yaml), changes.effective());
    }
}
