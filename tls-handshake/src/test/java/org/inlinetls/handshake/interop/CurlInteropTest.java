package org.inlinetls.handshake.interop;

import org.junit.jupiter.api.BeforeAll;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * curl fetching the page by name ({@code --resolve} to 127.0.0.1), verifying the chain against the test CA, with
 * the body's sha256 compared.
 */
class CurlInteropTest extends AbstractInteropTest
{
    private static final Pattern SESSION = Pattern.compile("SSL connection using (\\S+) / (\\S+)");

    @BeforeAll
    static void needCurl()
    {
        assumeBinary("curl");
    }

    @Override
    Result fetch(final Case c, final int port) throws Exception
    {
        final Path body = Files.createTempFile(dir, "body", ".bin");
        final List<String> command = new ArrayList<>(List.of("curl", "-v", "-sS", "--http1.1", "--max-time", "15",
            "--cacert", caPem.toString(), "--resolve", c.host() + ":" + port + ":127.0.0.1", "-o", body.toString(),
            "--curves", c.group()));
        if (c.version().equals("TLSv1.3"))
        {
            command.addAll(List.of("--tlsv1.3", "--tls13-ciphers", c.openssl()));
        }
        else
        {
            command.addAll(List.of("--tlsv1.2", "--tls-max", "1.2", "--ciphers", c.openssl()));
        }
        command.add("https://" + c.host() + ":" + port + "/");
        final Run run = run(command, new byte[0], 0);
        assertEquals(0, run.exitCode(), run::stderr);
        final Matcher matcher = SESSION.matcher(run.stderr());
        assertTrue(matcher.find(), run::stderr);
        final Matcher subject = Pattern.compile("subject: (.*)").matcher(run.stderr());
        final Matcher alpn = Pattern.compile("ALPN: server accepted (\\S+)").matcher(run.stderr());
        return new Result(matcher.group(1), matcher.group(2), subject.find() ? subject.group(1) : null, null,
            alpn.find() ? alpn.group(1) : null, LoopbackTlsServer.sha256(Files.readAllBytes(body)));
    }
}
