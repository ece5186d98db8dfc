package org.inlinetls.appliance.replay;

import org.inlinetls.handshake.KeyLogHandshake;
import org.inlinetls.handshake.ServerHandshake;
import org.inlinetls.handshake.keylog.KeyLogFile;
import org.inlinetls.modes.direct.HandshakeFactory;
import org.inlinetls.seqdb.FlowKey;

import java.util.ArrayList;
import java.util.List;

/**
 * The replay's handshakes: each flow's handshake is stood in for by a {@link KeyLogHandshake} over the appliance's
 * stream to that client as the outside leg captured it, with the secrets of the key log.
 */
final class ReplayHandshakes implements HandshakeFactory
{
    private final KeyLogFile keyLog;
    private final ClientStreams toClients;
    private final PortRemap ports;
    private final List<String> flows = new ArrayList<>();
    private final List<KeyLogHandshake> handshakes = new ArrayList<>();

    ReplayHandshakes(final KeyLogFile keyLog, final ClientStreams toClients, final PortRemap ports)
    {
        this.keyLog = keyLog;
        this.toClients = toClients;
        this.ports = ports;
    }

    @Override
    public ServerHandshake newHandshake(final FlowKey clientToServer)
    {
        final int address = (int)clientToServer.sourceLow();
        final int port = ports.originalPort(clientToServer.sourcePort());
        final KeyLogHandshake handshake = new KeyLogHandshake(keyLog, () -> toClients.stream(address, port));
        flows.add(clientToServer.toString());
        handshakes.add(handshake);
        return handshake;
    }

    /** Handshakes stood in for. */
    int count()
    {
        return handshakes.size();
    }

    /** One line per handshake that could not be stood in for, with its reason (no secrets). */
    List<String> failures()
    {
        final List<String> failures = new ArrayList<>();
        for (int i = 0; i < handshakes.size(); i++)
        {
            if (handshakes.get(i).isFailed())
            {
                failures.add(flows.get(i) + ": " + handshakes.get(i).failureReason());
            }
        }
        return failures;
    }
}
