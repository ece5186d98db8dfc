package org.inlinetls.modes.proxy;

import java.util.List;

/**
 * The full-proxy services of one {@link ProxyEngine} as the data path looks them up: by listen address and port
 * (client frames), by backend address and port (backend frames), and whether another mode's engine on the same bridge
 * serves the same backend. A handful of services: linear scans, no allocation.
 */
final class ProxyServices
{
    private final ProxyEngine.Service[] services;
    private long[] sharedBackends = new long[0];

    ProxyServices(final List<ProxyEngine.Service> services)
    {
        this.services = services.toArray(new ProxyEngine.Service[0]);
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
            if (s.ipv4Address() == address && s.backendPort() == port)
            {
                return s;
            }
        }
        return null;
    }

    /** Remembers the backends of another mode's services (their listen port does not matter here). */
    void shareBackendsWith(final List<ProxyEngine.Service> otherModesServices)
    {
        final long[] keys = new long[otherModesServices.size()];
        for (int i = 0; i < keys.length; i++)
        {
            keys[i] = backendKey(otherModesServices.get(i).ipv4Address(), otherModesServices.get(i).backendPort());
        }
        sharedBackends = keys;
    }

    /** True when another mode's engine serves this service's backend too. */
    boolean isSharedBackend(final ProxyEngine.Service service)
    {
        final long key = backendKey(service.ipv4Address(), service.backendPort());
        for (final long shared : sharedBackends)
        {
            if (shared == key)
            {
                return true;
            }
        }
        return false;
    }

    private static long backendKey(final int address, final int port)
    {
        return (long)address << 16 | (port & 0xFFFFL);
    }
}
