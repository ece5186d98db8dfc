/**
 * The load-balancing mode (DESIGN §1): the data path's {@link org.inlinetls.modes.lb.LbNatStage} (NAT of each flow
 * to a virtual address onto a backend, in front of the direct engine) and its building blocks: the backend pool and
 * its selection algorithms, client-address and cookie persistence, health checks, and the PROXY protocol v2 header.
 * <p>
 * Two data paths: a service without cookie persistence or PROXY header is NATed at the client's SYN (cut-through
 * through the direct engine); one with either ({@link org.inlinetls.modes.lb.VirtualService#delayedBinding()}) needs
 * the backend chosen after the TLS handshake, from the first request, so the full-proxy engine carries it
 * ({@code org.inlinetls.modes.proxy.Balancing}: the appliance terminates both legs and opens the backend leg once the
 * cookie was read, the PROXY header first). The NAT stage still answers ARP for such a virtual address and learns its
 * backends' MACs; the pools, health checks and persistence tables are the same classes.
 * <p>
 * Threads: a {@link org.inlinetls.modes.lb.BackendPool} (selection state, connection counts) and a
 * {@link org.inlinetls.modes.lb.SourcePersistenceTable} belong to one data-path thread; a
 * {@link org.inlinetls.modes.lb.BackendHealth} is written by one {@link org.inlinetls.modes.lb.HealthCheckAgent}
 * and read by any number of data-path threads. Nothing here takes a lock or allocates on the data path.
 */
package org.inlinetls.modes.lb;
