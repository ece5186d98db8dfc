package org.inlinetls.handshake;

import org.inlinetls.crypto.cbc.CbcSuite;
import org.inlinetls.crypto.keys.HashAlgorithm;
import org.inlinetls.crypto.keys.Secrets;
import org.inlinetls.crypto.keys.Tls12KeyBlock;
import org.inlinetls.crypto.keys.Tls12Prf;
import org.inlinetls.crypto.keys.Tls13KeySchedule;
import org.inlinetls.crypto.keys.TrafficKeys;
import org.inlinetls.crypto.suite.CipherSuite;
import org.inlinetls.handshake.keylog.KeyLogFile;
import org.inlinetls.handshake.keylog.KeyLogLabel;
import org.inlinetls.handshake.keylog.RecordOpener;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;

/**
 * What a capture shows of one handshake the appliance answered, read with the key log: the appliance's byte stream
 * to the client (from the server's ISN + 1, as captured) is split into its flights and the connection's keys are
 * derived from the logged secrets, so that the handshake can be stood in for on replay ({@link KeyLogHandshake}).
 * <pre>
 *   TLS 1.3:  ServerHello [CCS] {EncryptedExtensions .. Finished}  | [{NewSessionTicket}]  application records
 *             &lt;------------- first flight (after the ClientHello) --&gt;  (the ticket, under the application keys)
 *   TLS 1.2:  ServerHello .. ServerHelloDone | [NewSessionTicket] CCS {Finished}  application records
 *             &lt;- first flight ----------------&gt; &lt;- second flight (after the client's Finished) -&gt;
 *   TLS 1.2 abbreviated (resumed): ServerHello [NewSessionTicket] CCS {Finished} is the first flight.
 * </pre>
 * A HelloRetryRequest is not supported. Secrets stay in this object until {@link #destroy()}; never printed.
 */
public final class CapturedHandshake
{
    private static final int HEADER_LENGTH = CipherSuite.RECORD_HEADER_LENGTH;
    private static final int CHANGE_CIPHER_SPEC = 20;
    private static final int HANDSHAKE = 22;
    private static final int APPLICATION_DATA = 23;
    private static final int SERVER_HELLO = 2;
    private static final int NEW_SESSION_TICKET = 4;
    private static final int SERVER_HELLO_DONE = 14;
    private static final int FINISHED = 20;
    private static final int EXT_SUPPORTED_VERSIONS = 43;
    private static final int TLS13 = 0x0304;
    private static final byte[] HELLO_RETRY_REQUEST_RANDOM = java.util.HexFormat.of().parseHex(
        "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c");

    private final byte[] clientRandom;
    private CipherSuite.TlsVersion version;
    private int suiteCode;
    private byte[] serverRandom;
    private byte[] sessionId;
    private int firstFlightEnd;
    private int secondFlightEnd;
    private byte[] sessionTicket;
    private byte[] clientSecret;
    private byte[] serverSecret;

    private CapturedHandshake(final byte[] clientRandom)
    {
        this.clientRandom = clientRandom.clone();
    }

    /**
     * Reads the appliance's flights from its captured stream to the client.
     *
     * @param stream       the appliance's bytes to the client from the server's ISN + 1, in sequence order.
     * @param clientRandom the random of the client's ClientHello (the key log's index).
     * @throws IOException when the stream or the key log do not hold what the handshake needs (a reason without
     *                     secrets).
     */
    public static CapturedHandshake parse(final byte[] stream, final int length, final byte[] clientRandom,
        final KeyLogFile keyLog) throws IOException
    {
        final CapturedHandshake handshake = new CapturedHandshake(clientRandom);
        try
        {
            handshake.read(stream, length, keyLog);
            return handshake;
        }
        catch (final IOException | RuntimeException ex)
        {
            handshake.destroy();
            throw ex instanceof IOException ? (IOException)ex : new IOException("captured handshake unreadable: " +
                ex.getClass().getSimpleName(), ex);
        }
    }

