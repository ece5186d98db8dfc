package org.inlinetls.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Time spent inside the server engine during handshake benchmarks, reported by JMH next to the score.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class ServerHandshakeTime
{
    public long serverNs;
    public long handshakes;

    @Setup(Level.Iteration)
    public void reset()
    {
        serverNs = 0;
        handshakes = 0;
    }
}
