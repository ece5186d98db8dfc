package org.inlinetls.appliance.daemon;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.appliance.config.ConfigLoader;
import org.inlinetls.modes.ServiceModeClassifier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which engine the bridge runs for which services: the direct engine alone, the full-proxy engine alone, or both
 * dispatching by service; and full-proxy services only change with a restart.
 */
class DirectWiringModesTest
{
    @TempDir
    Path dir;
    private final Path journal = Path.of("/dev/shm/itls-wiring-modes-" + ProcessHandle.current().pid() + ".dat");

    @AfterEach
    void deleteJournal() throws IOException
    {
        Files.deleteIfExists(journal);
        Files.deleteIfExists(journal.resolveSibling(journal.getFileName() + ".lock"));
    }

    private ApplianceConfig config(final String services) throws Exception
    {
        return config(services, "");
    }

    private ApplianceConfig config(final String services, final String tls) throws Exception
    {
        TestCertificates.write(dir, "www");
        final Path file = dir.resolve("appliance.yaml");
        final String yaml = "interfaces: {outside: a0, inside: b0}\n" +
            "journal: {path: " + journal + "}\n" +
            "tls: {sessionCache: {enabled: false}" + tls + "}\n" +
            "certificates: [{chain: www.chain.pem, key: www.key.pem}]\n" +
            "services:\n" + services;
        Files.writeString(file, yaml);
        return ConfigLoader.parse(file, yaml);
    }

    @Test
    void shouldRunTheDirectEngineAloneForDirectServices() throws Exception
    {
        try (DirectWiring wiring = new DirectWiring(config("  - {name: a, listen: 192.0.2.1}\n"), null, null, null,
            null))
        {
            assertNull(wiring.proxyEngine);
            assertSame(wiring.engine, wiring.classifier());
        }
    }

    @Test
    void shouldRunTheFullProxyEngineAloneForFullProxyServices() throws Exception
    {
        try (DirectWiring wiring = new DirectWiring(config("  - {name: a, mode: full-proxy, listen: 192.0.2.1}\n"),
            null, null, null, null))
        {
            assertNotNull(wiring.proxyEngine);
            assertSame(wiring.proxyEngine, wiring.classifier());
        }
    }

    @Test
    void shouldRunStrictIntegrityForFullProxyOnlyAndRefuseToAddADirectServiceThen() throws Exception
    {
        final String proxy = "  - {name: a, mode: full-proxy, listen: 192.0.2.1}\n";
        try (DirectWiring wiring = new DirectWiring(config(proxy, ", integrity: strict"), null, null, null,
            null))
        {
            assertSame(wiring.proxyEngine, wiring.classifier());
            final IOException refused = assertThrows(IOException.class, () -> wiring.reloadedTable(
                config(proxy + "  - {name: b, listen: 192.0.2.2}\n", ", integrity: strict")));
            assertTrue(refused.getMessage().contains("integrity: deferred"), refused.getMessage());
        }
    }

    @Test
    void shouldDispatchMixedServicesAndRefuseToReloadAChangedFullProxyService() throws Exception
    {
        final String direct = "  - {name: a, listen: 192.0.2.1}\n";
        try (DirectWiring wiring = new DirectWiring(config(direct +
            "  - {name: b, mode: full-proxy, listen: '192.0.2.1:8443', backendPort: 80}\n"), null, null, null, null))
        {
            assertNotNull(wiring.proxyEngine);
            assertInstanceOf(ServiceModeClassifier.class, wiring.classifier());
            wiring.reloadedTable(config(direct + "  - {name: b, mode: full-proxy, listen: '192.0.2.1:8443', " +
                "backendPort: 80}\n  - {name: c, listen: 192.0.2.3}\n")); // another direct service: fine
            final IOException changed = assertThrows(IOException.class, () -> wiring.reloadedTable(config(direct +
                "  - {name: b, mode: full-proxy, listen: '192.0.2.1:8443', backendPort: 81}\n")));
            assertTrue(changed.getMessage().contains("full-proxy services change only with a restart"),
                changed.getMessage());
            final IOException shared = assertThrows(IOException.class, () -> wiring.reloadedTable(config(
                "  - {name: b, mode: full-proxy, listen: '192.0.2.1:8443', backendPort: 80}\n")));
            assertTrue(shared.getMessage().contains("in front of a full-proxy service's backend"), shared.getMessage());
        }
    }
}
