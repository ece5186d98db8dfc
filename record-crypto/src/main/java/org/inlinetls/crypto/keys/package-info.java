/**
 * Key derivation for the record layer: the TLS 1.2 PRF and key block (RFC 5246, RFC 7627) and the TLS 1.3 key
 * schedule (RFC 8446 §7), built on the JDK's HMAC only; control path, allocation is fine (DESIGN §6).
 * <p>
 * Secrets are plain {@code byte[]} owned by the caller; they never appear in {@code toString()}, logs or exception
 * messages, and {@link org.inlinetls.crypto.keys.Secrets#zero} wipes them once installed.
 */
package org.inlinetls.crypto.keys;
