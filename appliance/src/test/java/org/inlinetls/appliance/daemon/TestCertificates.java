package org.inlinetls.appliance.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;

/**
 * A self-signed ECDSA P-256 certificate and its key written by the {@code openssl} command (no network), for tests
 * that start the direct mode from a configuration file.
 */
final class TestCertificates
{
    private TestCertificates()
    {
    }

    /** Writes {@code name.chain.pem} and {@code name.key.pem} (mode 0600) into {@code dir}; skips without openssl. */
    static void write(final Path dir, final String name) throws IOException, InterruptedException
    {
        final Path chain = dir.resolve(name + ".chain.pem");
        final Path key = dir.resolve(name + ".key.pem");
        final Process process;
        try
        {
            process = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key.toString(), "-out", chain.toString(),
                "-subj", "/CN=" + name + ".test", "-addext", "subjectAltName=DNS:" + name + ".test", "-days", "2")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        }
        catch (final IOException ex)
        {
            Assumptions.abort("openssl is not installed: " + ex.getMessage());
            return;
        }
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0)
        {
            process.destroyForcibly();
            throw new IOException("openssl req failed for " + name);
        }
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    }
}
