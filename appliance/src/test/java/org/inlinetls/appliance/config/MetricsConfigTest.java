package org.inlinetls.appliance.config;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code metrics:} section: off by default; an IP literal and port, never a name to look up. */
class MetricsConfigTest
{
    private static final Path FILE = Path.of("/etc/inline-tls/appliance.yaml");
    private static final String BASE = "interfaces: {outside: a0, inside: b0}\n";

    @Test
    void shouldServeNothingUnlessAsked() throws ConfigException
    {
        assertFalse(ConfigLoader.parse(FILE, BASE).metrics().enabled());
    }

    @Test
    void shouldReadIpv4AndIpv6Addresses() throws Exception
    {
        assertEquals(new InetSocketAddress("127.0.0.1", 9400),
            ConfigLoader.parse(FILE, BASE + "metrics: {address: \"127.0.0.1:9400\"}\n").metrics().address());
        assertEquals(new InetSocketAddress("::1", 9400),
            ConfigLoader.parse(FILE, BASE + "metrics: {address: \"[::1]:9400\"}\n").metrics().address());
    }

    @Test
    void shouldRefuseNamesBadAddressesAndPortsWithTheLine()
    {
        for (final String bad : new String[] {"localhost:9400", "127.0.0.1", "300.0.0.1:9400", "127.0.0.1:0",
            "127.0.0.1:70000", "[zz]:9400"})
        {
            final ConfigException ex = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse(FILE, BASE + "metrics:\n  address: \"" + bad + "\"\n"), bad);
            assertTrue(ex.getMessage().contains("appliance.yaml:3") && ex.getMessage().contains("address"),
                ex.getMessage());
        }
        assertTrue(assertThrows(ConfigException.class, () -> ConfigLoader.parse(FILE, BASE +
            "metrics:\n  port: 9400\n")).getMessage().contains("port"));
    }
}
