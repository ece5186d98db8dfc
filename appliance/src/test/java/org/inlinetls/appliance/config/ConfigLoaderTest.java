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
    void shouldDefaultToOneUnpinnedWorker() throws ConfigException
    {
        final ApplianceConfig config = ConfigLoader.parse(FILE,
            "interfaces: {outside: a0, inside: b0}\nthreading: {mode: dedicated}\n");
        assertEquals(1, config.threading().workers());
        assertTrue(config.threading().cpus().isEmpty());
        assertEquals(ApplianceConfig.Cpus.UNPINNED, config.threading().cpus().worker(0));
    }

    @Test
    void shouldReadWorkersAndCpus() throws ConfigException
    {
        final ApplianceConfig config = ConfigLoader.parse(FILE, String.join("\n",
            "interfaces: {outside: a0, inside: b0}",
            "threading:",
            "  mode: dedicated",
            "  workers: 2",
            "  cpus:",
            "    dispatcher: 0",
            "    workers: [1, 2]",
            "    conductor: 0",
            ""));
        assertEquals(2, config.threading().workers());
        assertEquals(new ApplianceConfig.Cpus(0, List.of(1, 2), 0), config.threading().cpus());
        assertEquals(2, config.threading().cpus().worker(1));
        assertTrue(config.describe().contains("workers=2 cpus="), config.describe());
    }

    @Test
    void shouldAllowPartialPinning() throws ConfigException
    {
        final ApplianceConfig config = ConfigLoader.parse(FILE,
            "interfaces: {outside: a0, inside: b0}\nthreading: {mode: dedicated, workers: 64, cpus: {conductor: 3}}\n");
        assertEquals(64, config.threading().workers());
        assertEquals(new ApplianceConfig.Cpus(ApplianceConfig.Cpus.UNPINNED, List.of(), 3),
            config.threading().cpus());
        assertEquals(ApplianceConfig.Cpus.UNPINNED, config.threading().cpus().worker(63));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "workers zero            | threading: {mode: dedicated, workers: 0}                       | 2 | threading.workers | within 1..64",
        "workers over 64         | threading: {mode: dedicated, workers: 65}                      | 2 | threading.workers | within 1..64",
        "workers not a number    | threading: {mode: dedicated, workers: many}                    | 2 | threading.workers | whole number",
        "workers in shared mode  | threading: {mode: shared, workers: 2}                          | 2 | threading.workers | needs mode: dedicated",
        "workers, default mode   | threading:\\n  workers: 2                                       | 3 | threading.workers | needs mode: dedicated",
        "workers with services   | threading: {mode: dedicated, workers: 2}\\nservices:\\n  - {name: www, listen: 192.0.2.10} | 2 | threading.workers | must be 1 while services are configured",
        "cpus in shared mode     | threading: {mode: shared, cpus: {conductor: 0}}                | 2 | threading.cpus | needs mode: dedicated",
        "cpus not a mapping      | threading: {mode: dedicated, cpus: [0, 1]}                     | 2 | threading.cpus | must be a mapping",
        "unknown cpus key        | threading:\\n  mode: dedicated\\n  cpus:\\n    bridge: 1      | 5 | threading.cpus.bridge | unknown key",
        "dispatcher, one worker  | threading:\\n  mode: dedicated\\n  cpus: {dispatcher: 0}     | 4 | threading.cpus.dispatcher | only with threading.workers > 1",
        "dispatcher negative     | threading: {mode: dedicated, workers: 2, cpus: {dispatcher: -1}} | 2 | threading.cpus.dispatcher | within 0..1023",
        "conductor too high      | threading: {mode: dedicated, cpus: {conductor: 1024}}          | 2 | threading.cpus.conductor | within 0..1023",
        "too few worker cpus     | threading: {mode: dedicated, workers: 3, cpus: {workers: [1, 2]}} | 2 | threading.cpus.workers | one CPU per worker (threading.workers is 3), had 2",
        "too many worker cpus    | threading: {mode: dedicated, cpus: {workers: [1, 2]}}          | 2 | threading.cpus.workers | one CPU per worker",
        "worker cpus not a list  | threading: {mode: dedicated, cpus: {workers: 1}}               | 2 | threading.cpus.workers | must be a list",
        "worker cpu not a number | threading:\\n  mode: dedicated\\n  workers: 2\\n  cpus:\\n    workers:\\n      - 1\\n      - one | 8 | threading.cpus.workers[1] | whole number",
        "worker cpu out of range | threading: {mode: dedicated, workers: 2, cpus: {workers: [1, 5000]}} | 2 | threading.cpus.workers[1] | within 0..1023",
    })
    void shouldNameFileLineAndFieldOfEachThreadingError(
        final String name, final String yaml, final int line, final String field, final String reason)
    {
        final ConfigException error = assertThrows(ConfigException.class,
            () -> ConfigLoader.parse(FILE, "interfaces: {outside: a0, inside: b0}\n" + yaml.replace("\\n", "\n")));
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
