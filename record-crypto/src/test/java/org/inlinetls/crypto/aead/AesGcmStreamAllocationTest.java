package org.inlinetls.crypto.aead;

import java.lang.management.ManagementFactory;
import java.security.GeneralSecurityException;
import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.inlinetls.crypto.aead.StreamingAead.STATE_LENGTH;
import static org.inlinetls.crypto.aead.StreamingAead.TAG_LENGTH;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AesGcmStreamAllocationTest
{
    private static final int RECORD_LENGTH = 16_384;
    private static final int SEGMENT_LENGTH = 1448;
    private static final int RECORDS = 2_000;
    private static final long NOISE_BYTES = 64;

    private final byte[] key = new byte[32];
    private final byte[] nonce = new byte[12];
    private final byte[] aad = new byte[13];
    private final byte[] record = new byte[RECORD_LENGTH + TAG_LENGTH];
    private final byte[] plaintext = new byte[RECORD_LENGTH];
    private final byte[] state = new byte[STATE_LENGTH];

    @ParameterizedTest
    @EnumSource(GhashImplementation.class)
    void shouldNotAllocatePerRecordOrPieceInSteadyState(final GhashImplementation implementation)
        throws GeneralSecurityException
    {
        final Random random = new Random(1);
        random.nextBytes(key);
        random.nextBytes(record);
        final AesGcmStream stream = new AesGcmStream(implementation);
        stream.init(key);
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long threadId = Thread.currentThread().getId();

        int verified = run(stream, RECORDS);
        threads.getThreadAllocatedBytes(threadId);
        final long before = threads.getThreadAllocatedBytes(threadId);
        verified += run(stream, RECORDS);
        final long allocated = threads.getThreadAllocatedBytes(threadId) - before;

        System.out.println(implementation + ": " + allocated + " bytes allocated over " + RECORDS +
            " records of 16 KiB (" + RECORDS * 25 + " piece calls, one save/restore each)");
        assertTrue(allocated <= NOISE_BYTES, implementation + " allocated " + allocated + " bytes");
        assertEquals(2 * RECORDS, verified);

        // the compiled (intrinsic) paths still agree with the JDK's one-shot GCM
        random.nextBytes(plaintext);
        stream.begin(nonce, 0, aad, 0, aad.length);
        stream.encrypt(plaintext, 0, 1000, record, 0);
        stream.encrypt(plaintext, 1000, RECORD_LENGTH - 1000, record, 1000);
        stream.finish(record, RECORD_LENGTH);
        assertArrayEquals(AesGcmStreamTest.jceSeal(key, nonce, aad, plaintext), record);
    }

    /** Per record: encrypt in segments, decrypt in place with a checkpoint and restore halfway, 1-byte pieces. */
    private int run(final AesGcmStream stream, final int records)
    {
        int verified = 0;
        for (int r = 0; r < records; r++)
        {
            nonce[11] = (byte)r;
            nonce[10] = (byte)(r >>> 8);
            aad[12] = (byte)r;

            stream.begin(nonce, 0, aad, 0, aad.length);
            for (int offset = 0; offset < RECORD_LENGTH; offset += SEGMENT_LENGTH)
            {
                stream.encrypt(plaintext, offset, Math.min(SEGMENT_LENGTH, RECORD_LENGTH - offset), record, offset);
            }
            stream.finish(record, RECORD_LENGTH);

            stream.begin(nonce, 0, aad, 0, aad.length);
            for (int offset = 0; offset < RECORD_LENGTH; offset += SEGMENT_LENGTH)
            {
                final int length = Math.min(SEGMENT_LENGTH, RECORD_LENGTH - offset);
                if (offset == 5 * SEGMENT_LENGTH)
                {
                    stream.saveState(state, 0);
                    stream.restoreState(nonce, 0, state, 0);
                    stream.decrypt(record, offset, 1, record, offset);
                    stream.decrypt(record, offset + 1, length - 1, record, offset + 1);
                }
                else
                {
                    stream.decrypt(record, offset, length, record, offset);
                }
            }
            verified += stream.finishAndVerify(record, RECORD_LENGTH) ? 1 : 0;
        }
        return verified;
    }
}
