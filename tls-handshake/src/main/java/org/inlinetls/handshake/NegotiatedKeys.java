package org.inlinetls.handshake;

import org.inlinetls.crypto.cbc.CbcSuite;
import org.inlinetls.crypto.keys.HashAlgorithm;
import org.inlinetls.crypto.keys.Secrets;
import org.inlinetls.crypto.keys.Tls12KeyBlock;
import org.inlinetls.crypto.keys.Tls13KeySchedule;
import org.inlinetls.crypto.keys.TrafficKeys;
import org.inlinetls.crypto.record.CbcRecordDecoder;
import org.inlinetls.crypto.record.CbcRecordEncoder;
import org.inlinetls.crypto.record.IntegrityMode;
import org.inlinetls.crypto.record.RecordDecoder;
import org.inlinetls.crypto.record.RecordEncoder;
import org.inlinetls.crypto.record.RecordProtection;
import org.inlinetls.crypto.record.SegmentDecoder;
import org.inlinetls.crypto.record.SegmentEncoder;
import org.inlinetls.crypto.suite.CipherSuite;

/**
 * What a completed handshake hands to the record layer: version, suite, each direction's keys and the record
 * sequence numbers already used, plus the connection facts (ALPN, SNI, session id). Callers build their record
 * decoder and encoder through the factory methods and never see the keys; {@link #destroy()} wipes them.
 */
public final class NegotiatedKeys
{
    private static final byte[] EMPTY = new byte[0];

    private final CipherSuite.TlsVersion version;
    private final int suiteCode;
    private final CipherSuite suite;
    private final CbcSuite cbcSuite;
    private final byte[] clientKey;
    private final byte[] clientIv;
    private final byte[] clientMacKey;
    private final byte[] serverKey;
    private final byte[] serverIv;
    private final byte[] serverMacKey;
    private final byte[] clientTrafficSecret;
    private final byte[] serverTrafficSecret;
    private final long clientSequence;
    private final long serverSequence;
    private final ConnectionInfo info;
    private byte[] sessionTicket;
    private boolean destroyed;

    /** The non-secret facts of a connection. */
    record ConnectionInfo(
        String applicationProtocol,
        String serverName,
        byte[] sessionId,
        KeyShareGroup group,
        String credentialName,
        boolean resumed)
    {
    }

    private NegotiatedKeys(
        final CipherSuite.TlsVersion version,
        final int suiteCode,
        final Tls12KeyBlock keys,
        final byte[] clientTrafficSecret,
        final byte[] serverTrafficSecret,
        final long clientSequence,
        final long serverSequence,
        final ConnectionInfo info)
    {
        this.version = version;
        this.suiteCode = suiteCode;
        this.suite = CipherSuite.forCode(suiteCode);
        this.cbcSuite = CbcSuite.forCode(suiteCode);
        this.clientKey = keys.clientKey();
        this.clientIv = keys.clientIv();
        this.clientMacKey = keys.clientMacKey();
        this.serverKey = keys.serverKey();
        this.serverIv = keys.serverIv();
        this.serverMacKey = keys.serverMacKey();
        this.clientTrafficSecret = clientTrafficSecret;
        this.serverTrafficSecret = serverTrafficSecret;
        this.clientSequence = clientSequence;
        this.serverSequence = serverSequence;
        this.info = info;
    }

    /**
     * Bytes of TLS 1.2 key block the suite needs (RFC 5246 §6.3: MAC keys, keys, fixed IVs), or 0 when the suite is
     * not one the record layer implements.
     */
    static int tls12KeyBlockLength(final int suiteCode)
    {
        final CipherSuite suite = CipherSuite.forCode(suiteCode);
        if (null != suite && !suite.isTls13())
        {
            return Tls12KeyBlock.length(0, suite.keyLength(), suite.fixedIvLength());
        }
        final CbcSuite cbc = CbcSuite.forCode(suiteCode);
        return null == cbc ? 0 : cbc.keyBlockLength();
    }

