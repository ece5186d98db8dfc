package org.inlinetls.crypto.record;

import org.inlinetls.crypto.cbc.CbcCheckpoint;
import org.inlinetls.crypto.cbc.CbcHmacStream;
import org.inlinetls.crypto.cbc.CbcSuite;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Decrypts one direction's TLS 1.2 AES-CBC records segment by segment (legacy suites, off by default; DESIGN §6).
 * <p>
 * MAC-then-encrypt puts the content length first in the MAC input, and that length is only known from the padding
 * at the record's end, so the {@link CbcHmacStream} keeps the record's plaintext until then (one record per
 * direction) and checks padding and MAC in constant time. Content certain to lie before the MAC and padding is
 * released at once for application data; the rest only after the record verifies. Alerts and handshake records
 * are delivered whole after verification.
 * <p>
 * Checkpoint: a {@value #PREFIX_LENGTH}-byte prefix (sequence 0-7, phase 8, header count 9, IV count 10, header
 * 11-15, ciphertext remaining 16-17, IV bytes so far 18-33, zeros to 47; big-endian) followed by the
 * stream's {@link CbcCheckpoint}. A checkpoint inside a record's body is restorable only into the decoder that took
 * it (its record buffer holds the record's start); {@link #saveCheckpoint} says so. The flow logic must therefore
 * not acknowledge a CBC record's bytes to the client before the record verifies (unless it keeps their ciphertext
 * from the record's start itself), so retransmissions always start at a record boundary.
 */
public final class CbcRecordDecoder implements SegmentDecoder
{
    public static final int PREFIX_LENGTH = 48;
    public static final int CHECKPOINT_LENGTH = PREFIX_LENGTH + CbcCheckpoint.LENGTH;
    private static final int IV_LENGTH = 16;
    private static final int PHASE_HEADER = 0;
    private static final int PHASE_IV = 1;
    private static final int PHASE_BODY = 2;
    private static final int PHASE_FAILED = 3;
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private final CbcHmacStream stream;
    private final byte[] scratch;
    private final byte[] header = new byte[5];
    private final byte[] iv = new byte[IV_LENGTH];
    private byte[] wholeRecord;
    private int wholeLength;
    private long sequence;
    private int phase = PHASE_HEADER;
    private int headerCount;
    private int ivCount;
    private int recordType;
    private int remaining;
    private int failureAlert = RecordDecoder.OK;
    private String failureReason;

    /**
     * @param scratch at least {@link RecordDecoder#SCRATCH_LENGTH} bytes, used only during {@link #onSegment}.
     */
    public CbcRecordDecoder(final CbcSuite suite, final byte[] encKey, final byte[] macKey, final byte[] scratch)
    {
        if (scratch.length < RecordDecoder.SCRATCH_LENGTH)
        {
            throw new IllegalArgumentException("scratch must hold " + RecordDecoder.SCRATCH_LENGTH + " bytes");
        }
        this.stream = new CbcHmacStream(suite.mac());
        this.stream.init(encKey, macKey);
        this.scratch = scratch;
    }

    /** Sets the sequence number of the first record (1 after the TLS 1.2 Finished). */
    public CbcRecordDecoder sequence(final long firstSequence)
    {
        sequence = firstSequence;
        return this;
    }

    @Override
    public long sequence()
    {
        return sequence;
    }

    @Override
    public boolean isFailed()
    {
        return phase == PHASE_FAILED;
    }

    @Override
    public int failureAlert()
    {
        return phase == PHASE_FAILED ? failureAlert : RecordDecoder.OK;
    }

    @Override
    public String failureReason()
    {
        return failureReason;
    }

    @Override
    public int onSegment(final byte[] src, final int offset, final int length, final RecordListener listener)
    {
        int position = offset;
        final int end = offset + length;
        while (position < end && phase != PHASE_FAILED)
        {
            if (phase == PHASE_HEADER)
            {
                final int take = Math.min(5 - headerCount, end - position);
                System.arraycopy(src, position, header, headerCount, take);
                headerCount += take;
                position += take;
                if (headerCount == 5)
                {
                    onHeader();
                }
            }
            else if (phase == PHASE_IV)
            {
                final int take = Math.min(IV_LENGTH - ivCount, end - position);
                System.arraycopy(src, position, iv, ivCount, take);
                ivCount += take;
                position += take;
                if (ivCount == IV_LENGTH)
                {
                    begin();
                }
            }
            else
            {
                final int take = Math.min(remaining, end - position);
                release(stream.decrypt(src, position, take, scratch, 0), listener);
                remaining -= take;
                position += take;
                if (remaining == 0)
                {
                    complete(listener);
                }
            }
        }
        return failureAlert();
    }

    private void onHeader()
    {
        recordType = header[0] & 0xFF;
        final int version = ((header[1] & 0xFF) << 8) | (header[2] & 0xFF);
        final int recordLength = ((header[3] & 0xFF) << 8) | (header[4] & 0xFF);
        if ((version >>> 8) != 3)
        {
            fail(AlertDescription.DECODE_ERROR, "not a TLS record header");
        }
        else if (version != RecordProtection.LEGACY_VERSION_TLS12)
        {
            fail(AlertDescription.PROTOCOL_VERSION, "record version is not TLS 1.2");
        }
        else if (recordType < ContentType.ALERT || recordType > ContentType.APPLICATION_DATA)
        {
            fail(AlertDescription.UNEXPECTED_MESSAGE, "unexpected record type after the handshake");
        }
        else if (recordLength < IV_LENGTH)
        {
            fail(AlertDescription.DECODE_ERROR, "record shorter than its IV");
        }
        else
        {
            remaining = recordLength - IV_LENGTH;
            phase = PHASE_IV;
        }
    }

    private void begin()
    {
        final int verdict = stream.begin(sequence, recordType, RecordProtection.LEGACY_VERSION_TLS12, iv, 0,
            remaining);
        if (verdict != CbcHmacStream.OK)
        {
            fail(verdict, "record length does not fit the cipher");
            return;
        }
        wholeLength = 0;
        phase = PHASE_BODY;
    }

    private void release(final int length, final RecordListener listener)
    {
        if (length == 0)
        {
            return;
        }
        if (recordType == ContentType.APPLICATION_DATA)
        {
            listener.onPlaintext(scratch, 0, length);
        }
        else
        {
            if (wholeRecord == null)
            {
                wholeRecord = new byte[RecordDecoder.SCRATCH_LENGTH];
            }
            System.arraycopy(scratch, 0, wholeRecord, wholeLength, length);
            wholeLength += length;
        }
    }

    private void complete(final RecordListener listener)
    {
        final int verdict = stream.finish(scratch, 0);
        if (verdict != CbcHmacStream.OK)
        {
            fail(verdict == CbcHmacStream.REPLAYED ? AlertDescription.INTERNAL_ERROR : verdict,
                verdict == CbcHmacStream.REPLAYED ? "record resumed without its start: MAC not checked" :
                "record padding or MAC did not verify");
            return;
        }
        release(stream.releasedLength(), listener);
        final long recordSequence = sequence++;
        final int type = recordType;
        phase = PHASE_HEADER;
        headerCount = 0;
        ivCount = 0;
        if (type != ContentType.APPLICATION_DATA)
        {
            listener.onRecord(type, wholeRecord, 0, wholeLength);
        }
        listener.onRecordAuthenticated(recordSequence, type);
    }

    private void fail(final int alert, final String reason)
    {
        phase = PHASE_FAILED;
        failureAlert = alert;
        failureReason = reason;
        if (wholeRecord != null)
        {
            Arrays.fill(wholeRecord, (byte)0);
        }
    }

    @Override
    public int checkpointLength()
    {
        return CHECKPOINT_LENGTH;
    }

    /**
     * {@inheritDoc}
     *
     * @return false inside a record's body (only this decoder's record buffer can resume it) or after a failure.
     */
    @Override
    public boolean saveCheckpoint(final byte[] dst, final int offset)
    {
        Arrays.fill(dst, offset, offset + PREFIX_LENGTH, (byte)0);
        LONG.set(dst, offset, sequence);
        dst[offset + 8] = (byte)phase;
        dst[offset + 9] = (byte)headerCount;
        dst[offset + 10] = (byte)ivCount;
        System.arraycopy(header, 0, dst, offset + 11, 5);
        dst[offset + 16] = (byte)(remaining >>> 8);
        dst[offset + 17] = (byte)remaining;
        System.arraycopy(iv, 0, dst, offset + 18, IV_LENGTH);
        stream.saveState(dst, offset + PREFIX_LENGTH);
        return phase == PHASE_HEADER || phase == PHASE_IV;
    }

    @Override
    public void restoreCheckpoint(final byte[] src, final int offset)
    {
        sequence = (long)LONG.get(src, offset);
        phase = src[offset + 8];
        headerCount = src[offset + 9];
        ivCount = src[offset + 10];
        System.arraycopy(src, offset + 11, header, 0, 5);
        remaining = ((src[offset + 16] & 0xFF) << 8) | (src[offset + 17] & 0xFF);
        recordType = header[0] & 0xFF;
        failureReason = null;
        System.arraycopy(src, offset + 18, iv, 0, IV_LENGTH);
        stream.restoreState(src, offset + PREFIX_LENGTH);
    }
}
