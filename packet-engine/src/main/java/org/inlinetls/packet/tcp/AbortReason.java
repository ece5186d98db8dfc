package org.inlinetls.packet.tcp;

/**
 * Why a {@link TcpEndpoint} ended without the orderly FIN exchange.
 */
public enum AbortReason
{
    /** Not aborted. */
    NONE,
    /** A valid RST arrived (RFC 9293 §3.10.7.4, second step). */
    RESET_RECEIVED,
    /** The SYN was answered by a RST (RFC 9293 §3.10.7.3). */
    CONNECTION_REFUSED,
    /** The retransmission timer expired more often in a row than the configured limit (RFC 9293 §3.8.3, R2). */
    RETRANSMISSION_TIMEOUT,
    /** The application called {@link TcpEndpoint#abort()}. */
    LOCAL_ABORT
}
