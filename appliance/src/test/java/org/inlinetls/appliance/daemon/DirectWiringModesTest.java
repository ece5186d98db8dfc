package org.inlinetls.appliance.daemon;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.appliance.config.ConfigLoader;
import org.inlinetls.modes.ServiceModeClassifier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which engines the bridge runs: every mode's, whatever the services, so a reload can add a service in any mode or move
 * one to another; which reloads are prepared and which refused.
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
    void shouldRunEveryModesEngineOnTheBridgeWhateverTheServicesSoAReloadCanMoveOne() throws Exception
    {
        for (final String services : List.of("  - {name: a, listen: 192.0.2.1}\n",
            "  - {name: a, mode: full-proxy, listen: 192.0.2.1}\n"))
        {
            try (DirectWiring wiring = new DirectWiring(config(services), null, null, null, null))
            {
                assertNotNull(wiring.proxyEngine);
                assertNotNull(wiring.stage());
                assertInstanceOf(ServiceModeClassifier.class, wiring.classifier());
                assertSame(wiring.engine, wiring.stage().engine(), "the stage feeds the engine");
            }
        }
    }

    @Test
    void shouldRunStrictIntegrityForFullProxyOnlyAndRefuseToAddADirectServiceThen() throws Exception
    {
        final String proxy = "  - {name: a, mode: full-proxy, listen: 192.0.2.1}\n";
        try (DirectWiring wiring = new DirectWiring(config(proxy, ", integrity: strict"), null, null, null,
            null))
        {
            final IOException refused = assertThrows(IOException.class, () -> wiring.prepareReload(
                config(proxy + "  - {name: b, listen: 192.0.2.2}\n", ", integrity: strict")));
            assertTrue(refused.getMessage().contains("integrity: deferred"), refused.getMessage());
            wiring.prepareReload(config("  - {name: a, mode: full-proxy, listen: 192.0.2.1, backendPort: 8080}\n",
                ", integrity: strict")); // full-proxy services alone change freely
        }
    }

    @Test
    void shouldPrepareAReloadThatChangesAFullProxyServiceOrMovesAServiceBetweenModes() throws Exception
    {
        final String direct = "  - {name: a, listen: 192.0.2.1}\n";
        try (DirectWiring wiring = new DirectWiring(config(direct +
            "  - {name: b, mode: full-proxy, listen: '192.0.2.1:8443', backendPort: 80}\n"), null, null, null, null))
        {
            // another direct service, a changed full-proxy service, the direct service in front of the shared
            // backend removed, and the direct service turned full-proxy: all apply without a restart
            commit(wiring, direct + "  - {name: b, mode: full-proxy, listen: '192.0.2.1:8443', backendPort: 80}\n" +
                "  - {name: c, listen: 192.0.2.3}\n");
            commit(wiring, direct + "  - {name: b, mode: full-proxy, listen: '192.0.2.1:8443', backendPort: 81}\n");
            commit(wiring, "  - {name: b, mode: full-proxy, listen: '192.0.2.1:8443', backendPort: 80}\n");
            commit(wiring, direct);
            final DirectWiring.Reload moved = wiring.prepareReload(config(
                "  - {name: a, mode: full-proxy, listen: 192.0.2.1}\n"));
            assertTrue(moved.handedOver().contains(List.of(0xC0000201, 443)),
                "a full-proxy service that was direct: its direct flows in flight finish there");
        }
    }

    private void commit(final DirectWiring wiring, final String services) throws Exception
    {
        wiring.commit(wiring.prepareReload(config(services)));
    }
}
