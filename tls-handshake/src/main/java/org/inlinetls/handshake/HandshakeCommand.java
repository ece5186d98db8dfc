package org.inlinetls.handshake;

import org.agrona.BitUtil;
import org.agrona.concurrent.ringbuffer.RecordDescriptor;

/**
 * Layout and type ids of the commands a {@link HandshakeProxy} writes into its worker's command ring for the
 * {@link HandshakeAgent}.
 * <p>
 * Each command is one Agrona ring-buffer record (its header, not drawn, carries the type id and length); the
 * flow id is in native byte order, since the record never leaves the process:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                          Flow Id                              |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |           Client bytes (START and CLIENT_BYTES only)         ...
 * ...                                                              |
 *  +---------------------------------------------------------------+
 * </pre>
 */
final class HandshakeCommand
{
    /** The first bytes of a new flow's client stream: creates the flow's engine. */
    static final int START = 1;
    /** More bytes of a flow's client stream. */
    static final int CLIENT_BYTES = 2;
    /** Forget the flow: its engine is dropped without a result. */
    static final int ABORT = 3;

    static final int FLOW_ID_OFFSET = 0;
    static final int FLOW_ID_LENGTH = Long.BYTES;
    static final int BYTES_OFFSET = FLOW_ID_OFFSET + FLOW_ID_LENGTH;

    private HandshakeCommand()
    {
    }

    /** The room a command carrying {@code bytesLength} client bytes takes in the ring, header and padding included. */
    static int alignedRecordLength(final int bytesLength)
    {
        return BitUtil.align(RecordDescriptor.HEADER_LENGTH + BYTES_OFFSET + bytesLength, RecordDescriptor.ALIGNMENT);
    }
}
