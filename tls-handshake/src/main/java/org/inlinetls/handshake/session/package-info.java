/**
 * TLS 1.2 session resumption for the appliance's server: session states, the stores that keep them by session id
 * (embedded Chronicle Map on tmpfs, heap) and the rotating keys that seal RFC 5077 tickets.
 */
package org.inlinetls.handshake.session;
