package org.inlinetls.modes.direct;

import java.util.ArrayList;

import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.collections.LongArrayList;

/**
 * Services a {@link ServiceTable} change replaced or removed, whose backend ports stay protected (a server segment of
 * no known flow is answered with a RST, never bridged to the outside) for a grace period and for as long as a flow
 * that started under them still runs; the client segments of such flows (a service that moved to another mode) are
 * found through them too. Engine thread only; usually empty, so the data path pays one size check.
 */
final class RetiredServices
{
    private final ArrayList<DirectEngine.Service> services = new ArrayList<>();
    private final LongArrayList untilNs = new LongArrayList();

    boolean isEmpty()
    {
        return services.isEmpty();
    }

    void retire(final DirectEngine.Service service, final long protectedUntilNs)
    {
        services.add(service);
        untilNs.addLong(protectedUntilNs);
    }

    /** @return the retired service clients reached at this address and port (the newest retired first), or null. */
    DirectEngine.Service byListen(final int ipv4Address, final int listenPort)
    {
        for (int i = services.size() - 1; i >= 0; i--)
        {
            final DirectEngine.Service s = services.get(i);
            if (s.ipv4Address() == ipv4Address && s.listenPort() == listenPort)
            {
                return s;
            }
        }
        return null;
    }

    /** @return the retired service whose server answers from this address and port, or null. */
    DirectEngine.Service byBackend(final int ipv4Address, final int backendPort)
    {
        for (int i = 0, n = services.size(); i < n; i++)
        {
            final DirectEngine.Service s = services.get(i);
            if (s.ipv4Address() == ipv4Address && s.backendPort() == backendPort)
            {
                return s;
            }
        }
        return null;
    }

    /**
     * Forgets the services past their grace that no flow of {@code flows} nor parked one still uses (the engine's
     * sweep).
     */
    void forgetUnused(final long nowNs, final Long2ObjectHashMap<DirectFlow> flows,
        final java.util.Collection<DirectEngine.ParkedFlow> parked)
    {
        for (int i = services.size() - 1; i >= 0; i--)
        {
            if (nowNs - untilNs.getLong(i) >= 0 && !inUse(services.get(i), flows) && !parkedUse(services.get(i), parked))
            {
                services.remove(i);
                untilNs.removeAt(i);
            }
        }
    }

    private static boolean parkedUse(final DirectEngine.Service service,
        final java.util.Collection<DirectEngine.ParkedFlow> parked)
    {
        for (final DirectEngine.ParkedFlow p : parked)
        {
            if (p.service() == service)
            {
                return true;
            }
        }
        return false;
    }

    private static boolean inUse(final DirectEngine.Service service, final Long2ObjectHashMap<DirectFlow> flows)
    {
        for (final DirectFlow flow : flows.values())
        {
            if (flow.service == service)
            {
                return true;
            }
        }
        return false;
    }
}
