package org.inlinetls.handshake;

/**
 * The counters of one {@link HandshakeAgent}: stable type ids and labels, exported as {@code <role> <label>}
 * (Aeron's {@code SystemCounterDescriptor} pattern). Ids never change meaning once released; the 200 range keeps
 * them apart from the packet engine's.
 */
public enum HandshakeCounterDescriptor
{
    /** Handshakes the agent took on (an engine was created). */
    STARTED(201, "started"),
    /** Handshakes that handed keys over. */
    COMPLETED(202, "completed"),
    /** Handshakes ended by an alert, ours or the client's, or by an internal error. */
    FAILED(203, "failed"),
    /** Offers refused because the worker's command queue was full (written by the workers, not the agent). */
    REFUSED_OVERLOAD(204, "refused_overload"),
    /** New flows refused because the agent held its maximum of concurrent handshakes. */
    REFUSED_CAPACITY(205, "refused_capacity"),
    /** Handshakes dropped at their deadline. */
    EXPIRED(206, "expired"),
    /** Handshakes dropped on the worker's request. */
    ABORTED(207, "aborted"),
    /** Handshakes in progress now (a gauge). */
    ACTIVE(208, "active"),
    /** Offers handed back because their flow was no longer in handshake. */
    RETURNED(209, "returned"),
    /** Commands that failed inside the agent or made no sense (a duplicate start): each is logged, rate-limited. */
    ERRORS(210, "errors");

    private final int typeId;
    private final String label;

    HandshakeCounterDescriptor(final int typeId, final String label)
    {
        this.typeId = typeId;
        this.label = label;
    }

    public int typeId()
    {
        return typeId;
    }

    public String label()
    {
        return label;
    }
}
