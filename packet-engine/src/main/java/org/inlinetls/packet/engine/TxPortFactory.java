package org.inlinetls.packet.engine;

import org.inlinetls.packet.port.PacketPort;

/**
 * Supplies each worker's own transmit port for one side: a TX-only socket on that side's interface in production,
 * an in-memory port in tests. Called on the assembling thread; the port is then used only by its worker.
 */
@FunctionalInterface
public interface TxPortFactory
{
    /**
     * @param workerIndex the worker, 0-based.
     * @param side        the side the port transmits on.
     * @return a port only {@link PacketPort#send}, {@link PacketPort#flush} and {@link PacketPort#txRoom} of which are
     * used; its receive side is never polled.
     */
    PacketPort newTxPort(int workerIndex, Side side);
}
