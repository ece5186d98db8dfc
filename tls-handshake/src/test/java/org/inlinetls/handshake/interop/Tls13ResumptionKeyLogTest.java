package org.inlinetls.handshake.interop;

import org.inlinetls.handshake.HandshakeConfig;
import org.inlinetls.handshake.TestPki;
import org.inlinetls.handshake.keylog.KeyLogEntry;
import org.inlinetls.handshake.session.TicketKeys;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With the key log export on, the appliance's own TLS 1.3 resumption handshake (psk_dhe_ke) is exported like a full
 * one: the JDK's client connects, then resumes, and each handshake leaves one entry of four traffic secrets.
 */
class Tls13ResumptionKeyLogTest
{
    @Test
    void shouldExportTheSecretsOfAFullAndOfAResumedHandshake() throws Exception
    {
        final List<KeyLogEntry> entries = new CopyOnWriteArrayList<>();
        final TicketKeys keys = new TicketKeys(16, 3_600_000, System::currentTimeMillis, new SecureRandom());
        try (LoopbackTlsServer server = new LoopbackTlsServer(HandshakeConfig.builder(TestPki.get().selector())
            .ticketKeys(keys).keyLog(entries::add).build()))
        {
            final SSLContext context = Tls13JdkResumptionTest.clientContext();
            Tls13JdkResumptionTest.fetch(context, server.port());
            final LoopbackTlsServer.Outcome first = AbstractInteropTest.awaitOutcome(server);
            assertNull(first.error(), first::toString);
            Tls13JdkResumptionTest.fetch(context, server.port());
            final LoopbackTlsServer.Outcome second = AbstractInteropTest.awaitOutcome(server);
            assertTrue(second.session().endsWith("resumed"), second::toString);
        }
        assertEquals(2, entries.size(), "one entry per completed handshake, resumed or not");
        for (final KeyLogEntry entry : entries)
        {
            assertEquals(4, entry.lineCount());
            final java.nio.ByteBuffer lines = java.nio.ByteBuffer.allocate(entry.lengthBytes());
            entry.writeLines(lines);
            final String text = new String(lines.array(), java.nio.charset.StandardCharsets.US_ASCII);
            assertTrue(text.matches("(?s)CLIENT_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]{64} [0-9a-f]{64,96}\n" +
                "SERVER_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]{64} [0-9a-f]{64,96}\nCLIENT_TRAFFIC_SECRET_0 .*\n" +
                "SERVER_TRAFFIC_SECRET_0 .*\n"), text.substring(0, 40));
            entry.destroy();
        }
    }
}
