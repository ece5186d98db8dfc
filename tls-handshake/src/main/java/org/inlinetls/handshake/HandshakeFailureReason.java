package org.inlinetls.handshake;

/**
 * Why a flow's handshake ended without keys, as reported to {@link HandshakeResultHandler#onHandshakeFailed}.
 */
public enum HandshakeFailureReason
{
    /** The client's bytes broke the handshake: the result carries our fatal alert, to send before closing. */
    PROTOCOL_ERROR,
    /** The client sent a fatal alert; the result's alert description is the client's. */
    PEER_ALERT,
    /** The agent already held its maximum of concurrent handshakes: the flow was never started. */
    CAPACITY,
    /** The handshake did not finish before its deadline. */
    EXPIRED,
    /** The agent failed on this flow (a bug, logged and counted); nothing is to be sent. */
    INTERNAL_ERROR
}
