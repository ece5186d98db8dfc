/**
 * Control-plane building blocks of the load-balancing mode (DESIGN §1): the backend pool and its selection
 * algorithms, client-address and cookie persistence, health checks, and the PROXY protocol v2 header.
 * <p>
 * Threads: a {@link org.inlinetls.modes.lb.BackendPool} (selection state, connection counts) and a
 * {@link org.inlinetls.modes.lb.SourcePersistenceTable} belong to one data-path thread; a
 * {@link org.inlinetls.modes.lb.BackendHealth} is written by one {@link org.inlinetls.modes.lb.HealthCheckAgent}
 * and read by any number of data-path threads. Nothing here takes a lock or allocates on the data path.
 */
package org.inlinetls.modes.lb;
