package org.inlinetls.handshake;

import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.DefaultTlsClient;
import org.bouncycastle.tls.NameType;
import org.bouncycastle.tls.ProtocolName;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.ServerName;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Vector;

/**
 * A BouncyCastle non-blocking TLS client driven in memory against a {@link HandshakeEngine}; it accepts any server
 * certificate (the interop tests check certificates with real clients).
 */
public final class BcTestClient extends DefaultTlsClient
{
    public final TlsClientProtocol protocol = new TlsClientProtocol();
    private final ProtocolVersion[] versions;
    private final int[] suites;
    private final int[] groups;
    private final String sni;
    private final String[] alpn;
    public volatile int alertReceived = -1;
    public volatile int alertRaised = -1;

    public BcTestClient(
        final ProtocolVersion[] versions, final int[] suites, final int[] groups, final String sni, final String... alpn)
    {
        this(new SecureRandom(), versions, suites, groups, sni, alpn);
    }

    /** As the other constructor with the client's randomness given (a seeded one makes a simulation repeatable). */
    public BcTestClient(final SecureRandom random,
        final ProtocolVersion[] versions, final int[] suites, final int[] groups, final String sni, final String... alpn)
    {
        super(new BcTlsCrypto(random));
        this.versions = versions;
        this.suites = suites;
        this.groups = groups;
        this.sni = sni;
        this.alpn = alpn;
    }

    /** Starts the handshake: the ClientHello is then in {@link TlsClientProtocol#readOutput}. */
    public BcTestClient connect()
    {
        try
        {
            protocol.connect(this);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
        return this;
    }

    /**
     * Moves bytes both ways until the engine completes or fails or nothing moves; returns the client's bytes the
     * engine left unconsumed (after its Finished).
     */
    public byte[] pump(final HandshakeEngine engine) throws IOException
    {
        final byte[] buffer = new byte[1 << 16];
        byte[] leftover = new byte[0];
        for (int round = 0; round < 20; round++)
        {
            boolean moved = false;
            int n = protocol.getAvailableOutputBytes();
            if (n > 0 && !engine.isComplete() && !engine.isFailed())
            {
                final byte[] out = new byte[n];
                protocol.readOutput(out, 0, n);
                final int consumed = engine.offer(out, 0, n);
                if (consumed < n)
                {
                    leftover = java.util.Arrays.copyOfRange(out, consumed, n);
                }
                moved = true;
            }
            while ((n = engine.pendingOutput()) > 0)
            {
                final int read = engine.readOutput(buffer, 0, Math.min(n, buffer.length));
                if (!protocol.isClosed())
                {
                    try
                    {
                        protocol.offerInput(buffer, 0, read);
                    }
                    catch (final IOException ex)
                    {
                        if (!engine.isFailed())
                        {
                            throw ex;
                        }
                    }
                }
                moved = true;
            }
            if (!moved)
            {
                break;
            }
        }
        return leftover;
    }

    @Override
    protected ProtocolVersion[] getSupportedVersions()
    {
        return versions;
    }

    @Override
    protected int[] getSupportedCipherSuites()
    {
        return suites;
    }

    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    protected Vector getSupportedGroups(final Vector namedGroupRoles)
    {
        final Vector result = new Vector();
        for (final int group : groups)
        {
            result.add(group);
        }
        return result;
    }

    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    protected Vector getSNIServerNames()
    {
        if (null == sni)
        {
            return null;
        }
        final Vector names = new Vector();
        names.add(new ServerName(NameType.host_name, sni.getBytes(StandardCharsets.US_ASCII)));
        return names;
    }

    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    protected Vector getProtocolNames()
    {
        if (alpn.length == 0)
        {
            return null;
        }
        final Vector names = new Vector();
        for (final String name : alpn)
        {
            names.add(ProtocolName.asUtf8Encoding(name));
        }
        return names;
    }

    @Override
    public void notifyAlertReceived(final short alertLevel, final short alertDescription)
    {
        alertReceived = alertDescription;
    }

    @Override
    public void notifyAlertRaised(
        final short alertLevel, final short alertDescription, final String message, final Throwable cause)
    {
        alertRaised = alertDescription;
    }

    @Override
    public TlsAuthentication getAuthentication()
    {
        return acceptingAnyServer();
    }

    /**
     * Client authentication for in-memory tests: no client certificate and no check of the server's chain (the
     * interop tests verify chains with real clients).
     */
    public static TlsAuthentication acceptingAnyServer()
    {
        return new TlsAuthentication()
        {
            @Override
            public void notifyServerCertificate(final TlsServerCertificate serverCertificate)
            {
            }

            @Override
            public TlsCredentials getClientCredentials(final CertificateRequest certificateRequest)
            {
                return null;
            }
        };
    }
}
