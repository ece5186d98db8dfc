package org.inlinetls.handshake.tls13;

import org.bouncycastle.tls.crypto.TlsAgreement;
import org.bouncycastle.tls.crypto.TlsECConfig;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.inlinetls.crypto.keys.HashAlgorithm;
import org.inlinetls.crypto.keys.Secrets;
import org.inlinetls.crypto.keys.Tls13KeySchedule;
import org.inlinetls.crypto.keys.Tls13Secrets;
import org.inlinetls.handshake.keylog.KeyLogEntry;
import org.inlinetls.crypto.keys.TrafficKeys;
import org.inlinetls.crypto.record.ContentType;
import org.inlinetls.crypto.record.IntegrityMode;
import org.inlinetls.crypto.record.RecordDecoder;
import org.inlinetls.crypto.record.RecordEncoder;
import org.inlinetls.crypto.record.RecordListener;
import org.inlinetls.crypto.record.RecordProtection;
import org.inlinetls.crypto.suite.CipherSuite;
import org.inlinetls.handshake.session.TicketKeys;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;

import static java.lang.System.Logger.Level.DEBUG;

/**
 * The appliance's own abbreviated TLS 1.3 handshake for a ClientHello that offers one of its resumption tickets
 * (RFC 8446 §2.2, psk_dhe_ke only): ServerHello with key_share and pre_shared_key, a compatibility
 * ChangeCipherSpec when the client sent a legacy session id, EncryptedExtensions and Finished under the server
 * handshake keys; then the client's Finished is verified, the application traffic secrets derived and a fresh
 * ticket issued. BouncyCastle 1.84 cannot do this (it accepts only external PSKs, DESIGN §7), so every ClientHello
 * this class declines ({@link #tryAccept} returns null) goes to BC as a full handshake.
 * <p>
 * Free of I/O and not thread-safe, like the engine that drives it; secrets are zeroed by {@link #destroy()}.
 */
public final class PskServerHandshake implements RecordListener
{
    /** What the appliance's policy says about resumption, taken from its configuration. */
    public record Policy(
        int[] suiteCodes,
        int[] groupCodes,
        List<String> alpnProtocols,
        TicketKeys ticketKeys,
        long lifetimeMs,
        LongSupplier clockMs,
        SecureRandom random)
    {
    }

    static final int TLS13 = 0x0304;
    static final int PSK_DHE_KE = 1;
    /** How far the client's idea of the ticket's age may stray from ours (RFC 8446 §8.3 leaves it to us). */
    static final long AGE_TOLERANCE_MS = 60_000;
    private static final int SERVER_HELLO = 2;
    private static final int ENCRYPTED_EXTENSIONS = 8;
    private static final int FINISHED = 20;
    private static final byte[] CHANGE_CIPHER_SPEC = {20, 3, 3, 0, 1, 1};
    private static final System.Logger LOG = System.getLogger(PskServerHandshake.class.getName());

    private final Policy policy;
    private final CipherSuite suite;
    private final HashAlgorithm hash;
    private final int group;
    private final ClientHelloParser.ClientHello hello;
    private final String applicationProtocol;
    private final MessageDigest transcript;
    private Tls13Secrets secrets;
    private RecordEncoder handshakeEncoder;
    private RecordDecoder clientDecoder;
    private byte[] expectedClientFinished;
    private byte[] flight;
    private boolean complete;
    private int failureAlert = -1;
    private int peerAlert = -1;
    private byte[] clientTrafficSecret;
    private byte[] serverTrafficSecret;
    private byte[] newSessionTicket;
    /** Copies of the four traffic secrets kept for the key log export (only when asked for), else null. */
    private final boolean keyLog;
    private byte[] clientHandshakeSecretForLog;
    private byte[] serverHandshakeSecretForLog;
    private byte[] clientTrafficSecretForLog;
    private byte[] serverTrafficSecretForLog;

