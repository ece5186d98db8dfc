package org.inlinetls.handshake;

import org.bouncycastle.tls.AlertLevel;
import org.bouncycastle.tls.DefaultTlsServer;
import org.bouncycastle.tls.ExtensionType;
import org.bouncycastle.tls.NameType;
import org.bouncycastle.tls.NewSessionTicket;
import org.bouncycastle.tls.ProtocolName;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SecurityParameters;
import org.bouncycastle.tls.ServerName;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsExtensionsUtils;
import org.bouncycastle.tls.TlsSession;
import org.bouncycastle.tls.TlsUtils;
import org.inlinetls.crypto.keys.Secrets;
import org.inlinetls.crypto.suite.CipherSuite;
import org.inlinetls.handshake.cert.ServerCredential;
import org.inlinetls.handshake.keylog.KeyLogEntry;
import org.inlinetls.handshake.session.SessionResumption;
import org.inlinetls.handshake.session.SessionState;
import org.inlinetls.handshake.tls13.PskServerHandshake;
import org.inlinetls.handshake.tls13.ResumptionTicket;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Hashtable;
import java.util.Locale;
import java.util.Vector;

import static java.lang.System.Logger.Level.DEBUG;

/**
 * BouncyCastle's server callbacks set to the appliance's policy ({@link HandshakeConfig}): versions, suites in
 * server order, groups, ALPN, the credential chosen by SNI; it records the alerts and, at the end, the secrets
 * the record layer needs. TLS 1.2 sessions resume by session id or RFC 5077 ticket through BC's own abbreviated
 * handshake ({@link SessionResumption}). TLS 1.3 always gets a full handshake here (BC 1.84 resumes no TLS 1.3
 * session); with tickets on, the keys carry a ticket of the appliance's own, which
 * {@link org.inlinetls.handshake.tls13.PskServerHandshake} answers. One instance per connection.
 */
final class ApplianceTlsServer extends DefaultTlsServer
{
    private static final Integer EXT_SESSION_TICKET = ExtensionType.session_ticket;
    private static final System.Logger LOG = System.getLogger(ApplianceTlsServer.class.getName());

    private final HandshakeConfig config;
    private final CapturingTlsCrypto crypto;
    private ServerCredential credential;
    private String serverName;
    private int tls12Group = -1;
    private boolean complete;
    private int alertSent = HandshakeEngine.NO_ALERT;
    private int alertReceived = HandshakeEngine.NO_ALERT;
    private String alertMessage;
    private final SessionResumption resumption;
    private boolean clientOffersEms;
    private boolean clientWantsTicket;
    private byte[] offeredTicket;
    private boolean resumed;

    private int suiteCode;
    private ProtocolVersion version;
    private byte[] clientTrafficSecret;
    private byte[] serverTrafficSecret;
    private NegotiatedKeys.ConnectionInfo info;
    private byte[] resumptionMasterSecret;

    ApplianceTlsServer(final HandshakeConfig config, final CapturingTlsCrypto crypto)
    {
        super(crypto);
        this.config = config;
        this.crypto = crypto;
        this.resumption = config.resumption();
    }

    @Override
    protected ProtocolVersion[] getSupportedVersions()
    {
        return config.minimumVersion() == CipherSuite.TlsVersion.TLS13 ?
            ProtocolVersion.TLSv13.only() : ProtocolVersion.TLSv13.downTo(ProtocolVersion.TLSv12);
    }

    @Override
    protected int[] getSupportedCipherSuites()
    {
        return TlsUtils.getSupportedCipherSuites(crypto, config.suiteCodes());
    }

    @Override
    protected boolean allowEncryptThenMAC()
    {
        // record-crypto implements the CBC suites as MAC-then-encrypt (RFC 5246), not RFC 7366
        return false;
    }

    @Override
    protected boolean preferLocalCipherSuites()
    {
        return true;
    }

    @Override
    public int[] getSupportedGroups()
    {
        return config.groupCodes();
    }

    @Override
    protected int getMaximumNegotiableCurveBits()
    {
        // only curves both sides have count, so a TLS 1.2 client without one gets handshake_failure
        final int[] offered = context.getSecurityParametersHandshake().getClientSupportedGroups();
        int maxBits = 0;
        for (final int group : config.groupCodes())
        {
            if (null == offered || contains(offered, group))
            {
                maxBits = Math.max(maxBits, org.bouncycastle.tls.NamedGroup.getCurveBits(group));
            }
        }
        return maxBits;
    }

