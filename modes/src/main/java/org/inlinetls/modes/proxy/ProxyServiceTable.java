package org.inlinetls.modes.proxy;

import java.util.List;
import java.util.Objects;

import org.inlinetls.handshake.HandshakeConfig;

/**
 * The full-proxy services and live settings a configuration reload gives a running {@link ProxyEngine}, built off the
 * data path and applied on its thread ({@link ProxyEngine#applyServices}): new SYNs follow it at once, flows in flight
 * keep the {@link ProxyEngine.Service} they started with, and flows of a service that no mode serves any more are
 * reset on both legs.
 *
 * @param services          the full-proxy services, in lookup order.
 * @param handshake         the TLS policy and certificate selector of handshakes that start from now on.
 * @param elsewhere         the services other modes' engines on the same bridge serve now (as address, listen port
 *                          and backend port): a flow whose service moved there finishes here, and a backend segment
 *                          of no full-proxy flow from one of their backends is left to those engines.
 * @param handedOver        full-proxy services that another mode served before (a mode switch): a client or backend
 *                          segment of no full-proxy flow may belong to a flow in flight there, so it is left to the
 *                          next engine rather than answered with a RST.
 * @param memoryBudgetBytes the sum of every flow's buffers above which new flows are refused.
 * @param idleTimeoutNs     a flow with no frame this long is reset on both legs.
 * @param timeWaitNs        TIME-WAIT of endpoints opened from now on.
 */
public record ProxyServiceTable(
    List<ProxyEngine.Service> services,
    HandshakeConfig handshake,
    List<ProxyEngine.Service> elsewhere,
    List<ProxyEngine.Service> handedOver,
    long memoryBudgetBytes,
    long idleTimeoutNs,
    long timeWaitNs)
{
    public ProxyServiceTable
    {
        services = List.copyOf(services);
        Objects.requireNonNull(handshake, "handshake");
        elsewhere = List.copyOf(elsewhere);
        handedOver = List.copyOf(handedOver);
    }

    /** @return whether another mode's engine serves this address and listen port now. */
    boolean servedElsewhere(final ProxyEngine.Service service)
    {
        for (final ProxyEngine.Service s : elsewhere)
        {
            if (s.ipv4Address() == service.ipv4Address() && s.listenPort() == service.listenPort())
            {
                return true;
            }
        }
        return false;
    }
}
