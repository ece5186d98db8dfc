package org.inlinetls.modes.lb;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;

/**
 * Health checks over real sockets: non-blocking connects (and HTTP requests) multiplexed on one selector, polled
 * by the {@link HealthCheckAgent}'s duty cycle, so one thread checks any number of backends without blocking.
 * <p>
 * Each check opens a new connection, bound to the configured source address when there is one, and closes it as
 * soon as it is judged. Control path only: it allocates freely.
 */
public final class SocketHealthProbes implements HealthProbes
{
    private static final int RESPONSE_BYTES = 64;

    private final List<InetSocketAddress> backends;
    private final HealthCheckSettings settings;
    private final Selector selector;
    private final byte[][] requests;
    private final SocketChannel[] channels;
    private final ByteBuffer[] requestBuffers;
    private final ByteBuffer[] responses;
    private final ArrayDeque<Finished> finished = new ArrayDeque<>();

    public SocketHealthProbes(final List<InetSocketAddress> backends, final HealthCheckSettings settings)
    {
        this.backends = List.copyOf(backends);
        this.settings = settings;
        try
        {
            selector = Selector.open();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot open a selector for health checks", ex);
        }
        final int count = backends.size();
        requests = new byte[count][];
        channels = new SocketChannel[count];
        requestBuffers = new ByteBuffer[count];
        responses = new ByteBuffer[count];
        for (int id = 0; id < count; id++)
        {
            requests[id] = settings.type().request(settings, backends.get(id));
            responses[id] = ByteBuffer.allocate(RESPONSE_BYTES);
        }
    }

    @Override
    public void begin(final int backendId)
    {
        abandon(backendId);
        SocketChannel channel = null;
        try
        {
            channel = SocketChannel.open();
            channels[backendId] = channel;
            channel.configureBlocking(false);
            if (settings.sourceAddress() != null)
            {
                channel.bind(new InetSocketAddress(settings.sourceAddress(), 0));
            }
            requestBuffers[backendId] = ByteBuffer.wrap(requests[backendId]);
            responses[backendId].clear();
            if (channel.connect(backends.get(backendId)))
            {
                onConnected(backendId, channel.register(selector, 0, backendId));
            }
            else
            {
                channel.register(selector, SelectionKey.OP_CONNECT, backendId);
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            finish(backendId, describe(ex));
        }
    }

    @Override
    public int poll(final Listener listener)
    {
        int workCount = 0;
        try
        {
            if (selector.selectNow() > 0)
            {
                final Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext())
                {
                    final SelectionKey key = keys.next();
                    keys.remove();
                    onReady(key);
                    workCount++;
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("health check selector failed", ex);
        }
        for (Finished result; (result = finished.poll()) != null; workCount++)
        {
            listener.onProbeResult(result.backendId(), result.reason());
        }
        return workCount;
    }

    @Override
    public void abandon(final int backendId)
    {
        final SocketChannel channel = channels[backendId];
        channels[backendId] = null;
        if (channel != null)
        {
            closeQuietly(channel);
        }
    }

    @Override
    public void close()
    {
        for (int id = 0; id < channels.length; id++)
        {
            abandon(id);
        }
        closeQuietly(selector);
    }

    private void onReady(final SelectionKey key)
    {
        final int backendId = (Integer)key.attachment();
        final SocketChannel channel = (SocketChannel)key.channel();
        if (!key.isValid() || channels[backendId] != channel)
        {
            return;
        }
        try
        {
            if (key.isConnectable())
            {
                if (channel.finishConnect())
                {
                    onConnected(backendId, key);
                }
            }
            else if (key.isWritable())
            {
                onWritable(backendId, key);
            }
            else if (key.isReadable())
            {
                onReadable(backendId, channel);
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            finish(backendId, describe(ex));
        }
    }

    private void onConnected(final int backendId, final SelectionKey key) throws IOException
    {
        if (requests[backendId].length == 0)
        {
            finish(backendId, settings.type().judge(settings, responses[backendId], true));
            return;
        }
        key.interestOps(SelectionKey.OP_WRITE);
        onWritable(backendId, key);
    }

    private void onWritable(final int backendId, final SelectionKey key) throws IOException
    {
        final ByteBuffer request = requestBuffers[backendId];
        ((SocketChannel)key.channel()).write(request);
        if (!request.hasRemaining())
        {
            key.interestOps(SelectionKey.OP_READ);
        }
    }

    private void onReadable(final int backendId, final SocketChannel channel) throws IOException
    {
        final ByteBuffer response = responses[backendId];
        final boolean ended = channel.read(response) < 0;
        final String verdict = settings.type().judge(settings, response, ended);
        if (verdict != null)
        {
            finish(backendId, verdict);
        }
    }

    private void finish(final int backendId, final String reason)
    {
        abandon(backendId);
        finished.add(new Finished(backendId, reason));
    }

    private record Finished(int backendId, String reason)
    {
    }

    private static String describe(final Exception ex)
    {
        final String message = ex.getMessage();
        return ex.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    private static void closeQuietly(final AutoCloseable closeable)
    {
        try
        {
            closeable.close();
        }
        catch (final Exception ignored)
        {
            // a check's connection: nothing to do about a failed close
        }
    }
}