    @Override
    protected int selectECDH(final int minimumCurveBits)
    {
        // TLS 1.2: BC's default takes any curve the client lists; keep to the configured groups
        final int[] offered = context.getSecurityParametersHandshake().getClientSupportedGroups();
        final int[] ours = config.groupCodes();
        if (null == offered)
        {
            for (final int group : ours)
            {
                if (org.bouncycastle.tls.NamedGroup.getCurveBits(group) >= minimumCurveBits)
                {
                    tls12Group = group;
                    return group;
                }
            }
            return -1;
        }
        for (final int group : offered)
        {
            if (contains(ours, group) && org.bouncycastle.tls.NamedGroup.getCurveBits(group) >= minimumCurveBits)
            {
                tls12Group = group;
                return group;
            }
        }
        return -1;
    }

    @Override
    protected Vector<ProtocolName> getProtocolNames()
    {
        if (config.alpnProtocols().isEmpty())
        {
            return null;
        }
        final Vector<ProtocolName> names = new Vector<>();
        for (final String protocol : config.alpnProtocols())
        {
            names.add(ProtocolName.asUtf8Encoding(protocol));
        }
        return names;
    }

    @Override
    @SuppressWarnings("rawtypes")
    public void processClientExtensions(final Hashtable clientExtensions) throws IOException
    {
        super.processClientExtensions(clientExtensions);
        // the record layer cuts records of up to 2^14 bytes whatever the client asked (RFC 6066 §4 is optional)
        maxFragmentLengthOffered = -1;
        serverName = null == clientExtensions ? null : hostName(TlsExtensionsUtils.getServerNameExtensionClient(
            clientExtensions));
        // RFC 5077 §3.2: an empty extension asks for a ticket, a full one also offers one; without extended master
        // secret there is nothing worth resuming (RFC 7627 §5.3)
        final byte[] ticket = null == clientExtensions ? null : TlsUtils.getExtensionData(clientExtensions,
            EXT_SESSION_TICKET);
        clientOffersEms = null != clientExtensions && TlsExtensionsUtils.hasExtendedMasterSecretExtension(
            clientExtensions);
        clientWantsTicket = null != ticket && resumption.ticketsEnabled() && clientOffersEms;
        offeredTicket = null == ticket || ticket.length == 0 ? null : ticket;
    }

    @Override
    public TlsSession getSessionToResume(final byte[] sessionId)
    {
        // BC resumes only a non-empty id: a ticket sent with an empty id gets a full handshake (OpenSSL, NSS and
        // BoringSSL always send one with a ticket, RFC 5077 §3.4)
        if (null == sessionId || sessionId.length == 0 || !clientOffersEms)
        {
            return null;
        }
        SessionState state = null == offeredTicket ? null : resumption.findByTicket(offeredTicket);
        if (null == state)
        {
            state = resumption.findBySessionId(sessionId);
        }
        if (null == state)
        {
            return null;
        }
        try
        {
            if (!SessionResumption.canResume(state, config.suiteCodes(), offeredCipherSuites, true, serverName))
            {
                LOG.log(DEBUG, "known session not resumed: suite, SNI or extended master secret differ");
                return null;
            }
            return TlsUtils.importSession(sessionId, state.toParameters(crypto));
        }
        catch (final IOException | RuntimeException ex)
        {
            LOG.log(DEBUG, () -> "known session not resumed: " + ex);
            return null;
        }
        finally
        {
            state.destroy();
        }
    }

    @Override
    public byte[] getNewSessionID()
    {
        // with a ticket on its way the id would only fill the store (OpenSSL's server does the same)
        if (!resumption.sessionIdsEnabled() || clientWantsTicket || !clientOffersEms)
        {
            return null;
        }
        return resumption.newSessionId(config.random());
    }

    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public Hashtable getServerExtensions() throws IOException
    {
        final Hashtable extensions = super.getServerExtensions();
        if (clientWantsTicket && !TlsUtils.isTLSv13(context.getServerVersion()))
        {
            extensions.put(EXT_SESSION_TICKET, TlsUtils.EMPTY_BYTES);
        }
        return extensions;
    }