    /** Keys of a TLS 1.2 connection from its key block (copied; the caller zeroes it). */
    static NegotiatedKeys tls12(
        final int suiteCode,
        final byte[] keyBlock,
        final long clientSequence,
        final long serverSequence,
        final ConnectionInfo info)
    {
        final CipherSuite suite = CipherSuite.forCode(suiteCode);
        final Tls12KeyBlock keys;
        if (null != suite)
        {
            keys = Tls12KeyBlock.split(keyBlock, 0, suite.keyLength(), suite.fixedIvLength());
        }
        else
        {
            final CbcSuite cbc = CbcSuite.forCode(suiteCode);
            keys = Tls12KeyBlock.split(keyBlock, cbc.macKeyLength(), cbc.encKeyLength(),
                Tls12KeyBlock.CBC_FIXED_IV_LENGTH);
        }
        return new NegotiatedKeys(
            CipherSuite.TlsVersion.TLS12, suiteCode, keys, null, null, clientSequence, serverSequence, info);
    }

    /** Keys of a TLS 1.3 connection from its application traffic secrets (kept, not copied). */
    static NegotiatedKeys tls13(
        final CipherSuite suite,
        final byte[] clientTrafficSecret,
        final byte[] serverTrafficSecret,
        final long clientSequence,
        final long serverSequence,
        final ConnectionInfo info)
    {
        final HashAlgorithm hash = HashAlgorithm.forName(suite.hash().name());
        final TrafficKeys client = Tls13KeySchedule.trafficKeys(clientTrafficSecret, suite.keyLength(), hash);
        final TrafficKeys server = Tls13KeySchedule.trafficKeys(serverTrafficSecret, suite.keyLength(), hash);
        final Tls12KeyBlock keys = new Tls12KeyBlock(EMPTY, EMPTY, client.key(), server.key(), client.iv(), server.iv());
        return new NegotiatedKeys(CipherSuite.TlsVersion.TLS13, suite.code(), keys, clientTrafficSecret,
            serverTrafficSecret, clientSequence, serverSequence, info);
    }

    public CipherSuite.TlsVersion version()
    {
        return version;
    }

    /** The negotiated suite's IANA code point. */
    public int suiteCode()
    {
        return suiteCode;
    }

    /** The AEAD suite, or null for a CBC suite. */
    public CipherSuite suite()
    {
        return suite;
    }

    /** The CBC suite, or null for an AEAD suite. */
    public CbcSuite cbcSuite()
    {
        return cbcSuite;
    }

    /** Sequence number of the client's first record after the hand-over (TLS 1.2: 1, TLS 1.3: 0). */
    public long clientSequence()
    {
        return clientSequence;
    }

    /** Sequence number of the appliance's first record after the hand-over (TLS 1.2: 1, TLS 1.3: 0). */
    public long serverSequence()
    {
        return serverSequence;
    }

    /** The ALPN protocol agreed, or null when the client offered none. */
    public String applicationProtocol()
    {
        return info.applicationProtocol();
    }

    /** The SNI host name the client sent (lower case), or null. */
    public String serverName()
    {
        return info.serverName();
    }

    /** The session id the server sent (TLS 1.3: the client's legacy id echoed); a copy, possibly empty. */
    public byte[] sessionId()
    {
        return info.sessionId() == null ? EMPTY : info.sessionId().clone();
    }

    /**
     * True when the handshake resumed a session: TLS 1.2 by session id or ticket (RFC 5077; abbreviated, no key
     * exchange, so {@link #group()} is null), or TLS 1.3 by one of the appliance's tickets (psk_dhe_ke, so
     * {@link #group()} is the fresh key share's group).
     */
    public boolean resumed()
    {
        return info.resumed();
    }

    /**
     * The TLS 1.3 NewSessionTicket handshake message (RFC 8446 §4.6.1, header included) the appliance sends right
     * after the hand-over, protected with the server's application keys as a handshake record at
     * {@link #serverSequence()}; null when tickets are off (or for TLS 1.2, whose tickets BC sends itself). A copy;
     * not secret (the ticket is sealed).
     */
    public byte[] sessionTicket()
    {
        return null == sessionTicket ? null : sessionTicket.clone();
    }

    void sessionTicket(final byte[] message)
    {
        this.sessionTicket = message;
    }

    /** The key-share group of the (EC)DHE exchange, or null if BC reported one the appliance does not list. */
    public KeyShareGroup group()
    {
        return info.group();
    }

    /** The label of the credential presented (for logs). */
    public String credentialName()
    {
        return info.credentialName();
    }

    /** The hash of the suite's PRF / HKDF. */
    public HashAlgorithm hash()
    {
        if (null != suite)
        {
            return HashAlgorithm.forName(suite.hash().name());
        }
        // every CBC suite the record layer implements uses the SHA-256 PRF (none is a _SHA384 suite)
        return HashAlgorithm.SHA256;
    }

