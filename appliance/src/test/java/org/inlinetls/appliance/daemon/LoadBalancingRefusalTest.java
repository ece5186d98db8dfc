package org.inlinetls.appliance.daemon;

import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.appliance.config.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What check-config accepts but the load-balancing data path cannot do is refused by the daemon before it touches
 * anything (ports, counters, certificate store): an IPv6 service, and a backend that is a direct service's address.
 * Persistence by cookie and the PROXY protocol are no longer refused: such services bind their backend after the TLS
 * handshake, on the full-proxy engine.
 */
class LoadBalancingRefusalTest
{
    @TempDir
    Path dir;

    @Test
    void shouldAcceptCookiePersistenceAndTheProxyProtocolAsDelayedBindingServices() throws Exception
    {
        final ApplianceConfig config = config(
            "  - {name: shop, mode: load-balancing, listen: 192.0.2.20, backends: [{address: 10.0.0.2}],",
            "     persistence: {type: cookie, cookieName: SERVERID}}",
            "  - {name: pp, mode: load-balancing, listen: 192.0.2.21, backends: [{address: 10.0.0.2}],",
            "     proxyProtocol: v2}",
            "  - {name: nat, mode: load-balancing, listen: 192.0.2.22, backends: [{address: 10.0.0.3}]}");
        LoadBalancingWiring.check(config, DirectWiring.services(config)); // no longer refused
        assertTrue(LoadBalancingWiring.delayedBinding(config.services().get(0)));
        assertTrue(LoadBalancingWiring.delayedBinding(config.services().get(1)));
        assertFalse(LoadBalancingWiring.delayedBinding(config.services().get(2)), "NATed at the SYN as before");
    }

    @Test
    void shouldStillRefuseAnIpv6CookieServiceNamingIt() throws Exception
    {
        final IOException refusal = refusal(
            "  - {name: shop6, mode: load-balancing, listen: '[2001:db8::20]:443',",
            "     backends: [{address: '2001:db8::2'}], persistence: {type: cookie, cookieName: SERVERID}}");
        assertTrue(refusal.getMessage().contains("service 'shop6'") &&
            refusal.getMessage().contains("only IPv4 load-balanced services"), refusal.getMessage());
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
        final ApplianceConfig config = config(services);
        // no ports, counters or certificate store needed: the refusal comes first
        return assertThrows(IOException.class, () -> new DirectWiring(config, null, null, null, null).close());
    }

    private ApplianceConfig config(final String... services) throws Exception
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
        return config;
    }
}
