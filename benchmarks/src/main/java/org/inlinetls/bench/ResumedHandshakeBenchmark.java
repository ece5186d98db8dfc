package org.inlinetls.bench;

import org.bouncycastle.tls.TlsSession;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.inlinetls.handshake.HandshakeConfig;
import org.inlinetls.handshake.HandshakeEngine;
import org.inlinetls.handshake.KeyShareGroup;
import org.inlinetls.handshake.NegotiatedKeys;
import org.inlinetls.handshake.cert.ServerCredential;
import org.inlinetls.handshake.session.HeapSessionStore;
import org.inlinetls.handshake.session.TicketKeys;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;

/**
 * TLS 1.2 handshakes (ECDHE-ECDSA-AES128-GCM-SHA256, P-256 certificate, X25519) in memory, one thread: BouncyCastle's
 * non-blocking client against {@link HandshakeEngine}, the client offering the session of a first full handshake by
 * session id (server keeps it in a {@link HeapSessionStore}) or by RFC 5077 ticket (sealed by {@link TicketKeys}),
 * or nothing ({@code NONE}: the full TLS 1.2 handshake the other two save). The score is client plus server;
 * {@code serverNs} (an auxiliary counter) is the time spent inside the engine only, so server-side handshakes per
 * second = handshakes / (serverNs / 1e9). Setup checks once that the offered session really resumes.
 * <p>
 * TLS 1.3 PSK resumption is not here: BC's client (1.84) never offers a resumption PSK from a NewSessionTicket.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class ResumedHandshakeBenchmark
{
    /** Long enough that no session expires and no ticket key rotates during a run. */
    private static final long LIFETIME_MS = TimeUnit.DAYS.toMillis(1);

    /** What each benchmarked client offers. */
    public enum Offer
    {
        NONE
        {
            @Override
            TlsSession session(final ResumingClient first, final SecureRandom random)
            {
                return null;
            }
        },

        SESSION_ID
        {
            @Override
            TlsSession session(final ResumingClient first, final SecureRandom random)
            {
                return first.session();
            }
        },

        TICKET
        {
            @Override
            boolean asksForTicket()
            {
                return true;
            }

            @Override
            TlsSession session(final ResumingClient first, final SecureRandom random)
            {
                return ResumingClient.ticketSession(first.established, random);
            }

            @Override
            byte[] ticket(final ResumingClient first)
            {
                if (null == first.ticketReceived)
                {
                    throw new IllegalStateException("the first full handshake issued no ticket");
                }
                return first.ticketReceived.getTicket();
            }
        };

        /** Whether the first full handshake asks the server for a ticket. */
        boolean asksForTicket()
        {
            return false;
        }

        /** The session every benchmarked client offers, taken from the first full handshake. */
        abstract TlsSession session(ResumingClient first, SecureRandom random);

        /** The ticket every benchmarked client offers, or null. */
        byte[] ticket(final ResumingClient first)
        {
            return null;
        }

        boolean resumes()
        {
            return this != NONE;
        }
    }

    @Param({"SESSION_ID", "TICKET", "NONE"})
    public Offer offer;

    private HandshakeConfig config;
    private HeapSessionStore store;
    private TicketKeys ticketKeys;
    private BcTlsCrypto clientCrypto;
    private TlsSession session;
    private byte[] ticket;
    private final byte[] buffer = new byte[1 << 16];


    @Setup
    public void setUp() throws Exception
    {
        final ServerCredential credential = HandshakeFixture.credential(ServerCredential.KeyType.EC_P256);
        final SecureRandom random = new SecureRandom();
        store = new HeapSessionStore(1 << 20);
        ticketKeys = new TicketKeys(32, LIFETIME_MS, System::currentTimeMillis, random);
        config = HandshakeConfig.builder((name) -> credential).random(random)
            .sessionStore(store).ticketKeys(ticketKeys).sessionLifetimeMs(LIFETIME_MS)
            .build();
        clientCrypto = new BcTlsCrypto(random);

        final ResumingClient first = new ResumingClient(clientCrypto, null, null, offer.asksForTicket());
        final HandshakeEngine firstEngine = new HandshakeEngine(config);
        drive(first, firstEngine);
        final NegotiatedKeys firstKeys = firstEngine.takeKeys();
        final KeyShareGroup group = firstKeys.group();
        firstKeys.destroy();
        if (group != KeyShareGroup.X25519)
        {
            throw new IllegalStateException("the first full handshake used " + group + ", not X25519");
        }
        session = offer.session(first, random);
        ticket = offer.ticket(first);

        final ResumingClient client = new ResumingClient(clientCrypto, session, ticket, false);
        final HandshakeEngine engine = new HandshakeEngine(config);
        drive(client, engine);
        final NegotiatedKeys keys = engine.takeKeys();
        final boolean resumed = keys.resumed();
        keys.destroy();
        if (resumed != offer.resumes() || engine.isResumed() != offer.resumes() || client.resumed != resumed ||
            !client.protocol.isConnected())
        {
            throw new IllegalStateException(offer + ": expected resumed=" + offer.resumes() + ", engine " + engine +
                ", client resumed=" + client.resumed);
        }
    }

    @TearDown
    public void tearDown()
    {
        store.close();
        ticketKeys.destroy();
    }

    @Benchmark
    public int tls12Handshake(final ServerHandshakeTime time) throws Exception
    {
        final ResumingClient client = new ResumingClient(clientCrypto, session, ticket, false);
        final HandshakeEngine engine = new HandshakeEngine(config);
        time.serverNs += drive(client, engine);
        final NegotiatedKeys keys = engine.takeKeys();
        final int result = keys.suiteCode();
        keys.destroy();
        time.handshakes++;
        return result;
    }

    /** Moves the flights both ways until the engine completes; returns the nanoseconds spent inside the engine. */
    private long drive(final ResumingClient client, final HandshakeEngine engine) throws IOException
    {
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
                throw new IllegalStateException(engine.failureReason() + ": " + engine + ", alert " + engine.alert() +
                    ", peer alert " + engine.peerAlert());
            }
            if (out > 0)
            {
                client.protocol.offerInput(buffer, 0, out);
            }
        }
        return serverNs;
    }
}
