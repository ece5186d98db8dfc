package org.inlinetls.handshake;

/**
 * The server side of one TLS handshake as a flow drives it, free of I/O: the client's bytes go in, the appliance's
 * flight comes out, and the negotiated keys are taken once it completes. {@link HandshakeEngine} answers clients;
 * {@link KeyLogHandshake} stands in for it when a capture is replayed with its key log.
 */
public interface ServerHandshake
{
    /**
     * Offers the next bytes of the client's stream.
     *
     * @return how many bytes the handshake took: all of them, except when it completed (or failed) inside this call,
     * when the rest belongs to the record layer (or to nobody).
     */
    int offer(byte[] src, int offset, int length);

    /**
     * Moves up to {@code max} bytes of the appliance's output to {@code dst}; call again after completion.
     *
     * @return the bytes written.
     */
    int readOutput(byte[] dst, int offset, int max);

    /** True once the client's Finished has been processed: the keys are ready. */
    boolean isComplete();

    /** True when the handshake has failed; the output may hold the alert to send before closing. */
    boolean isFailed();

    /** After a failure: the fatal alert sent to the client (RFC 8446 §6), or -1 when none is known. */
    default int alertSent()
    {
        return -1;
    }

    /** After a failure: the fatal alert the client sent, or -1 when none. */
    default int alertReceived()
    {
        return -1;
    }

    /** Hands the negotiated keys over, once; the caller destroys them when the flow ends. */
    NegotiatedKeys takeKeys();

    /** Forgets the handshake and zeroes keys not taken. */
    void release();
}
