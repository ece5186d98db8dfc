package org.inlinetls.handshake.keylog;

/**
 * Where the handshake hands the secrets of each completed handshake when the (opt-in) key log export is on. Called
 * on the thread that completed the handshake, which may be a data-path thread: an implementation never blocks.
 */
@FunctionalInterface
public interface KeyLogSink
{
    /**
     * Takes ownership of {@code entry}: it is written later and then destroyed, or destroyed at once (and counted)
     * when it cannot be queued.
     */
    void offer(KeyLogEntry entry);
}
