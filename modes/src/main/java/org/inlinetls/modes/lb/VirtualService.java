package org.inlinetls.modes.lb;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.inlinetls.modes.direct.DirectEngine;

/**
 * A load-balanced virtual service as the NAT stage sees it: the virtual address and port clients connect to, the
 * pool its new flows are spread over, and how a client is kept on its backend.
 *
 * @param name        names the service in logs.
 * @param vipAddress  the virtual IPv4 address (network-order int).
 * @param vipPort     the port clients connect to (443).
 * @param pool        the backends, their health and the algorithm; owned by the data-path thread.
 * @param persistence the client-address table when persistence is by source, else null.
 * @param passNonTls  whether a flow whose first bytes are not TLS is passed to the backend (else reset).
 * @param delayedBinding the backend is chosen after the TLS handshake (cookie persistence, PROXY protocol header):
 *                    the full-proxy engine carries its flows; the NAT stage only answers ARP for its address and
 *                    learns its backends' MACs, and the direct engine gets no internal service for it.
 */
public record VirtualService(String name, int vipAddress, int vipPort, BackendPool pool,
    SourcePersistenceTable persistence, boolean passNonTls, boolean delayedBinding)
{
    /** A service whose flows are NATed at the client's SYN (cut-through). */
    public VirtualService(final String name, final int vipAddress, final int vipPort, final BackendPool pool,
        final SourcePersistenceTable persistence, final boolean passNonTls)
    {
        this(name, vipAddress, vipPort, pool, persistence, passNonTls, false);
    }

    public VirtualService
    {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(pool, "pool");
        for (int id = 0; id < pool.backendCount(); id++)
        {
            if (pool.ipv4Address(id) == 0)
            {
                throw new IllegalArgumentException("service " + name + ": only IPv4 backends are supported");
            }
        }
    }

    /**
     * The direct engine's internal services that carry the NATed flows: one per backend address and virtual port,
     * {@code backend ip:vipPort} in front of {@code backend ip:backend port}, after the {@code direct} services.
     *
     * @throws IllegalArgumentException when two services would need the same backend address and port for different
     *                                  things (a direct service on a backend's address, or two pools naming one
     *                                  backend address with different ports or non-TLS actions).
     */
    public static List<DirectEngine.Service> engineServices(final List<DirectEngine.Service> direct,
        final List<VirtualService> services)
    {
        final Map<Long, DirectEngine.Service> byListen = new LinkedHashMap<>();
        final Map<Long, DirectEngine.Service> byBackend = new LinkedHashMap<>();
        for (final DirectEngine.Service service : direct)
        {
            byListen.put(key(service.ipv4Address(), service.listenPort()), service);
            byBackend.put(key(service.ipv4Address(), service.backendPort()), service);
        }
        final List<DirectEngine.Service> internal = new ArrayList<>();
        for (final VirtualService vs : services)
        {
            if (vs.delayedBinding())
            {
                continue; // the full-proxy engine's: it connects to the backends itself
            }
            for (int id = 0; id < vs.pool().backendCount(); id++)
            {
                final DirectEngine.Service wanted = new DirectEngine.Service(vs.pool().ipv4Address(id), vs.vipPort(),
                    vs.pool().port(id), vs.passNonTls());
                final DirectEngine.Service listening = byListen.get(key(wanted.ipv4Address(), wanted.listenPort()));
                final DirectEngine.Service serving = byBackend.get(key(wanted.ipv4Address(), wanted.backendPort()));
                if (wanted.equals(listening) && internal.contains(wanted))
                {
                    continue; // another pool with the same backend: one internal service carries both
                }
                if (null != listening || null != serving)
                {
                    throw new IllegalArgumentException("service " + vs.name() + ": backend " +
                        Backend.addressText(vs.pool().backend(id).address()) + " conflicts with another service " +
                        "on that address (a direct service, or a pool naming it with another port or non-TLS " +
                        "action)");
                }
                byListen.put(key(wanted.ipv4Address(), wanted.listenPort()), wanted);
                byBackend.put(key(wanted.ipv4Address(), wanted.backendPort()), wanted);
                internal.add(wanted);
            }
        }
        final List<DirectEngine.Service> all = new ArrayList<>(direct);
        all.addAll(internal);
        return all;
    }

    private static long key(final int address, final int port)
    {
        return (address & 0xFFFF_FFFFL) << 16 | port;
    }
}
