/**
 * Streaming AEAD primitives: the JDK's intrinsified AES-CTR, GHASH, ChaCha20 and Poly1305 driven piece by piece
 * with saveable state (DESIGN §6).
 */
package org.inlinetls.crypto.aead;
