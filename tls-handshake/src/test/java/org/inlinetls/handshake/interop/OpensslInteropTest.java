package org.inlinetls.handshake.interop;

import org.inlinetls.handshake.TestPki;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code openssl s_client} against the engine: the matrix, ALPN refusal, a resumption PSK ignored cleanly and a
 * refused TLS 1.2 renegotiation.
 */
class OpensslInteropTest extends AbstractInteropTest
{
    private static final byte[] REQUEST = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final Pattern NEW = Pattern.compile("New, (\\S+), Cipher is (\\S+)");

    @BeforeAll
    static void needOpenssl()
    {
        assumeBinary("openssl");
    }

    @Override
    Result fetch(final Case c, final int port) throws Exception
    {
        final List<String> command = sClient(port, c.host());
        command.add("-ign_eof");
        command.add("-alpn");
        command.add("http/1.1");
        command.add("-groups");
        command.add(c.group());
        if (c.version().equals("TLSv1.3"))
        {
            command.add("-tls1_3");
            command.add("-ciphersuites");
        }
        else
        {
            command.add("-tls1_2");
            command.add("-cipher");
        }
        command.add(c.openssl());
        final Run run = run(command, REQUEST, 0);
        final String out = run.out();
        final Matcher matcher = NEW.matcher(out);
        assertTrue(matcher.find(), () -> "no session in:\n" + head(out) + run.stderr());
        assertTrue(out.contains("Verify return code: 0 (ok)"), () -> "verification: " + head(out));
        // "New, <v>, Cipher is" names the suite's first version for TLS 1.2 suites; the session names the protocol
        final String session = line(out, "Protocol  : ");
        final String protocol = null == session ? matcher.group(1) : session.replace("Protocol  : ", "");
        return new Result(protocol, matcher.group(2), line(out, "subject="), line(out, "Server Temp Key:"),
            line(out, "ALPN protocol: ").replace("ALPN protocol: ", ""), bodySha256(run.stdout()));
    }

    @Test
    void shouldRefuseAClientOfferingOnlyH2() throws Exception
    {
        final List<String> command = sClient(server.port(), TestPki.EC_HOST);
        command.add("-alpn");
        command.add("h2");
        server.outcomes.clear();
        final Run run = run(command, new byte[0], 0);
        assertTrue(run.stderr().contains("no application protocol"), run::stderr);
        assertTrue(awaitOutcome(server, outcome -> outcome.alert() != null).alert().startsWith("sent 120"));
    }

    @Test
    void shouldIgnoreAnOfferedPskWithAFullHandshake() throws Exception
    {
        final List<String> command = sClient(server.port(), TestPki.EC_HOST);
        command.addAll(List.of("-tls1_3", "-ign_eof", "-psk_identity", "resume-me", "-psk",
            "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"));
        server.outcomes.clear();
        final Run run = run(command, REQUEST, 0);
        final String out = run.out();
        assertTrue(out.contains("New, TLSv1.3"), () -> head(out) + run.stderr());
        assertTrue(out.contains("subject=CN = ec.test"), "a full handshake shows the certificate");
        assertEquals(LoopbackTlsServer.BODY_SHA256, bodySha256(run.stdout()));
    }

    @Test
    void shouldRefuseRenegotiationAfterTls12() throws Exception
    {
        final List<String> command = sClient(server.port(), TestPki.EC_HOST);
        command.add("-tls1_2");
        server.outcomes.clear();
        final Run run = run(command, "R\n".getBytes(StandardCharsets.US_ASCII), 1500);
        assertTrue((run.out() + run.stderr()).contains("RENEGOTIATING"), () -> head(run.out()) + run.stderr());
        final LoopbackTlsServer.Outcome outcome = awaitOutcome(server, LoopbackTlsServer.Outcome::renegotiationRefused);
        assertTrue(outcome.renegotiationRefused(), outcome::toString);
    }

    private static List<String> sClient(final int port, final String host)
    {
        return new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-servername", host,
            "-CAfile", caPem.toString(), "-verify_return_error", "-verify_hostname", host));
    }

    private static String line(final String out, final String prefix)
    {
        final int at = out.indexOf(prefix);
        return at < 0 ? null : out.substring(at, out.indexOf('\n', at)).trim();
    }

    private static String head(final String out)
    {
        return out.substring(0, Math.min(out.length(), 4000));
    }
}
