package org.inlinetls.appliance.daemon;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.SecureRandom;

import org.bouncycastle.tls.DefaultTlsClient;
import org.bouncycastle.tls.ServerOnlyTlsAuthentication;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.inlinetls.packet.tcp.TcpConfig;
import org.inlinetls.packet.tcp.TcpEndpoint;

/**
 * One TLS client (a userspace TCP endpoint with BouncyCastle's client) uploading to and downloading from one plain
 * backend endpoint through the appliance, stepped by the test's loop so several run at once (their frames are told
 * apart by the client's port, which every mode keeps). The backend answers from the address it is given (the service
 * address in direct and full-proxy modes, a pool's backend in load-balancing).
 */
final class TlsTransfer
{
    static final long CLIENT_MAC = 0x02_00_00_00_00_01L;
    static final long SERVER_MAC = 0x02_00_00_00_00_02L;

    final int clientPort;
    final TcpEndpoint client;
    final TcpEndpoint server;
    final ByteArrayOutputStream clientGot = new ByteArrayOutputStream();
    final ByteArrayOutputStream serverGot = new ByteArrayOutputStream();
    private final byte[] upload;
    private final byte[] download;
    private final TlsClientProtocol tls = new TlsClientProtocol();
    private final byte[] buffer = new byte[1 << 16];
    private byte[] pending = new byte[0];
    private int pendingOffset;
    private int uploadWritten;
    private int downloadWritten;
    private boolean tlsClosed;
    private boolean clientClosed;
    private boolean serverClosed;

    /**
     * @param serviceAddress where the client connects (port 443).
     * @param backendAddress where the backend answers (port 80).
     * @param backendMac     the backend endpoint's MAC.
     */
    TlsTransfer(final byte[] clientAddress, final int clientPort, final byte[] serviceAddress,
        final byte[] backendAddress, final long backendMac, final byte[] upload, final byte[] download)
    {
        this.clientPort = clientPort;
        this.upload = upload;
        this.download = download;
        client = new TcpEndpoint(new TcpConfig().localMac(CLIENT_MAC).remoteMac(SERVER_MAC)
            .localAddress(clientAddress).remoteAddress(serviceAddress).localPort(clientPort).remotePort(443)
            .receiveBufferBytes(256 * 1024).sendBufferBytes(256 * 1024).timeWaitNs(500_000_000L)
            .isnSeed(clientPort).validate());
        server = new TcpEndpoint(new TcpConfig().localMac(backendMac).remoteMac(CLIENT_MAC)
            .localAddress(backendAddress).remoteAddress(clientAddress).localPort(80).remotePort(clientPort)
            .receiveBufferBytes(256 * 1024).sendBufferBytes(256 * 1024).timeWaitNs(500_000_000L)
            .isnSeed(clientPort + 1L).validate());
    }

    /** Opens the backend's listener and sends the client's SYN. */
    TlsTransfer start(final long nowNs) throws IOException
    {
        tls.connect(new DefaultTlsClient(new BcTlsCrypto(new SecureRandom()))
        {
            @Override
            public TlsAuthentication getAuthentication()
            {
                return new ServerOnlyTlsAuthentication()
                {
                    @Override
                    public void notifyServerCertificate(final TlsServerCertificate certificate)
                    {
                        // a self-signed test certificate: the test checks the bytes, not the server's identity
                    }
                };
            }
        });
        server.listen();
        client.connect(nowNs);
        return this;
    }

    /** Both applications' step; the caller polls the endpoints and moves their frames. */
    void step() throws IOException
    {
        if (isDone())
        {
            return;
        }
        if (client.isAborted() || tls.isClosed() && !tlsClosed)
        {
            return; // reset (a removed service) or closed by an alert: the test looks at it
        }
        clientApp();
        serverApp();
    }

    boolean isDone()
    {
        return client.isClosed() && server.isClosed();
    }

    boolean isReset()
    {
        return client.isAborted();
    }

    private void clientApp() throws IOException
    {
        if (pendingOffset == pending.length && tls.getAvailableOutputBytes() > 0)
        {
            pending = new byte[tls.getAvailableOutputBytes()];
            pendingOffset = 0;
            tls.readOutput(pending, 0, pending.length);
        }
        if (pendingOffset < pending.length)
        {
            pendingOffset += client.write(pending, pendingOffset, pending.length - pendingOffset);
        }
        final int n = client.read(buffer, 0, buffer.length);
        if (n > 0 && !tls.isClosed())
        {
            tls.offerInput(buffer, 0, n);
        }
        if (!tls.isHandshaking() && tls.isConnected() && !tlsClosed)
        {
            if (uploadWritten < upload.length && tls.getAvailableOutputBytes() < 64 * 1024)
            {
                final int chunk = Math.min(upload.length - uploadWritten, 16_384);
                tls.writeApplicationData(upload, uploadWritten, chunk);
                uploadWritten += chunk;
            }
            final int available = tls.getAvailableInputBytes();
            if (available > 0)
            {
                final byte[] data = new byte[available];
                tls.readInput(data, 0, available);
                clientGot.write(data);
            }
            if (clientGot.size() >= download.length && uploadWritten == upload.length)
            {
                tls.close();
                tlsClosed = true;
            }
        }
        if (tlsClosed && !clientClosed && pendingOffset == pending.length && tls.getAvailableOutputBytes() == 0)
        {
            client.close();
            clientClosed = true;
        }
    }

    private void serverApp()
    {
        final int n = server.read(buffer, 0, buffer.length);
        if (n > 0)
        {
            serverGot.write(buffer, 0, n);
        }
        if (serverGot.size() >= upload.length && downloadWritten < download.length)
        {
            downloadWritten += server.write(download, downloadWritten, download.length - downloadWritten);
        }
        if (downloadWritten == download.length && !serverClosed && server.isEndOfStream())
        {
            server.close();
            serverClosed = true;
        }
    }

    @Override
    public String toString()
    {
        return "port " + clientPort + ": client got " + clientGot.size() + "/" + download.length + ", server got " +
            serverGot.size() + "/" + upload.length + "\n  client " + client + "\n  server " + server;
    }
}