    @Override
    @SuppressWarnings("rawtypes")
    public void getServerExtensionsForConnection(final Hashtable serverExtensions) throws IOException
    {
        super.getServerExtensionsForConnection(serverExtensions);
        if (context.getSecurityParametersHandshake().isResumedSession())
        {
            // BC sends no NewSessionTicket in an abbreviated handshake, so the ServerHello must not announce one
            serverExtensions.remove(EXT_SESSION_TICKET);
        }
    }

    @Override
    public NewSessionTicket getNewSessionTicket() throws IOException
    {
        final SessionState state = SessionState.fromHandshake(
            crypto, context.getSecurityParametersHandshake(), serverName, resumption.nowMs());
        try
        {
            return resumption.newTicket(state);
        }
        finally
        {
            state.destroy();
        }
    }

    @Override
    protected boolean isSelectableCipherSuite(
        final int cipherSuite, final int availCurveBits, final int availFiniteFieldBits, final Vector sigAlgs)
    {
        return super.isSelectableCipherSuite(cipherSuite, availCurveBits, availFiniteFieldBits, sigAlgs) &&
            BcCredentials.signsFor(credential(), TlsUtils.getKeyExchangeAlgorithm(cipherSuite),
                context.getSecurityParametersHandshake().getClientSupportedGroups());
    }

    @Override
    public TlsCredentials getCredentials() throws IOException
    {
        return BcCredentials.signer(context, crypto, credential());
    }

    @Override
    public void notifyAlertRaised(
        final short alertLevel, final short alertDescription, final String message, final Throwable cause)
    {
        if (alertLevel == AlertLevel.fatal && alertSent == HandshakeEngine.NO_ALERT)
        {
            alertSent = alertDescription;
            alertMessage = message;
        }
    }

    @Override
    public void notifyAlertReceived(final short alertLevel, final short alertDescription)
    {
        if (alertLevel == AlertLevel.fatal)
        {
            alertReceived = alertDescription;
        }
    }

    @Override
    public void notifyHandshakeComplete() throws IOException
    {
        super.notifyHandshakeComplete();
        final SecurityParameters sp = context.getSecurityParametersConnection();
        version = sp.getNegotiatedVersion();
        suiteCode = sp.getCipherSuite();
        if (TlsUtils.isTLSv13(version))
        {
            // adopt first: extract() wipes the secret it is called on, and BC still owns these
            clientTrafficSecret = crypto.adoptSecret(sp.getTrafficSecretClient()).extract();
            serverTrafficSecret = crypto.adoptSecret(sp.getTrafficSecretServer()).extract();
        }
        resumed = sp.isResumedSession();
        final ProtocolName alpn = sp.getApplicationProtocol();
        final byte[] sessionId = sp.getSessionID();
        if (!resumed && !TlsUtils.isTLSv13(version) && sp.isExtendedMasterSecret() && resumption.sessionIdsEnabled() &&
            null != sessionId && sessionId.length > 0)
        {
            storeSession(sp, sessionId);
        }
        info = new NegotiatedKeys.ConnectionInfo(
            null == alpn ? null : alpn.getUtf8Decoding(),
            serverName,
            null == sessionId ? null : sessionId.clone(),
            KeyShareGroup.forCode(TlsUtils.isTLSv13(version) ? sp.getNegotiatedGroup() : tls12Group),
            credential().name(),
            resumed);
        complete = true;
    }

    private void storeSession(final SecurityParameters sp, final byte[] sessionId)
    {
        try
        {
            final SessionState state = SessionState.fromHandshake(crypto, sp, serverName, resumption.nowMs());
            resumption.store(sessionId, state);
            state.destroy();
        }
        catch (final IOException | RuntimeException ex)
        {
            // a session not stored only costs the next handshake its abbreviation
            LOG.log(DEBUG, () -> "session not stored: " + ex);
        }
    }

    /** The TLS 1.3 resumption master secret, once BC has verified the client's Finished (owned from now on). */
    void onResumptionMasterSecret(final byte[] secret)
    {
        Secrets.zero(resumptionMasterSecret);
        resumptionMasterSecret = secret;
    }

