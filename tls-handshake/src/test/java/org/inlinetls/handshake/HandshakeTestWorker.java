package org.inlinetls.handshake;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * A stand-in for a data-path worker in tests: drives BouncyCastle clients through a {@link HandshakeProxy}, one flow
 * per client, and records every result; runs by hand, in a composite agent or on its own thread.
 */
final class HandshakeTestWorker implements Agent, HandshakeResultHandler
{
    final HandshakeProxy proxy;
    final Map<Long, ClientFlow> flows = new LinkedHashMap<>();
    final List<String> events = new ArrayList<>();
    private final UnsafeBuffer offerBuffer = new UnsafeBuffer(new byte[0]);
    private CountDownLatch finished = new CountDownLatch(0);

    HandshakeTestWorker(final HandshakeProxy proxy)
    {
        this.proxy = proxy;
    }

    /** Adds a flow whose client has connected (its ClientHello waits in its output); call before the agent runs. */
    ClientFlow add(final long flowId, final BcTestClient client)
    {
        final ClientFlow flow = new ClientFlow(flowId, client);
        flows.put(flowId, flow);
        finished = new CountDownLatch((int)flows.values().stream().filter((f) -> !f.done).count());
        return flow;
    }

    CountDownLatch finished()
    {
        return finished;
    }

    boolean allDone()
    {
        return flows.values().stream().allMatch((flow) -> flow.done);
    }

    @Override
    public int doWork()
    {
        int workCount = proxy.drainResults(this, 64);
        for (final ClientFlow flow : flows.values())
        {
            workCount += flow.done ? 0 : pump(flow);
        }
        return workCount;
    }

    @Override
    public String roleName()
    {
        return "worker-0";
    }

    private int pump(final ClientFlow flow)
    {
        if (null == flow.pending)
        {
            final int available = flow.client.protocol.getAvailableOutputBytes();
            if (0 == available)
            {
                return 0;
            }
            flow.pending = new byte[available];
            flow.client.protocol.readOutput(flow.pending, 0, available);
        }
        offerBuffer.wrap(flow.pending);
        final boolean taken = flow.started ?
            proxy.offerClientBytes(flow.flowId, offerBuffer, 0, flow.pending.length) :
            proxy.startHandshake(flow.flowId, offerBuffer, 0, flow.pending.length);
        if (!taken)
        {
            flow.refusedOffers++;
            return 0;
        }
        flow.started = true;
        flow.offeredBytes += flow.pending.length;
        flow.pending = null;
        return 1;
    }

    @Override
    public void onHandshakeOutput(final long flowId, final DirectBuffer buffer, final int offset, final int length)
    {
        events.add(flowId + " output");
        final ClientFlow flow = flows.get(flowId);
        flow.outputs++;
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset, bytes);
        try
        {
            flow.client.protocol.offerInput(bytes);
        }
        catch (final IOException ex)
        {
            flow.clientError = ex;
        }
        if (null != flow.request && flow.client.protocol.isConnected() && !flow.requestWritten)
        {
            // TLS 1.3: the request leaves in the same segment as the client's Finished
            flow.requestWritten = true;
            try
            {
                flow.client.protocol.writeApplicationData(flow.request, 0, flow.request.length);
            }
            catch (final IOException ex)
            {
                flow.clientError = ex;
            }
        }
    }

    @Override
    public void onHandshakeComplete(final long flowId, final NegotiatedKeys keys, final long clientHandshakeBytes)
    {
        events.add(flowId + " complete");
        final ClientFlow flow = flows.get(flowId);
        flow.keys = keys;
        flow.clientHandshakeBytes = clientHandshakeBytes;
        finish(flow);
    }

    @Override
    public void onClientBytesReturned(final long flowId, final DirectBuffer buffer, final int offset, final int length)
    {
        events.add(flowId + " returned " + length);
        final ClientFlow flow = flows.get(flowId);
        if (null != flow)
        {
            final byte[] bytes = new byte[length];
            buffer.getBytes(offset, bytes);
            flow.returned.writeBytes(bytes);
        }
    }

    @Override
    public void onHandshakeFailed(
        final long flowId,
        final HandshakeFailureReason reason,
        final int alertDescription,
        final DirectBuffer buffer,
        final int offset,
        final int length)
    {
        events.add(flowId + " failed " + reason);
        final ClientFlow flow = flows.get(flowId);
        flow.failure = reason;
        flow.alert = alertDescription;
        flow.alertBytes = new byte[length];
        buffer.getBytes(offset, flow.alertBytes);
        finish(flow);
    }

    private void finish(final ClientFlow flow)
    {
        if (!flow.done)
        {
            flow.done = true;
            finished.countDown();
        }
    }

    /** One client and what the worker saw of its handshake. */
    static final class ClientFlow
    {
        final long flowId;
        final BcTestClient client;
        final ByteArrayOutputStream returned = new ByteArrayOutputStream();
        byte[] request;
        boolean requestWritten;
        boolean started;
        byte[] pending;
        long offeredBytes;
        int refusedOffers;
        int outputs;
        boolean done;
        NegotiatedKeys keys;
        long clientHandshakeBytes = -1;
        HandshakeFailureReason failure;
        int alert = HandshakeEngine.NO_ALERT;
        byte[] alertBytes;
        IOException clientError;

        ClientFlow(final long flowId, final BcTestClient client)
        {
            this.flowId = flowId;
            this.client = client;
        }
    }
}
