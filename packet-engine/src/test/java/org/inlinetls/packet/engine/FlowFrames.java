package org.inlinetls.packet.engine;

import java.nio.ByteBuffer;

/**
 * Hand-built frames of arbitrary flows (IPv4 or IPv6, TCP or UDP, 0 to 2 VLAN tags) for flow-hash and dispatch tests;
 * each frame ends with an 8-byte marker so a test can tell frames apart after they crossed the engine.
 */
final class FlowFrames
{
    static final int MARKER_LENGTH = Long.BYTES;
    static final int TCP = 6;
    static final int UDP = 17;

    private static final byte[] MAC_A = {0x02, 0, 0, 0, 0, 0x0A};
    private static final byte[] MAC_B = {0x02, 0, 0, 0, 0, 0x0B};

    private FlowFrames()
    {
    }

    /** One endpoint pair of a flow; addresses are 4 or 16 bytes. */
    record Tuple(int protocol, byte[] sourceAddress, int sourcePort, byte[] destinationAddress, int destinationPort)
    {
        Tuple reversed()
        {
            return new Tuple(protocol, destinationAddress, destinationPort, sourceAddress, sourcePort);
        }

        boolean isIpv6()
        {
            return sourceAddress.length == 16;
        }
    }

    /** Ethernet [+ tags] + IP + TCP/UDP + filler + marker. */
    static byte[] frame(final Tuple tuple, final int vlanTags, final int fillerLength, final long marker)
    {
        final int l4HeaderLength = tuple.protocol() == TCP ? 20 : 8;
        final int l4Length = l4HeaderLength + fillerLength + MARKER_LENGTH;
        final int ipHeaderLength = tuple.isIpv6() ? 40 : 20;
        final ByteBuffer frame = ByteBuffer.allocate(14 + 4 * vlanTags + ipHeaderLength + l4Length);
        frame.put(MAC_B).put(MAC_A);
        for (int i = 0; i < vlanTags; i++)
        {
            frame.putShort((short)(i == 0 && vlanTags == 2 ? 0x88A8 : 0x8100)).putShort((short)(100 + i));
        }
        if (tuple.isIpv6())
        {
            frame.putShort((short)0x86DD);
            frame.putInt(0x6000_0000).putShort((short)l4Length).put((byte)tuple.protocol()).put((byte)64)
                .put(tuple.sourceAddress()).put(tuple.destinationAddress());
        }
        else
        {
            frame.putShort((short)0x0800);
            frame.put((byte)0x45).put((byte)0).putShort((short)(20 + l4Length)).putShort((short)1)
                .putShort((short)0x4000).put((byte)64).put((byte)tuple.protocol()).putShort((short)0)
                .put(tuple.sourceAddress()).put(tuple.destinationAddress());
        }
        frame.putShort((short)tuple.sourcePort()).putShort((short)tuple.destinationPort());
        if (tuple.protocol() == TCP)
        {
            frame.putInt(1).putInt(0).put((byte)0x50).put((byte)0x18).putShort((short)65535)
                .putShort((short)0).putShort((short)0);
        }
        else
        {
            frame.putShort((short)(8 + fillerLength + MARKER_LENGTH)).putShort((short)0);
        }
        for (int i = 0; i < fillerLength; i++)
        {
            frame.put((byte)(i * 31));
        }
        frame.putLong(marker);
        return frame.array();
    }

    static byte[] ipv4(final int a, final int b, final int c, final int d)
    {
        return new byte[]{(byte)a, (byte)b, (byte)c, (byte)d};
    }
}