    private PskServerHandshake(
        final Policy policy,
        final CipherSuite suite,
        final int group,
        final ClientHelloParser.ClientHello hello,
        final byte[] psk,
        final boolean keyLog)
    {
        this.keyLog = keyLog;
        this.policy = policy;
        this.suite = suite;
        this.hash = HashAlgorithm.forName(suite.hash().name());
        this.group = group;
        this.hello = hello;
        this.applicationProtocol = selectProtocol(policy.alpnProtocols(), hello.alpnProtocols());
        this.transcript = hash.newDigest();
        this.secrets = Tls13Secrets.withPsk(hash, psk, false);
    }

    /**
     * Answers the ClientHello in {@code message} (the whole handshake message) when it offers a usable ticket of
     * ours with a valid binder.
     *
     * @return the started handshake, whose {@link #flight()} is to be sent, or null for a full handshake through BC
     * (no TLS 1.3, no psk_dhe_ke, no ticket of ours that is live and fits, no key share in a group we take, a
     * malformed ClientHello, which BC then refuses itself).
     * @throws Tls13Alert when a ticket of ours is offered with a wrong binder (decrypt_error), or the client's key
     *                    share is invalid (illegal_parameter).
     */
    public static PskServerHandshake tryAccept(final Policy policy, final byte[] message) throws Tls13Alert
    {
        return tryAccept(policy, message, false);
    }

    /**
     * As {@link #tryAccept(Policy, byte[])}; with {@code keyLog} the handshake keeps copies of its traffic secrets
     * for {@link #takeKeyLogEntry()} (the opt-in key log export).
     */
    public static PskServerHandshake tryAccept(final Policy policy, final byte[] message, final boolean keyLog)
        throws Tls13Alert
    {
        final ClientHelloParser.ClientHello hello;
        try
        {
            hello = ClientHelloParser.parse(message, 0, message.length);
        }
        catch (final Tls13Alert ex)
        {
            LOG.log(DEBUG, () -> "ClientHello left to BC: " + ex.getMessage());
            return null;
        }
        if (null == policy.ticketKeys() || !hello.offersVersion(TLS13) || !hello.offersPskMode(PSK_DHE_KE) ||
            hello.pskIdentities().isEmpty() || hello.earlyData())
        {
            return null;
        }
        final ClientHelloParser.KeyShare share = selectKeyShare(policy.groupCodes(), hello.keyShares());
        if (null == share)
        {
            // a HelloRetryRequest would keep the PSK; BC sends one and the client then gets a full handshake
            return null;
        }
        final long nowMs = policy.clockMs().getAsLong();
        final List<ClientHelloParser.PskIdentity> identities = hello.pskIdentities();
        for (int i = 0; i < identities.size(); i++)
        {
            final ClientHelloParser.PskIdentity identity = identities.get(i);
            final ResumptionTicket ticket = ResumptionTicket.open(policy.ticketKeys(), identity.identity());
            if (null == ticket)
            {
                continue;
            }
            try
            {
                final CipherSuite suite = usable(policy, hello, ticket, identity, nowMs);
                if (null != suite)
                {
                    verifyBinder(suite, ticket.psk(), message, hello.bindersOffset(), identity.binder());
                    final PskServerHandshake handshake = new PskServerHandshake(
                        policy, suite, share.group(), hello, ticket.psk(), keyLog);
                    handshake.start(message, share.keyExchange(), i);
                    return handshake;
                }
            }
            finally
            {
                ticket.destroy();
            }
        }
        LOG.log(DEBUG, "no offered PSK identity is a live ticket of ours: full handshake");
        return null;
    }

    /** The binder check of RFC 8446 §4.2.11.2 over the ClientHello truncated before its binders list. */
    static void verifyBinder(
        final CipherSuite suite, final byte[] psk, final byte[] message, final int bindersOffset, final byte[] binder)
        throws Tls13Alert
    {
        final HashAlgorithm hash = HashAlgorithm.forName(suite.hash().name());
        final byte[] expected = computeBinder(hash, psk, message, bindersOffset);
        if (!MessageDigest.isEqual(expected, binder))
        {
            throw new Tls13Alert(Tls13Alert.DECRYPT_ERROR, "PSK binder does not verify");
        }
    }

