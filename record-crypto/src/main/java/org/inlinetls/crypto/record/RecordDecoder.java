package org.inlinetls.crypto.record;

import org.inlinetls.crypto.aead.StreamingAead;
import org.inlinetls.crypto.suite.CipherSuite;

import java.util.Arrays;

/**
 * Decrypts one direction's TLS records segment by segment, as the segments of the byte stream arrive in order, with
 * no record buffering in {@link IntegrityMode#DEFERRED} mode (DESIGN §5, §6).
 * <p>
 * A segment may hold many records and parts of two; a record may span many segments. Per segment the decoder
 * emits, through a {@link RecordListener}: plaintext runs to forward, whole non-application records for their
 * owners, and at each record's end the authentication verdict. The last {@link #HELD_TAIL_MAX} bytes of a record's
 * content are held until the tag verifies (in the checkpoint, so every boundary can be resumed), so a forged record
 * never reaches the server whole; TLS 1.3's inner content
 * type and padding are kept back (the last non-zero byte and a count of zeros) until the record ends. A failure
 * (bad tag, hostile header) is returned as an alert description and the decoder stays failed.
 * <p>
 * State between segments is a few dozen bytes plus the AEAD's (or, inside a record held whole, the ciphertext of it
 * that arrived: at most {@link RecordCheckpoint#HELD_RECORD_MAX} bytes travel in a checkpoint), and can be saved as a
 * fixed-size checkpoint ({@link RecordCheckpoint}) and restored, so a retransmitted segment can be decrypted again
 * from its position. Nothing is allocated per segment; a one-record buffer is allocated once, lazily, for records
 * that must be held whole (strict mode, small TLS 1.3 records, TLS 1.2 alerts and handshake records). A record held
 * whole is decrypted in one go once its tag is complete.
 */
public final class RecordDecoder implements SegmentDecoder
{
    /** Returned by {@link #onSegment} when nothing failed. */
    public static final int OK = -1;
    /** Most ciphertext a TLS 1.3 record may carry (RFC 8446 §5.2). */
    public static final int MAX_TLS13_RECORD_LENGTH = (1 << 14) + 256;
    /** Most ciphertext a TLS 1.2 record may carry (RFC 5246 §6.2.3). */
    public static final int MAX_TLS12_RECORD_LENGTH = (1 << 14) + 2048;
    /** Most inner plaintext (content + type + padding) of a TLS 1.3 record (RFC 8446 §5.4). */
    public static final int MAX_TLS13_INNER_LENGTH = (1 << 14) + 1;
    /**
     * TLS 1.3 records up to this length are held whole even in deferred mode: alerts and KeyUpdate are this small,
     * and holding them lets them reach their owner when they span segments; larger records that turn out not to be
     * application data fail the flow. Their content fits a checkpoint ({@link RecordCheckpoint#HELD_RECORD_MAX}), so
     * every boundary inside one can be resumed.
     */
    public static final int SMALL_TLS13_RECORD_LENGTH = 256;
    /** Size of the scratch buffer a decoder needs: the largest content of a record. */
    public static final int SCRATCH_LENGTH = MAX_TLS12_RECORD_LENGTH;
    /**
     * Deferred mode holds back at most this many bytes of a record's content until its tag verifies: enough that a
     * forged record never reaches the server whole, few enough to travel in a checkpoint, so every boundary of a
     * deferred stream can be resumed (and acknowledged) even while a tag is split across segments.
     */
    public static final int HELD_TAIL_MAX = 16;

    static final int PHASE_HEADER = 0;
    static final int PHASE_NONCE = 1;
    static final int PHASE_BODY = 2;
    static final int PHASE_TAG = 3;
    static final int PHASE_FAILED = 4;

    private static final byte[] ZEROS = new byte[1024];

    private final RecordProtection protection;
    private final CipherSuite suite;
    private final StreamingAead aead;
    private final boolean tls13;
    private final IntegrityMode mode;
    private final byte[] scratch;
    private final byte[] oneByte = new byte[1];
    private final byte[] comparison = new byte[RecordCheckpoint.LENGTH];
    final RecordState state = new RecordState();
    private byte[] heldRecord;
    private String failureReason;

