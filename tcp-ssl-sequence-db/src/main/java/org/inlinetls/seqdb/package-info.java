/**
 * The off-heap flow table and per-flow journal (DESIGN §5): one fixed-size entry per TCP flow in a Chronicle Map
 * persisted to tmpfs, holding the flow's sequence-space state, keys and a bounded ring of crypto checkpoints per
 * direction.
 */
package org.inlinetls.seqdb;