    /**
     * Builds the keys once the handshake is complete, with the sequence numbers BC has used, and zeroes the
     * captured copies.
     */
    NegotiatedKeys buildKeys(final long clientSequence, final long serverSequence)
    {
        final byte[] keyBlock = crypto.takeKeyBlock();
        try
        {
            if (TlsUtils.isTLSv13(version))
            {
                final NegotiatedKeys keys = NegotiatedKeys.tls13(CipherSuite.forCode(suiteCode), clientTrafficSecret,
                    serverTrafficSecret, clientSequence, serverSequence, info);
                clientTrafficSecret = null;
                serverTrafficSecret = null;
                keys.sessionTicket(newSessionTicket());
                return keys;
            }
            if (null == keyBlock)
            {
                throw new IllegalStateException("no key block captured for suite 0x" + Integer.toHexString(suiteCode));
            }
            return NegotiatedKeys.tls12(suiteCode, keyBlock, clientSequence, serverSequence, info);
        }
        finally
        {
            Secrets.zero(keyBlock);
        }
    }

    private byte[] newSessionTicket()
    {
        final PskServerHandshake.Policy policy = config.tls13Resumption();
        if (null == policy || null == resumptionMasterSecret)
        {
            return null;
        }
        try
        {
            return ResumptionTicket.newSessionTicket(CipherSuite.forCode(suiteCode), resumptionMasterSecret,
                info.applicationProtocol(), serverName, policy.ticketKeys(), policy.lifetimeMs(), policy.random());
        }
        catch (final RuntimeException ex)
        {
            LOG.log(DEBUG, () -> "TLS 1.3 ticket not issued: " + ex.getClass().getSimpleName());
            return null;
        }
        finally
        {
            Secrets.zero(resumptionMasterSecret);
            resumptionMasterSecret = null;
        }
    }

    /**
     * The secrets of the completed handshake for the key log export (copies; the caller owns the entry), or null when
     * the crypto captured none (key log off) or the handshake is not complete. Call before {@link #buildKeys}.
     */
    KeyLogEntry takeKeyLogEntry()
    {
        final byte[] clientRandom = crypto.clientRandom();
        if (!complete || null == clientRandom)
        {
            return null;
        }
        if (TlsUtils.isTLSv13(version))
        {
            final byte[] clientHandshake = crypto.takeClientHandshakeSecret();
            final byte[] serverHandshake = crypto.takeServerHandshakeSecret();
            if (null == clientHandshake || null == serverHandshake || null == clientTrafficSecret ||
                null == serverTrafficSecret)
            {
                Secrets.zero(clientHandshake, serverHandshake);
                return null;
            }
            return KeyLogEntry.tls13(clientRandom, clientHandshake, serverHandshake, clientTrafficSecret.clone(),
                serverTrafficSecret.clone());
        }
        final byte[] master = crypto.takeMasterSecret();
        return null == master ? null : KeyLogEntry.tls12(clientRandom, master);
    }

    /** Zeroes whatever secrets were captured and not handed over. */
    void destroy()
    {
        Secrets.zero(clientTrafficSecret, serverTrafficSecret, resumptionMasterSecret);
        resumptionMasterSecret = null;
        clientTrafficSecret = null;
        serverTrafficSecret = null;
        crypto.destroy();
    }

    boolean isComplete()
    {
        return complete;
    }

    int alertSent()
    {
        return alertSent;
    }

    int alertReceived()
    {
        return alertReceived;
    }

    String alertMessage()
    {
        return alertMessage;
    }

    boolean isResumed()
    {
        return resumed;
    }

    String serverName()
    {
        return serverName;
    }

    private ServerCredential credential()
    {
        if (null == credential)
        {
            credential = config.credentials().select(serverName);
            if (null == credential)
            {
                throw new IllegalStateException("the credential selector returned no credential");
            }
        }
        return credential;
    }

    private static String hostName(final Vector<?> serverNames)
    {
        if (null != serverNames)
        {
            for (final Object entry : serverNames)
            {
                final ServerName name = (ServerName)entry;
                if (name.getNameType() == NameType.host_name)
                {
                    return new String(name.getNameData(), StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
                }
            }
        }
        return null;
    }

    private static boolean contains(final int[] values, final int value)
    {
        for (final int v : values)
        {
            if (v == value)
            {
                return true;
            }
        }
        return false;
    }
}