    /**
     * @param scratch at least {@link #SCRATCH_LENGTH} bytes, used only during {@link #onSegment}; decoders run by the
     *                same thread may share one.
     */
    public RecordDecoder(final RecordProtection protection, final IntegrityMode mode, final byte[] scratch)
    {
        if (scratch.length < SCRATCH_LENGTH)
        {
            throw new IllegalArgumentException("scratch must hold " + SCRATCH_LENGTH + " bytes");
        }
        this.protection = protection;
        this.suite = protection.suite();
        this.aead = protection.aead();
        this.tls13 = suite.isTls13();
        this.mode = mode;
        this.scratch = scratch;
    }

    /**
     * @param firstSequence the sequence number of the first record this decoder will see (TLS 1.2: 1 after the
     *                      handshake's Finished; TLS 1.3: 0).
     */
    public RecordDecoder sequence(final long firstSequence)
    {
        state.sequence = firstSequence;
        return this;
    }

    /** The sequence number of the record in progress (or the next one). */
    @Override
    public long sequence()
    {
        return state.sequence;
    }

    @Override
    public boolean isFailed()
    {
        return state.phase == PHASE_FAILED;
    }

    /** The alert of the failure, or {@link #OK}. */
    @Override
    public int failureAlert()
    {
        return state.phase == PHASE_FAILED ? state.failureAlert : OK;
    }

    /** Why the decoder failed (a fixed text, never key material), or null. */
    @Override
    public String failureReason()
    {
        return failureReason;
    }

    @Override
    public int checkpointLength()
    {
        return RecordCheckpoint.LENGTH;
    }

    /** Installs the peer's next keys after its KeyUpdate (TLS 1.3): sequence numbers restart at 0. */
    public void rekey(final byte[] key, final byte[] iv)
    {
        protection.rekey(key, iv);
        state.sequence = 0;
    }

    /**
     * Processes the next segment of the stream.
     *
     * @return {@link #OK}, or the alert description the flow fails with (then and for every later segment).
     */
    @Override
    public int onSegment(final byte[] src, final int offset, final int length, final RecordListener listener)
    {
        final RecordState s = state;
        int position = offset;
        final int end = offset + length;
        while (position < end && s.phase != PHASE_FAILED)
        {
            switch (s.phase)
            {
                case PHASE_HEADER:
                {
                    final int take = Math.min(CipherSuite.RECORD_HEADER_LENGTH - s.headerCount, end - position);
                    System.arraycopy(src, position, s.header, s.headerCount, take);
                    s.headerCount += take;
                    position += take;
                    if (s.headerCount == CipherSuite.RECORD_HEADER_LENGTH)
                    {
                        onHeader();
                    }
                    break;
                }
                case PHASE_NONCE:
                {
                    final int take = Math.min(8 - s.explicitCount, end - position);
                    System.arraycopy(src, position, s.explicitNonce, s.explicitCount, take);
                    s.explicitCount += take;
                    position += take;
                    if (s.explicitCount == 8)
                    {
                        beginRecord();
                    }
                    break;
                }
                case PHASE_BODY:
                {
                    final int take = Math.min(s.contentRemaining, end - position);
                    onContent(src, position, take, end - position - take >= StreamingAead.TAG_LENGTH, listener);
                    position += take;
                    if (s.contentRemaining == 0)
                    {
                        s.phase = PHASE_TAG;
                    }
                    break;
                }
                default:
                {
                    final int take = Math.min(StreamingAead.TAG_LENGTH - s.tagCount, end - position);
                    System.arraycopy(src, position, s.tag, s.tagCount, take);
                    s.tagCount += take;
                    position += take;
                    if (s.tagCount == StreamingAead.TAG_LENGTH)
                    {
                        completeRecord(listener);
                    }
                    break;
                }
            }
        }
        return failureAlert();
    }

