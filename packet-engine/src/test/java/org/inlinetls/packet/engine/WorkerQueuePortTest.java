package org.inlinetls.packet.engine;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.packet.port.FrameHandler;
import org.inlinetls.packet.port.PacketPort;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkerQueuePortTest
{
    @Test
    void shouldTransmitThroughTheWorkersOwnPortForItsSide()
    {
        final WorkerLane lane = new WorkerLane(2, 4, 2048);
        final RecordingTxPort tx = new RecordingTxPort();
        final WorkerQueuePort view = WorkerQueuePort.open(lane, Side.INSIDE, (worker, side) ->
        {
            assertEquals(2, worker);
            assertEquals(Side.INSIDE, side);
            return tx;
        });

        assertEquals("worker-2-inside", view.name());
        assertTrue(view.send(new UnsafeBuffer(new byte[64]), 0, 64));
        assertEquals(1, tx.sent);
        assertEquals(7, view.flush(123));
        assertEquals(123, tx.flushedAtNs);
        assertEquals(5, view.txRoom());
        assertEquals(9, view.txErrors());
        view.close();
        assertTrue(tx.closed);
    }

    @Test
    void shouldReceiveOnlyFramesOfItsSide()
    {
        final WorkerLane lane = new WorkerLane(0, 4, 2048);
        final FrameSlot fromOutside = lane.takeFreeSlot();
        fromOutside.fill(Side.OUTSIDE, new UnsafeBuffer(new byte[]{1, 2, 3}), 0, 3, 77);
        assertTrue(lane.offerInbound(fromOutside));
        final WorkerQueuePort insideView = new WorkerQueuePort(lane, Side.INSIDE, new RecordingTxPort());
        final WorkerQueuePort outsideView = new WorkerQueuePort(lane, Side.OUTSIDE, new RecordingTxPort());
        final FrameHandler failing = (buffer, offset, length, ts) -> { throw new AssertionError("wrong side"); };

        assertEquals(0, insideView.receive(failing, 10));
        final long[] got = new long[3];
        assertEquals(1, outsideView.receive((buffer, offset, length, ts) ->
        {
            got[0] = length;
            got[1] = buffer.getByte(offset + 2);
            got[2] = ts;
        }, 10));
        assertEquals(3, got[0]);
        assertEquals(3, got[1]);
        assertEquals(77, got[2]);
        assertEquals(4, lane.freeSlots());
        assertFalse(outsideView.isEndOfStream());
    }

    @Test
    void shouldRejectEmptyPools()
    {
        assertThrows(IllegalArgumentException.class, () -> new WorkerLane(0, 0, 2048));
        assertThrows(IllegalArgumentException.class, () -> WorkerLane.newLanes(0, 4, 2048));
    }

    private static final class RecordingTxPort implements PacketPort
    {
        int sent;
        long flushedAtNs;
        boolean closed;

        @Override
        public String name()
        {
            return "tx";
        }

        @Override
        public int receive(final FrameHandler handler, final int limit)
        {
            throw new AssertionError("a transmit port is never polled");
        }

        @Override
        public boolean send(final DirectBuffer buffer, final int offset, final int length)
        {
            sent++;
            return true;
        }

        @Override
        public int flush(final long nowNs)
        {
            flushedAtNs = nowNs;
            return 7;
        }

        @Override
        public int txRoom()
        {
            return 5;
        }

        @Override
        public long txErrors()
        {
            return 9;
        }

        @Override
        public void close()
        {
            closed = true;
        }
    }
}
