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
 * Until the load-balancing data path is wired, the daemon refuses a load-balancing service that check-config accepts.
 */
class LoadBalancingRefusalTest
{
    @TempDir
    Path dir;

    @Test
    void shouldRefuseToStartALoadBalancingServiceBeforeTouchingAnything() throws Exception
    {
        Files.writeString(dir.resolve("chain.pem"), "placeholder");
        Files.writeString(dir.resolve("key.pem"), "placeholder");
        final ApplianceConfig config = ConfigLoader.parse(dir.resolve("lb.yaml"), String.join("\n",
            "interfaces: {outside: a0, inside: b0}",
            "certificates: [{chain: chain.pem, key: key.pem}]",
            "services:",
            "  - {name: shop, mode: load-balancing, listen: 192.0.2.20, backends: [{address: 10.0.0.2}]}",
            ""));
        assertEquals(ApplianceConfig.ServiceMode.LOAD_BALANCING, config.services().get(0).mode());
        // no ports, counters or certificate store needed: the refusal comes first
        final IOException refusal = assertThrows(IOException.class,
            () -> new DirectWiring(config, null, null, null, null).close());
        assertTrue(refusal.getMessage().contains("service 'shop'") &&
            refusal.getMessage().contains("not implemented yet"), refusal.getMessage());
    }
}