    private void onHeader()
    {
        final RecordState s = state;
        s.recordType = s.header[0] & 0xFF;
        s.recordVersion = ((s.header[1] & 0xFF) << 8) | (s.header[2] & 0xFF);
        s.recordLength = ((s.header[3] & 0xFF) << 8) | (s.header[4] & 0xFF);
        final int overhead = suite.explicitNonceLength() + StreamingAead.TAG_LENGTH;
        if ((s.recordVersion >>> 8) != 3)
        {
            fail(AlertDescription.DECODE_ERROR, "not a TLS record header");
            return;
        }
        if (!tls13 && s.recordVersion != RecordProtection.LEGACY_VERSION_TLS12)
        {
            fail(AlertDescription.PROTOCOL_VERSION, "record version is not TLS 1.2");
            return;
        }
        if (tls13 ? s.recordType != ContentType.APPLICATION_DATA :
            s.recordType < ContentType.ALERT || s.recordType > ContentType.APPLICATION_DATA)
        {
            fail(AlertDescription.UNEXPECTED_MESSAGE, "unexpected record type after the handshake");
            return;
        }
        if (s.recordLength > (tls13 ? MAX_TLS13_RECORD_LENGTH : MAX_TLS12_RECORD_LENGTH) ||
            (tls13 && s.recordLength - overhead > MAX_TLS13_INNER_LENGTH))
        {
            fail(AlertDescription.RECORD_OVERFLOW, "record longer than allowed");
            return;
        }
        if (s.recordLength < overhead)
        {
            fail(AlertDescription.DECODE_ERROR, "record shorter than its nonce and tag");
            return;
        }
        s.contentRemaining = s.recordLength - overhead;
        s.buffered = mode == IntegrityMode.STRICT || (!tls13 && s.recordType != ContentType.APPLICATION_DATA) ||
            (tls13 && s.recordLength <= SMALL_TLS13_RECORD_LENGTH);
        if (suite.explicitNonceLength() > 0)
        {
            s.phase = PHASE_NONCE;
        }
        else
        {
            beginRecord();
        }
    }

    private void beginRecord()
    {
        final RecordState s = state;
        final int contentLength = s.recordLength - suite.explicitNonceLength() - StreamingAead.TAG_LENGTH;
        final int aadLength = protection.buildAad(s.sequence, s.recordType, s.recordVersion, contentLength,
            s.recordLength);
        aead.begin(protection.nonce(s.sequence, s.explicitNonce, 0), 0, protection.aadBuffer(), 0, aadLength);
        s.phase = s.contentRemaining > 0 ? PHASE_BODY : PHASE_TAG;
    }

    /**
     * @param tagFollows the record's whole tag is in this segment too: a record held whole that arrived in one piece
     *                   is then decrypted straight from the segment; otherwise its ciphertext waits in the record
     *                   buffer (and in checkpoints), untouched by the AEAD until the tag is complete.
     */
    private void onContent(
        final byte[] src, final int offset, final int length, final boolean tagFollows, final RecordListener listener)
    {
        final RecordState s = state;
        final boolean last = length == s.contentRemaining;
        s.contentRemaining -= length;
        if (s.buffered && !(last && tagFollows && s.bufferedLength == 0))
        {
            System.arraycopy(src, offset, heldRecord(), s.bufferedLength, length);
            s.bufferedLength += length;
            return;
        }
        aead.decrypt(src, offset, length, scratch, 0);
        if (last && s.buffered)
        {
            s.heldLength = length; // a record held whole that arrived in one piece with its tag
            s.heldInScratch = true;
        }
        else if (last)
        {
            final int keep = Math.min(length, HELD_TAIL_MAX);
            if (length > keep)
            {
                release(scratch, 0, length - keep, listener);
            }
            System.arraycopy(scratch, length - keep, s.heldTail, 0, keep);
            s.heldLength = keep;
            s.heldInTail = true;
        }
        else
        {
            release(scratch, 0, length, listener);
        }
    }

