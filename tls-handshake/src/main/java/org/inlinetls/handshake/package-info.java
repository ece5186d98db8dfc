/**
 * The appliance's TLS server side on BouncyCastle (DESIGN §7); built by the tls-handshake issue.
 */
package org.inlinetls.handshake;
