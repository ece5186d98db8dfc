package org.inlinetls.appliance.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CommandLineTest
{
    static final Path SAMPLE_PCAP = Path.of("../test-pcaps/http-download-64k.pcap");

    @TempDir
    Path dir;

    @Test
    void shouldAcceptTheShippedConfig()
    {
        final Captured out = run("check-config", "../config/appliance.yaml");
        assertEquals(0, out.exitCode, out.err);
        assertTrue(out.out.contains("configuration OK"), out.out);
    }

    @Test
    void shouldRejectABadConfigWithExitCode2AndALocatedMessage() throws IOException
    {
        final Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "interfaces:\n  outside: a0\n  inside: b0\nthreading:\n  mode: turbo\n");
        final Captured out = run("check-config", bad.toString());
        assertEquals(2, out.exitCode);
        assertTrue(out.err.contains("bad.yaml:5: field 'threading.mode'"), out.err);
    }

    @Test
    void shouldReplayACaptureThroughTheBridgeFrameForFrame() throws IOException
    {
        final Path config = dir.resolve("replay.yaml");
        Files.writeString(config, "interfaces: {outside: out0, inside: in0}\n");
        final Path output = dir.resolve("out.pcap");
        final Captured out = run("replay", "--config", config.toString(), "--in", SAMPLE_PCAP.toString(),
            "--out", output.toString());
        assertEquals(0, out.exitCode, out.err);
        assertArrayEquals(Files.readAllBytes(SAMPLE_PCAP), Files.readAllBytes(output));
        assertTrue(out.out.contains("frames in"), out.out);
    }

    @Test
    void shouldReplayTheDirectModeLabCaptureWithItsKeyLogAndPrintTheEngineLatency()
    {
        final Captured out = run("replay", "--config", "../test-pcaps/https-direct.yaml",
            "--in", "../test-pcaps/https-direct-outside.pcap", "--inside", "../test-pcaps/https-direct-inside.pcap",
            "--keylog", "../test-pcaps/https-direct.keylog", "--out", dir.resolve("direct.pcap").toString());
        assertEquals(0, out.exitCode, out.err);
        assertTrue(out.out.contains("2 handshakes stood in for with the key log"), out.out);
        assertTrue(out.out.matches("(?s).*engine time per frame \\(us\\): count [0-9,]+  p50 [0-9.]+  p90 [0-9.]+  " +
            "p99 [0-9.]+  p99\\.9 [0-9.]+  max [0-9.]+.*"), out.out);
        assertFalse(out.out.contains("handshake_failed"), out.out);
    }

    @Test
    void shouldRefuseADirectModeReplayWithoutTheKeyLog()
    {
        final Captured out = run("replay", "--config", "../test-pcaps/https-direct.yaml",
            "--in", "../test-pcaps/https-direct-outside.pcap", "--inside", "../test-pcaps/https-direct-inside.pcap",
            "--out", dir.resolve("x.pcap").toString());
        assertEquals(2, out.exitCode);
        assertTrue(out.err.contains("--keylog"), out.err);
    }

    @Test
    void shouldFailReplayOfAMissingFileClearly()
    {
        final Captured out = run("replay", "--config", "../config/appliance.yaml", "--in", "/nonexistent.pcap",
            "--out", dir.resolve("x.pcap").toString());
        assertEquals(1, out.exitCode);
        assertTrue(out.err.contains("nonexistent.pcap"), out.err);
    }

    @Test
    void shouldExplainUsageErrors()
    {
        final Captured out = run("run");
        assertEquals(2, out.exitCode);
        assertTrue(out.err.contains("--config"), out.err);
    }

    @Test
    void shouldNameTheInstalledFilesAndTheManualInItsHelp()
    {
        final Captured out = run("--help");
        assertEquals(0, out.exitCode, out.err);
        assertTrue(out.out.contains("Exit codes: 0 ok"), out.out);
        assertTrue(out.out.contains("/etc/inline-tls/appliance.yaml"), out.out);
        assertTrue(out.out.contains("inline-tls.service"), out.out);
        assertTrue(out.out.contains("man appliance"), out.out);
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
