package org.inlinetls.appliance.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.inlinetls.modes.direct.SwitchPolicy;
import org.junit.jupiter.api.Test;

/** The {@code switching:} section: defaults, values, bounds with their line, and a change needing a restart. */
class SwitchingConfigTest
{
    private static final Path FILE = Path.of("/etc/inline-tls/appliance.yaml");
    private static final String BASE = "interfaces: {outside: a0, inside: b0}\n";

    @Test
    void shouldTakeDefaultsUnlessSet() throws ConfigException
    {
        assertEquals(SwitchPolicy.DEFAULT, ConfigLoader.parse(FILE, BASE).switching());
        assertEquals(SwitchPolicy.DEFAULT, ConfigLoader.load(Path.of("../config/appliance.yaml")).switching(),
            "the example documents the defaults");
        final ApplianceConfig config = ConfigLoader.parse(FILE, BASE + "switching:\n  enabled: false\n" +
            "  smallWindowBytes: 3000\n  smallWindowAcks: 2\n  resumeWindowBytes: 12000\n  maxProxiedFlows: 8\n" +
            "  stageBytes: 8192\n  tinySegmentBytes: 0\n  tinySegmentRun: 3\n");
        assertEquals(new SwitchPolicy(false, 3000, 2, 12000, 8, 8192, 0, 3), config.switching());
        assertTrue(config.describe().contains("switching: enabled=false smallWindowBytes=3000 smallWindowAcks=2"),
            config.describe());
    }

    @Test
    void shouldRefuseOutOfRangeValuesAndUnknownKeysWithTheirLine()
    {
        final ConfigException acks = assertThrows(ConfigException.class, () -> ConfigLoader.parse(FILE, BASE +
            "switching:\n  smallWindowAcks: 0\n"));
        assertTrue(acks.getMessage().contains("appliance.yaml:3") && acks.getMessage().contains("smallWindowAcks"),
            acks.getMessage());
        final ConfigException order = assertThrows(ConfigException.class, () -> ConfigLoader.parse(FILE, BASE +
            "switching:\n  smallWindowBytes: 5000\n  resumeWindowBytes: 4000\n"));
        assertTrue(order.getMessage().contains("appliance.yaml:4") && order.getMessage().contains("resumeWindowBytes"),
            order.getMessage());
        final ConfigException stage = assertThrows(ConfigException.class, () -> ConfigLoader.parse(FILE, BASE +
            "switching:\n  stageBytes: 100\n"));
        assertTrue(stage.getMessage().contains("stageBytes"), stage.getMessage());
        final ConfigException unknown = assertThrows(ConfigException.class, () -> ConfigLoader.parse(FILE, BASE +
            "switching:\n  window: 4\n"));
        assertTrue(unknown.getMessage().contains("window"), unknown.getMessage());
    }

    @Test
    void shouldCallAChangedSectionARestart() throws ConfigException
    {
        final ApplianceConfig running = ConfigLoader.parse(FILE, BASE);
        final ApplianceConfig loaded = ConfigLoader.parse(FILE, BASE + "switching: {enabled: false}\n");
        final ConfigChanges changes = ConfigChanges.between(running, loaded, true);
        assertEquals(running.switching(), changes.effective().switching());
        assertEquals(List.of("switching"), changes.needsRestart());
    }
}
