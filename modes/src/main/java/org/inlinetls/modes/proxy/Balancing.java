package org.inlinetls.modes.proxy;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.inlinetls.modes.lb.Backend;
import org.inlinetls.modes.lb.BackendPool;
import org.inlinetls.modes.lb.CookieScanner;
import org.inlinetls.modes.lb.VirtualService;

/**
 * What makes a full-proxy service a load-balanced one with delayed binding: the pool its flows' backend legs go to,
 * and how the backend of a flow is chosen once the client's TLS handshake completed (the persistence cookie read from
 * the first request, else source persistence, else the pool's algorithm), and whether a PROXY protocol v2 header
 * precedes the plaintext sent to the backend.
 * <p>
 * Identity matters: a reload that keeps a service unchanged keeps its {@code Balancing} (its pool's counts and its
 * persistence table carry on); a changed one is a new object, so {@link ProxyEngine.Service#equals} tells them apart
 * and flows in flight finish on the old pool. The pool belongs to the data-path thread (it is shared with the NAT
 * stage on that thread, which answers ARP for the virtual address and learns the backends' MACs).
 */
public final class Balancing
{
    /** How far into the first request the cookie is looked for (the header block; a larger one names no backend). */
    public static final int COOKIE_SCAN_MAX_BYTES = 16 * 1024;

    private final VirtualService service;
    private final String cookieName;
    private final boolean proxyProtocolV2;
    private final int[] checkAddresses;
    private final List<Backend> backends;
    private final long[] backendKeys;

    /**
     * @param service         the virtual service (address, port, pool, source persistence table or null).
     * @param cookieName      the persistence cookie's name, or null without cookie persistence.
     * @param proxyProtocolV2 whether a PROXY protocol v2 header goes to the backend before the plaintext.
     * @param checkAddresses  the appliance's own addresses its health checks come from: a backend segment to one of
     *                        them is bridged as usual (the stage behind keeps it off the outside), never reset.
     */
    public Balancing(final VirtualService service, final String cookieName, final boolean proxyProtocolV2,
        final int[] checkAddresses)
    {
        this.service = Objects.requireNonNull(service, "service");
        if (null != cookieName && cookieName.isEmpty())
        {
            throw new IllegalArgumentException("empty cookie name");
        }
        this.cookieName = cookieName;
        this.proxyProtocolV2 = proxyProtocolV2;
        this.checkAddresses = checkAddresses.clone();
        final BackendPool pool = service.pool();
        final List<Backend> list = new ArrayList<>();
        backendKeys = new long[pool.backendCount()];
        for (int id = 0; id < pool.backendCount(); id++)
        {
            list.add(pool.backend(id));
            backendKeys[id] = key(pool.ipv4Address(id), pool.port(id));
        }
        backends = List.copyOf(list);
    }

    public VirtualService service()
    {
        return service;
    }

    public BackendPool pool()
    {
        return service.pool();
    }

    /** The cookie's name, or null without cookie persistence. */
    public String cookieName()
    {
        return cookieName;
    }

    public boolean proxyProtocolV2()
    {
        return proxyProtocolV2;
    }

    /** A scanner for one flow's first request (control path: once per flow), or null without cookie persistence. */
    CookieScanner newScanner()
    {
        return null == cookieName ? null : new CookieScanner(cookieName, backends, COOKIE_SCAN_MAX_BYTES);
    }

    /** Whether a backend of the pool answers from this address and port. */
    boolean isBackend(final int address, final int port)
    {
        final long key = key(address, port);
        for (final long k : backendKeys)
        {
            if (k == key)
            {
                return true;
            }
        }
        return false;
    }

    /** Whether the appliance's health checks come from this address. */
    boolean isCheckAddress(final int address)
    {
        for (final int a : checkAddresses)
        {
            if (a == address)
            {
                return true;
            }
        }
        return false;
    }

    static long key(final int address, final int port)
    {
        return (address & 0xFFFF_FFFFL) << 16 | (port & 0xFFFFL);
    }

    @Override
    public String toString()
    {
        return "Balancing{" + service.name() + (null == cookieName ? "" : " cookie " + cookieName) +
            (proxyProtocolV2 ? " proxy-protocol v2" : "") + "}";
    }
}