    private void read(final byte[] stream, final int length, final KeyLogFile keyLog) throws IOException
    {
        final int helloEnd = recordEnd(stream, 0, length);
        if (helloEnd < 0 || stream[0] != HANDSHAKE || stream[HEADER_LENGTH] != SERVER_HELLO)
        {
            throw new IOException("the captured server stream does not start with a ServerHello record");
        }
        readServerHello(stream, HEADER_LENGTH + 4, helloEnd);
        if (version == CipherSuite.TlsVersion.TLS13)
        {
            readTls13(stream, helloEnd, length, keyLog);
        }
        else
        {
            readTls12(stream, helloEnd, length, keyLog);
        }
    }

    private void readServerHello(final byte[] s, final int bodyOffset, final int end) throws IOException
    {
        int at = bodyOffset + 2;
        serverRandom = Arrays.copyOfRange(s, at, at + 32);
        if (Arrays.equals(serverRandom, HELLO_RETRY_REQUEST_RANDOM))
        {
            throw new IOException("a HelloRetryRequest handshake cannot be replayed (not supported)");
        }
        at += 32;
        final int sessionIdLength = s[at] & 0xFF;
        sessionId = Arrays.copyOfRange(s, at + 1, at + 1 + sessionIdLength);
        at += 1 + sessionIdLength;
        suiteCode = u16(s, at);
        at += 3;
        version = CipherSuite.TlsVersion.TLS12;
        if (at + 2 <= end)
        {
            final int extensionsEnd = at + 2 + u16(s, at);
            at += 2;
            while (at + 4 <= extensionsEnd)
            {
                final int type = u16(s, at);
                final int extLength = u16(s, at + 2);
                if (type == EXT_SUPPORTED_VERSIONS && extLength == 2 && u16(s, at + 4) == TLS13)
                {
                    version = CipherSuite.TlsVersion.TLS13;
                }
                at += 4 + extLength;
            }
        }
        if (version == CipherSuite.TlsVersion.TLS13 ? null == CipherSuite.forCode(suiteCode) :
            NegotiatedKeys.tls12KeyBlockLength(suiteCode) == 0)
        {
            throw new IOException("suite 0x" + Integer.toHexString(suiteCode) + " is not one the appliance serves");
        }
    }

    private void readTls13(final byte[] s, final int helloEnd, final int length, final KeyLogFile keyLog)
        throws IOException
    {
        final CipherSuite suite = CipherSuite.forCode(suiteCode);
        final HashAlgorithm hash = HashAlgorithm.forName(suite.hash().name());
        final RecordOpener handshakeOpener = opener(suite, hash, required(keyLog,
            KeyLogLabel.SERVER_HANDSHAKE_TRAFFIC_SECRET), 0);
        clientSecret = required(keyLog, KeyLogLabel.CLIENT_TRAFFIC_SECRET_0);
        serverSecret = required(keyLog, KeyLogLabel.SERVER_TRAFFIC_SECRET_0);
        final ByteArrayOutputStream messages = new ByteArrayOutputStream();
        int at = helloEnd;
        try
        {
            while (firstFlightEnd == 0)
            {
                final int end = recordEnd(s, at, length);
                if (end < 0)
                {
                    throw new IOException("the captured server stream ends before the server's Finished");
                }
                if (s[at] == APPLICATION_DATA)
                {
                    final byte[] plain = handshakeOpener.open(s, at);
                    if (null == plain || handshakeOpener.contentType() != HANDSHAKE)
                    {
                        throw new IOException("a server handshake record does not open with the logged secret");
                    }
                    messages.writeBytes(plain);
                    if (containsMessage(messages.toByteArray(), FINISHED))
                    {
                        firstFlightEnd = end;
                    }
                }
                else if (s[at] != CHANGE_CIPHER_SPEC)
                {
                    throw new IOException("unexpected record type " + s[at] + " in the server's flight");
                }
                at = end;
            }
        }
        finally
        {
            handshakeOpener.destroy();
        }
        secondFlightEnd = firstFlightEnd;
        final int end = recordEnd(s, firstFlightEnd, length);
        if (end > 0 && s[firstFlightEnd] == APPLICATION_DATA)
        {
            final RecordOpener application = opener(suite, hash, serverSecret.clone(), 0);
            final byte[] plain = application.open(s, firstFlightEnd);
            if (null != plain && application.contentType() == HANDSHAKE && plain.length > 0 &&
                plain[0] == NEW_SESSION_TICKET)
            {
                sessionTicket = plain;
            }
            application.destroy();
        }
    }

