/**
 * The appliance's TLS server side on BouncyCastle's non-blocking TlsServerProtocol (DESIGN §7): it answers the
 * client's handshake and hands the negotiated keys to record-crypto; BouncyCastle never touches data-path records.
 */
package org.inlinetls.handshake;
