package org.inlinetls.handshake;

import org.bouncycastle.tls.RecordPreview;
import org.bouncycastle.tls.TlsServerProtocol;
import org.inlinetls.crypto.record.RecordDecoder;
import org.inlinetls.crypto.suite.CipherSuite;
import org.inlinetls.handshake.keylog.KeyLogEntry;
import org.inlinetls.handshake.keylog.KeyLogSink;
import org.inlinetls.handshake.tls13.PskServerHandshake;
import org.inlinetls.handshake.tls13.Tls13Alert;

import java.util.Arrays;
import java.util.function.Supplier;

import static java.lang.System.Logger.Level.DEBUG;

/**
 * The server side of one TLS handshake, free of I/O: the client's TCP bytes go in through {@link #offer}, the
 * appliance's flight comes out of {@link #readOutput}, and once the client's Finished has been processed the
 * negotiated keys are handed to the record layer through {@link #takeKeys()} (DESIGN §7).
 * <p>
 * BouncyCastle's non-blocking {@link TlsServerProtocol} does the handshake. This engine splits the byte stream into
 * records itself and gives BC one whole record at a time, and stops at the record that completes the handshake:
 * bytes after the client's Finished (often the first request, in the same segment) are left unconsumed for the
 * record layer, since BC would otherwise decrypt them itself. BC is never closed after the hand-over (it would
 * send its own close_notify). No exception escapes: a hostile or broken client leaves the engine failed with BC's
 * fatal alert in the output.
 * <p>
 * With tickets on, a ClientHello (in one record) that offers one of the appliance's TLS 1.3 tickets with a valid
 * binder is answered by {@link PskServerHandshake} instead of BC (an abbreviated psk_dhe_ke handshake); every other
 * ClientHello goes to BC, the PSK extension ignored. Either way a TLS 1.3 connection's keys carry a fresh ticket.
 * <p>
 * Not thread-safe: one engine belongs to one flow and is driven by the thread that owns the flow.
 */
public final class HandshakeEngine implements ServerHandshake
{
    /** Returned by {@link #alert()} and {@link #peerAlert()} when there is none. */
    public static final int NO_ALERT = -1;

    /** Record header: type (1), legacy version (2), length (2) (RFC 8446 §5.1). */
    private static final int HEADER_LENGTH = CipherSuite.RECORD_HEADER_LENGTH;
    private static final int INTERNAL_ERROR = 80;
    private static final System.Logger LOG = System.getLogger(HandshakeEngine.class.getName());

    private static final int HANDSHAKE_RECORD = 22;
    private static final int RECORD_OVERFLOW = 22;

    private final TlsServerProtocol protocol;
    private final ApplianceTlsServer server;
    private final PskServerHandshake.Policy pskPolicy;
    private PskServerHandshake psk;
    private boolean firstRecord = true;
    private final byte[] header = new byte[HEADER_LENGTH];
    private byte[] record = new byte[HEADER_LENGTH + 512];
    private int recordFill;
    private int recordSize;
    private boolean complete;
    private boolean failed;
    private String failureReason;
    private NegotiatedKeys keys;
    private byte[] ownOutput;
    private int ownAlertDescription = NO_ALERT;
    private boolean bcOutputSeen;
    private int ownOutputOffset;
    private final KeyLogSink keyLog;

    public HandshakeEngine(final HandshakeConfig config)
    {
        keyLog = config.keyLog();
        server = new ApplianceTlsServer(config, new CapturingTlsCrypto(config.random(), null != keyLog));
        pskPolicy = config.tls13Resumption();
        protocol = new TicketIssuingProtocol(server, null != pskPolicy);
        try
        {
            protocol.accept(server);
        }
        catch (final Exception ex)
        {
            fail(ex);
        }
    }

