/**
 * The off-heap flow table and per-flow journal (DESIGN §5); built by the direct-mode issue.
 */
package org.inlinetls.seqdb;
