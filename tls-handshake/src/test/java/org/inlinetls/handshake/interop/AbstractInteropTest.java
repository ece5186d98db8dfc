package org.inlinetls.handshake.interop;

import org.inlinetls.handshake.HandshakeConfig;
import org.inlinetls.handshake.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The interop matrix every real client runs against {@link LoopbackTlsServer} (Netty's SSLEngineTest style): each
 * subclass says how its client connects and what it reports; this class owns the servers, the cases and the checks.
 */
abstract class AbstractInteropTest
{
    /**
     * One cell of the matrix: version, suite (IANA and OpenSSL names), SNI host, the groups the client offers (the
     * first is expected; TLS 1.2 ECDSA cases also list the certificate's curve, RFC 8422 §5.1.1).
     */
    record Case(String version, String iana, String openssl, String host, String group, boolean cbc)
    {
        @Override
        public String toString()
        {
            return version + " " + iana + " " + host + " " + group;
        }
    }

    /** What a client reports after fetching the page. */
    record Result(String protocol, String cipher, String subject, String group, String alpn, String bodySha256)
    {
    }

    static final long PROCESS_TIMEOUT_S = 20;

    @TempDir
    static Path dir;
    static Path caPem;
    static LoopbackTlsServer server;
    static LoopbackTlsServer cbcServer;

    @BeforeAll
    static void startServers() throws IOException
    {
        final TestPki pki = TestPki.get();
        caPem = pki.writeCaPem(dir);
        server = new LoopbackTlsServer(HandshakeConfig.builder(pki.selector()).build());
        cbcServer = new LoopbackTlsServer(HandshakeConfig.builder(pki.selector()).allowCbc(true).build());
    }

    @AfterAll
    static void stopServers() throws IOException
    {
        server.close();
        cbcServer.close();
    }

    static Stream<Case> tls13Cases()
    {
        final List<Case> cases = new ArrayList<>();
        for (final String[] suite : new String[][]{
            {"TLS_AES_128_GCM_SHA256"}, {"TLS_AES_256_GCM_SHA384"}, {"TLS_CHACHA20_POLY1305_SHA256"}})
        {
            for (final String host : new String[]{TestPki.EC_HOST, TestPki.RSA_HOST, TestPki.P384_HOST})
            {
                cases.add(new Case("TLSv1.3", suite[0], suite[0], host, "X25519", false));
            }
        }
        cases.add(new Case("TLSv1.3", "TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256", TestPki.EC_HOST, "P-256",
            false));
        cases.add(new Case("TLSv1.3", "TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384", TestPki.RSA_HOST, "P-384",
            false));
        return cases.stream();
    }

    static Stream<Case> tls12Cases()
    {
        return Stream.of(
            new Case("TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256",
                TestPki.EC_HOST, "X25519:P-256", false),
            new Case("TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384",
                TestPki.P384_HOST, "P-384", false),
            new Case("TLSv1.2", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305",
                TestPki.EC_HOST, "P-256", false),
            new Case("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
                TestPki.RSA_HOST, "X25519", false),
            new Case("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
                TestPki.RSA_HOST, "P-256", false),
            new Case("TLSv1.2", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305",
                TestPki.RSA_HOST, "X25519", false));
    }

    static Stream<Case> cbcCases()
    {
        return Stream.of(
            new Case("TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "ECDHE-ECDSA-AES128-SHA256",
                TestPki.EC_HOST, "X25519:P-256", true),
            new Case("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE-RSA-AES128-SHA256",
                TestPki.RSA_HOST, "X25519", true),
            new Case("TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA",
                TestPki.EC_HOST, "X25519:P-256", true),
            new Case("TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA",
                TestPki.EC_HOST, "P-256", true),
            new Case("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA",
                TestPki.RSA_HOST, "X25519", true),
            new Case("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA",
                TestPki.RSA_HOST, "X25519", true));
    }

    /** Fetches the page with this client; may abort (Assumptions) for a case the client cannot express. */
    abstract Result fetch(Case c, int port) throws Exception;

    @ParameterizedTest
    @MethodSource("tls13Cases")
    void shouldServeTls13(final Case c) throws Exception
    {
        check(c, server);
    }

    @ParameterizedTest
    @MethodSource("tls12Cases")
    void shouldServeTls12(final Case c) throws Exception
    {
        check(c, server);
    }

    @ParameterizedTest
    @MethodSource("cbcCases")
    void shouldServeCbcSuitesWhenEnabled(final Case c) throws Exception
    {
        check(c, cbcServer);
    }

    private void check(final Case c, final LoopbackTlsServer target) throws Exception
    {
        target.outcomes.clear();
        final Result result = fetch(c, target.port());
        assertEquals(c.version(), result.protocol(), "protocol");
        assertTrue(c.iana().equals(result.cipher()) || c.openssl().equals(result.cipher()),
            () -> "cipher " + result.cipher());
        if (null != result.subject())
        {
            assertTrue(result.subject().contains(c.host()), () -> "subject " + result.subject());
        }
        if (null != result.group())
        {
            assertTrue(result.group().contains(opensslGroupName(c.group().split(":")[0])), () -> "group " + result.group());
        }
        if (null != result.alpn())
        {
            assertEquals("http/1.1", result.alpn());
        }
        assertEquals(LoopbackTlsServer.BODY_SHA256, result.bodySha256(), "body");
        final LoopbackTlsServer.Outcome outcome = awaitOutcome(target);
        assertNull(outcome.error(), () -> "server: " + outcome);
    }

    /**
     * Runs an openssl s_client command that sends an HTTP request, checks the body it got back and returns its
     * output as text (the session summary included).
     */
    static String fetchWithOpenssl(final List<String> command, final Path dir, final byte[] request) throws Exception
    {
        final Path out = Files.createTempFile(dir, "out", ".bin");
        final Path err = Files.createTempFile(dir, "err", ".txt");
        final Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
            .start();
        try (var in = process.getOutputStream())
        {
            in.write(request);
        }
        assertTrue(process.waitFor(PROCESS_TIMEOUT_S, java.util.concurrent.TimeUnit.SECONDS), "openssl timed out");
        final byte[] stdout = Files.readAllBytes(out);
        final String text = new String(stdout, StandardCharsets.ISO_8859_1);
        final String stderr = Files.readString(err);
        final String start = text.substring(0, Math.min(text.length(), 4000));
        assertEquals(LoopbackTlsServer.BODY_SHA256, bodySha256(stdout), () -> start + stderr);
        return text;
    }

    /** The session summary of the next connection the server completed without error. */
    static String cleanOutcomeSession(final LoopbackTlsServer target) throws InterruptedException
    {
        final LoopbackTlsServer.Outcome outcome = awaitOutcome(target);
        assertNull(outcome.error(), outcome::toString);
        return outcome.session();
    }

    static LoopbackTlsServer.Outcome awaitOutcome(final LoopbackTlsServer target) throws InterruptedException
    {
        return awaitOutcome(target, outcome -> true);
    }

    /**
     * Waits for the outcome of a connection that {@code matches}, skipping outcomes that earlier tests' connections
     * recorded late (a client process may exit before the server thread has written its outcome).
     */
    static LoopbackTlsServer.Outcome awaitOutcome(
        final LoopbackTlsServer target, final java.util.function.Predicate<LoopbackTlsServer.Outcome> matches)
        throws InterruptedException
    {
        for (int i = 0; i < 300; i++)
        {
            final LoopbackTlsServer.Outcome outcome = target.outcomes.poll();
            if (null == outcome)
            {
                Thread.sleep(10);
            }
            else if (matches.test(outcome))
            {
                return outcome;
            }
        }
        return fail("the server recorded no matching connection");
    }

    static String opensslGroupName(final String group)
    {
        switch (group)
        {
            case "P-256":
                return "prime256v1";
            case "P-384":
                return "secp384r1";
            default:
                return group;
        }
    }

    static void assumeBinary(final String name)
    {
        boolean found = false;
        for (final String path : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        {
            found |= Files.isExecutable(Path.of(path, name));
        }
        Assumptions.assumeTrue(found, name + " not installed");
    }

    /** Output of a finished client process. */
    record Run(int exitCode, byte[] stdout, String stderr)
    {
        String out()
        {
            return new String(stdout, java.nio.charset.StandardCharsets.ISO_8859_1);
        }
    }

    /** Runs a client with bounded time; stdin is written then kept open for {@code holdStdinMs}. */
    static Run run(final List<String> command, final byte[] stdin, final long holdStdinMs) throws Exception
    {
        final Path out = Files.createTempFile(dir, "out", ".bin");
        final Path err = Files.createTempFile(dir, "err", ".txt");
        final Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
            .start();
        try (var in = process.getOutputStream())
        {
            in.write(stdin);
            in.flush();
            if (holdStdinMs > 0)
            {
                Thread.sleep(holdStdinMs);
            }
        }
        catch (final IOException ignored)
        {
            // the client may exit before reading stdin
        }
        if (!process.waitFor(PROCESS_TIMEOUT_S, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            fail("timed out: " + command);
        }
        return new Run(process.exitValue(), Files.readAllBytes(out), Files.readString(err));
    }

    /** The body after the HTTP head in {@code response}, hashed; or a description of what went wrong. */
    static String bodySha256(final byte[] response)
    {
        final String text = new String(response, java.nio.charset.StandardCharsets.ISO_8859_1);
        final int status = text.indexOf("HTTP/1.1 200 OK");
        final int headEnd = status < 0 ? -1 : text.indexOf("\r\n\r\n", status);
        if (headEnd < 0 || response.length < headEnd + 4 + LoopbackTlsServer.BODY_LENGTH)
        {
            return "no whole response in " + response.length + " bytes";
        }
        final byte[] body = java.util.Arrays.copyOfRange(response, headEnd + 4,
            headEnd + 4 + LoopbackTlsServer.BODY_LENGTH);
        return LoopbackTlsServer.sha256(body);
    }
}