    /**
     * Offers the next bytes of the client's stream.
     *
     * @return how many bytes the handshake took: all of them, except when the handshake completed (or failed)
     * inside this call, when the rest belongs to the record layer (or to nobody).
     */
    public int offer(final byte[] src, final int offset, final int length)
    {
        int consumed = 0;
        while (consumed < length && !complete && !failed)
        {
            if (recordFill < HEADER_LENGTH)
            {
                final int n = Math.min(HEADER_LENGTH - recordFill, length - consumed);
                System.arraycopy(src, offset + consumed, record, recordFill, n);
                recordFill += n;
                consumed += n;
                if (recordFill < HEADER_LENGTH || !startRecord())
                {
                    continue;
                }
            }
            final int n = Math.min(recordSize - recordFill, length - consumed);
            System.arraycopy(src, offset + consumed, record, recordFill, n);
            recordFill += n;
            consumed += n;
            if (recordFill == recordSize)
            {
                feedRecord();
            }
        }
        return consumed;
    }

    /** Bytes waiting to be sent to the client (the flight, or a fatal alert). */
    public int pendingOutput()
    {
        final int own = null == ownOutput ? 0 : ownOutput.length - ownOutputOffset;
        return protocol.getAvailableOutputBytes() + own;
    }

    /**
     * Moves up to {@code max} bytes of output to {@code dst}; call again after completion (TLS 1.2: the
     * ChangeCipherSpec and Finished) and after failure (the alert).
     *
     * @return the bytes written.
     */
    public int readOutput(final byte[] dst, final int offset, final int max)
    {
        int written = protocol.readOutput(dst, offset, max);
        bcOutputSeen |= written > 0;
        if (null != ownOutput && written < max)
        {
            final int n = Math.min(max - written, ownOutput.length - ownOutputOffset);
            System.arraycopy(ownOutput, ownOutputOffset, dst, offset + written, n);
            ownOutputOffset += n;
            written += n;
        }
        return written;
    }

    /** True once the client's Finished has been verified: the keys are ready. */
    public boolean isComplete()
    {
        return complete;
    }

    /**
     * True once complete when the client resumed: a TLS 1.2 session (id or ticket, no key exchange) or a TLS 1.3
     * ticket of ours (psk_dhe_ke).
     */
    public boolean isResumed()
    {
        return complete && (null != psk || server.isResumed());
    }

    /** True when the handshake has failed; the output may hold the fatal alert to send before closing. */
    public boolean isFailed()
    {
        return failed;
    }

    /** The description of the fatal alert sent to the client (RFC 8446 §6), or {@link #NO_ALERT}. */
    public int alert()
    {
        return server.alertSent() != NO_ALERT ? server.alertSent() : ownAlertDescription;
    }

    /** The description of a fatal alert the client sent, or {@link #NO_ALERT}. */
    public int peerAlert()
    {
        return null != psk && psk.peerAlert() >= 0 ? psk.peerAlert() : server.alertReceived();
    }

    @Override
    public int alertSent()
    {
        return alert();
    }

    @Override
    public int alertReceived()
    {
        return peerAlert();
    }

    /** Why the handshake failed (BC's message; never key material), or null. */
    public String failureReason()
    {
        return failureReason;
    }

    /** The SNI host name of the client, once its ClientHello has been read (lower case), or null. */
    public String serverName()
    {
        return null != psk ? psk.serverName() : server.serverName();
    }

    /**
     * Hands the negotiated keys over, once: the caller owns them afterwards and destroys them when the flow ends.
     *
     * @throws IllegalStateException if the handshake is not complete or the keys were already taken.
     */
    public NegotiatedKeys takeKeys()
    {
        if (!complete || null == keys)
        {
            throw new IllegalStateException(complete ? "keys already taken" : "handshake not complete");
        }
        final NegotiatedKeys taken = keys;
        keys = null;
        return taken;
    }

