/**
 * TLS 1.2 AES-CBC + HMAC record protection (legacy suites, off by default; DESIGN §6): piecewise decryption with the
 * padding and MAC checked in constant time at the record's end, per-segment record encryption with deterministic
 * IVs, and SHA-1/SHA-256 with saveable state.
 */
package org.inlinetls.crypto.cbc;
