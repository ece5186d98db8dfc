package org.inlinetls.handshake.session;

import org.bouncycastle.tls.DefaultTlsClient;
import org.bouncycastle.tls.ExtensionType;
import org.bouncycastle.tls.NameType;
import org.bouncycastle.tls.NewSessionTicket;
import org.bouncycastle.tls.ProtocolName;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.ServerName;
import org.bouncycastle.tls.SessionParameters;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.TlsSession;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.inlinetls.handshake.BcTestClient;
import org.inlinetls.handshake.HandshakeEngine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Hashtable;
import java.util.Vector;

/**
 * BouncyCastle's client in memory, able to resume: by session id (BC's own path) or by RFC 5077 ticket, which BC's
 * client does not send itself: the ticket goes in the session_ticket extension with a random session id, as OpenSSL
 * does (RFC 5077 §3.4), and the session's parameters resume when the server echoes that id.
 */
final class ResumingTlsClient extends DefaultTlsClient
{
    final TlsClientProtocol protocol = new TlsClientProtocol();
    private final ProtocolVersion[] versions;
    private final String sni;
    private final TlsSession sessionToResume;
    private final byte[] ticketToOffer;
    private final boolean askForTicket;
    NewSessionTicket ticketReceived;
    SessionParameters established;
    byte[] sessionId;
    boolean resumed;

    ResumingTlsClient(
        final ProtocolVersion[] versions,
        final String sni,
        final TlsSession sessionToResume,
        final byte[] ticketToOffer,
        final boolean askForTicket)
    {
        super(new BcTlsCrypto(new SecureRandom()));
        this.versions = versions;
        this.sni = sni;
        this.sessionToResume = sessionToResume;
        this.ticketToOffer = ticketToOffer;
        this.askForTicket = askForTicket;
    }

    /** A session that resumes by a ticket: the parameters of the first connection under a fresh random id. */
    static TlsSession ticketSession(final SessionParameters parameters)
    {
        final byte[] id = new byte[32];
        new SecureRandom().nextBytes(id);
        return TlsUtils.importSession(id, parameters);
    }

    ResumingTlsClient connect() throws IOException
    {
        protocol.connect(this);
        return this;
    }

    /** Moves bytes both ways until the engine completes or fails or nothing moves. */
    void pump(final HandshakeEngine engine) throws IOException
    {
        final byte[] buffer = new byte[1 << 16];
        for (int round = 0; round < 20; round++)
        {
            boolean moved = false;
            int n = protocol.getAvailableOutputBytes();
            if (n > 0 && !engine.isComplete() && !engine.isFailed())
            {
                final byte[] out = new byte[n];
                protocol.readOutput(out, 0, n);
                engine.offer(out, 0, n);
                moved = true;
            }
            while ((n = engine.pendingOutput()) > 0)
            {
                final int read = engine.readOutput(buffer, 0, Math.min(n, buffer.length));
                if (!protocol.isClosed())
                {
                    protocol.offerInput(buffer, 0, read);
                }
                moved = true;
            }
            if (!moved)
            {
                break;
            }
        }
    }

    @Override
    protected ProtocolVersion[] getSupportedVersions()
    {
        return versions;
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
    @SuppressWarnings({"rawtypes", "unchecked"})
    protected Vector getSNIServerNames()
    {
        final Vector names = new Vector();
        names.add(new ServerName(NameType.host_name, sni.getBytes(StandardCharsets.US_ASCII)));
        return names;
    }

    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    protected Vector getProtocolNames()
    {
        final Vector names = new Vector();
        names.add(ProtocolName.HTTP_1_1);
        return names;
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
        sessionId = context.getSecurityParametersConnection().getSessionID();
        resumed = context.getSecurityParametersConnection().isResumedSession();
    }

    TlsSession session()
    {
        return context.getSession();
    }

    @Override
    public TlsAuthentication getAuthentication()
    {
        return BcTestClient.acceptingAnyServer();
    }
}