    /** Forgets the handshake: zeroes keys not taken. BC is not closed (nothing more is sent). */
    public void release()
    {
        if (null != keys)
        {
            keys.destroy();
            keys = null;
        }
        if (null != psk)
        {
            psk.destroy();
        }
        server.destroy();
    }

    @Override
    public String toString()
    {
        final String state = complete ? isResumed() ? "complete, resumed" : "complete" :
            failed ? "failed: " + failureReason : "handshaking";
        return "HandshakeEngine{" + state +
            ", sni=" + serverName() + "}";
    }

    /** Checks a record header through BC (type, length limits); false when it failed the handshake. */
    private boolean startRecord()
    {
        System.arraycopy(record, 0, header, 0, HEADER_LENGTH);
        if (null != psk)
        {
            return startPskRecord();
        }
        try
        {
            final RecordPreview preview = protocol.previewInputRecord(header);
            recordSize = preview.getRecordSize();
        }
        catch (final Exception ex)
        {
            fail(ex);
            return false;
        }
        if (record.length < recordSize)
        {
            record = Arrays.copyOf(record, recordSize);
        }
        return true;
    }

    private void feedRecord()
    {
        recordFill = 0;
        if (null != psk)
        {
            feedPskRecord();
            return;
        }
        if (firstRecord)
        {
            firstRecord = false;
            if (null != pskPolicy && record[0] == HANDSHAKE_RECORD && tryPsk())
            {
                return;
            }
        }
        try
        {
            protocol.offerInput(record, 0, recordSize);
        }
        catch (final Exception ex)
        {
            fail(ex);
            return;
        }
        if (server.isComplete())
        {
            final CapturingTlsCrypto.SequenceTrackingCipher cipher = ((CapturingTlsCrypto)server.getCrypto())
                .lastCipher();
            try
            {
                if (null != keyLog)
                {
                    exportKeys(server::takeKeyLogEntry);
                }
                keys = server.buildKeys(cipher.nextReadSequence(), cipher.nextWriteSequence());
                complete = true;
            }
            catch (final RuntimeException ex)
            {
                fail(ex);
            }
            finally
            {
                server.destroy();
                Arrays.fill(record, (byte)0);
            }
        }
    }

    /**
     * Hands a completed handshake's secrets to the key log export (which never blocks); a failure there never fails
     * the handshake.
     */
    private void exportKeys(final Supplier<KeyLogEntry> entry)
    {
        try
        {
            final KeyLogEntry taken = entry.get();
            if (null != taken)
            {
                keyLog.offer(taken);
            }
        }
        catch (final RuntimeException ex)
        {
            LOG.log(DEBUG, () -> "key log entry not exported: " + ex.getClass().getSimpleName());
        }
    }

    private void fail(final Exception ex)
    {
        failed = true;
        failureReason = null != server.alertMessage() ? server.alertMessage() : ex.getClass().getSimpleName();
        final boolean bcWroteNothing = !bcOutputSeen && protocol.getAvailableOutputBytes() == 0;
        if (server.alertReceived() == NO_ALERT && (bcWroteNothing || server.alertSent() == NO_ALERT))
        {
            // BC sends nothing before it has read a valid ClientHello (RecordStream.writeRecord), and nothing when
            // it failed outside its record handling: the client still deserves the alert, in plaintext
            ownAlertDescription = server.alertSent() != NO_ALERT ? server.alertSent() : INTERNAL_ERROR;
            appendOwnOutput(plaintextAlert(ownAlertDescription));
        }
        server.destroy();
        LOG.log(DEBUG, () -> "handshake failed: sent " + AlertNames.name(alert()) + ", received " +
            AlertNames.name(server.alertReceived()) + " (" + failureReason + ")");
    }

