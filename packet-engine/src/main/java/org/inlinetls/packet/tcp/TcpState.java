package org.inlinetls.packet.tcp;

/**
 * Connection states of RFC 9293 §3.3.2; {@code CLOSED} is both the initial and the final state.
 */
public enum TcpState
{
    CLOSED(false),
    LISTEN(false),
    SYN_SENT(false),
    SYN_RECEIVED(false),
    ESTABLISHED(true),
    FIN_WAIT_1(true),
    FIN_WAIT_2(true),
    CLOSE_WAIT(true),
    CLOSING(true),
    LAST_ACK(true),
    TIME_WAIT(true);

    private final boolean synchronizedState;

    TcpState(final boolean synchronizedState)
    {
        this.synchronizedState = synchronizedState;
    }

    /** True once both SYNs have been seen and acknowledged (RFC 9293 §3.10.7.4 applies). */
    public boolean isSynchronized()
    {
        return synchronizedState;
    }

    /** True in the states where segment text from the peer is still taken (RFC 9293 §3.10.7.4, seventh step). */
    public boolean acceptsData()
    {
        return this == ESTABLISHED || this == FIN_WAIT_1 || this == FIN_WAIT_2;
    }

    /** True in the states where this side may still send data or its FIN. */
    public boolean sendsData()
    {
        return this == ESTABLISHED || this == CLOSE_WAIT || this == FIN_WAIT_1 || this == CLOSING ||
            this == LAST_ACK;
    }
}
