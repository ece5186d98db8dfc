package org.inlinetls.bench;

import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.inlinetls.handshake.HandshakeConfig;
import org.inlinetls.handshake.HandshakeEngine;
import org.inlinetls.handshake.NegotiatedKeys;
import org.inlinetls.handshake.cert.ServerCredential;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;

/**
 * Full TLS 1.3 handshakes (AES-128-GCM, X25519) in memory, one thread: BouncyCastle's non-blocking client against
 * {@link HandshakeEngine}. The score is client plus server; {@code serverNs} (an auxiliary counter) is the time spent
 * inside the engine only, so server-side handshakes per second = handshakes / (serverNs / 1e9).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class HandshakeBenchmark
{
    @Param({"EC_P256", "RSA"})
    public String keyType;

    private HandshakeConfig config;
    private BcTlsCrypto clientCrypto;
    private final byte[] buffer = new byte[1 << 16];


    @Setup
    public void setUp() throws Exception
    {
        final ServerCredential credential = HandshakeFixture.credential(ServerCredential.KeyType.valueOf(keyType));
        final SecureRandom random = new SecureRandom();
        config = HandshakeConfig.builder((name) -> credential).random(random).build();
        clientCrypto = new BcTlsCrypto(random);
    }

    @Benchmark
    public int fullHandshake(final ServerHandshakeTime time) throws Exception
    {
        final HandshakeFixture.Client client = new HandshakeFixture.Client(clientCrypto);
        final HandshakeEngine engine = new HandshakeEngine(config);
        long serverNs = 0;
        while (!engine.isComplete())
        {
            final int n = client.protocol.readOutput(buffer, 0, buffer.length);
            final long start = System.nanoTime();
            engine.offer(buffer, 0, n);
            final int out = engine.readOutput(buffer, 0, buffer.length);
            serverNs += System.nanoTime() - start;
            if (engine.isFailed())
            {
                throw new IllegalStateException(engine.failureReason());
            }
            if (out > 0)
            {
                client.protocol.offerInput(buffer, 0, out);
            }
        }
        final NegotiatedKeys keys = engine.takeKeys();
        final int result = keys.suiteCode();
        keys.destroy();
        time.serverNs += serverNs;
        time.handshakes++;
        return result;
    }
}
