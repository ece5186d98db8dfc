package org.inlinetls.bench;

import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.DefaultTlsClient;
import org.bouncycastle.tls.ExtensionType;
import org.bouncycastle.tls.NameType;
import org.bouncycastle.tls.NamedGroup;
import org.bouncycastle.tls.NewSessionTicket;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.ServerName;
import org.bouncycastle.tls.SessionParameters;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.TlsSession;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Hashtable;
import java.util.Vector;

/**
 * A BouncyCastle non-blocking TLS 1.2 client (ECDHE-ECDSA-AES128-GCM-SHA256, X25519, any certificate accepted) that
 * resumes a session for the resumed-handshake benchmarks. BC's client resumes session ids itself but never sends a
 * ticket back: {@code receiveNewSessionTicket} only hands the ticket to {@link #notifyNewSessionTicket}. So a ticket
 * is offered by hand in the session_ticket extension with a random session id, as OpenSSL does (RFC 5077 §3.4), and
 * BC resumes the session's parameters when the server echoes that id.
 */
final class ResumingClient extends DefaultTlsClient
{
    static final String SERVER_NAME = "bench.test";

    final TlsClientProtocol protocol = new TlsClientProtocol();
    private final TlsSession sessionToResume;
    private final byte[] ticketToOffer;
    private final boolean askForTicket;
    NewSessionTicket ticketReceived;
    SessionParameters established;
    boolean resumed;

    /**
     * @param sessionToResume the session offered (by id, or by ticket when {@code ticketToOffer} is set), or null.
     * @param ticketToOffer an RFC 5077 ticket from an earlier full handshake, or null.
     * @param askForTicket sends an empty session_ticket extension so the server issues a ticket.
     */
    ResumingClient(
        final BcTlsCrypto crypto,
        final TlsSession sessionToResume,
        final byte[] ticketToOffer,
        final boolean askForTicket) throws IOException
    {
        super(crypto);
        this.sessionToResume = sessionToResume;
        this.ticketToOffer = ticketToOffer;
        this.askForTicket = askForTicket;
        protocol.connect(this);
    }

    /** A session that resumes by a ticket: the parameters of the first connection under a fresh random id. */
    static TlsSession ticketSession(final SessionParameters parameters, final SecureRandom random)
    {
        final byte[] id = new byte[32];
        random.nextBytes(id);
        return TlsUtils.importSession(id, parameters);
    }

    TlsSession session()
    {
        return context.getSession();
    }

    @Override
    protected ProtocolVersion[] getSupportedVersions()
    {
        return ProtocolVersion.TLSv12.only();
    }

    @Override
    protected int[] getSupportedCipherSuites()
    {
        return new int[]{CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256};
    }

    /** X25519 for the key exchange; in TLS 1.2 the list also names the certificate's curve (RFC 8422 §5.1.1). */
    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    protected Vector getSupportedGroups(final Vector namedGroupRoles)
    {
        final Vector groups = new Vector();
        groups.add(NamedGroup.x25519);
        groups.add(NamedGroup.secp256r1);
        return groups;
    }

    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    protected Vector getSNIServerNames()
    {
        final Vector names = new Vector();
        names.add(new ServerName(NameType.host_name, SERVER_NAME.getBytes(StandardCharsets.US_ASCII)));
        return names;
    }

    @Override
    public TlsSession getSessionToResume()
    {
        return sessionToResume;
    }

    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public Hashtable getClientExtensions() throws IOException
    {
        final Hashtable extensions = super.getClientExtensions();
        if (null != ticketToOffer)
        {
            extensions.put(ExtensionType.session_ticket, ticketToOffer);
        }
        else if (askForTicket)
        {
            extensions.put(ExtensionType.session_ticket, TlsUtils.EMPTY_BYTES);
        }
        return extensions;
    }

    @Override
    public void notifyNewSessionTicket(final NewSessionTicket newSessionTicket)
    {
        ticketReceived = newSessionTicket;
    }

    @Override
    public void notifyHandshakeComplete() throws IOException
    {
        super.notifyHandshakeComplete();
        established = context.getSession().exportSessionParameters();
        resumed = context.getSecurityParametersConnection().isResumedSession();
    }

    @Override
    public TlsAuthentication getAuthentication()
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
