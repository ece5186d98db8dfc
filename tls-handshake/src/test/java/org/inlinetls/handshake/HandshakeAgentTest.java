package org.inlinetls.handshake;

import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.inlinetls.crypto.record.IntegrityMode;
import org.inlinetls.crypto.record.RecordDecoder;
import org.inlinetls.crypto.record.SegmentDecoder;
import org.inlinetls.crypto.suite.CipherSuite;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.inlinetls.handshake.HandshakeCounterDescriptor.ABORTED;
import static org.inlinetls.handshake.HandshakeCounterDescriptor.ACTIVE;
import static org.inlinetls.handshake.HandshakeCounterDescriptor.COMPLETED;
import static org.inlinetls.handshake.HandshakeCounterDescriptor.EXPIRED;
import static org.inlinetls.handshake.HandshakeCounterDescriptor.FAILED;
import static org.inlinetls.handshake.HandshakeCounterDescriptor.REFUSED_CAPACITY;
import static org.inlinetls.handshake.HandshakeCounterDescriptor.REFUSED_OVERLOAD;
import static org.inlinetls.handshake.HandshakeCounterDescriptor.RETURNED;
import static org.inlinetls.handshake.HandshakeCounterDescriptor.STARTED;
import static org.inlinetls.handshake.HandshakeEngineTest.ALL_GROUPS;
import static org.inlinetls.handshake.HandshakeEngineTest.TLS12;
import static org.inlinetls.handshake.HandshakeEngineTest.TLS13;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The handshake agent driven by hand with a hand-advanced clock: BouncyCastle clients through proxy, agent and
 * results, interleaved, and every bound (queue full, too many handshakes, deadline, abort, hostile input).
 */
class HandshakeAgentTest
{
    static final byte[] REQUEST = "GET / HTTP/1.1\r\nHost: ec.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final CachedNanoClock clock = new CachedNanoClock();
    private final HandshakeConfig tls = HandshakeConfig.builder(TestPki.get().selector()).build();
    private HandshakeAgent agent;