    private void completeRecord(final RecordListener listener)
    {
        final RecordState s = state;
        if (s.bufferedLength > 0)
        {
            aead.decrypt(heldRecord, 0, s.bufferedLength, scratch, 0);
            s.heldLength = s.bufferedLength;
            s.heldInScratch = true;
            s.bufferedLength = 0;
        }
        if (!aead.finishAndVerify(s.tag, 0))
        {
            fail(AlertDescription.BAD_RECORD_MAC, "record tag did not verify");
            return;
        }
        if (s.heldInTail)
        {
            System.arraycopy(s.heldTail, 0, scratch, 0, s.heldLength);
            s.heldInTail = false;
            s.heldInScratch = true;
        }
        final byte[] held = s.heldInScratch || heldRecord == null ? scratch : heldRecord;
        final int heldLength = s.heldLength;
        final long sequence = s.sequence;
        if (tls13)
        {
            completeTls13(listener, held, heldLength, sequence);
            return;
        }
        final int type = s.recordType;
        s.nextRecord();
        if (type == ContentType.APPLICATION_DATA)
        {
            if (heldLength > 0)
            {
                listener.onPlaintext(held, 0, heldLength);
            }
        }
        else
        {
            listener.onRecord(type, held, 0, heldLength);
        }
        listener.onRecordAuthenticated(sequence, type);
    }

    private void completeTls13(
        final RecordListener listener, final byte[] held, final int heldLength, final long sequence)
    {
        final RecordState s = state;
        final int typeIndex = heldLength > 0 ? lastNonZero(held, 0, heldLength) : -1;
        final boolean spanned = s.releasedAny || s.hasHeldByte || s.pendingZeros > 0;
        final int type;
        if (typeIndex >= 0)
        {
            type = held[typeIndex] & 0xFF;
        }
        else if (s.hasHeldByte)
        {
            type = s.heldByte & 0xFF;
        }
        else
        {
            fail(AlertDescription.UNEXPECTED_MESSAGE, "record has no content type (all zeros)");
            return;
        }
        if (type < ContentType.ALERT || type > ContentType.APPLICATION_DATA)
        {
            fail(AlertDescription.UNEXPECTED_MESSAGE, "unexpected inner content type");
            return;
        }
        if (type != ContentType.APPLICATION_DATA && spanned)
        {
            fail(AlertDescription.UNEXPECTED_MESSAGE, "a record spanning segments was not application data");
            return;
        }
        if (type == ContentType.APPLICATION_DATA)
        {
            if (typeIndex >= 0)
            {
                flushHeld(listener);
                if (typeIndex > 0)
                {
                    listener.onPlaintext(held, 0, typeIndex);
                }
            }
            s.nextRecord();
        }
        else
        {
            s.nextRecord();
            listener.onRecord(type, held, 0, typeIndex);
        }
        listener.onRecordAuthenticated(sequence, type);
    }

    /** Forwards decrypted content that is not the record's last piece. */
    private void release(final byte[] buffer, final int offset, final int length, final RecordListener listener)
    {
        final RecordState s = state;
        if (!tls13)
        {
            listener.onPlaintext(buffer, offset, length);
            s.releasedAny = true;
            return;
        }
        final int last = lastNonZero(buffer, offset, length);
        if (last < 0)
        {
            s.pendingZeros += length;
            return;
        }
        flushHeld(listener);
        if (last > offset)
        {
            listener.onPlaintext(buffer, offset, last - offset);
            s.releasedAny = true;
        }
        s.heldByte = buffer[last];
        s.hasHeldByte = true;
        s.pendingZeros = offset + length - last - 1;
    }

