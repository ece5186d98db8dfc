package org.inlinetls.modes;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

import org.inlinetls.handshake.BcTestClient;
import org.inlinetls.packet.tcp.TcpEndpoint;

/**
 * The simulations' client application: a BouncyCastle TLS client over a userspace {@link TcpEndpoint}, moved one
 * step at a time by its simulation. The steps are the pieces every simulation's client loop shares (TLS output into
 * the TCP send buffer, TCP input into TLS, plaintext out, close_notify, the TCP close once everything is out); what
 * it writes and when it closes stay the simulation's.
 */
public final class TlsClientApp
{
    private final BcTestClient tls;
    private final TcpEndpoint tcp;
    private final ByteArrayOutputStream got = new ByteArrayOutputStream();
    private byte[] pending = new byte[0];
    private int pendingOffset;
    private long bytesWritten;
    private boolean tlsClosed;
    private boolean tcpClosed;

    public TlsClientApp(final BcTestClient tls, final TcpEndpoint tcp)
    {
        this.tls = tls;
        this.tcp = tcp;
    }

    /**
     * Moves TLS output into the TCP send buffer, as much as it takes.
     *
     * @return true when any byte moved.
     */
    public boolean flushToTcp() throws IOException
    {
        if (pendingOffset == pending.length)
        {
            final int available = tls.protocol.getAvailableOutputBytes();
            if (available > 0)
            {
                pending = new byte[available];
                pendingOffset = 0;
                tls.protocol.readOutput(pending, 0, available);
            }
        }
        if (pendingOffset < pending.length)
        {
            final int n = tcp.write(pending, pendingOffset, pending.length - pendingOffset);
            pendingOffset += n;
            bytesWritten += n;
            return n > 0;
        }
        return false;
    }

    /**
     * Reads at most {@code limit} bytes from TCP into TLS (nothing once TLS is closed).
     *
     * @return the bytes read from TCP (0 when none).
     */
    public int feedFromTcp(final byte[] scratch, final int limit) throws IOException
    {
        final int n = tcp.read(scratch, 0, limit);
        if (n > 0 && !tls.protocol.isClosed())
        {
            tls.protocol.offerInput(scratch, 0, n);
        }
        return Math.max(0, n);
    }

    /** True after the handshake while neither end closed TLS: the application writes and reads. */
    public boolean isOpen()
    {
        return !tls.protocol.isHandshaking() && tls.protocol.isConnected() && !tlsClosed;
    }

    /** @return true when there was plaintext to read (added to {@link #got()}). */
    public boolean readPlain() throws IOException
    {
        final int available = tls.protocol.getAvailableInputBytes();
        if (available <= 0)
        {
            return false;
        }
        final byte[] data = new byte[available];
        tls.protocol.readInput(data, 0, available);
        got.write(data);
        return true;
    }

    /** Writes application data as one call (records of at most 16 KiB). */
    public void write(final byte[] bytes, final int offset, final int length) throws IOException
    {
        tls.protocol.writeApplicationData(bytes, offset, length);
    }

    /** Sends close_notify: the application is done. */
    public void closeTls() throws IOException
    {
        tls.protocol.close();
        tlsClosed = true;
    }

    /** Takes a close by the peer (its close_notify, answered by BouncyCastle) as the application's own. */
    public void peerClosedTls()
    {
        tlsClosed = true;
    }

    /**
     * Closes TCP once TLS is closed ({@link #closeTls}, or by the peer when {@code orPeerClosed}) and all its output
     * is in the send buffer.
     *
     * @return true when it closed now.
     */
    public boolean closeTcpWhenFlushed(final boolean orPeerClosed)
    {
        if ((tlsClosed || orPeerClosed && tls.protocol.isClosed()) && !tcpClosed && pendingOffset == pending.length &&
            tls.protocol.getAvailableOutputBytes() == 0)
        {
            tcp.close();
            tcpClosed = true;
            return true;
        }
        return false;
    }

    /** TLS output not yet taken for TCP: the application waits before writing more beyond a limit. */
    public int tlsOutputBytes()
    {
        return tls.protocol.getAvailableOutputBytes();
    }

    /** True when every TLS byte produced so far is in the TCP send buffer. */
    public boolean isFlushed()
    {
        return pendingOffset == pending.length;
    }

    public boolean isTlsClosedByPeer()
    {
        return tls.protocol.isClosed();
    }

    public ByteArrayOutputStream got()
    {
        return got;
    }

    public long bytesWritten()
    {
        return bytesWritten;
    }

    public boolean tlsClosed()
    {
        return tlsClosed;
    }

    public boolean tcpClosed()
    {
        return tcpClosed;
    }
}
