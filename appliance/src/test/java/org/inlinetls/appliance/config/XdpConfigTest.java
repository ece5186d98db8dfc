package org.inlinetls.appliance.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code io.driver: xdp} and {@code io.xdp}: parsing, defaults, validation and the config dump. */
class XdpConfigTest
{
    private static final Path FILE = Path.of("test.yaml");
    private static final String INTERFACES = "interfaces: {outside: a0, inside: b0}\n";

    @Test
    void shouldDefaultToAutoAttachAndInterceptedRedirect() throws ConfigException
    {
        final ApplianceConfig config = ConfigLoader.parse(FILE, INTERFACES + "io: {driver: xdp}\n");
        assertEquals(ApplianceConfig.IoDriver.XDP, config.io().driver());
        assertEquals(ApplianceConfig.XdpAttach.AUTO, config.io().xdp().attach());
        assertEquals(ApplianceConfig.XdpRedirect.INTERCEPTED, config.io().xdp().redirect());
        assertTrue(config.describe().contains("io: driver=xdp "), config.describe());
        assertTrue(config.describe().contains(" xdp.attach=auto xdp.redirect=intercepted\n"), config.describe());
    }

    @Test
    void shouldReadAttachAndRedirect() throws ConfigException
    {
        final ApplianceConfig config = ConfigLoader.parse(FILE, INTERFACES +
            "io:\n  driver: xdp\n  xdp:\n    attach: generic\n    redirect: all\n");
        assertEquals(ApplianceConfig.XdpAttach.GENERIC, config.io().xdp().attach());
        assertEquals(ApplianceConfig.XdpRedirect.ALL, config.io().xdp().redirect());
        assertTrue(config.describe().contains(" xdp.attach=generic xdp.redirect=all\n"), config.describe());
        assertEquals(ApplianceConfig.XdpAttach.DRIVER, ConfigLoader.parse(FILE, INTERFACES +
            "io: {driver: xdp, xdp: {attach: driver}}\n").io().xdp().attach());
    }

    @Test
    void shouldKeepTheRingDefaultAndPrintXdpDefaults() throws ConfigException
    {
        final ApplianceConfig config = ConfigLoader.parse(FILE, INTERFACES);
        assertEquals(ApplianceConfig.IoDriver.RING, config.io().driver());
        assertEquals(ApplianceConfig.Xdp.DEFAULT, config.io().xdp());
    }

    @Test
    void shouldNeedARestartWhenTheXdpSettingsChange() throws ConfigException
    {
        final ApplianceConfig running = ConfigLoader.parse(FILE, INTERFACES + "io: {driver: xdp}\n");
        final ApplianceConfig loaded = ConfigLoader.parse(FILE, INTERFACES +
            "io: {driver: xdp, xdp: {redirect: all}}\n");
        final ConfigChanges changes = ConfigChanges.between(running, loaded, false);
        assertEquals(java.util.List.of("io"), changes.needsRestart());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "bad driver         | io: {driver: af-xdp}                          | 2 | io.driver | must be one of [ring, pcap, xdp]",
        "bad attach         | io:\\n  driver: xdp\\n  xdp: {attach: native} | 4 | io.xdp.attach | must be one of [auto, driver, generic]",
        "bad redirect       | io:\\n  driver: xdp\\n  xdp: {redirect: some} | 4 | io.xdp.redirect | must be one of [intercepted, all]",
        "unknown xdp key    | io:\\n  driver: xdp\\n  xdp: {mode: skb}      | 4 | io.xdp.mode | unknown key",
        "xdp not a mapping  | io:\\n  driver: xdp\\n  xdp: generic          | 4 | io.xdp | must be a mapping",
        "xdp without driver | io:\\n  xdp: {attach: generic}                 | 3 | io.xdp | only with io.driver: xdp (the driver is ring)",
        "xdp with pcap      | io:\\n  driver: pcap\\n  xdp: {redirect: all} | 4 | io.xdp | only with io.driver: xdp (the driver is pcap)",
    })
    void shouldNameFileLineAndFieldOfEachError(
        final String name, final String yaml, final int line, final String field, final String reason)
    {
        final ConfigException error = assertThrows(ConfigException.class,
            () -> ConfigLoader.parse(FILE, INTERFACES + yaml.replace("\\n", "\n")));
        final String message = error.getMessage();
        assertTrue(message.startsWith("test.yaml:" + line + ": field '" + field + "'"), message);
        assertTrue(message.contains(reason), message);
    }
}
