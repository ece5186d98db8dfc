package org.inlinetls.appliance.daemon;

import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.appliance.config.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What check-config accepts but the load-balancing data path cannot do is refused by the daemon before it touches
 * anything (ports, counters, certificate store): persistence by cookie (the backend is chosen on the SYN, before
 * any cookie is seen), the PROXY protocol (not injected yet), and a backend that is a direct service's address.
 */
class LoadBalancingRefusalTest
{
    @TempDir
    Path dir;

    @Test
    void shouldRefuseCookiePersistenceBeforeTouchingAnything() throws Exception
    {
        final IOException refusal = refusal(
            "  - {name: shop, mode: load-balancing, listen: 192.0.2.20, backends: [{address: 10.0.0.2}],",
            "     persistence: {type: cookie, cookieName: SERVERID}}");
        assertTrue(refusal.getMessage().contains("service 'shop'") &&
            refusal.getMessage().contains("persistence type cookie"), refusal.getMessage());
    }

    @Test
    void shouldRefuseTheProxyProtocolBeforeTouchingAnything() throws Exception
    {
        final IOException refusal = refusal(
            "  - {name: shop, mode: load-balancing, listen: 192.0.2.20, backends: [{address: 10.0.0.2}],",
            "     proxyProtocol: v2}");
        assertTrue(refusal.getMessage().contains("service 'shop'") &&
            refusal.getMessage().contains("proxyProtocol v2 is not implemented"), refusal.getMessage());
    }

    @Test
    void shouldRefuseABackendThatIsADirectServicesAddress() throws Exception
    {
        final IOException refusal = refusal(
            "  - {name: www, listen: 10.0.0.2:443}",
            "  - {name: shop, mode: load-balancing, listen: 192.0.2.20, backends: [{address: 10.0.0.2}]}");
        assertTrue(refusal.getMessage().contains("service shop") &&
            refusal.getMessage().contains("conflicts with another service"), refusal.getMessage());
    }

    private IOException refusal(final String... services) throws Exception
    {
        Files.writeString(dir.resolve("chain.pem"), "placeholder");
        Files.writeString(dir.resolve("key.pem"), "placeholder");
        final ApplianceConfig config = ConfigLoader.parse(dir.resolve("lb.yaml"), String.join("\n",
            "interfaces: {outside: a0, inside: b0}",
            "certificates: [{chain: chain.pem, key: key.pem}]",
            "services:",
            String.join("\n", services),
            ""));
        assertEquals(ApplianceConfig.ServiceMode.LOAD_BALANCING, config.services().get(config.services().size() - 1)
            .mode());
        // no ports, counters or certificate store needed: the refusal comes first
        return assertThrows(IOException.class, () -> new DirectWiring(config, null, null, null, null).close());
    }
}
