package org.inlinetls.modes.direct;

import java.util.List;
import java.util.Objects;

import org.inlinetls.handshake.HandshakeConfig;

/**
 * An immutable set of protected services and the TLS policy new handshakes use, built off the data path (a
 * configuration reload) and handed to a running {@link DirectEngine} through its {@link ServicesProxy}.
 * <p>
 * A service is identified by its address and listen port: a service of the new table with the same identity as one
 * of the old is the same service (flows in flight keep the settings they started with); an old service whose
 * identity is absent from the new table was removed (its flows are reset), unless another mode on the same bridge
 * serves that identity now ({@link #elsewhere()}: the service changed its mode, and its flows in flight finish here in
 * the mode they started in).
 *
 * @param services  the services, in lookup order.
 * @param handshake the TLS policy and certificate selector of handshakes that start from now on.
 * @param elsewhere services (address and listen port are what counts) that other modes' engines on the same bridge
 *                  serve: a flow of the old table whose identity is here is kept, not reset.
 */
public record ServiceTable(List<DirectEngine.Service> services, HandshakeConfig handshake,
    List<DirectEngine.Service> elsewhere)
{
    public ServiceTable
    {
        services = List.copyOf(services);
        Objects.requireNonNull(handshake, "handshake");
        elsewhere = List.copyOf(elsewhere);
    }

    /** A table of a bridge that runs this engine alone: a service absent from it is removed. */
    public ServiceTable(final List<DirectEngine.Service> services, final HandshakeConfig handshake)
    {
        this(services, handshake, List.of());
    }

    /** @return whether another mode's engine serves this address and listen port now (control path). */
    boolean servedElsewhere(final int ipv4Address, final int listenPort)
    {
        for (final DirectEngine.Service s : elsewhere)
        {
            if (s.ipv4Address() == ipv4Address && s.listenPort() == listenPort)
            {
                return true;
            }
        }
        return false;
    }

    /** @return the service with this address and listen port, or null. */
    DirectEngine.Service byListen(final int ipv4Address, final int listenPort)
    {
        for (int i = 0, n = services.size(); i < n; i++)
        {
            final DirectEngine.Service s = services.get(i);
            if (s.ipv4Address() == ipv4Address && s.listenPort() == listenPort)
            {
                return s;
            }
        }
        return null;
    }

    /** @return the service with this address and backend port, or null. */
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
}
