package org.inlinetls.bench;

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

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The reference: the JDK's one-shot AEAD decrypting a whole record of the same size (it releases nothing before
 * the tag, so it cannot be the streaming path). One op is one record.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class JceOneShotBenchmark
{
    @Param({"AES_128_GCM", "AES_256_GCM", "CHACHA20_POLY1305"})
    public String algorithm;

    @Param({"1448", "16384"})
    public int recordBytes;

    private Cipher cipher;
    private SecretKeySpec key;
    private final byte[][] nonces = new byte[2][12];
    private final byte[][] sealed = new byte[2][];
    private byte[] out;
    private int which;

    @Setup(Level.Trial)
    public void setUp() throws GeneralSecurityException
    {
        final Random random = new Random(3);
        final boolean chacha = algorithm.startsWith("CHACHA");
        final byte[] keyBytes = new byte[algorithm.equals("AES_128_GCM") ? 16 : 32];
        random.nextBytes(keyBytes);
        key = new SecretKeySpec(keyBytes, chacha ? "ChaCha20" : "AES");
        cipher = Cipher.getInstance(chacha ? "ChaCha20-Poly1305" : "AES/GCM/NoPadding");
        final byte[] plain = new byte[recordBytes];
        random.nextBytes(plain);
        for (int i = 0; i < 2; i++)
        {
            random.nextBytes(nonces[i]);
            init(Cipher.ENCRYPT_MODE, i);
            sealed[i] = cipher.doFinal(plain);
        }
        out = new byte[recordBytes + 16];
    }

    private void init(final int mode, final int nonce) throws GeneralSecurityException
    {
        if (algorithm.startsWith("CHACHA"))
        {
            cipher.init(mode, key, new IvParameterSpec(nonces[nonce]));
        }
        else
        {
            cipher.init(mode, key, new GCMParameterSpec(128, nonces[nonce]));
        }
    }

    @Benchmark
    public int decryptRecord() throws GeneralSecurityException
    {
        which ^= 1;
        init(Cipher.DECRYPT_MODE, which);
        return cipher.doFinal(sealed[which], 0, sealed[which].length, out, 0);
    }
}
