package org.inlinetls.appliance.config;

import org.inlinetls.packet.engine.Side;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigLoaderTest
{
    private static final Path FILE = Path.of("test.yaml");

    @Test
    void shouldLoadTheShippedExampleConfig() throws ConfigException
    {
        final ApplianceConfig config = ConfigLoader.load(Path.of("../config/appliance.yaml"));
        assertEquals("eth1", config.outside());
        assertEquals("eth2", config.inside());
        assertEquals(ApplianceConfig.ThreadingMode.SHARED, config.threading().mode());
        assertEquals(List.of(ApplianceConfig.OffloadName.GRO, ApplianceConfig.OffloadName.GSO,
            ApplianceConfig.OffloadName.TSO, ApplianceConfig.OffloadName.LRO), config.nic().disableOffloads());
        assertTrue(config.faults().isEmpty());
        assertTrue(config.describe().contains("outside=eth1"));
    }

    @Test
    void shouldApplyDefaultsForAMinimalConfig() throws ConfigException
    {
        final ApplianceConfig config = ConfigLoader.parse(FILE, "interfaces: {outside: a0, inside: b0}\n");
        assertEquals(65_535, config.io().snapLengthBytes());
        assertEquals(64, config.io().batchFrames());
        assertTrue(config.nic().promiscuous());
        assertEquals(ApplianceConfig.MalformedAction.DEFAULT, config.malformed());
        assertEquals(Path.of("/dev/shm/inline-tls"), config.runtimeDirectory());
    }

    @Test
    void shouldReadFaultProfiles() throws ConfigException
    {
        final ApplianceConfig config = ConfigLoader.parse(FILE, String.join("\n",
            "interfaces: {outside: a0, inside: b0}",
            "faults:",
            "  inside: { seed: 12, lossPercent: 3.0, reorderPercent: 2.5, reorderWindow: 4, delayMicros: 10 }",
            ""));
        assertFalse(config.faults().containsKey(Side.OUTSIDE));
        assertEquals(12, config.faults().get(Side.INSIDE).seed());
        assertEquals(3.0, config.faults().get(Side.INSIDE).lossPercent());
        assertEquals(10_000, config.faults().get(Side.INSIDE).delayNs());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "missing interfaces      | io: {driver: pcap}                                                  | 1 | interfaces | is required",
        "missing inside          | interfaces: {outside: a0}                                           | 1 | interfaces.inside | is required",
        "same interfaces         | interfaces:\\n  outside: a0\\n  inside: a0                          | 3 | interfaces.inside | must differ",
        "bad interface name      | interfaces:\\n  outside: 'a b'\\n  inside: b0                       | 2 | interfaces.outside | not a Linux interface name",
        "unknown top key         | interfaces: {outside: a0, inside: b0}\\nthreads: {mode: shared}     | 2 | threads | unknown key",
        "typo in io              | interfaces: {outside: a0, inside: b0}\\nio:\\n  snaplen: 100         | 3 | io.snaplen | unknown key",
        "snap length range       | interfaces: {outside: a0, inside: b0}\\nio:\\n  snapLengthBytes: 64  | 3 | io.snapLengthBytes | within 128..262144",
        "not a number            | interfaces: {outside: a0, inside: b0}\\nio:\\n  batchFrames: many    | 3 | io.batchFrames | whole number",
        "bad threading mode      | interfaces: {outside: a0, inside: b0}\\nthreading: {mode: turbo}    | 2 | threading.mode | must be one of [shared, dedicated]",
        "bad offload             | interfaces: {outside: a0, inside: b0}\\nnic: {disableOffloads: [gro, rss]} | 2 | nic.disableOffloads | must be one of",
        "offloads not a list     | interfaces: {outside: a0, inside: b0}\\nnic: {disableOffloads: gro} | 2 | nic.disableOffloads | must be a list",
        "bad boolean             | interfaces: {outside: a0, inside: b0}\\nnic: {promiscuous: maybe}   | 2 | nic.promiscuous | true or false",
        "loss over 100           | interfaces: {outside: a0, inside: b0}\\nfaults:\\n  inside: {lossPercent: 150} | 3 | faults.inside.lossPercent | within 0.0..100.0",
        "section not a mapping   | interfaces: {outside: a0, inside: b0}\\nio: 5                       | 2 | io | must be a mapping",
        "duplicate key           | interfaces: {outside: a0, inside: b0}\\nio: {}\\nio: {}              | 3 | io | appears twice",
        "bad malformed action    | interfaces: {outside: a0, inside: b0}\\nmalformed: {action: ignore} | 2 | malformed.action | must be one of [default, bridge, drop]",
    })
    void shouldNameFileLineAndFieldOfEachError(
        final String name, final String yaml, final int line, final String field, final String reason)
    {
        final ConfigException error = assertThrows(ConfigException.class,
            () -> ConfigLoader.parse(FILE, yaml.replace("\\n", "\n")));
        final String message = error.getMessage();
        assertTrue(message.startsWith("test.yaml:" + line + ": field '" + field + "'"), message);
        assertTrue(message.contains(reason), message);
    }

    @Test
    void shouldReportYamlSyntaxErrorsWithTheirLine()
    {
        final ConfigException error = assertThrows(ConfigException.class,
            () -> ConfigLoader.parse(FILE, "interfaces:\n  outside: a0\n  inside: [b0\n"));
        assertTrue(error.getMessage().startsWith("test.yaml:"), error.getMessage());
        assertTrue(error.getMessage().contains("not valid YAML"), error.getMessage());
    }

    @Test
    void shouldRejectEmptyAndMissingFiles()
    {
        assertTrue(assertThrows(ConfigException.class, () -> ConfigLoader.parse(FILE, "# nothing\n"))
            .getMessage().contains("empty"));
        assertTrue(assertThrows(ConfigException.class, () -> ConfigLoader.load(Path.of("/nonexistent/x.yaml")))
            .getMessage().contains("no such file"));
        assertTrue(assertThrows(ConfigException.class, () -> ConfigLoader.parse(FILE, "- a\n- b\n"))
            .getMessage().contains("must be a mapping"));
    }
}
