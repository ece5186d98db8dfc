package org.inlinetls.appliance.replay;

import java.util.Arrays;

/**
 * Client ports for a capture replayed several times ({@code --repeat}): round 0 keeps the captured ports, each later
 * round gives each captured client port a port of its own (handed out from 1024 up, skipping the captured ones and
 * the service ports), so every round's connections are new flows to the engine.
 */
final class PortRemap
{
    private static final int FIRST_PORT = 1024;

    private final int[] original = new int[65_536];
    /** By round - 1 and captured port: the port used, 0 before it is handed out. */
    private final int[][] assigned;
    private final boolean[] reserved = new boolean[65_536];
    private int next = FIRST_PORT;

    /**
     * @param rounds         how many times the capture is replayed.
     * @param reservedPorts  ports never handed out (the captured client ports, the services' ports).
     */
    PortRemap(final int rounds, final int[] reservedPorts)
    {
        for (int port = 0; port < original.length; port++)
        {
            original[port] = port;
        }
        for (final int port : reservedPorts)
        {
            reserved[port & 0xFFFF] = true;
        }
        assigned = new int[Math.max(0, rounds - 1)][];
    }

    /** The port a captured client port has in a round. */
    int port(final int round, final int capturedPort)
    {
        if (round == 0)
        {
            return capturedPort;
        }
        int[] ports = assigned[round - 1];
        if (null == ports)
        {
            ports = new int[65_536];
            assigned[round - 1] = ports;
        }
        if (ports[capturedPort] == 0)
        {
            while (next < 65_536 && reserved[next])
            {
                next++;
            }
            if (next >= 65_536)
            {
                throw new IllegalStateException("--repeat: more client connections than ports");
            }
            ports[capturedPort] = next;
            original[next] = capturedPort;
            reserved[next] = true;
        }
        return ports[capturedPort];
    }

    /** The captured port of a port used in some round. */
    int originalPort(final int port)
    {
        return original[port & 0xFFFF];
    }

    @Override
    public String toString()
    {
        return "PortRemap{" + assigned.length + " extra rounds, next port " + next + ", " +
            Arrays.stream(assigned).filter(a -> null != a).count() + " used}";
    }
}
