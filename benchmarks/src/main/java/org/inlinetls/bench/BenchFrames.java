package org.inlinetls.bench;

import java.nio.ByteBuffer;

/**
 * Frames for benchmarks: Ethernet + IPv4 + TCP with a timestamp option, padded with payload to a total size.
 */
final class BenchFrames
{
    private BenchFrames()
    {
    }

    /** A client-to-server TCP frame of exactly {@code frameBytes}: timestamps when there is room (66+), else none. */
    static byte[] tcpFrame(final int frameBytes)
    {
        final int ipLength = frameBytes - 14;
        final boolean timestamps = ipLength >= 20 + 32;
        final int payload = ipLength - 20 - (timestamps ? 32 : 20);
        if (payload < 0)
        {
            throw new IllegalArgumentException("frame too small: " + frameBytes);
        }
        final ByteBuffer frame = ByteBuffer.allocate(frameBytes);
        frame.put(new byte[]{2, 0, 0, 0, 0, 2}).put(new byte[]{2, 0, 0, 0, 0, 1}).putShort((short)0x0800);
        frame.put((byte)0x45).put((byte)0).putShort((short)ipLength).putShort((short)1).putShort((short)0x4000)
            .put((byte)64).put((byte)6).putShort((short)0)
            .put(new byte[]{(byte)198, 18, 0, 1}).put(new byte[]{(byte)198, 18, 0, 2});
        frame.putShort((short)40000).putShort((short)443).putInt(1).putInt(1)
            .put((byte)(timestamps ? 0x80 : 0x50)).put((byte)0x18).putShort((short)501).putShort((short)0)
            .putShort((short)0);
        if (timestamps)
        {
            frame.put((byte)1).put((byte)1).put((byte)8).put((byte)10).putInt(12345).putInt(54321);
        }
        while (frame.hasRemaining())
        {
            frame.put((byte)0x5a);
        }
        return frame.array();
    }
}
