package org.inlinetls.appliance.daemon;

import java.nio.ByteOrder;

import org.agrona.concurrent.UnsafeBuffer;

/** Numbered UDP test frames of many flows: the flow hash spreads them over workers. */
final class UdpFrames
{
    static final int FRAME_LENGTH = 200;
    static final int ETHER_HEADER = 14;
    static final int IPV4_HEADER = 20;
    static final int UDP_HEADER = 8;
    /** Offset of the payload: magic, number, flow (big-endian ints). */
    static final int PAYLOAD = ETHER_HEADER + IPV4_HEADER + UDP_HEADER;
    static final int MAGIC = 0x7E57_F10E;

    private UdpFrames()
    {
    }

    /** Ethernet, IPv4 (valid checksum), UDP (no checksum) from 10.0.F.1:1000+F to 10.1.F.2:2000+7F; or reversed. */
    static void udpFrame(final UnsafeBuffer frame, final int number, final int flow, final boolean reverse)
    {
        frame.setMemory(0, frame.capacity(), (byte)0);
        frame.putLong(0, reverse ? 0x0200_0000_000b_0200L : 0x0200_0000_000a_0200L, ByteOrder.BIG_ENDIAN);
        frame.putInt(8, reverse ? 0x0000_000a : 0x0000_000b, ByteOrder.BIG_ENDIAN);
        frame.putShort(12, (short)0x0800, ByteOrder.BIG_ENDIAN);
        final int ip = ETHER_HEADER;
        final int clientIp = 0x0A00_0001 | flow << 8;
        final int serverIp = 0x0A01_0002 | flow << 8;
        final int clientPort = 1000 + flow;
        final int serverPort = 2000 + 7 * flow;
        frame.putByte(ip, (byte)0x45);
        frame.putShort(ip + 2, (short)(FRAME_LENGTH - ETHER_HEADER), ByteOrder.BIG_ENDIAN);
        frame.putShort(ip + 4, (short)number, ByteOrder.BIG_ENDIAN);
        frame.putShort(ip + 6, (short)0x4000, ByteOrder.BIG_ENDIAN); // don't fragment
        frame.putByte(ip + 8, (byte)64);
        frame.putByte(ip + 9, (byte)17);
        frame.putInt(ip + 12, reverse ? serverIp : clientIp, ByteOrder.BIG_ENDIAN);
        frame.putInt(ip + 16, reverse ? clientIp : serverIp, ByteOrder.BIG_ENDIAN);
        int sum = 0;
        for (int i = 0; i < IPV4_HEADER; i += 2)
        {
            sum += frame.getShort(ip + i, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        }
        sum = (sum & 0xFFFF) + (sum >>> 16);
        sum += sum >>> 16;
        frame.putShort(ip + 10, (short)~sum, ByteOrder.BIG_ENDIAN);
        final int udp = ip + IPV4_HEADER;
        frame.putShort(udp, (short)(reverse ? serverPort : clientPort), ByteOrder.BIG_ENDIAN);
        frame.putShort(udp + 2, (short)(reverse ? clientPort : serverPort), ByteOrder.BIG_ENDIAN);
        frame.putShort(udp + 4, (short)(FRAME_LENGTH - ip - IPV4_HEADER), ByteOrder.BIG_ENDIAN);
        frame.putInt(PAYLOAD, MAGIC, ByteOrder.BIG_ENDIAN);
        frame.putInt(PAYLOAD + 4, number, ByteOrder.BIG_ENDIAN);
        frame.putInt(PAYLOAD + 8, flow, ByteOrder.BIG_ENDIAN);
    }

    /** A new frame. */
    static UnsafeBuffer udpFrame(final int number, final int flow, final boolean reverse)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[FRAME_LENGTH]);
        udpFrame(frame, number, flow, reverse);
        return frame;
    }
}
