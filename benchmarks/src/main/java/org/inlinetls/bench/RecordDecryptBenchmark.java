package org.inlinetls.bench;

import org.inlinetls.crypto.record.ContentType;
import org.inlinetls.crypto.record.IntegrityMode;
import org.inlinetls.crypto.record.RecordDecoder;
import org.inlinetls.crypto.record.RecordEncoder;
import org.inlinetls.crypto.record.RecordListener;
import org.inlinetls.crypto.record.RecordProtection;
import org.inlinetls.crypto.suite.CipherSuite;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Streaming decryption of client records as their segments arrive: a record of {@code recordBytes} of content fed
 * in segments of at most {@code segmentBytes} (16384 in 1448 = a 16 KiB record spanning 12 segments). One op is one
 * record; bytes/s = ops/s x recordBytes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RecordDecryptBenchmark
{
    private static final int RECORDS = 64;

    @Param({"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"})
    public String suite;

    @Param({"1448", "16384"})
    public int recordBytes;

    @Param({"1448"})
    public int segmentBytes;

    private byte[] wire;
    private int[] recordOffsets;
    private RecordDecoder decoder;
    private int next;
    private final Sink sink = new Sink();

    @Setup(Level.Trial)
    public void setUp()
    {
        final CipherSuite cipherSuite = CipherSuite.valueOf(suite);
        final Random random = new Random(42);
        final byte[] key = new byte[cipherSuite.keyLength()];
        final byte[] iv = new byte[cipherSuite.fixedIvLength()];
        random.nextBytes(key);
        random.nextBytes(iv);
        final RecordEncoder encoder = new RecordEncoder(new RecordProtection(cipherSuite, key, iv));
        final byte[] content = new byte[recordBytes];
        random.nextBytes(content);
        final int recordLength = encoder.recordLength(recordBytes);
        wire = new byte[recordLength * RECORDS];
        recordOffsets = new int[RECORDS];
        for (int i = 0; i < RECORDS; i++)
        {
            recordOffsets[i] = i * recordLength;
            encoder.encode(ContentType.APPLICATION_DATA, content, 0, recordBytes, i, wire, i * recordLength);
        }
        decoder = new RecordDecoder(new RecordProtection(cipherSuite, key, iv), IntegrityMode.DEFERRED,
            new byte[RecordDecoder.SCRATCH_LENGTH]).sequence(0);
    }

    @Benchmark
    public long decryptRecord()
    {
        if (next == RECORDS)
        {
            next = 0;
            decoder.sequence(0);
        }
        final int start = recordOffsets[next];
        final int end = next + 1 < RECORDS ? recordOffsets[next + 1] : wire.length;
        next++;
        for (int position = start; position < end; position += segmentBytes)
        {
            decoder.onSegment(wire, position, Math.min(segmentBytes, end - position), sink);
        }
        return sink.bytes;
    }

    /** Counts what the decoder releases. */
    static final class Sink implements RecordListener
    {
        long bytes;

        @Override
        public void onPlaintext(final byte[] buffer, final int offset, final int length)
        {
            bytes += length;
        }

        @Override
        public void onRecord(final int contentType, final byte[] buffer, final int offset, final int length)
        {
            throw new IllegalStateException("unexpected record type " + contentType);
        }

        @Override
        public void onRecordAuthenticated(final long sequence, final int contentType)
        {
        }
    }
}
