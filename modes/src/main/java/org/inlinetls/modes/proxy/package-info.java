/**
 * The full-proxy mode (DESIGN §1): the appliance terminates TCP on both legs with userspace TCP endpoints, TLS on the
 * client leg and plain TCP to the backend, with bounded per-flow buffers and a global memory budget.
 * <p>
 * It also carries the load-balanced services whose backend must be chosen after the TLS handshake (delayed binding,
 * {@link org.inlinetls.modes.proxy.Balancing}): persistence by a cookie read from the first decrypted request, and the
 * PROXY protocol v2 header written ahead of the plaintext. Cut-through cannot do either: it passes the client's SYN to
 * the backend before any byte of the request exists, and it has no stream position to insert a header at.
 */
package org.inlinetls.modes.proxy;