    /**
     * Offers a ClientHello that fills this first record to {@link PskServerHandshake}; a ClientHello in several
     * records always goes to BC.
     *
     * @return true when the appliance answers it (or refused it with an alert), false when BC takes it.
     */
    private boolean tryPsk()
    {
        final int messageLength = recordSize - HEADER_LENGTH;
        if (messageLength < 4 || record[HEADER_LENGTH] != 1 ||
            ((record[HEADER_LENGTH + 1] & 0xFF) << 16 | (record[HEADER_LENGTH + 2] & 0xFF) << 8 |
            record[HEADER_LENGTH + 3] & 0xFF) != messageLength - 4)
        {
            return false;
        }
        try
        {
            final PskServerHandshake accepted = PskServerHandshake.tryAccept(
                pskPolicy, Arrays.copyOfRange(record, HEADER_LENGTH, recordSize), null != keyLog);
            if (null == accepted)
            {
                return false;
            }
            psk = accepted;
            appendOwnOutput(accepted.flight());
            return true;
        }
        catch (final Tls13Alert ex)
        {
            failOwn(ex.description(), ex.getMessage(), plaintextAlert(ex.description()));
            return true;
        }
    }

    /** Checks a record header in the appliance's own handshake (BC is not involved in it). */
    private boolean startPskRecord()
    {
        final int type = header[0] & 0xFF;
        final int length = (header[3] & 0xFF) << 8 | header[4] & 0xFF;
        if (type < 20 || type > 23 || length == 0)
        {
            failOwn(Tls13Alert.DECODE_ERROR, "bad record header", psk.alertRecord(Tls13Alert.DECODE_ERROR));
            return false;
        }
        if (length > RecordDecoder.MAX_TLS13_RECORD_LENGTH)
        {
            failOwn(RECORD_OVERFLOW, "record too long", psk.alertRecord(RECORD_OVERFLOW));
            return false;
        }
        recordSize = HEADER_LENGTH + length;
        if (record.length < recordSize)
        {
            record = Arrays.copyOf(record, recordSize);
        }
        return true;
    }

    private void feedPskRecord()
    {
        try
        {
            psk.onRecord(record, 0, recordSize);
        }
        catch (final Tls13Alert ex)
        {
            failOwn(ex.description(), ex.getMessage(),
                psk.peerAlert() >= 0 ? null : psk.alertRecord(ex.description()));
            return;
        }
        if (psk.isComplete())
        {
            final NegotiatedKeys.ConnectionInfo info = new NegotiatedKeys.ConnectionInfo(psk.applicationProtocol(),
                psk.serverName(), psk.sessionId(), KeyShareGroup.forCode(psk.group()), "psk", true);
            keys = NegotiatedKeys.tls13(psk.suite(), psk.takeClientTrafficSecret(), psk.takeServerTrafficSecret(),
                0, 0, info);
            keys.sessionTicket(psk.newSessionTicket());
            if (null != keyLog)
            {
                exportKeys(psk::takeKeyLogEntry);
            }
            psk.destroy();
            Arrays.fill(record, (byte)0);
            complete = true;
        }
    }

    private void failOwn(final int description, final String reason, final byte[] alertRecord)
    {
        failed = true;
        failureReason = reason;
        if (null != alertRecord)
        {
            ownAlertDescription = description;
            appendOwnOutput(alertRecord);
        }
        if (null != psk)
        {
            psk.destroy();
        }
        server.destroy();
        LOG.log(DEBUG, () -> "resumption handshake failed: sent " + AlertNames.name(alert()) + " (" + reason + ")");
    }

    private void appendOwnOutput(final byte[] bytes)
    {
        if (null == ownOutput || ownOutputOffset == ownOutput.length)
        {
            ownOutput = bytes;
            ownOutputOffset = 0;
            return;
        }
        final byte[] joined = Arrays.copyOf(ownOutput, ownOutput.length + bytes.length);
        System.arraycopy(bytes, 0, joined, ownOutput.length, bytes.length);
        ownOutput = joined;
    }

    private static byte[] plaintextAlert(final int description)
    {
        return new byte[]{21, 3, 3, 0, 2, 2, (byte)description};
    }
}