    static HandshakeAgentCounters counters(final String prefix)
    {
        final CountersManager manager = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 512)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 128)));
        return new HandshakeAgentCounters(manager, prefix);
    }

    static BcTestClient client(final ProtocolVersion[] versions, final CipherSuite suite, final String host)
    {
        return new BcTestClient(versions, new int[]{suite.code()}, ALL_GROUPS, host, "http/1.1").connect();
    }

    private HandshakeAgent agent(final HandshakeAgentConfig config)
    {
        agent = new HandshakeAgent(config, () -> new HandshakeEngine(tls), counters(config.roleName()), clock);
        return agent;
    }

    private long count(final HandshakeCounterDescriptor descriptor)
    {
        return agent.counters().value(descriptor);
    }

    private static void run(final HandshakeAgent agent, final HandshakeTestWorker worker)
    {
        for (int round = 0; round < 100 && !worker.allDone(); round++)
        {
            worker.doWork();
            agent.doWork();
        }
        worker.doWork();
        assertTrue(worker.allDone(), "handshakes stalled: " + worker.events);
    }

    @AfterEach
    void close()
    {
        if (null != agent)
        {
            agent.onClose();
        }
    }

    @Test
    void shouldCompleteInterleavedHandshakesAndHandOverKeysThatCarryData() throws IOException
    {
        final HandshakeAgent agent = agent(new HandshakeAgentConfig().commandLimit(2));
        final HandshakeTestWorker worker = new HandshakeTestWorker(agent.proxy(0));
        final Object[][] cases = {
            {TLS13, CipherSuite.TLS_AES_128_GCM_SHA256, TestPki.EC_HOST},
            {TLS13, CipherSuite.TLS_CHACHA20_POLY1305_SHA256, TestPki.RSA_HOST},
            {TLS12, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TestPki.EC_HOST},
            {TLS12, CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TestPki.RSA_HOST},
            {TLS13, CipherSuite.TLS_AES_256_GCM_SHA384, TestPki.P384_HOST},
            {TLS13, CipherSuite.TLS_AES_128_GCM_SHA256, TestPki.EC_HOST},
        };
        for (int i = 0; i < cases.length; i++)
        {
            worker.add(100 + i, client((ProtocolVersion[])cases[i][0], (CipherSuite)cases[i][1], (String)cases[i][2]));
        }
        final HandshakeTestWorker.ClientFlow withRequest = worker.flows.get(105L);
        withRequest.request = REQUEST;

        run(agent, worker);

        for (int i = 0; i < cases.length; i++)
        {
            final HandshakeTestWorker.ClientFlow flow = worker.flows.get(100L + i);
            assertNull(flow.failure, () -> flow.flowId + " " + flow.failure + " " + AlertNames.name(flow.alert));
            assertNotNull(flow.keys);
            assertEquals(cases[i][1], flow.keys.suite());
            assertEquals(cases[i][2], flow.keys.serverName());
            assertTrue(flow.client.protocol.isConnected());
            assertEquals(flow.offeredBytes - flow.returned.size(), flow.clientHandshakeBytes);
            if (flow == withRequest)
            {
                assertArrayEquals(REQUEST, decodeReturned(withRequest), "the request sent with the Finished");
            }
            else
            {
                HandshakeEngineTest.exchangeApplicationData(flow.client, flow.keys);
            }
            flow.keys.destroy();
        }
        assertEquals(6, count(STARTED));
        assertEquals(6, count(COMPLETED));
        assertEquals(1, count(RETURNED));
        assertEquals(0, count(ACTIVE));
        assertEquals(0, count(FAILED) + count(REFUSED_OVERLOAD) + count(REFUSED_CAPACITY) + count(EXPIRED));
        assertEquals(0, agent.doWork(), "idle agent reports no work");
    }

    @Test
    void shouldReturnBytesOfferedAfterTheFinishedInStreamOrder() throws IOException
    {
        final HandshakeAgent agent = agent(new HandshakeAgentConfig());
        final HandshakeTestWorker worker = new HandshakeTestWorker(agent.proxy(0));
        final HandshakeTestWorker.ClientFlow flow =
            worker.add(7, client(TLS13, CipherSuite.TLS_AES_128_GCM_SHA256, TestPki.EC_HOST));
        worker.doWork();
        agent.doWork();
        worker.doWork(); // the flight goes to the client; its Finished is offered

        final byte[] later = "GET /second HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        flow.client.protocol.writeApplicationData(REQUEST, 0, REQUEST.length);
        worker.doWork();
        flow.client.protocol.writeApplicationData(later, 0, later.length);
        worker.doWork();
        assertEquals(0, worker.events.stream().filter((e) -> e.contains("complete")).count());
        agent.doWork();
        worker.doWork();

        assertEquals(List.of("7 output", "7 complete", "7 returned " + recordLength(REQUEST),
            "7 returned " + recordLength(later)), worker.events);
        final byte[] plaintext = decodeReturned(flow);
        final byte[] expected = new byte[REQUEST.length + later.length];
        System.arraycopy(REQUEST, 0, expected, 0, REQUEST.length);
        System.arraycopy(later, 0, expected, REQUEST.length, later.length);
        assertArrayEquals(expected, plaintext);
        assertEquals(flow.offeredBytes - flow.returned.size(), flow.clientHandshakeBytes);
        flow.keys.destroy();
    }

    @Test
    void shouldRefuseAnOfferWhenTheCommandQueueIsFullAndTakeNothingOfIt()
    {
        final HandshakeAgent agent = agent(new HandshakeAgentConfig().commandQueueCapacityBytes(1024));
        final HandshakeProxy proxy = agent.proxy(0);
        final UnsafeBuffer bytes = new UnsafeBuffer(new byte[100]);
        int accepted = 0;
        while (proxy.offerClientBytes(accepted, bytes, 0, 100))
        {
            accepted++;
        }
        assertTrue(accepted > 0);
        assertEquals(1, count(REFUSED_OVERLOAD));
        assertFalse(proxy.offerClientBytes(99, new UnsafeBuffer(new byte[proxy.maxOfferLength()]), 0,
            proxy.maxOfferLength()), "a long offer that does not fit is refused whole");
        assertEquals(2, count(REFUSED_OVERLOAD));

        agent.doWork();
        final HandshakeTestWorker worker = new HandshakeTestWorker(proxy);
        assertEquals(accepted, proxy.drainResults(worker, 1000));
        for (int i = 0; i < accepted; i++)
        {
            assertEquals(i + " returned 100", worker.events.get(i));
        }
        assertTrue(proxy.offerClientBytes(99, bytes, 0, 100), "room again once the agent has run");
        agent.doWork(); // the ring's padding at its end, then (next cycle) the command at its start
        agent.doWork();
        proxy.drainResults(worker, 1000);
        final byte[] longest = new byte[proxy.maxOfferLength()];
        longest[longest.length - 1] = 42;
        assertTrue(proxy.offerClientBytes(98, new UnsafeBuffer(longest), 0, longest.length), "split into commands");
        final HandshakeTestWorker.ClientFlow flow = worker.add(98, null);
        agent.doWork();
        agent.doWork();
        proxy.drainResults(worker, 1000);
        assertArrayEquals(longest, flow.returned.toByteArray());
        assertThrows(IllegalArgumentException.class,
            () -> new HandshakeAgentConfig().commandQueueCapacityBytes(1000).validate());
    }

    @Test
    void shouldSplitOffersLongerThanOneCommandAndStillHandshake() throws IOException
    {
        final HandshakeAgent agent = agent(new HandshakeAgentConfig().commandQueueCapacityBytes(1024));
        final HandshakeTestWorker worker = new HandshakeTestWorker(agent.proxy(0));
        final HandshakeTestWorker.ClientFlow flow =
            worker.add(1, client(TLS13, CipherSuite.TLS_AES_128_GCM_SHA256, TestPki.EC_HOST));
        assertTrue(flow.client.protocol.getAvailableOutputBytes() > 1024 / 8, "the ClientHello needs several commands");

        run(agent, worker);

        assertNotNull(flow.keys, worker.events::toString);
        HandshakeEngineTest.exchangeApplicationData(flow.client, flow.keys);
        assertEquals(0, count(REFUSED_OVERLOAD));
    }

    @Test
    void shouldRefuseNewFlowsBeyondTheConcurrentHandshakeLimit()
    {
        final HandshakeAgent agent = agent(new HandshakeAgentConfig().maxConcurrentHandshakes(2));
        final HandshakeTestWorker worker = new HandshakeTestWorker(agent.proxy(0));
        for (long flowId = 1; flowId <= 3; flowId++)
        {
            worker.add(flowId, client(TLS13, CipherSuite.TLS_AES_128_GCM_SHA256, TestPki.EC_HOST));
        }

        run(agent, worker);

        assertNotNull(worker.flows.get(1L).keys);
        assertNotNull(worker.flows.get(2L).keys);
        assertEquals(HandshakeFailureReason.CAPACITY, worker.flows.get(3L).failure);
        assertEquals(0, worker.flows.get(3L).alertBytes.length);
        assertEquals(1, count(REFUSED_CAPACITY));

        worker.add(4, client(TLS12, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TestPki.EC_HOST));
        run(agent, worker);
        assertNotNull(worker.flows.get(4L).keys, "room again once handshakes have completed");
        assertEquals(3, count(COMPLETED));
    }

    @Test
    void shouldExpireAHandshakeThatDoesNotFinishBeforeItsDeadline()
    {
        final long timeoutNs = 1_000_000_000L;
        final HandshakeAgent agent = agent(new HandshakeAgentConfig().handshakeTimeoutNs(timeoutNs));
        final HandshakeTestWorker worker = new HandshakeTestWorker(agent.proxy(0));
        final HandshakeTestWorker.ClientFlow flow =
            worker.add(5, client(TLS13, CipherSuite.TLS_AES_128_GCM_SHA256, TestPki.EC_HOST));
        worker.doWork(); // the ClientHello only: the client then goes quiet
        agent.doWork();
        worker.proxy.drainResults(worker, 10);

        clock.advance(timeoutNs);
        agent.doWork();
        assertEquals(0, count(EXPIRED), "not before the deadline");
        assertEquals(1, agent.activeHandshakes());
        clock.advance(1);
        assertEquals(1, agent.doWork());
        worker.proxy.drainResults(worker, 10);

        assertEquals(HandshakeFailureReason.EXPIRED, flow.failure);
        assertEquals(1, count(EXPIRED));
        assertEquals(0, count(ACTIVE));
        final byte[] finished = HandshakeEngineTest.drain(flow.client);
        assertTrue(worker.proxy.offerClientBytes(5, new UnsafeBuffer(finished), 0, finished.length));
        agent.doWork();
        worker.proxy.drainResults(worker, 10);
        assertEquals(List.of("5 output", "5 failed EXPIRED", "5 returned " + finished.length), worker.events,
            "the client's Finished, too late, is handed back");
    }

    @Test
    void shouldForgetAnAbortedHandshakeWithoutAResult()
    {
        final HandshakeAgent agent = agent(new HandshakeAgentConfig().handshakeTimeoutNs(1_000));
        final HandshakeTestWorker worker = new HandshakeTestWorker(agent.proxy(0));
        worker.add(6, client(TLS13, CipherSuite.TLS_AES_128_GCM_SHA256, TestPki.EC_HOST));
        worker.doWork();
        assertTrue(worker.proxy.abort(6));
        agent.doWork();
        assertEquals(0, agent.activeHandshakes());
        assertEquals(1, count(ABORTED));
        assertTrue(worker.proxy.abort(6), "aborting an unknown flow is harmless");

        clock.advance(10_000);
        agent.doWork();
        worker.proxy.drainResults(worker, 10);
        assertEquals(List.of("6 output"), worker.events, "the flight raced the abort; nothing after it");
        assertEquals(0, count(EXPIRED) + count(FAILED));
        assertEquals(1, count(ABORTED));
    }

    @Test
    void shouldFailAGarbageClientHelloWithItsAlert()
    {
        final HandshakeAgent agent = agent(new HandshakeAgentConfig());
        final HandshakeProxy proxy = agent.proxy(0);
        final HandshakeTestWorker worker = new HandshakeTestWorker(proxy);
        worker.add(8, client(TLS13, CipherSuite.TLS_AES_128_GCM_SHA256, TestPki.EC_HOST)).started = true;
        final byte[] http = "GET / HTTP/1.1\r\nHost: ec.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        assertTrue(proxy.startHandshake(8, new UnsafeBuffer(http), 0, http.length));

        agent.doWork();
        proxy.drainResults(worker, 10);

        final HandshakeTestWorker.ClientFlow flow = worker.flows.get(8L);
        assertEquals(HandshakeFailureReason.PROTOCOL_ERROR, flow.failure);
        assertEquals(AlertDescription.unexpected_message, flow.alert);
        assertArrayEquals(new byte[]{21, 3, 3, 0, 2, 2, (byte)AlertDescription.unexpected_message}, flow.alertBytes);
        assertEquals(1, count(FAILED));
        assertEquals(0, count(ACTIVE));
    }

    @Test
    void shouldFailWithTheAlertBcSentWhenTheClientOffersNothingWeServe()
    {
        final HandshakeAgent agent = agent(new HandshakeAgentConfig());
        final HandshakeTestWorker worker = new HandshakeTestWorker(agent.proxy(0));
        final HandshakeTestWorker.ClientFlow flow = worker.add(9, new BcTestClient(TLS13,
            new int[]{CipherSuite.TLS_AES_128_GCM_SHA256.code()}, ALL_GROUPS, TestPki.EC_HOST, "h2").connect());

        run(agent, worker);

        assertEquals(HandshakeFailureReason.PROTOCOL_ERROR, flow.failure);
        assertEquals(AlertDescription.no_application_protocol, flow.alert);
        assertThrows(TlsFatalAlertReceived.class, () -> flow.client.protocol.offerInput(flow.alertBytes));
        assertEquals(AlertDescription.no_application_protocol, flow.client.alertReceived);
    }

    @Test
    void shouldHoldResultsAndStopTakingCommandsWhileTheWorkerDoesNotDrain()
    {
        final HandshakeAgent agent = agent(new HandshakeAgentConfig()
            .commandQueueCapacityBytes(1024).resultQueueCapacity(4));
        final HandshakeProxy proxy = agent.proxy(0);
        final HandshakeTestWorker worker = new HandshakeTestWorker(proxy);
        final UnsafeBuffer bytes = new UnsafeBuffer(new byte[100]);
        long next = 0;
        while (proxy.offerClientBytes(next, bytes, 0, 100))
        {
            next++;
        }
        agent.doWork(); // fills the result queue, keeps one result back, then stops reading this worker
        while (proxy.offerClientBytes(next, bytes, 0, 100))
        {
            next++;
        }
        assertEquals(0, agent.doWork(), "no commands taken while results wait");
        assertFalse(proxy.offerClientBytes(next, bytes, 0, 100));

        for (int round = 0; round < 100 && worker.events.size() < next; round++)
        {
            proxy.drainResults(worker, 3);
            agent.doWork();
        }
        assertEquals(next, worker.events.size());
        for (int i = 0; i < next; i++)
        {
            assertEquals(i + " returned 100", worker.events.get(i), "results stay in order");
        }
    }

    private static int recordLength(final byte[] plaintext)
    {
        return plaintext.length + 5 + 1 + 16; // TLS 1.3 AES-GCM: header, inner type, tag
    }

    private static byte[] decodeReturned(final HandshakeTestWorker.ClientFlow flow)
    {
        final byte[] returned = flow.returned.toByteArray();
        final SegmentDecoder decoder = flow.keys.newClientDecoder(IntegrityMode.STRICT,
            new byte[RecordDecoder.SCRATCH_LENGTH]);
        final HandshakeEngineTest.Collector collector = new HandshakeEngineTest.Collector();
        assertEquals(RecordDecoder.OK, decoder.onSegment(returned, 0, returned.length, collector),
            decoder::failureReason);
        return collector.plaintext.toByteArray();
    }
}
