package org.inlinetls.modes.proxy;

import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.IntToLongFunction;

import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.crypto.cbc.CbcSuite;
import org.inlinetls.crypto.suite.CipherSuite;
import org.inlinetls.handshake.NegotiatedKeys;
import org.inlinetls.modes.lb.BackendPool;
import org.inlinetls.modes.lb.CookieScanner;
import org.inlinetls.modes.lb.ProxyProtocolV2;
import org.inlinetls.modes.lb.SourcePersistenceTable;
import org.inlinetls.packet.tcp.TcpEndpoint;

/**
 * The delayed binding of a {@link ProxyEngine}'s load-balanced flows ({@link Balancing}): chooses a flow's backend
 * once its first request was scanned for the persistence cookie, and writes the PROXY protocol v2 header ahead of the
 * plaintext. Once per flow (control-path cost: the header's SNI and ALPN strings are encoded then); the engine's
 * thread only.
 */
final class BackendBinder
{
    private static final int PROXY_HEADER_MAX_BYTES = 1024;
    private static final Map<CipherSuite, byte[]> AEAD_CIPHER_NAMES = new EnumMap<>(CipherSuite.class);
    private static final Map<CbcSuite, byte[]> CBC_CIPHER_NAMES = new EnumMap<>(CbcSuite.class);

    static
    {
        for (final CipherSuite suite : CipherSuite.values())
        {
            AEAD_CIPHER_NAMES.put(suite, ProxyProtocolV2.opensslCipherName(suite.name())
                .getBytes(StandardCharsets.US_ASCII));
        }
        for (final CbcSuite suite : CbcSuite.values())
        {
            CBC_CIPHER_NAMES.put(suite, ProxyProtocolV2.opensslCipherName(suite.name())
                .getBytes(StandardCharsets.US_ASCII));
        }
    }

    private final ProxyEngine engine;
    private final ProxyProtocolV2 proxyHeader = new ProxyProtocolV2();
    private final byte[] proxyHeaderBytes = new byte[PROXY_HEADER_MAX_BYTES];
    private final UnsafeBuffer proxyHeaderBuffer = new UnsafeBuffer(proxyHeaderBytes);
    /** The MAC of a backend address, 0 when not known. */
    private IntToLongFunction backendMacs = address -> 0L;

    BackendBinder(final ProxyEngine engine)
    {
        this.engine = engine;
    }

    void backendMacs(final IntToLongFunction macOfIpv4Address)
    {
        this.backendMacs = macOfIpv4Address;
    }

    /**
     * Chooses the backend of a load-balanced flow whose first request was scanned (control path: once per flow):
     * the backend the cookie names when it is up, else the one source persistence remembers, else the pool's
     * algorithm; counts how, and records the choice in the flow.
     *
     * @param scanner        the flow's cookie scanner, or null (no cookie persistence, or HTTP/2).
     * @param cookieBackend  the backend the cookie named, or {@link BackendPool#NONE}.
     * @param stageFull      the scan could not finish: the flow's plaintext stage is full.
     * @return false when no backend can be had (none up, or its MAC unknown): reset the client.
     */
    boolean bindBackend(final ProxyFlow flow, final CookieScanner scanner, final int cookieBackend,
        final boolean stageFull, final long nowNs)
    {
        final Balancing balancing = flow.service.balancing();
        final BackendPool pool = balancing.pool();
        final long clientKey = BackendPool.clientKey(flow.clientAddress);
        int id = BackendPool.NONE;
        if (cookieBackend >= 0 && pool.isUp(cookieBackend))
        {
            id = cookieBackend;
            engine.count(ProxyCounter.LB_BY_COOKIE);
        }
        else if (null != scanner)
        {
            engine.count(cookieBackend >= 0 ? ProxyCounter.LB_COOKIE_BACKEND_DOWN :
                scanner.limitReached() || stageFull ? ProxyCounter.LB_HEADER_LIMIT : ProxyCounter.LB_NO_COOKIE);
        }
        final SourcePersistenceTable persistence = balancing.service().persistence();
        if (BackendPool.NONE == id)
        {
            final int remembered = null == persistence ? BackendPool.NONE : persistence.lookup(clientKey, nowNs);
            id = pool.pickPreferring(remembered, clientKey);
            if (BackendPool.NONE != id && remembered == id)
            {
                engine.count(ProxyCounter.LB_BY_SOURCE);
            }
        }
        if (BackendPool.NONE == id)
        {
            engine.count(ProxyCounter.LB_NO_BACKEND);
            return false;
        }
        final long mac = backendMacs.applyAsLong(pool.ipv4Address(id));
        if (0 == mac)
        {
            engine.count(ProxyCounter.LB_BACKEND_MAC_UNKNOWN);
            return false;
        }
        if (null != persistence)
        {
            persistence.remember(clientKey, id, nowNs);
        }
        pool.onFlowOpened(id);
        flow.bound(id, pool.health().stamp(id), pool.ipv4Address(id), pool.port(id), mac);
        engine.count(ProxyCounter.LB_FLOWS_BOUND);
        return true;
    }

    /**
     * Writes the PROXY protocol v2 header of a load-balanced flow into its backend leg's send buffer, ahead of any
     * plaintext (control path: once per flow).
     *
     * @return false when it could not be written whole (the flow is then reset).
     */
    boolean writeProxyHeader(final ProxyFlow flow, final NegotiatedKeys keys, final TcpEndpoint server)
    {
        proxyHeader.reset().tcp4(flow.clientAddress, flow.clientPort, flow.service.ipv4Address(),
            flow.service.listenPort());
        final String alpn = keys.applicationProtocol();
        if (null != alpn)
        {
            proxyHeader.alpn(alpn.getBytes(StandardCharsets.US_ASCII));
        }
        final String serverName = keys.serverName();
        if (null != serverName)
        {
            proxyHeader.authority(serverName.getBytes(StandardCharsets.UTF_8));
        }
        final byte[] cipher = null != keys.suite() ? AEAD_CIPHER_NAMES.get(keys.suite()) :
            null != keys.cbcSuite() ? CBC_CIPHER_NAMES.get(keys.cbcSuite()) : null;
        proxyHeader.ssl(keys.version() == CipherSuite.TlsVersion.TLS13 ? ProxyProtocolV2.TLS_1_3 :
            ProxyProtocolV2.TLS_1_2, cipher);
        final int length = proxyHeader.encode(proxyHeaderBuffer, 0, proxyHeaderBytes.length);
        if (length < 0 || server.write(proxyHeaderBytes, 0, length) != length)
        {
            engine.count(ProxyCounter.ERRORS);
            return false;
        }
        engine.count(ProxyCounter.LB_PROXY_HEADERS);
        return true;
    }
}
