package org.inlinetls.modes.direct;

import org.inlinetls.handshake.ServerHandshake;
import org.inlinetls.seqdb.FlowKey;

/**
 * Makes the handshake of each new intercepted flow: the appliance's own {@link org.inlinetls.handshake.HandshakeEngine}
 * (the default), or, when a capture is replayed, a stand-in that plays back the captured flights with keys from the
 * key log ({@link org.inlinetls.handshake.KeyLogHandshake}).
 */
@FunctionalInterface
public interface HandshakeFactory
{
    /**
     * @param clientToServer the flow's key, client to server (valid during the call only).
     */
    ServerHandshake newHandshake(FlowKey clientToServer);
}
