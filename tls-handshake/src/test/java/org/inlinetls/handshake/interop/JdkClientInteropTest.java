package org.inlinetls.handshake.interop;

import org.junit.jupiter.api.Assumptions;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.inlinetls.handshake.TestPki;

/**
 * The JDK's own client (SunJSSE {@link SSLSocket}) trusting only the test CA, with endpoint identification on.
 */
class JdkClientInteropTest extends AbstractInteropTest
{
    @Override
    Result fetch(final Case c, final int port) throws Exception
    {
        // JDK 17 cannot choose key-share groups per socket (SSLParameters.setNamedGroups is JDK 20)
        Assumptions.assumeTrue(c.group().startsWith("X25519"), "group choice needs JDK 20");
        final KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(TestPki.get().caDer)));
        final TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        final SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);

        try (Socket plain = new Socket(InetAddress.getLoopbackAddress(), port);
            SSLSocket socket = (SSLSocket)context.getSocketFactory().createSocket(plain, c.host(), port, true))
        {
            socket.setSoTimeout(10_000);
            final SSLParameters parameters = socket.getSSLParameters();
            parameters.setProtocols(new String[]{c.version()});
            parameters.setCipherSuites(new String[]{c.iana()});
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            parameters.setServerNames(List.of(new SNIHostName(c.host())));
            parameters.setApplicationProtocols(new String[]{"http/1.1"});
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            socket.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + c.host() + "\r\n\r\n")
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
            final X509Certificate leaf = (X509Certificate)socket.getSession().getPeerCertificates()[0];
            return new Result(socket.getSession().getProtocol(), socket.getSession().getCipherSuite(),
                leaf.getSubjectX500Principal().getName(), null, socket.getApplicationProtocol(),
                bodySha256(response.toByteArray()));
        }
    }
}