    /** The binder of a resumption PSK over the first {@code truncatedLength} bytes of a ClientHello message. */
    public static byte[] computeBinder(
        final HashAlgorithm hash, final byte[] psk, final byte[] message, final int truncatedLength)
    {
        final MessageDigest digest = hash.newDigest();
        digest.update(message, 0, truncatedLength);
        final Tls13Secrets early = Tls13Secrets.withPsk(hash, psk, false);
        final byte[] binderKey = early.binderKey();
        try
        {
            return Tls13KeySchedule.finishedVerifyData(binderKey, digest.digest(), hash);
        }
        finally
        {
            Secrets.zero(binderKey);
            early.destroy();
        }
    }

    /** Bytes to send to the client: ServerHello, maybe ChangeCipherSpec, then the protected EE and Finished. */
    public byte[] flight()
    {
        return flight;
    }

    /**
     * Takes one whole record from the client after the flight (ChangeCipherSpec, or the protected Finished).
     *
     * @throws Tls13Alert when the record is unexpected, fails to decrypt or the Finished does not verify.
     */
    public void onRecord(final byte[] record, final int offset, final int length) throws Tls13Alert
    {
        final int type = record[offset] & 0xFF;
        if (type == ContentType.CHANGE_CIPHER_SPEC)
        {
            // RFC 8446 §5: one 0x01 byte, dropped
            if (length != 6 || record[offset + 5] != 1)
            {
                throw new Tls13Alert(Tls13Alert.UNEXPECTED_MESSAGE, "malformed ChangeCipherSpec");
            }
            return;
        }
        if (type == ContentType.ALERT && length >= 7)
        {
            peerAlert = record[offset + 6] & 0xFF;
            throw new Tls13Alert(Tls13Alert.UNEXPECTED_MESSAGE, "client sent an alert");
        }
        if (type != ContentType.APPLICATION_DATA)
        {
            throw new Tls13Alert(Tls13Alert.UNEXPECTED_MESSAGE, "unprotected record after ServerHello");
        }
        if (clientDecoder.onSegment(record, offset, length, this) != RecordDecoder.OK)
        {
            throw new Tls13Alert(clientDecoder.failureAlert(), "client handshake record does not decrypt");
        }
        if (failureAlert >= 0)
        {
            throw new Tls13Alert(failureAlert, peerAlert >= 0 ? "client sent an alert" : "bad client Finished");
        }
    }

    @Override
    public void onPlaintext(final byte[] buffer, final int offset, final int length)
    {
        failureAlert = Tls13Alert.UNEXPECTED_MESSAGE;
    }

    @Override
    public void onRecord(final int contentType, final byte[] buffer, final int offset, final int length)
    {
        if (contentType == ContentType.ALERT)
        {
            peerAlert = length >= 2 ? buffer[offset + 1] & 0xFF : Tls13Alert.DECODE_ERROR;
            failureAlert = Tls13Alert.UNEXPECTED_MESSAGE;
            return;
        }
        final int verifyLength = hash.outputLength();
        if (contentType != ContentType.HANDSHAKE || complete || length != 4 + verifyLength ||
            (buffer[offset] & 0xFF) != FINISHED || (buffer[offset + 1] | buffer[offset + 2]) != 0 ||
            (buffer[offset + 3] & 0xFF) != verifyLength)
        {
            failureAlert = Tls13Alert.UNEXPECTED_MESSAGE;
            return;
        }
        final byte[] verifyData = new byte[verifyLength];
        System.arraycopy(buffer, offset + 4, verifyData, 0, verifyLength);
        if (!MessageDigest.isEqual(expectedClientFinished, verifyData))
        {
            failureAlert = Tls13Alert.DECRYPT_ERROR;
            return;
        }
        transcript.update(buffer, offset, length);
        finish();
    }

    @Override
    public void onRecordAuthenticated(final long sequence, final int contentType)
    {
    }

    /** The server's alert record under the handshake keys, once the flight has gone (RFC 8446 §6). */
    public byte[] alertRecord(final int description)
    {
        final byte[] alert = {2, (byte)description};
        final byte[] record = new byte[handshakeEncoder.recordLength(alert.length)];
        handshakeEncoder.encode(ContentType.ALERT, alert, 0, alert.length, 1, record, 0);
        return record;
    }

    public boolean isComplete()
    {
        return complete;
    }

