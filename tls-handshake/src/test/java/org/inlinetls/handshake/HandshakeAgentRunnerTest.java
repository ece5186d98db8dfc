package org.inlinetls.handshake;

import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.bouncycastle.tls.ProtocolVersion;
import org.inlinetls.crypto.suite.CipherSuite;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.inlinetls.handshake.HandshakeCounterDescriptor.ACTIVE;
import static org.inlinetls.handshake.HandshakeCounterDescriptor.COMPLETED;
import static org.inlinetls.handshake.HandshakeCounterDescriptor.STARTED;
import static org.inlinetls.handshake.HandshakeEngineTest.TLS12;
import static org.inlinetls.handshake.HandshakeEngineTest.TLS13;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The handshake agent run the other two ways (its own thread next to a worker thread, and one shared thread as a
 * composite agent), and the worker side of its proxy checked for allocation.
 */
class HandshakeAgentRunnerTest
{
    private static final int FLOWS = 8;

    private final HandshakeConfig tls = HandshakeConfig.builder(TestPki.get().selector()).build();

    private static void addFlows(final HandshakeTestWorker worker)
    {
        for (int i = 0; i < FLOWS; i++)
        {
            final boolean tls13 = (i & 1) == 0;
            final ProtocolVersion[] versions = tls13 ? TLS13 : TLS12;
            final CipherSuite suite = tls13 ? CipherSuite.TLS_AES_128_GCM_SHA256 :
                CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
            worker.add(1000 + i, HandshakeAgentTest.client(versions, suite, TestPki.EC_HOST));
        }
    }

    private static void assertAllComplete(final HandshakeTestWorker worker) throws IOException
    {
        for (final HandshakeTestWorker.ClientFlow flow : worker.flows.values())
        {
            assertNotNull(flow.keys, () -> flow.flowId + " " + flow.failure + " " + worker.events);
            HandshakeEngineTest.exchangeApplicationData(flow.client, flow.keys);
            flow.keys.destroy();
        }
    }

    @Test
    void shouldHandshakeOnADedicatedThreadForAWorkerThread() throws Exception
    {
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final HandshakeAgent agent = new HandshakeAgent(new HandshakeAgentConfig().commandLimit(4),
            () -> new HandshakeEngine(tls), HandshakeAgentTest.counters("handshake"), SystemNanoClock.INSTANCE);
        final HandshakeTestWorker worker = new HandshakeTestWorker(agent.proxy(0));
        addFlows(worker);

        final AgentRunner handshakeRunner = new AgentRunner(new BackoffIdleStrategy(), errors::add, null, agent);
        final AgentRunner workerRunner = new AgentRunner(new BackoffIdleStrategy(), errors::add, null, worker);
        AgentRunner.startOnThread(handshakeRunner);
        AgentRunner.startOnThread(workerRunner);
        final boolean finished;
        try
        {
            finished = worker.finished().await(60, TimeUnit.SECONDS);
        }
        finally
        {
            workerRunner.close();
            handshakeRunner.close();
        }

        assertTrue(finished, () -> "handshakes did not finish in time: " + agent.counters());
        assertEquals(List.of(), errors);
        assertEquals("handshake", agent.roleName());
        assertAllComplete(worker);
        assertEquals(FLOWS, agent.counters().value(STARTED));
        assertEquals(FLOWS, agent.counters().value(COMPLETED));
        assertEquals(0, agent.counters().value(ACTIVE));
    }

    @Test
    void shouldHandshakeOnOneSharedThreadAsACompositeAgent() throws IOException
    {
        final CachedNanoClock clock = new CachedNanoClock();
        final HandshakeAgent agent = new HandshakeAgent(new HandshakeAgentConfig().roleName("handshake-1"),
            () -> new HandshakeEngine(tls), HandshakeAgentTest.counters("handshake-1"), clock);
        final HandshakeTestWorker worker = new HandshakeTestWorker(agent.proxy(0));
        addFlows(worker);
        final List<Throwable> errors = new CopyOnWriteArrayList<>();

        try (AgentInvoker invoker = new AgentInvoker(errors::add, null, new CompositeAgent(worker, agent)))
        {
            invoker.start();
            for (int cycle = 0; cycle < 200 && !worker.allDone(); cycle++)
            {
                clock.advance(1_000_000);
                invoker.invoke();
            }
            assertTrue(invoker.agent().roleName().contains("handshake-1"), invoker.agent().roleName());
        }

        assertEquals(List.of(), errors);
        assertTrue(worker.allDone(), worker.events::toString);
        assertAllComplete(worker);
        assertEquals(FLOWS, agent.counters().value(COMPLETED));
    }

    @Test
    void shouldOfferAndDrainWithoutAllocatingOnTheWorkerThread()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "allocation counting not supported by this JVM");
        final HandshakeAgent agent = new HandshakeAgent(new HandshakeAgentConfig()
            .commandQueueCapacityBytes(64 * 1024).commandLimit(64),
            () -> new HandshakeEngine(tls), HandshakeAgentTest.counters("handshake"), new CachedNanoClock());
        final HandshakeProxy proxy = agent.proxy(0);
        final UnsafeBuffer segment = new UnsafeBuffer(new byte[9000]);
        final HandshakeResultHandler discard = new DiscardingHandler();

        long fewest = Long.MAX_VALUE;
        for (int window = 0; window < 10; window++)
        {
            long allocated = 0;
            for (int round = 0; round < 100; round++)
            {
                final long before = threads.getCurrentThreadAllocatedBytes();
                proxy.drainResults(discard, 64);
                for (int i = 0; i < 8; i++)
                {
                    proxy.offerClientBytes(round, segment, 0, i == 0 ? 9000 : 1400); // 9000 B: split in two
                    proxy.offerClientBytes(round, segment, 0, 200);
                }
                proxy.abort(round);
                allocated += threads.getCurrentThreadAllocatedBytes() - before;
                agent.doWork(); // the agent allocates its results: not counted
            }
            fewest = window < 3 ? fewest : Math.min(fewest, allocated);
        }

        // one allocation per call would be at least 16 B x 1,700 calls a window; a few bytes are the JVM's own
        assertTrue(fewest < 256, fewest + " bytes allocated on the worker side in the best window");
        agent.onClose();
    }

    /** Throws results away. */
    private static final class DiscardingHandler implements HandshakeResultHandler
    {
        @Override
        public void onHandshakeOutput(final long flowId, final org.agrona.DirectBuffer buffer, final int offset,
            final int length)
        {
        }

        @Override
        public void onHandshakeComplete(final long flowId, final NegotiatedKeys keys, final long clientHandshakeBytes)
        {
        }

        @Override
        public void onClientBytesReturned(final long flowId, final org.agrona.DirectBuffer buffer, final int offset,
            final int length)
        {
        }

        @Override
        public void onHandshakeFailed(final long flowId, final HandshakeFailureReason reason,
            final int alertDescription, final org.agrona.DirectBuffer buffer, final int offset, final int length)
        {
        }
    }
}
