/**
 * Flow logic of the direct, load-balancing and full-proxy modes (DESIGN §1, §6); built by later issues.
 */
package org.inlinetls.modes;
