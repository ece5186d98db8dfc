package org.inlinetls.handshake;

import org.inlinetls.crypto.suite.CipherSuite;
import org.inlinetls.handshake.keylog.KeyLogEntry;
import org.inlinetls.handshake.keylog.KeyLogFile;

import java.io.IOException;
import java.util.Arrays;

/**
 * Stands in for the appliance's handshake when a capture is replayed: the live run's ephemeral key share is gone,
 * so instead of answering the ClientHello this plays back the appliance's own flights as the capture shows them
 * ({@link CapturedHandshake}) and takes the keys from the key log. It consumes the client's records as
 * {@link HandshakeEngine} does (one at a time, stopping after the client's Finished), so the flow moves to
 * cut-through at the same sequence points the live run did:
 * <ul>
 *   <li>the ClientHello releases the first flight (its client random finds the key log entry);</li>
 *   <li>TLS 1.3: the client's first protected record is its Finished; TLS 1.2: the record after its
 *       ChangeCipherSpec; it completes the handshake and, TLS 1.2 full, releases the second flight.</li>
 * </ul>
 * The client's Finished is not verified (the transcript would need the lost key share): replay trusts its capture.
 * Offline use only; allocation is fine here.
 */
public final class KeyLogHandshake implements ServerHandshake
{
    /** The appliance's bytes to one client flow as captured, looked up when the ClientHello arrives. */
    @FunctionalInterface
    public interface ServerStream
    {
        /** The captured stream from the server's ISN + 1, in sequence order (possibly empty). */
        byte[] bytes();
    }

    private static final int HEADER_LENGTH = CipherSuite.RECORD_HEADER_LENGTH;
    private static final int MAX_RECORD_LENGTH = (1 << 14) + 256;
    private static final int ALERT = 21;
    private static final int CHANGE_CIPHER_SPEC = 20;
    private static final int HANDSHAKE = 22;
    private static final int APPLICATION_DATA = 23;
    private static final int CLIENT_HELLO = 1;

    private final KeyLogFile keyLog;
    private final ServerStream serverStream;
    private final byte[] record = new byte[HEADER_LENGTH + MAX_RECORD_LENGTH];
    private int recordFill;
    private int recordSize;
    private byte[] stream;
    private CapturedHandshake captured;
    private int released;
    private int read;
    private boolean clientChangeCipherSpec;
    private boolean complete;
    private boolean failed;
    private String failureReason;
    private NegotiatedKeys keys;

    public KeyLogHandshake(final KeyLogFile keyLog, final ServerStream serverStream)
    {
        this.keyLog = keyLog;
        this.serverStream = serverStream;
    }

    @Override
    public int offer(final byte[] src, final int offset, final int length)
    {
        int consumed = 0;
        while (consumed < length && !complete && !failed)
        {
            final int want = recordFill < HEADER_LENGTH ? HEADER_LENGTH - recordFill : recordSize - recordFill;
            final int n = Math.min(want, length - consumed);
            System.arraycopy(src, offset + consumed, record, recordFill, n);
            recordFill += n;
            consumed += n;
            if (recordFill == HEADER_LENGTH && recordSize == 0)
            {
                recordSize = HEADER_LENGTH + (((record[3] & 0xFF) << 8) | (record[4] & 0xFF));
                if (recordSize > record.length)
                {
                    fail("client record too long");
                }
            }
            if (recordSize > 0 && recordFill == recordSize)
            {
                onClientRecord(record[0] & 0xFF, recordSize);
                recordFill = 0;
                recordSize = 0;
            }
        }
        return consumed;
    }

    private void onClientRecord(final int type, final int size)
    {
        if (type == ALERT)
        {
            fail("the client sent an alert");
            return;
        }
        if (null == captured)
        {
            onClientHello(type, size);
            return;
        }
        if (captured.version() == CipherSuite.TlsVersion.TLS13)
        {
            if (type == APPLICATION_DATA)
            {
                complete();
            }
            else if (type != CHANGE_CIPHER_SPEC)
            {
                fail("a second ClientHello (HelloRetryRequest) cannot be replayed");
            }
            return;
        }
        if (type == CHANGE_CIPHER_SPEC)
        {
            clientChangeCipherSpec = true;
        }
        else if (clientChangeCipherSpec)
        {
            complete();
        }
    }

    private void onClientHello(final int type, final int size)
    {
        if (type != HANDSHAKE || size < HEADER_LENGTH + 4 + 2 + KeyLogEntry.CLIENT_RANDOM_LENGTH ||
            record[HEADER_LENGTH] != CLIENT_HELLO)
        {
            fail("the client's first record is not a ClientHello");
            return;
        }
        final int at = HEADER_LENGTH + 4 + 2;
        final byte[] clientRandom = Arrays.copyOfRange(record, at, at + KeyLogEntry.CLIENT_RANDOM_LENGTH);
        stream = serverStream.bytes();
        try
        {
            captured = CapturedHandshake.parse(stream, stream.length, clientRandom, keyLog);
            released = captured.firstFlightEnd();
        }
        catch (final IOException ex)
        {
            fail(ex.getMessage());
        }
    }

    private void complete()
    {
        try
        {
            keys = captured.newKeys();
            released = captured.secondFlightEnd();
            complete = true;
        }
        catch (final RuntimeException ex)
        {
            fail("keys not derived: " + ex.getClass().getSimpleName());
        }
        finally
        {
            captured.destroy();
        }
    }

    private void fail(final String reason)
    {
        failed = true;
        failureReason = reason;
        if (null != captured)
        {
            captured.destroy();
        }
    }

    @Override
    public int readOutput(final byte[] dst, final int offset, final int max)
    {
        final int n = Math.min(max, released - read);
        if (n <= 0)
        {
            return 0;
        }
        System.arraycopy(stream, read, dst, offset, n);
        read += n;
        return n;
    }

    @Override
    public boolean isComplete()
    {
        return complete;
    }

    @Override
    public boolean isFailed()
    {
        return failed;
    }

    /** Why the handshake could not be stood in for (never key material), or null. */
    public String failureReason()
    {
        return failureReason;
    }

    @Override
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

    @Override
    public void release()
    {
        if (null != keys)
        {
            keys.destroy();
            keys = null;
        }
        if (null != captured)
        {
            captured.destroy();
        }
        Arrays.fill(record, (byte)0);
    }

    @Override
    public String toString()
    {
        return "KeyLogHandshake{" + (complete ? "complete" : failed ? "failed: " + failureReason : "handshaking") +
            (null == captured ? "" : ", " + captured) + "}";
    }
}