    /** Forwards the kept-back byte and zeros once a later non-zero byte proves they were content. */
    private void flushHeld(final RecordListener listener)
    {
        final RecordState s = state;
        if (s.hasHeldByte)
        {
            oneByte[0] = s.heldByte;
            listener.onPlaintext(oneByte, 0, 1);
            s.hasHeldByte = false;
            s.releasedAny = true;
        }
        while (s.pendingZeros > 0)
        {
            final int run = Math.min(s.pendingZeros, ZEROS.length);
            listener.onPlaintext(ZEROS, 0, run);
            s.pendingZeros -= run;
            s.releasedAny = true;
        }
    }

    private static int lastNonZero(final byte[] buffer, final int offset, final int length)
    {
        for (int i = offset + length - 1; i >= offset; i--)
        {
            if (buffer[i] != 0)
            {
                return i;
            }
        }
        return -1;
    }

    private byte[] heldRecord()
    {
        if (heldRecord == null)
        {
            heldRecord = new byte[SCRATCH_LENGTH];
        }
        return heldRecord;
    }

    private void fail(final int alert, final String reason)
    {
        state.phase = PHASE_FAILED;
        state.failureAlert = alert;
        failureReason = reason;
        state.heldLength = 0;
        if (heldRecord != null)
        {
            Arrays.fill(heldRecord, (byte)0);
        }
    }

    /**
     * Saves the decoder's state at this segment boundary.
     * <p>
     * Every boundary of a deferred stream can be resumed, including those inside a record held whole (small TLS 1.3
     * records, TLS 1.2 alerts): the checkpoint carries that record's ciphertext so far. Boundaries that return false
     * lie past the first {@link RecordCheckpoint#HELD_RECORD_MAX} content bytes of a larger record held whole (strict
     * mode, a TLS 1.2 handshake record) or after a failure. No plaintext past such a boundary's record start has been
     * released, so the flow logic acknowledges nothing past it (DESIGN §4: ACKs cover only authenticated bytes) and
     * the client's retransmission starts at or before the last restorable boundary.
     *
     * @return false when the state alone cannot resume here (see above); true otherwise.
     */
    @Override
    public boolean saveCheckpoint(final byte[] dst, final int offset)
    {
        final RecordState s = state;
        final boolean fits = RecordCheckpoint.write(s, heldRecord, dst, offset);
        if (!s.buffered && (s.phase == PHASE_BODY || s.phase == PHASE_TAG))
        {
            aead.saveState(dst, offset + RecordCheckpoint.AEAD_STATE_OFFSET);
        }
        return fits && (s.heldLength == 0 || s.heldInTail) && s.phase != PHASE_FAILED;
    }

    /**
     * Checks a re-processed segment: after restoring the checkpoint taken before it and feeding it again, the state
     * must equal the checkpoint that was taken after the original (same keystream position, same authenticator
     * accumulator: a changed byte changes GHASH/Poly1305, DESIGN §5).
     */
    public boolean matchesCheckpoint(final byte[] checkpoint, final int offset)
    {
        saveCheckpoint(comparison, 0);
        return Arrays.equals(comparison, 0, RecordCheckpoint.LENGTH, checkpoint, offset,
            offset + RecordCheckpoint.LENGTH);
    }

    /**
     * Restores a state saved by {@link #saveCheckpoint} under the same keys: inside a record held whole, its
     * ciphertext so far goes back into the record buffer and the record's AEAD starts again from its header.
     */
    @Override
    public void restoreCheckpoint(final byte[] src, final int offset)
    {
        final RecordState s = state;
        RecordCheckpoint.read(src, offset, s);
        failureReason = null;
        if (s.bufferedLength > 0)
        {
            System.arraycopy(src, offset + RecordCheckpoint.HELD_RECORD_OFFSET, heldRecord(), 0, s.bufferedLength);
        }
        if (s.phase == PHASE_BODY || s.phase == PHASE_TAG)
        {
            if (s.buffered)
            {
                final int phase = s.phase;
                beginRecord();
                s.phase = phase;
            }
            else
            {
                aead.restoreState(protection.nonce(s.sequence, s.explicitNonce, 0), 0, src,
                    offset + RecordCheckpoint.AEAD_STATE_OFFSET);
            }
        }
    }
}