    private void readTls12(final byte[] s, final int helloEnd, final int length, final KeyLogFile keyLog)
        throws IOException
    {
        clientSecret = required(keyLog, KeyLogLabel.CLIENT_RANDOM);
        final ByteArrayOutputStream messages = new ByteArrayOutputStream();
        messages.write(s, HEADER_LENGTH, helloEnd - HEADER_LENGTH);
        int at = helloEnd;
        boolean full = containsMessage(messages.toByteArray(), SERVER_HELLO_DONE);
        if (full)
        {
            firstFlightEnd = helloEnd;
        }
        while (true)
        {
            final int end = recordEnd(s, at, length);
            if (end < 0)
            {
                throw new IOException("the captured server stream ends before the server's Finished");
            }
            if (s[at] == CHANGE_CIPHER_SPEC)
            {
                final int finishedEnd = recordEnd(s, end, length);
                if (finishedEnd < 0)
                {
                    throw new IOException("the captured server stream ends before the server's Finished");
                }
                secondFlightEnd = finishedEnd;
                if (!full)
                {
                    firstFlightEnd = finishedEnd; // abbreviated: the server speaks first and last
                }
                return;
            }
            if (s[at] == HANDSHAKE && !full)
            {
                messages.write(s, at + HEADER_LENGTH, end - at - HEADER_LENGTH);
                if (containsMessage(messages.toByteArray(), SERVER_HELLO_DONE))
                {
                    full = true;
                    firstFlightEnd = end;
                }
            }
            at = end;
        }
    }

    private RecordOpener opener(final CipherSuite suite, final HashAlgorithm hash, final byte[] secret,
        final long sequence)
    {
        final TrafficKeys keys = Tls13KeySchedule.trafficKeys(secret, suite.keyLength(), hash);
        try
        {
            return new RecordOpener(suite, keys.key(), keys.iv(), sequence);
        }
        finally
        {
            keys.destroy();
            Secrets.zero(secret);
        }
    }

    private byte[] required(final KeyLogFile keyLog, final KeyLogLabel label) throws IOException
    {
        final byte[] secret = keyLog.secret(clientRandom, label);
        if (null == secret)
        {
            throw new IOException("the key log has no " + label + " for this handshake's client random");
        }
        return secret;
    }

    /** True when the concatenated handshake messages hold a whole message of the type. */
    private static boolean containsMessage(final byte[] messages, final int type)
    {
        int at = 0;
        while (at + 4 <= messages.length)
        {
            final int length = ((messages[at + 1] & 0xFF) << 16) | u16(messages, at + 2);
            if (at + 4 + length > messages.length)
            {
                return false;
            }
            if ((messages[at] & 0xFF) == type)
            {
                return true;
            }
            at += 4 + length;
        }
        return false;
    }

    /** The end of the record at {@code offset}, or -1 when it is not whole within {@code length}. */
    static int recordEnd(final byte[] s, final int offset, final int length)
    {
        if (offset + HEADER_LENGTH > length)
        {
            return -1;
        }
        final int end = offset + HEADER_LENGTH + u16(s, offset + 3);
        return end <= length ? end : -1;
    }

