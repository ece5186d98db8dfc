package org.inlinetls.handshake;

import org.bouncycastle.tls.RecordPreview;
import org.bouncycastle.tls.TlsServerProtocol;
import org.inlinetls.crypto.suite.CipherSuite;

import java.util.Arrays;

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
 * Not thread-safe: one engine belongs to one flow and is driven by the thread that owns the flow.
 */
public final class HandshakeEngine
{
    /** Returned by {@link #alert()} and {@link #peerAlert()} when there is none. */
    public static final int NO_ALERT = -1;

    /** Record header: type (1), legacy version (2), length (2) (RFC 8446 §5.1). */
    private static final int HEADER_LENGTH = CipherSuite.RECORD_HEADER_LENGTH;
    private static final int INTERNAL_ERROR = 80;
    private static final System.Logger LOG = System.getLogger(HandshakeEngine.class.getName());

    private final TlsServerProtocol protocol = new TlsServerProtocol();
    private final ApplianceTlsServer server;
    private final byte[] header = new byte[HEADER_LENGTH];
    private byte[] record = new byte[HEADER_LENGTH + 512];
    private int recordFill;
    private int recordSize;
    private boolean complete;
    private boolean failed;
    private String failureReason;
    private NegotiatedKeys keys;
    private byte[] ownAlert;
    private int ownAlertDescription = NO_ALERT;
    private boolean bcOutputSeen;
    private int ownAlertOffset;

    public HandshakeEngine(final HandshakeConfig config)
    {
        server = new ApplianceTlsServer(config, new CapturingTlsCrypto(config.random()));
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
        final int own = null == ownAlert ? 0 : ownAlert.length - ownAlertOffset;
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
        if (null != ownAlert && written < max)
        {
            final int n = Math.min(max - written, ownAlert.length - ownAlertOffset);
            System.arraycopy(ownAlert, ownAlertOffset, dst, offset + written, n);
            ownAlertOffset += n;
            written += n;
        }
        return written;
    }

    /** True once the client's Finished has been verified: the keys are ready. */
    public boolean isComplete()
    {
        return complete;
    }

    /** True once complete when the client resumed a TLS 1.2 session (id or ticket): no key exchange was done. */
    public boolean isResumed()
    {
        return complete && server.isResumed();
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
        return server.alertReceived();
    }

    /** Why the handshake failed (BC's message; never key material), or null. */
    public String failureReason()
    {
        return failureReason;
    }

    /** The SNI host name of the client, once its ClientHello has been read (lower case), or null. */
    public String serverName()
    {
        return server.serverName();
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
        server.destroy();
    }

    @Override
    public String toString()
    {
        final String state = complete ? server.isResumed() ? "complete, resumed" : "complete" :
            failed ? "failed: " + failureReason : "handshaking";
        return "HandshakeEngine{" + state +
            ", sni=" + server.serverName() + "}";
    }

    /** Checks a record header through BC (type, length limits); false when it failed the handshake. */
    private boolean startRecord()
    {
        System.arraycopy(record, 0, header, 0, HEADER_LENGTH);
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
            ownAlert = new byte[]{21, 3, 3, 0, 2, 2, (byte)ownAlertDescription};
            ownAlertOffset = 0;
        }
        server.destroy();
        LOG.log(DEBUG, () -> "handshake failed: sent " + AlertNames.name(alert()) + ", received " +
            AlertNames.name(server.alertReceived()) + " (" + failureReason + ")");
    }
}
