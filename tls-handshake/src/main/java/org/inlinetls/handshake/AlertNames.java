package org.inlinetls.handshake;

import org.bouncycastle.tls.AlertDescription;

/**
 * Names of TLS alert descriptions for logs and counters (RFC 8446 §6, through BouncyCastle's registry).
 */
public final class AlertNames
{
    private AlertNames()
    {
    }

    /** The registry name of {@code description}, or "none" for {@link HandshakeEngine#NO_ALERT}. */
    public static String name(final int description)
    {
        return description == HandshakeEngine.NO_ALERT ? "none" : AlertDescription.getName((short)description);
    }
}
