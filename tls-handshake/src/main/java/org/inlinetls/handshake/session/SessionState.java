package org.inlinetls.handshake.session;

import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.ProtocolName;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SecurityParameters;
import org.bouncycastle.tls.SessionParameters;
import org.bouncycastle.tls.crypto.TlsCertificate;
import org.bouncycastle.tls.crypto.TlsCrypto;
import org.inlinetls.crypto.keys.Secrets;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The resumable state of one TLS 1.2 session (what BouncyCastle keeps in {@link SessionParameters}, plus SNI and the
 * creation time) and its binary form, the value of a {@link SessionStore} entry and the plaintext of a ticket.
 * <p>
 * Encoding (big-endian; lengths before each variable field):
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |    Format     |       Protocol Version        |  Cipher Suite |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     Suite     |     Flags     |     Created (epoch ms, 8)      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  ...  | MS len (1) + master secret | ALPN len (1) + ALPN      |
 *  | SNI len (1) + SNI | cert count (1) + { DER len (3) + DER }*     |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * The master secret is a secret: {@link #toString()} never shows it and {@link #destroy()} zeroes it.
 */
public final class SessionState
{
    public static final int FORMAT = 1;
    private static final int FLAG_EXTENDED_MASTER_SECRET = 1;
    private static final int MAX_CERTIFICATES = 10;

    private final int protocolVersion;
    private final int cipherSuite;
    private final boolean extendedMasterSecret;
    private final long createdMs;
    private final byte[] masterSecret;
    private final String applicationProtocol;
    private final String serverName;
    private final List<byte[]> peerCertificate;

    /**
     * @param masterSecret kept, not copied: the state owns it from now on.
     * @param peerCertificate the client's chain as DER, empty when the client sent none.
     */
    public SessionState(
        final int protocolVersion,
        final int cipherSuite,
        final boolean extendedMasterSecret,
        final long createdMs,
        final byte[] masterSecret,
        final String applicationProtocol,
        final String serverName,
        final List<byte[]> peerCertificate)
    {
        if (masterSecret.length == 0 || masterSecret.length > 255)
        {
            throw new IllegalArgumentException("master secret length " + masterSecret.length);
        }
        this.protocolVersion = protocolVersion;
        this.cipherSuite = cipherSuite;
        this.extendedMasterSecret = extendedMasterSecret;
        this.createdMs = createdMs;
        this.masterSecret = masterSecret;
        this.applicationProtocol = applicationProtocol;
        this.serverName = serverName;
        this.peerCertificate = List.copyOf(peerCertificate);
    }

    /**
     * The state of a TLS 1.2 handshake whose master secret is known (at NewSessionTicket or completion time), from
     * BC's security parameters; the master secret is copied out of BC's.
     */
    public static SessionState fromHandshake(
        final TlsCrypto crypto, final SecurityParameters parameters, final String serverName, final long createdMs)
        throws IOException
    {
        final List<byte[]> chain = new ArrayList<>();
        final Certificate peer = parameters.getPeerCertificate();
        if (null != peer)
        {
            for (final TlsCertificate certificate : peer.getCertificateList())
            {
                chain.add(certificate.getEncoded());
            }
        }
        final ProtocolName alpn = parameters.getApplicationProtocol();
        // adopt first: extract() wipes the secret it is called on, and BC still owns this one
        final byte[] secret = crypto.adoptSecret(parameters.getMasterSecret()).extract();
        return new SessionState(parameters.getNegotiatedVersion().getFullVersion(), parameters.getCipherSuite(),
            parameters.isExtendedMasterSecret(), createdMs, secret, null == alpn ? null : alpn.getUtf8Decoding(),
            serverName, chain);
    }

    /**
     * BC's parameters for resuming this session, with a fresh copy of the master secret (no local certificate: an
     * abbreviated handshake sends none).
     */
    public SessionParameters toParameters(final TlsCrypto crypto) throws IOException
    {
        Certificate peer = null;
        if (!peerCertificate.isEmpty())
        {
            final TlsCertificate[] list = new TlsCertificate[peerCertificate.size()];
            for (int i = 0; i < list.length; i++)
            {
                list[i] = crypto.createCertificate(peerCertificate.get(i));
            }
            peer = new Certificate(list);
        }
        return new SessionParameters.Builder()
            .setCipherSuite(cipherSuite)
            .setExtendedMasterSecret(extendedMasterSecret)
            .setMasterSecret(crypto.createSecret(masterSecret.clone()))
            .setNegotiatedVersion(ProtocolVersion.get(protocolVersion >>> 8, protocolVersion & 0xFF))
            .setPeerCertificate(peer)
            // no server extensions: BC negotiates ALPN afresh on resumption (RFC 7301 §3.1) and adds EMS itself
            .build();
    }

    public byte[] encode()
    {
        final byte[] alpn = bytes(applicationProtocol, StandardCharsets.UTF_8);
        final byte[] sni = bytes(serverName, StandardCharsets.US_ASCII);
        if (alpn.length > 255 || sni.length > 255 || peerCertificate.size() > MAX_CERTIFICATES)
        {
            throw new IllegalStateException("session state field too long");
        }
        int length = 14 + 1 + masterSecret.length + 1 + alpn.length + 1 + sni.length + 1;
        for (final byte[] der : peerCertificate)
        {
            length += 3 + der.length;
        }
        final ByteBuffer buffer = ByteBuffer.allocate(length);
        buffer.put((byte)FORMAT).putShort((short)protocolVersion).putShort((short)cipherSuite)
            .put((byte)(extendedMasterSecret ? FLAG_EXTENDED_MASTER_SECRET : 0)).putLong(createdMs);
        buffer.put((byte)masterSecret.length).put(masterSecret);
        buffer.put((byte)alpn.length).put(alpn);
        buffer.put((byte)sni.length).put(sni);
        buffer.put((byte)peerCertificate.size());
        for (final byte[] der : peerCertificate)
        {
            buffer.put((byte)(der.length >>> 16)).putShort((short)der.length).put(der);
        }
        return buffer.array();
    }

    /**
     * Reads an encoded state (the caller zeroes {@code src} when done).
     *
     * @throws IllegalArgumentException when the bytes are not a state this version wrote.
     */
    public static SessionState decode(final byte[] src, final int offset, final int length)
    {
        try
        {
            final ByteBuffer buffer = ByteBuffer.wrap(src, offset, length);
            if (buffer.get() != FORMAT)
            {
                throw new IllegalArgumentException("unknown session state format");
            }
            final int version = buffer.getShort() & 0xFFFF;
            final int suite = buffer.getShort() & 0xFFFF;
            final boolean ems = (buffer.get() & FLAG_EXTENDED_MASTER_SECRET) != 0;
            final long created = buffer.getLong();
            final byte[] secret = new byte[buffer.get() & 0xFF];
            buffer.get(secret);
            final byte[] alpn = new byte[buffer.get() & 0xFF];
            buffer.get(alpn);
            final byte[] sni = new byte[buffer.get() & 0xFF];
            buffer.get(sni);
            final int count = buffer.get() & 0xFF;
            if (count > MAX_CERTIFICATES)
            {
                throw new IllegalArgumentException("too many certificates");
            }
            final List<byte[]> chain = new ArrayList<>(count);
            for (int i = 0; i < count; i++)
            {
                final byte[] der = new byte[((buffer.get() & 0xFF) << 16) | (buffer.getShort() & 0xFFFF)];
                buffer.get(der);
                chain.add(der);
            }
            if (buffer.hasRemaining())
            {
                Secrets.zero(secret);
                throw new IllegalArgumentException("trailing bytes after session state");
            }
            return new SessionState(version, suite, ems, created, secret,
                alpn.length == 0 ? null : new String(alpn, StandardCharsets.UTF_8),
                sni.length == 0 ? null : new String(sni, StandardCharsets.US_ASCII), chain);
        }
        catch (final RuntimeException ex)
        {
            throw ex instanceof IllegalArgumentException ? ex :
                new IllegalArgumentException("malformed session state", ex);
        }
    }

    public static SessionState decode(final byte[] src)
    {
        return decode(src, 0, src.length);
    }

    /** The protocol version as on the wire, e.g. 0x0303 for TLS 1.2. */
    public int protocolVersion()
    {
        return protocolVersion;
    }

    public int cipherSuite()
    {
        return cipherSuite;
    }

    public boolean extendedMasterSecret()
    {
        return extendedMasterSecret;
    }

    public long createdMs()
    {
        return createdMs;
    }

    /** The ALPN protocol agreed, or null. */
    public String applicationProtocol()
    {
        return applicationProtocol;
    }

    /** The SNI host name (lower case), or null. */
    public String serverName()
    {
        return serverName;
    }

    public boolean hasPeerCertificate()
    {
        return !peerCertificate.isEmpty();
    }

    /** Zeroes the master secret. */
    public void destroy()
    {
        Secrets.zero(masterSecret);
    }

    @Override
    public String toString()
    {
        return "SessionState{version=0x" + Integer.toHexString(protocolVersion) + ", suite=0x" +
            Integer.toHexString(cipherSuite) + ", ems=" + extendedMasterSecret + ", createdMs=" + createdMs +
            ", alpn=" + applicationProtocol + ", sni=" + serverName + ", peerCertificates=" + peerCertificate.size() +
            ", masterSecret " + Secrets.REDACTED + "}";
    }

    private static byte[] bytes(final String value, final java.nio.charset.Charset charset)
    {
        return null == value ? new byte[0] : value.getBytes(charset);
    }
}
