package org.inlinetls.handshake.interop;

import org.inlinetls.handshake.HandshakeConfig;
import org.inlinetls.handshake.TestPki;
import org.inlinetls.handshake.session.TicketKeys;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JDK's client resumes TLS 1.3 with the appliance's ticket when the same {@link SSLContext} connects again: the
 * server reports the second connection resumed and the page arrives intact through record-crypto.
 */
class Tls13JdkResumptionTest
{
    @Test
    void shouldResumeWhenTheSameContextConnectsAgain() throws Exception
    {
        final TicketKeys keys = new TicketKeys(16, 3_600_000, System::currentTimeMillis, new SecureRandom());
        try (LoopbackTlsServer server = new LoopbackTlsServer(HandshakeConfig.builder(TestPki.get().selector())
            .ticketKeys(keys).build()))
        {
            final SSLContext context = clientContext();
            final long firstCreated = fetch(context, server.port());
            final LoopbackTlsServer.Outcome first = AbstractInteropTest.awaitOutcome(server);
            assertNull(first.error(), first::toString);
            assertFalse(first.session().endsWith("resumed"), first::toString);

            final long secondCreated = fetch(context, server.port());
            final LoopbackTlsServer.Outcome second = AbstractInteropTest.awaitOutcome(server);
            assertNull(second.error(), second::toString);
            assertTrue(second.session().startsWith("TLS13") && second.session().endsWith("resumed"),
                second::toString);
            assertEquals(firstCreated, secondCreated, "the JDK resumed its cached session");
        }
    }

    static long fetch(final SSLContext context, final int port) throws Exception
    {
        try (Socket plain = new Socket(InetAddress.getLoopbackAddress(), port);
            SSLSocket socket = (SSLSocket)context.getSocketFactory().createSocket(plain, TestPki.EC_HOST, port, true))
        {
            socket.setSoTimeout(10_000);
            final SSLParameters parameters = socket.getSSLParameters();
            parameters.setProtocols(new String[]{"TLSv1.3"});
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            parameters.setServerNames(List.of(new SNIHostName(TestPki.EC_HOST)));
            parameters.setApplicationProtocols(new String[]{"http/1.1"});
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            socket.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + TestPki.EC_HOST + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            final ByteArrayOutputStream response = new ByteArrayOutputStream();
            final InputStream in = socket.getInputStream();
            final byte[] buffer = new byte[16 * 1024];
            int n;
            while ((n = in.read(buffer)) > 0)
            {
                response.write(buffer, 0, n);
            }
            assertEquals(LoopbackTlsServer.BODY_SHA256, AbstractInteropTest.bodySha256(response.toByteArray()));
            return socket.getSession().getCreationTime();
        }
    }

    static SSLContext clientContext() throws Exception
    {
        final KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(TestPki.get().caDer)));
        final TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        final SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }
}
