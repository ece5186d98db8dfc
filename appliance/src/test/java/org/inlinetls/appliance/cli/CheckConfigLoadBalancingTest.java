package org.inlinetls.appliance.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code check-config} on load-balancing services: validated and described (cookie persistence and the PROXY header
 * run with delayed binding on the full-proxy engine).
 */
class CheckConfigLoadBalancingTest
{
    @TempDir
    Path dir;

    private Path config(final String service) throws IOException
    {
        Files.writeString(dir.resolve("chain.pem"), "placeholder");
        Files.writeString(dir.resolve("key.pem"), "placeholder");
        final Path file = dir.resolve("lb.yaml");
        Files.writeString(file, String.join("\n",
            "interfaces: {outside: a0, inside: b0}",
            "certificates: [{chain: chain.pem, key: key.pem}]",
            "services:",
            "  - name: shop",
            "    mode: load-balancing",
            "    listen: 192.0.2.20",
            service,
            ""));
        return file;
    }

    @Test
    void shouldAcceptAValidLoadBalancingService() throws IOException
    {
        final Captured out = run("check-config", config(String.join("\n",
            "    backends: [{address: 10.0.0.2, weight: 2}, {address: 10.0.0.3}]",
            "    algorithm: source-hash",
            "    healthCheck: {type: http, path: /health, intervalMs: 1000, fall: 2}",
            "    persistence: {type: source}",
            "    proxyProtocol: v2")).toString());
        assertEquals(0, out.exitCode, out.err);
        assertTrue(out.out.contains("service shop: mode=load-balancing listen=192.0.2.20:443"), out.out);
        assertTrue(out.out.contains("algorithm=source-hash proxyProtocol=v2"), out.out);
        assertTrue(out.out.contains("configuration OK"), out.out);
    }

    @Test
    void shouldRejectABadLoadBalancingServiceWithItsLineAndField() throws IOException
    {
        final Captured out = run("check-config", config(String.join("\n",
            "    backends: [{address: 10.0.0.2}]",
            "    healthCheck:",
            "      timeoutMs: 5000")).toString());
        assertEquals(2, out.exitCode);
        assertTrue(out.err.contains("lb.yaml:9: field 'services[0].healthCheck.timeoutMs': must not exceed " +
            "intervalMs (2000)"), out.err);
    }

    private static Captured run(final String... args)
    {
        final PrintStream oldOut = System.out;
        final PrintStream oldErr = System.err;
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        try
        {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            final int code = ApplianceMain.execute(args);
            return new Captured(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }
        finally
        {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    private record Captured(int exitCode, String out, String err)
    {
    }
}
