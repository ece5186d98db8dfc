package org.inlinetls.bench;

import org.inlinetls.crypto.record.ContentType;
import org.inlinetls.crypto.record.RecordEncoder;
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
 * Encryption of one server segment into one record (the server-to-client path). One op is one record.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RecordEncryptBenchmark
{
    @Param({"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"})
    public String suite;

    @Param({"1448", "16384"})
    public int recordBytes;

    private RecordEncoder encoder;
    private byte[] content;
    private byte[] out;
    private long sequence;

    @Setup(Level.Trial)
    public void setUp()
    {
        final CipherSuite cipherSuite = CipherSuite.valueOf(suite);
        final Random random = new Random(7);
        final byte[] key = new byte[cipherSuite.keyLength()];
        final byte[] iv = new byte[cipherSuite.fixedIvLength()];
        random.nextBytes(key);
        random.nextBytes(iv);
        encoder = new RecordEncoder(new RecordProtection(cipherSuite, key, iv));
        content = new byte[recordBytes];
        random.nextBytes(content);
        out = new byte[encoder.recordLength(recordBytes)];
    }

    @Benchmark
    public int encryptRecord()
    {
        return encoder.encode(ContentType.APPLICATION_DATA, content, 0, recordBytes, sequence++, out, 0);
    }
}
