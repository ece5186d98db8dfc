package org.inlinetls.handshake;

import org.bouncycastle.tls.SecurityParameters;
import org.bouncycastle.tls.TlsHandshakeHash;
import org.bouncycastle.tls.TlsProtocol;
import org.bouncycastle.tls.TlsServerProtocol;
import org.bouncycastle.tls.crypto.TlsHash;
import org.inlinetls.crypto.keys.HashAlgorithm;
import org.inlinetls.crypto.keys.Secrets;
import org.inlinetls.crypto.keys.Tls13KeySchedule;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.reflect.Field;

import static java.lang.System.Logger.Level.DEBUG;
import static java.lang.System.Logger.Level.WARNING;

/**
 * BouncyCastle's server protocol plus the one value BC 1.84 never derives: the TLS 1.3 resumption master secret
 * (RFC 8446 §7.1), {@code Derive-Secret(master_secret, "res master", ClientHello...client Finished)}, from which the
 * appliance issues its own tickets (DESIGN §7). The transcript hash through the client's Finished is taken from
 * BC's running handshake hash just before BC checks that Finished; BC keeps that hash in a package-private field,
 * read once by reflection. Without it (a BC that renamed the field) full handshakes simply issue no ticket.
 */
final class TicketIssuingProtocol extends TlsServerProtocol
{
    private static final int FINISHED = 20;
    private static final System.Logger LOG = System.getLogger(TicketIssuingProtocol.class.getName());
    private static final Field HANDSHAKE_HASH = handshakeHashField();

    private final ApplianceTlsServer server;
    private final boolean wanted;

    TicketIssuingProtocol(final ApplianceTlsServer server, final boolean wanted)
    {
        this.server = server;
        this.wanted = wanted;
    }

    @Override
    protected void receive13ClientFinished(final ByteArrayInputStream buf) throws IOException
    {
        if (!wanted || null == HANDSHAKE_HASH)
        {
            super.receive13ClientFinished(buf);
            return;
        }
        // BC's message input cannot be marked: read the verify_data and hand BC a stream over the same bytes
        final byte[] verifyData = buf.readAllBytes();
        final byte[] resumptionMasterSecret = resumptionMasterSecret(verifyData);
        try
        {
            super.receive13ClientFinished(new ByteArrayInputStream(verifyData));
            server.onResumptionMasterSecret(resumptionMasterSecret);
        }
        catch (final IOException | RuntimeException ex)
        {
            Secrets.zero(resumptionMasterSecret);
            throw ex;
        }
    }

    private byte[] resumptionMasterSecret(final byte[] verifyData)
    {
        byte[] masterSecret = null;
        try
        {
            final SecurityParameters sp = getContext().getSecurityParametersHandshake();
            final HashAlgorithm hash = sp.getPRFHashLength() == HashAlgorithm.SHA384.outputLength() ?
                HashAlgorithm.SHA384 : HashAlgorithm.SHA256;
            final TlsHash transcript = ((TlsHandshakeHash)HANDSHAKE_HASH.get(this))
                .forkPRFHash();
            transcript.update(new byte[]{FINISHED, 0, 0, (byte)verifyData.length}, 0, 4);
            transcript.update(verifyData, 0, verifyData.length);
            // adopt first: extract() wipes the secret it is called on, and BC still owns this one
            masterSecret = getContext().getCrypto().adoptSecret(sp.getMasterSecret()).extract();
            return Tls13KeySchedule.deriveSecret(
                masterSecret, Tls13KeySchedule.RESUMPTION_MASTER, transcript.calculateHash(), hash);
        }
        catch (final ReflectiveOperationException | RuntimeException ex)
        {
            LOG.log(DEBUG, () -> "no resumption master secret: " + ex.getClass().getSimpleName());
            return null;
        }
        finally
        {
            Secrets.zero(masterSecret);
        }
    }

    private static Field handshakeHashField()
    {
        try
        {
            final Field field = TlsProtocol.class.getDeclaredField("handshakeHash");
            field.setAccessible(true);
            return field;
        }
        catch (final ReflectiveOperationException | RuntimeException ex)
        {
            LOG.log(WARNING, "BouncyCastle's handshake hash is out of reach: TLS 1.3 full handshakes issue no tickets");
            return null;
        }
    }
}