    /** The alert the client sent, or -1. */
    public int peerAlert()
    {
        return peerAlert;
    }

    public CipherSuite suite()
    {
        return suite;
    }

    /** The key-share group's code point. */
    public int group()
    {
        return group;
    }

    public String applicationProtocol()
    {
        return applicationProtocol;
    }

    public String serverName()
    {
        return hello.serverName();
    }

    /** The client's legacy session id, echoed in the ServerHello (a copy). */
    public byte[] sessionId()
    {
        return hello.sessionId().clone();
    }

    /** The client's application traffic secret, once: the caller owns it. */
    public byte[] takeClientTrafficSecret()
    {
        final byte[] secret = clientTrafficSecret;
        clientTrafficSecret = null;
        return secret;
    }

    /** The server's application traffic secret, once: the caller owns it. */
    public byte[] takeServerTrafficSecret()
    {
        final byte[] secret = serverTrafficSecret;
        serverTrafficSecret = null;
        return secret;
    }

    /** The NewSessionTicket message for the resumed connection (plaintext handshake message), or null. */
    public byte[] newSessionTicket()
    {
        return newSessionTicket;
    }

    /**
     * The secrets for the key log export, once complete and asked for at {@link #tryAccept(Policy, byte[], boolean)};
     * the caller owns the entry. Null otherwise.
     */
    public KeyLogEntry takeKeyLogEntry()
    {
        if (!complete || null == clientTrafficSecretForLog || null == clientHandshakeSecretForLog)
        {
            return null;
        }
        final KeyLogEntry entry = KeyLogEntry.tls13(hello.random().clone(), clientHandshakeSecretForLog,
            serverHandshakeSecretForLog, clientTrafficSecretForLog, serverTrafficSecretForLog);
        clientHandshakeSecretForLog = null;
        serverHandshakeSecretForLog = null;
        clientTrafficSecretForLog = null;
        serverTrafficSecretForLog = null;
        return entry;
    }

    /** Zeroes every secret not handed over. */
    public void destroy()
    {
        Secrets.zero(clientHandshakeSecretForLog, serverHandshakeSecretForLog, clientTrafficSecretForLog,
            serverTrafficSecretForLog);
        clientHandshakeSecretForLog = null;
        serverHandshakeSecretForLog = null;
        clientTrafficSecretForLog = null;
        serverTrafficSecretForLog = null;
        if (null != secrets)
        {
            secrets.destroy();
            secrets = null;
        }
        Secrets.zero(clientTrafficSecret, serverTrafficSecret, expectedClientFinished);
        clientTrafficSecret = null;
        serverTrafficSecret = null;
    }

    @Override
    public String toString()
    {
        return "PskServerHandshake{" + suite + ", group=" + group + ", alpn=" + applicationProtocol +
            (complete ? ", complete" : "") + "}";
    }

