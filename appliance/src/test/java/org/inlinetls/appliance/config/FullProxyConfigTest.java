package org.inlinetls.appliance.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Full-proxy services and the {@code fullProxy:} section: accepted, defaults, bounds, and what a reload may change. */
class FullProxyConfigTest
{
    private static final Path FILE = Path.of("/etc/inline-tls/appliance.yaml");
    private static final String BASE = "interfaces: {outside: a0, inside: b0}\n";

    @TempDir
    Path dir;

    @Test
    void shouldTakeDefaultsUnlessSet() throws ConfigException
    {
        assertEquals(ApplianceConfig.FullProxy.DEFAULTS, ConfigLoader.parse(FILE, BASE).fullProxy());
        final ApplianceConfig config = ConfigLoader.parse(FILE, BASE +
            "fullProxy:\n  memoryBudgetMb: 64\n  bufferKb: 32\n  idleTimeoutSec: 30\n  timeWaitMs: 0\n");
        assertEquals(new ApplianceConfig.FullProxy(64, 32, 30, 0), config.fullProxy());
        assertTrue(config.describe().contains("fullProxy: memoryBudgetMb=64 bufferKb=32"), config.describe());
        assertEquals(ApplianceConfig.FullProxy.DEFAULTS,
            ConfigLoader.load(Path.of("../config/appliance.yaml")).fullProxy(), "the example documents the defaults");
    }

    @Test
    void shouldRefuseOutOfRangeValuesAndUnknownKeysWithTheirLine()
    {
        final ConfigException small = assertThrows(ConfigException.class, () -> ConfigLoader.parse(FILE, BASE +
            "fullProxy:\n  bufferKb: 4\n"));
        assertTrue(small.getMessage().contains("appliance.yaml:3") && small.getMessage().contains("bufferKb"),
            small.getMessage());
        final ConfigException unknown = assertThrows(ConfigException.class, () -> ConfigLoader.parse(FILE, BASE +
            "fullProxy:\n  budget: 4\n"));
        assertTrue(unknown.getMessage().contains("budget"), unknown.getMessage());
    }

    @Test
    void shouldAcceptAFullProxyServiceApplyItsBudgetLiveAndCallABufferChangeARestart() throws Exception
    {
        Files.writeString(dir.resolve("chain.pem"), "placeholder");
        Files.writeString(dir.resolve("key.pem"), "placeholder");
        final String services = "certificates: [{chain: chain.pem, key: key.pem}]\n" +
            "services:\n  - {name: www, mode: full-proxy, listen: 192.0.2.10, backendPort: 8080}\n";
        final ApplianceConfig running = ConfigLoader.parse(dir.resolve("a.yaml"), BASE + services);
        assertEquals(ApplianceConfig.ServiceMode.FULL_PROXY, running.services().get(0).mode());
        final ApplianceConfig loaded = ConfigLoader.parse(dir.resolve("a.yaml"), BASE + services +
            "fullProxy: {memoryBudgetMb: 8, idleTimeoutSec: 60}\n");
        final ConfigChanges live = ConfigChanges.between(running, loaded, true);
        assertEquals(loaded.fullProxy(), live.effective().fullProxy(), "the budget and timeouts apply at once");
        assertEquals(java.util.List.of(), live.needsRestart());

        final ApplianceConfig buffers = ConfigLoader.parse(dir.resolve("a.yaml"), BASE + services +
            "fullProxy: {memoryBudgetMb: 8, bufferKb: 128}\n");
        final ConfigChanges changes = ConfigChanges.between(running, buffers, true);
        assertEquals(new ApplianceConfig.FullProxy(8, running.fullProxy().bufferKb(),
            running.fullProxy().idleTimeoutSec(), running.fullProxy().timeWaitMs()), changes.effective().fullProxy(),
            "the buffer size stays as started");
        assertEquals(java.util.List.of("fullProxy.bufferKb"), changes.needsRestart());
    }
}
