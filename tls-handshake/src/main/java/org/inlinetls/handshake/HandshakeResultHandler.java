package org.inlinetls.handshake;

import org.agrona.DirectBuffer;

/**
 * Receives a {@link HandshakeAgent}'s results on the worker thread that drains them with
 * {@link HandshakeProxy#drainResults}; buffers are valid only during the call.
 * <p>
 * For one flow the calls come in the order the agent produced them: any number of outputs, then either one
 * completion or one failure. Client bytes the handshake did not take come back through
 * {@link #onClientBytesReturned}, in stream order, after the completion.
 */
public interface HandshakeResultHandler
{
    /**
     * Handshake bytes to send to the client (the appliance's flight), in order.
     */
    void onHandshakeOutput(long flowId, DirectBuffer buffer, int offset, int length);

    /**
     * The client's Finished was verified: the keys now belong to the caller, who destroys them when the flow ends.
     *
     * @param clientHandshakeBytes how many bytes of the client's stream the handshake took; every byte offered
     *                             after them comes back through {@link #onClientBytesReturned}.
     */
    void onHandshakeComplete(long flowId, NegotiatedKeys keys, long clientHandshakeBytes);

    /**
     * Client bytes offered for a flow that is no longer in handshake (the request sent with the Finished, or
     * anything offered after the completion, failure, abort or expiry): they belong to the record layer, or to
     * nobody.
     */
    void onClientBytesReturned(long flowId, DirectBuffer buffer, int offset, int length);

    /**
     * The handshake ended without keys; no more results follow for the flow except returned bytes.
     *
     * @param alertDescription the fatal alert (ours, or the peer's for {@link HandshakeFailureReason#PEER_ALERT}),
     *                         or {@link HandshakeEngine#NO_ALERT}.
     * @param buffer           bytes to send to the client before closing (our alert record); may be empty.
     */
    void onHandshakeFailed(
        long flowId, HandshakeFailureReason reason, int alertDescription, DirectBuffer buffer, int offset, int length);
}
