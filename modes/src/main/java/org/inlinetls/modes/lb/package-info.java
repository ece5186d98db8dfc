/**
 * The load-balancing mode (DESIGN §1): the data path's {@link org.inlinetls.modes.lb.LbNatStage} (NAT of each flow
 * to a virtual address onto a backend, in front of the direct engine) and its building blocks: the backend pool and
 * its selection algorithms, client-address and cookie persistence, health checks, and the PROXY protocol v2 header
 * (cookie persistence and the PROXY header are not wired to the data path yet).
 * <p>
 * Threads: a {@link org.inlinetls.modes.lb.BackendPool} (selection state, connection counts) and a
 * {@link org.inlinetls.modes.lb.SourcePersistenceTable} belong to one data-path thread; a
 * {@link org.inlinetls.modes.lb.BackendHealth} is written by one {@link org.inlinetls.modes.lb.HealthCheckAgent}
 * and read by any number of data-path threads. Nothing here takes a lock or allocates on the data path.
 */
package org.inlinetls.modes.lb;