    private void start(final byte[] clientHello, final byte[] clientShare, final int selectedIdentity)
        throws Tls13Alert
    {
        final byte[] sharedSecret;
        final byte[] serverShare;
        try
        {
            final TlsAgreement agreement = new BcTlsCrypto(policy.random()).createECDomain(new TlsECConfig(group))
                .createECDH();
            serverShare = agreement.generateEphemeral();
            agreement.receivePeerValue(clientShare);
            sharedSecret = agreement.calculateSecret().extract();
        }
        catch (final IOException | RuntimeException ex)
        {
            throw new Tls13Alert(Tls13Alert.ILLEGAL_PARAMETER, "client key share unusable");
        }
        final byte[] serverHello = serverHello(serverShare, selectedIdentity);
        transcript.update(clientHello);
        transcript.update(serverHello);
        secrets.deriveHandshakeSecrets(sharedSecret, currentHash());
        Secrets.zero(sharedSecret);
        if (keyLog)
        {
            clientHandshakeSecretForLog = secrets.clientHandshakeTrafficSecret().clone();
            serverHandshakeSecretForLog = secrets.serverHandshakeTrafficSecret().clone();
        }

        final ByteArrayOutputStream protectedFlight = new ByteArrayOutputStream();
        final byte[] encryptedExtensions = encryptedExtensions();
        transcript.update(encryptedExtensions);
        final byte[] serverVerify = Tls13KeySchedule.finishedVerifyData(
            secrets.serverHandshakeTrafficSecret(), currentHash(), hash);
        final byte[] serverFinished = handshakeMessage(FINISHED, serverVerify);
        transcript.update(serverFinished);
        final byte[] serverFinishedHash = currentHash();
        expectedClientFinished = Tls13KeySchedule.finishedVerifyData(
            secrets.clientHandshakeTrafficSecret(), serverFinishedHash, hash);
        secrets.deriveApplicationSecrets(serverFinishedHash);
        protectedFlight.writeBytes(encryptedExtensions);
        protectedFlight.writeBytes(serverFinished);

        final TrafficKeys serverKeys = Tls13KeySchedule.trafficKeys(
            secrets.serverHandshakeTrafficSecret(), suite.keyLength(), hash);
        final TrafficKeys clientKeys = Tls13KeySchedule.trafficKeys(
            secrets.clientHandshakeTrafficSecret(), suite.keyLength(), hash);
        try
        {
            handshakeEncoder = new RecordEncoder(new RecordProtection(suite, serverKeys.key(), serverKeys.iv()));
            clientDecoder = new RecordDecoder(new RecordProtection(suite, clientKeys.key(), clientKeys.iv()),
                IntegrityMode.STRICT, new byte[RecordDecoder.SCRATCH_LENGTH]).sequence(0);
        }
        finally
        {
            serverKeys.destroy();
            clientKeys.destroy();
        }
        final byte[] plain = protectedFlight.toByteArray();
        final byte[] sealed = new byte[handshakeEncoder.recordLength(plain.length)];
        handshakeEncoder.encode(ContentType.HANDSHAKE, plain, 0, plain.length, 0, sealed, 0);

        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(record(ContentType.HANDSHAKE, serverHello));
        if (hello.sessionId().length > 0)
        {
            // RFC 8446 Appendix D.4: middlebox compatibility mode
            out.writeBytes(CHANGE_CIPHER_SPEC);
        }
        out.writeBytes(sealed);
        flight = out.toByteArray();
    }

    private void finish()
    {
        secrets.deriveResumptionMasterSecret(currentHash());
        clientTrafficSecret = secrets.clientApplicationTrafficSecret().clone();
        serverTrafficSecret = secrets.serverApplicationTrafficSecret().clone();
        if (keyLog)
        {
            clientTrafficSecretForLog = clientTrafficSecret.clone();
            serverTrafficSecretForLog = serverTrafficSecret.clone();
        }
        try
        {
            newSessionTicket = ResumptionTicket.newSessionTicket(suite, secrets.resumptionMasterSecret(),
                applicationProtocol, hello.serverName(), policy.ticketKeys(), policy.lifetimeMs(), policy.random());
        }
        catch (final RuntimeException ex)
        {
            LOG.log(DEBUG, () -> "no ticket issued after resumption: " + ex.getClass().getSimpleName());
        }
        secrets.destroy();
        secrets = null;
        complete = true;
    }

    private byte[] serverHello(final byte[] serverShare, final int selectedIdentity)
    {
        final byte[] random = new byte[ClientHelloParser.RANDOM_LENGTH];
        policy.random().nextBytes(random);
        final byte[] sessionId = hello.sessionId();
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        u16(body, 0x0303);
        body.writeBytes(random);
        body.write(sessionId.length);
        body.writeBytes(sessionId);
        u16(body, suite.code());
        body.write(0);
        final ByteArrayOutputStream extensions = new ByteArrayOutputStream();
        u16(extensions, ClientHelloParser.EXT_SUPPORTED_VERSIONS);
        u16(extensions, 2);
        u16(extensions, TLS13);
        u16(extensions, ClientHelloParser.EXT_KEY_SHARE);
        u16(extensions, 4 + serverShare.length);
        u16(extensions, group);
        u16(extensions, serverShare.length);
        extensions.writeBytes(serverShare);
        u16(extensions, ClientHelloParser.EXT_PRE_SHARED_KEY);
        u16(extensions, 2);
        u16(extensions, selectedIdentity);
        u16(body, extensions.size());
        body.writeBytes(extensions.toByteArray());
        return handshakeMessage(SERVER_HELLO, body.toByteArray());
    }

