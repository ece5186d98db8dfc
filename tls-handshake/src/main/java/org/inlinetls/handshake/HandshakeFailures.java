package org.inlinetls.handshake;

/**
 * Failed handshakes counted by alert, for a mode's metrics: the fatal alert the appliance sent the client, or, when
 * the client gave up first, the one it sent. One engine thread writes, a publisher on the same thread reads.
 * Fixed arrays, nothing allocated when counting.
 */
public final class HandshakeFailures
{
    /** Alert descriptions are one byte (RFC 8446 §6). */
    public static final int ALERTS = 256;

    private final long[] sent = new long[ALERTS];
    private final long[] received = new long[ALERTS];
    private long withoutAlert;

    /** Counts one failed handshake by its alert. */
    public void record(final ServerHandshake handshake)
    {
        final int out = handshake.alertSent();
        final int in = handshake.alertReceived();
        if (out >= 0 && out < ALERTS)
        {
            sent[out]++;
        }
        else if (in >= 0 && in < ALERTS)
        {
            received[in]++;
        }
        else
        {
            withoutAlert++;
        }
    }

    /** Handshakes that failed with this alert sent to the client. */
    public long sent(final int alert)
    {
        return sent[alert];
    }

    /** Handshakes the client ended with this alert (the appliance sent none). */
    public long received(final int alert)
    {
        return received[alert];
    }

    /** Handshakes that failed with no alert either way (e.g. the flight did not fit). */
    public long withoutAlert()
    {
        return withoutAlert;
    }
}
