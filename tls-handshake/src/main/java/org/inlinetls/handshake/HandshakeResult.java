package org.inlinetls.handshake;

/**
 * One result travelling from a {@link HandshakeAgent} to the worker that owns the flow; allocated on the handshake
 * side, read (never allocated) on the worker side, and never touched again by the agent once queued.
 */
final class HandshakeResult
{
    static final byte[] NO_BYTES = new byte[0];

    enum Type
    {
        OUTPUT, COMPLETE, RETURNED, FAILED
    }

    final Type type;
    final long flowId;
    final byte[] bytes;
    final NegotiatedKeys keys;
    final long clientHandshakeBytes;
    final HandshakeFailureReason reason;
    final int alertDescription;

    private HandshakeResult(
        final Type type,
        final long flowId,
        final byte[] bytes,
        final NegotiatedKeys keys,
        final long clientHandshakeBytes,
        final HandshakeFailureReason reason,
        final int alertDescription)
    {
        this.type = type;
        this.flowId = flowId;
        this.bytes = bytes;
        this.keys = keys;
        this.clientHandshakeBytes = clientHandshakeBytes;
        this.reason = reason;
        this.alertDescription = alertDescription;
    }

    static HandshakeResult output(final long flowId, final byte[] bytes)
    {
        return new HandshakeResult(Type.OUTPUT, flowId, bytes, null, 0, null, HandshakeEngine.NO_ALERT);
    }

    static HandshakeResult complete(final long flowId, final NegotiatedKeys keys, final long clientHandshakeBytes)
    {
        return new HandshakeResult(
            Type.COMPLETE, flowId, NO_BYTES, keys, clientHandshakeBytes, null, HandshakeEngine.NO_ALERT);
    }

    static HandshakeResult returned(final long flowId, final byte[] bytes)
    {
        return new HandshakeResult(Type.RETURNED, flowId, bytes, null, 0, null, HandshakeEngine.NO_ALERT);
    }

    static HandshakeResult failed(
        final long flowId, final HandshakeFailureReason reason, final int alertDescription, final byte[] bytes)
    {
        return new HandshakeResult(Type.FAILED, flowId, bytes, null, 0, reason, alertDescription);
    }

    @Override
    public String toString()
    {
        return "HandshakeResult{" + type + ", flowId=" + flowId + ", bytes=" + bytes.length +
            (null != reason ? ", " + reason + ", alert=" + AlertNames.name(alertDescription) : "") + "}";
    }
}
