package org.inlinetls.modes.proxy;

import java.util.List;

/**
 * The full-proxy services of one {@link ProxyEngine} as the data path looks them up: by listen address and port
 * (client frames), by backend address and port (backend frames), whether another mode's engine on the same bridge
 * serves the same backend, and whether another mode served the service before a reload (its flows in flight may still
 * run there). A load-balanced service ({@link Balancing}) has no backend port of its own: its backends are its pool's,
 * found by {@link #balancedByBackend}. Immutable: a reload builds another. A handful of services: linear scans, no
 * allocation.
 */
final class ProxyServices
{
    private final ProxyEngine.Service[] services;
    private final long[] sharedBackends;
    private final long[] handedOverListens;

    ProxyServices(final List<ProxyEngine.Service> services)
    {
        this(services, List.of(), List.of());
    }

    /**
     * @param otherModesServices the services of other modes' engines (their listen port does not matter here).
     * @param handedOver         full-proxy services another mode served before.
     */
    ProxyServices(final List<ProxyEngine.Service> services, final List<ProxyEngine.Service> otherModesServices,
        final List<ProxyEngine.Service> handedOver)
    {
        this.services = services.toArray(new ProxyEngine.Service[0]);
        this.sharedBackends = new long[otherModesServices.size()];
        for (int i = 0; i < sharedBackends.length; i++)
        {
            sharedBackends[i] = key(otherModesServices.get(i).ipv4Address(), otherModesServices.get(i).backendPort());
        }
        this.handedOverListens = new long[handedOver.size()];
        for (int i = 0; i < handedOverListens.length; i++)
        {
            handedOverListens[i] = key(handedOver.get(i).ipv4Address(), handedOver.get(i).listenPort());
        }
    }

    /** @return the services (control path). */
    List<ProxyEngine.Service> all()
    {
        return List.of(services);
    }

    /** @return the service clients reach at this address and port, or null. */
    ProxyEngine.Service byListen(final int address, final int port)
    {
        for (final ProxyEngine.Service s : services)
        {
            if (s.ipv4Address() == address && s.listenPort() == port)
            {
                return s;
            }
        }
        return null;
    }

    /** @return the service whose backend answers from this address and port, or null. */
    ProxyEngine.Service byBackend(final int address, final int port)
    {
        for (final ProxyEngine.Service s : services)
        {
            if (null == s.balancing() && s.ipv4Address() == address && s.backendPort() == port)
            {
                return s;
            }
        }
        return null;
    }

    /** @return the load-balanced service one of whose backends answers from this address and port, or null. */
    ProxyEngine.Service balancedByBackend(final int address, final int port)
    {
        for (final ProxyEngine.Service s : services)
        {
            if (null != s.balancing() && s.balancing().isBackend(address, port))
            {
                return s;
            }
        }
        return null;
    }

    /** True when another mode's engine serves this backend address and port too. */
    boolean isSharedBackend(final int address, final int port)
    {
        return contains(sharedBackends, key(address, port));
    }

    /** The same services, with the backends of another mode's services remembered (set before the first frame). */
    ProxyServices shareBackendsWith(final List<ProxyEngine.Service> otherModesServices)
    {
        return new ProxyServices(List.of(services), otherModesServices, List.of());
    }

    /** True when another mode's engine serves this service's backend too. */
    boolean isSharedBackend(final ProxyEngine.Service service)
    {
        return contains(sharedBackends, key(service.ipv4Address(), service.backendPort())) || isHandedOver(service);
    }

    /** True when another mode served this address and listen port before a reload (its flows may still run). */
    boolean isHandedOver(final ProxyEngine.Service service)
    {
        return contains(handedOverListens, key(service.ipv4Address(), service.listenPort()));
    }

    private static boolean contains(final long[] keys, final long key)
    {
        for (final long k : keys)
        {
            if (k == key)
            {
                return true;
            }
        }
        return false;
    }

    private static long key(final int address, final int port)
    {
        return (long)address << 16 | (port & 0xFFFFL);
    }
}
