/**
 * The full-proxy mode (DESIGN §1): the appliance terminates TCP on both legs with userspace TCP endpoints, TLS on the
 * client leg and plain TCP to the backend, with bounded per-flow buffers and a global memory budget.
 */
package org.inlinetls.modes.proxy;
