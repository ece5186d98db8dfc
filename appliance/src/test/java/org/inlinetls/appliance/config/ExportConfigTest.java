package org.inlinetls.appliance.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The opt-in {@code export:} section: off by default, an absolute key log path, its rotation size bounded. */
class ExportConfigTest
{
    private static final Path FILE = Path.of("/etc/inline-tls/appliance.yaml");
    private static final String BASE = "interfaces: {outside: a0, inside: b0}\n";

    @Test
    void shouldExportNothingUnlessAsked() throws ConfigException
    {
        final ApplianceConfig config = ConfigLoader.parse(FILE, BASE);
        assertFalse(config.export().keyLogEnabled());
        assertFalse(config.describe().contains("keyLog"));
        assertFalse(ConfigLoader.load(Path.of("../config/appliance.yaml")).export().keyLogEnabled(),
            "the shipped example keeps it commented out");
    }

    @Test
    void shouldReadTheKeyLogAndSayLoudlyThatSecretsAreWritten() throws ConfigException
    {
        final ApplianceConfig config = ConfigLoader.parse(FILE, BASE +
            "export:\n  keyLog: /dev/shm/keys.log\n  keyLogMaxBytes: 1048576\n");
        assertTrue(config.export().keyLogEnabled());
        assertEquals(Path.of("/dev/shm/keys.log"), config.export().keyLog());
        assertEquals(1_048_576, config.export().keyLogMaxBytes());
        assertTrue(config.describe().contains("SESSION SECRETS ARE WRITTEN TO THIS FILE"), config.describe());
        assertEquals(ApplianceConfig.Export.DEFAULT_KEY_LOG_MAX_BYTES, ConfigLoader.parse(FILE, BASE +
            "export:\n  keyLog: /dev/shm/keys.log\n").export().keyLogMaxBytes());
    }

    @Test
    void shouldReadThePlaintextExportAndSayLoudlyThatTrafficIsWritten() throws ConfigException
    {
        assertFalse(ConfigLoader.parse(FILE, BASE).export().plaintextEnabled());
        final ApplianceConfig config = ConfigLoader.parse(FILE, BASE +
            "export:\n  plaintextPcap: /var/tmp/plain.pcap\n  plaintextPcapMaxBytes: 2097152\n");
        assertTrue(config.export().plaintextEnabled());
        assertFalse(config.export().keyLogEnabled());
        assertEquals(Path.of("/var/tmp/plain.pcap"), config.export().plaintextPcap());
        assertEquals(2_097_152, config.export().plaintextPcapMaxBytes());
        assertTrue(config.describe().contains("DECRYPTED TRAFFIC IS WRITTEN TO THIS FILE"), config.describe());
        assertTrue(assertThrows(ConfigException.class, () -> ConfigLoader.parse(FILE, BASE +
            "export:\n  plaintextPcap: plain.pcap\n")).getMessage().contains("appliance.yaml:3"));
        assertTrue(assertThrows(ConfigException.class, () -> ConfigLoader.parse(FILE, BASE +
            "export:\n  plaintextPcap: /var/tmp/p.pcap\n  plaintextPcapMaxBytes: 1000\n")).getMessage()
            .contains("plaintextPcapMaxBytes"));
    }

    @Test
    void shouldRefuseARelativePathASmallLimitAndUnknownKeys()
    {
        assertTrue(assertThrows(ConfigException.class, () -> ConfigLoader.parse(FILE, BASE +
            "export:\n  keyLog: keys.log\n")).getMessage().contains("appliance.yaml:3"));
        assertTrue(assertThrows(ConfigException.class, () -> ConfigLoader.parse(FILE, BASE +
            "export:\n  keyLog: /dev/shm/keys.log\n  keyLogMaxBytes: 100\n")).getMessage().contains("keyLogMaxBytes"));
        assertTrue(assertThrows(ConfigException.class, () -> ConfigLoader.parse(FILE, BASE +
            "export:\n  keyLogFile: /dev/shm/keys.log\n")).getMessage().contains("keyLogFile"));
    }
}