    /**
     * A copy of the client's current application traffic secret (TLS 1.3), the input of
     * {@link Tls13KeySchedule#nextTrafficSecret} when the client sends KeyUpdate; the caller zeroes it.
     */
    public byte[] clientTrafficSecret()
    {
        checkTls13();
        return clientTrafficSecret.clone();
    }

    /** A copy of the server's current application traffic secret (TLS 1.3); the caller zeroes it. */
    public byte[] serverTrafficSecret()
    {
        checkTls13();
        return serverTrafficSecret.clone();
    }

    /**
     * The decoder of the client's records, starting at {@link #clientSequence()}.
     *
     * @param scratch at least {@link RecordDecoder#SCRATCH_LENGTH} bytes (decoders of one thread may share it).
     */
    public SegmentDecoder newClientDecoder(final IntegrityMode mode, final byte[] scratch)
    {
        checkAlive();
        if (null != suite)
        {
            return new RecordDecoder(new RecordProtection(suite, clientKey, clientIv), mode, scratch)
                .sequence(clientSequence);
        }
        return new CbcRecordDecoder(cbcSuite, clientKey, clientMacKey, scratch).sequence(clientSequence);
    }

    /** The encoder of the appliance's records; the caller numbers them from {@link #serverSequence()}. */
    public SegmentEncoder newServerEncoder()
    {
        checkAlive();
        if (null != suite)
        {
            return new RecordEncoder(new RecordProtection(suite, serverKey, serverIv));
        }
        return new CbcRecordEncoder(cbcSuite, serverKey, serverMacKey);
    }

    /** The client's side of the record layer, for tests that play the client. */
    SegmentEncoder newClientEncoder()
    {
        checkAlive();
        if (null != suite)
        {
            return new RecordEncoder(new RecordProtection(suite, clientKey, clientIv));
        }
        return new CbcRecordEncoder(cbcSuite, clientKey, clientMacKey);
    }

    /** The decoder of the appliance's records, for tests that play the client. */
    SegmentDecoder newServerDecoder(final IntegrityMode mode, final byte[] scratch)
    {
        checkAlive();
        if (null != suite)
        {
            return new RecordDecoder(new RecordProtection(suite, serverKey, serverIv), mode, scratch)
                .sequence(serverSequence);
        }
        return new CbcRecordDecoder(cbcSuite, serverKey, serverMacKey, scratch).sequence(serverSequence);
    }

    /**
     * Copies of the record keys, for a flow journal that must rebuild the record layer after a restart (on tmpfs,
     * never logged). The caller zeroes them. MAC keys are empty for AEAD suites.
     *
     * @param kind 0 key, 1 IV, 2 MAC key.
     */
    public byte[] clientRecordKey(final int kind)
    {
        checkAlive();
        return (kind == 0 ? clientKey : kind == 1 ? clientIv : clientMacKey).clone();
    }

    /** As {@link #clientRecordKey(int)} for the appliance's direction. */
    public byte[] serverRecordKey(final int kind)
    {
        checkAlive();
        return (kind == 0 ? serverKey : kind == 1 ? serverIv : serverMacKey).clone();
    }

    /** Zeroes every key and secret; the factories refuse to work afterwards. */
    public void destroy()
    {
        destroyed = true;
        Secrets.zero(clientKey, clientIv, clientMacKey, serverKey, serverIv, serverMacKey, clientTrafficSecret,
            serverTrafficSecret);
    }

    public boolean isDestroyed()
    {
        return destroyed;
    }

    @Override
    public String toString()
    {
        return "NegotiatedKeys{" + version + ", " + (null != suite ? suite : cbcSuite) +
            ", group=" + info.group() + ", alpn=" + info.applicationProtocol() + ", sni=" + info.serverName() +
            ", credential=" + info.credentialName() + (info.resumed() ? ", resumed" : "") +
            ", seq client/server=" + clientSequence + "/" + serverSequence +
            ", keys " + Secrets.REDACTED + "}";
    }

    private void checkTls13()
    {
        checkAlive();
        if (version != CipherSuite.TlsVersion.TLS13)
        {
            throw new IllegalStateException("traffic secrets exist only in TLS 1.3");
        }
    }

    private void checkAlive()
    {
        if (destroyed)
        {
            throw new IllegalStateException("keys destroyed");
        }
    }
}