    private static int u16(final byte[] s, final int at)
    {
        return ((s[at] & 0xFF) << 8) | (s[at + 1] & 0xFF);
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

    /** End of the appliance's first flight in its stream (sent after the ClientHello). */
    public int firstFlightEnd()
    {
        return firstFlightEnd;
    }

    /** End of the appliance's handshake bytes (TLS 1.2 full: its CCS and Finished, sent after the client's). */
    public int secondFlightEnd()
    {
        return secondFlightEnd;
    }

    /** The TLS 1.3 NewSessionTicket message the appliance sent right after the hand-over (a copy), or null. */
    public byte[] sessionTicket()
    {
        return null == sessionTicket ? null : sessionTicket.clone();
    }

    /** The record keys of the connection, as the live handshake handed them over (the caller destroys them). */
    NegotiatedKeys newKeys()
    {
        final NegotiatedKeys.ConnectionInfo info = new NegotiatedKeys.ConnectionInfo(null, null, sessionId.clone(),
            null, "key-log", false);
        if (version == CipherSuite.TlsVersion.TLS13)
        {
            final NegotiatedKeys keys = NegotiatedKeys.tls13(CipherSuite.forCode(suiteCode), clientSecret.clone(),
                serverSecret.clone(), 0, 0, info);
            keys.sessionTicket(sessionTicket());
            return keys;
        }
        final byte[] keyBlock = tls12KeyBlock();
        try
        {
            // both Finished messages used sequence number 0 (DESIGN §7)
            return NegotiatedKeys.tls12(suiteCode, keyBlock, 1, 1, info);
        }
        finally
        {
            Secrets.zero(keyBlock);
        }
    }

    private byte[] tls12KeyBlock()
    {
        final CipherSuite aead = CipherSuite.forCode(suiteCode);
        final HashAlgorithm hash = null != aead ? HashAlgorithm.forName(aead.hash().name()) : HashAlgorithm.SHA256;
        return Tls12Prf.keyBlock(clientSecret, serverRandom, clientRandom, hash,
            NegotiatedKeys.tls12KeyBlockLength(suiteCode));
    }

    /**
     * An opener of the appliance's application records, from the first one after the hand-over (TLS 1.3: the
     * NewSessionTicket, if any, is record 0). AEAD suites only.
     */
    public RecordOpener newServerOpener()
    {
        return newOpener(false);
    }

    /** An opener of the client's application records, from the first one after its Finished. AEAD suites only. */
    public RecordOpener newClientOpener()
    {
        return newOpener(true);
    }

    private RecordOpener newOpener(final boolean client)
    {
        final CipherSuite suite = CipherSuite.forCode(suiteCode);
        if (null == suite)
        {
            throw new IllegalStateException("CBC suites have no opener: " + CbcSuite.forCode(suiteCode));
        }
        if (version == CipherSuite.TlsVersion.TLS13)
        {
            return opener(suite, HashAlgorithm.forName(suite.hash().name()),
                (client ? clientSecret : serverSecret).clone(), 0);
        }
        final byte[] keyBlock = tls12KeyBlock();
        final Tls12KeyBlock keys = Tls12KeyBlock.split(keyBlock, 0, suite.keyLength(), suite.fixedIvLength());
        Secrets.zero(keyBlock);
        try
        {
            return new RecordOpener(suite, client ? keys.clientKey() : keys.serverKey(),
                client ? keys.clientIv() : keys.serverIv(), 1);
        }
        finally
        {
            keys.destroy();
        }
    }

    /** Zeroes the secrets. */
    public void destroy()
    {
        Secrets.zero(clientSecret, serverSecret);
    }

    @Override
    public String toString()
    {
        return "CapturedHandshake{" + version + ", suite 0x" + Integer.toHexString(suiteCode) + ", flights end at " +
            firstFlightEnd + "/" + secondFlightEnd + (null == sessionTicket ? "" : ", ticket") + ", secrets " +
            Secrets.REDACTED + "}";
    }
}
