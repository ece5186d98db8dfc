/**
 * TLS record protection with deferred authentication (DESIGN §6); built by the record-crypto issue.
 */
package org.inlinetls.crypto;