    private byte[] encryptedExtensions()
    {
        final ByteArrayOutputStream extensions = new ByteArrayOutputStream();
        if (null != applicationProtocol)
        {
            final byte[] name = applicationProtocol.getBytes(StandardCharsets.UTF_8);
            u16(extensions, ClientHelloParser.EXT_ALPN);
            u16(extensions, 3 + name.length);
            u16(extensions, 1 + name.length);
            extensions.write(name.length);
            extensions.writeBytes(name);
        }
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        u16(body, extensions.size());
        body.writeBytes(extensions.toByteArray());
        return handshakeMessage(ENCRYPTED_EXTENSIONS, body.toByteArray());
    }

    private byte[] currentHash()
    {
        try
        {
            return ((MessageDigest)transcript.clone()).digest();
        }
        catch (final CloneNotSupportedException ex)
        {
            throw new IllegalStateException(hash + " digest cannot be cloned");
        }
    }

    private static CipherSuite usable(
        final Policy policy,
        final ClientHelloParser.ClientHello hello,
        final ResumptionTicket ticket,
        final ClientHelloParser.PskIdentity identity,
        final long nowMs)
    {
        final long ageMs = nowMs - ticket.createdMs();
        if (ageMs < 0 || ageMs >= policy.lifetimeMs() || ageMs >= ResumptionTicket.MAX_LIFETIME_S * 1000)
        {
            LOG.log(DEBUG, "ticket refused: expired");
            return null;
        }
        if (Math.abs(ticket.clientAgeMs(identity.obfuscatedTicketAge()) - ageMs) > AGE_TOLERANCE_MS)
        {
            LOG.log(DEBUG, "ticket refused: implausible obfuscated_ticket_age");
            return null;
        }
        // RFC 6066 §3 and RFC 8446 §4.6.1: a session resumes only for the name it was established for
        if (!Objects.equals(ticket.serverName(), hello.serverName()))
        {
            LOG.log(DEBUG, "ticket refused: SNI differs");
            return null;
        }
        final CipherSuite original = CipherSuite.forCode(ticket.suiteCode());
        if (null == original || !original.isTls13())
        {
            return null;
        }
        // §4.2.11: any enabled suite the client offers with the ticket's hash, in server order
        for (final int code : policy.suiteCodes())
        {
            final CipherSuite candidate = CipherSuite.forCode(code);
            if (null != candidate && candidate.isTls13() && candidate.hash() == original.hash() &&
                hello.offersSuite(code))
            {
                return candidate;
            }
        }
        LOG.log(DEBUG, "ticket refused: no offered suite shares its hash");
        return null;
    }

    private static ClientHelloParser.KeyShare selectKeyShare(
        final int[] groups, final List<ClientHelloParser.KeyShare> shares)
    {
        for (final int group : groups)
        {
            for (final ClientHelloParser.KeyShare share : shares)
            {
                if (share.group() == group)
                {
                    return share;
                }
            }
        }
        return null;
    }

    private static String selectProtocol(final List<String> ours, final List<String> offered)
    {
        for (final String protocol : ours)
        {
            if (offered.contains(protocol))
            {
                return protocol;
            }
        }
        return null;
    }

    private static byte[] handshakeMessage(final int type, final byte[] body)
    {
        final byte[] message = new byte[4 + body.length];
        message[0] = (byte)type;
        message[1] = (byte)(body.length >>> 16);
        message[2] = (byte)(body.length >>> 8);
        message[3] = (byte)body.length;
        System.arraycopy(body, 0, message, 4, body.length);
        return message;
    }

    private static byte[] record(final int type, final byte[] content)
    {
        final byte[] record = new byte[5 + content.length];
        record[0] = (byte)type;
        record[1] = 3;
        record[2] = 3;
        record[3] = (byte)(content.length >>> 8);
        record[4] = (byte)content.length;
        System.arraycopy(content, 0, record, 5, content.length);
        return record;
    }

    private static void u16(final ByteArrayOutputStream out, final int value)
    {
        out.write(value >>> 8);
        out.write(value);
    }
}
