package org.inlinetls.packet.engine;

import java.nio.ByteBuffer;

/**
 * Hand-built frames for engine and port tests (built byte by byte, independent of the flyweights under test).
 */
public final class SampleFrames
{
    public static final byte[] CLIENT_MAC = {0x02, 0, 0, 0, 0, 0x01};
    public static final byte[] SERVER_MAC = {0x02, 0, 0, 0, 0, 0x02};

    private SampleFrames()
    {
    }

    /** Ethernet + IPv4 + TCP (no options) + payload, with valid lengths (checksums left zero). */
    public static byte[] tcp(final byte[] src, final byte[] dst, final int srcPort, final int dstPort,
        final int seq, final int payloadLength)
    {
        final int ipLength = 20 + 20 + payloadLength;
        final ByteBuffer frame = ByteBuffer.allocate(14 + ipLength);
        frame.put(dst).put(src).putShort((short)0x0800);
        frame.put((byte)0x45).put((byte)0).putShort((short)ipLength).putShort((short)1).putShort((short)0x4000)
            .put((byte)64).put((byte)6).putShort((short)0)
            .put(new byte[]{(byte)198, 18, 0, 1}).put(new byte[]{(byte)198, 18, 0, 2});
        frame.putShort((short)srcPort).putShort((short)dstPort).putInt(seq).putInt(0)
            .put((byte)0x50).put((byte)0x18).putShort((short)65535).putShort((short)0).putShort((short)0);
        for (int i = 0; i < payloadLength; i++)
        {
            frame.put((byte)(i * 31 + seq));
        }
        return frame.array();
    }

    /** A client-to-server TCP frame with a payload. */
    public static byte[] clientTcp(final int seq, final int payloadLength)
    {
        return tcp(CLIENT_MAC, SERVER_MAC, 40000, 80, seq, payloadLength);
    }

    /** A server-to-client TCP frame with a payload. */
    public static byte[] serverTcp(final int seq, final int payloadLength)
    {
        return tcp(SERVER_MAC, CLIENT_MAC, 80, 40000, seq, payloadLength);
    }

    /** A broadcast ARP request from the client. */
    public static byte[] arpRequest()
    {
        final ByteBuffer frame = ByteBuffer.allocate(42);
        frame.put(new byte[]{-1, -1, -1, -1, -1, -1}).put(CLIENT_MAC).putShort((short)0x0806);
        frame.putShort((short)1).putShort((short)0x0800).put((byte)6).put((byte)4).putShort((short)1)
            .put(CLIENT_MAC).put(new byte[]{(byte)198, 18, 0, 1})
            .put(new byte[6]).put(new byte[]{(byte)198, 18, 0, 2});
        return frame.array();
    }
}
