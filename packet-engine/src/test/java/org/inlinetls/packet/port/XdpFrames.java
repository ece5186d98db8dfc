package org.inlinetls.packet.port;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * Frames for the XDP tests: TCP and UDP over IPv4 (with or without options) and IPv6, optionally behind 802.1Q /
 * 802.1ad tags, each carrying a sequence number at a fixed distance from its end so a test can tell them apart.
 */
final class XdpFrames
{
    static final int ETH_P_IP = 0x0800;
    static final int ETH_P_IPV6 = 0x86DD;
    static final int ETH_P_8021Q = 0x8100;
    static final int ETH_P_8021AD = 0x88A8;
    static final int TCP = 6;
    static final int UDP = 17;

    private XdpFrames()
    {
    }

    /** A frame from {@code srcMac} to {@code dstMac}; the last 4 bytes are {@code seq}. */
    static byte[] frame(final byte[] dstMac, final String src, final int srcPort, final String dst, final int dstPort,
        final int protocol, final int ipOptionsWords, final int payloadBytes, final int seq, final int... vlanTpids)
    {
        final InetAddress srcAddr = address(src);
        final byte[] srcBytes = srcAddr.getAddress();
        final byte[] dstBytes = address(dst).getAddress();
        final boolean v6 = srcBytes.length == 16;
        final int l4Header = protocol == TCP ? 20 : 8;
        final int ipHeader = v6 ? 40 : 20 + 4 * ipOptionsWords;
        final int l2 = 14 + 4 * vlanTpids.length;
        final int length = Math.max(60, l2 + ipHeader + l4Header + payloadBytes + 4);
        final byte[] bytes = new byte[length];
        final UnsafeBuffer b = new UnsafeBuffer(bytes);
        b.putBytes(0, dstMac);
        b.putBytes(6, new byte[] {2, 0, 0, 0, 0, 0x0b});
        int at = 12;
        for (int i = 0; i < vlanTpids.length; i++)
        {
            b.putShort(at, (short)vlanTpids[i], ByteOrder.BIG_ENDIAN);
            b.putShort(at + 2, (short)(100 + i), ByteOrder.BIG_ENDIAN);
            at += 4;
        }
        b.putShort(at, (short)(v6 ? ETH_P_IPV6 : ETH_P_IP), ByteOrder.BIG_ENDIAN);
        final int ip = at + 2;
        final int l4Length = length - ip - ipHeader;
        if (v6)
        {
            b.putInt(ip, 0x6000_0000, ByteOrder.BIG_ENDIAN);
            b.putShort(ip + 4, (short)l4Length, ByteOrder.BIG_ENDIAN);
            b.putByte(ip + 6, (byte)protocol);
            b.putByte(ip + 7, (byte)64);
            b.putBytes(ip + 8, srcBytes);
            b.putBytes(ip + 24, dstBytes);
        }
        else
        {
            b.putByte(ip, (byte)(0x40 | (5 + ipOptionsWords)));
            b.putShort(ip + 2, (short)(ipHeader + l4Length), ByteOrder.BIG_ENDIAN);
            b.putShort(ip + 6, (short)0x4000, ByteOrder.BIG_ENDIAN); // DF
            b.putByte(ip + 8, (byte)64);
            b.putByte(ip + 9, (byte)protocol);
            b.putBytes(ip + 12, srcBytes);
            b.putBytes(ip + 16, dstBytes);
            for (int i = 0; i < ipOptionsWords * 4; i++)
            {
                b.putByte(ip + 20 + i, (byte)1); // NOP options
            }
            b.putShort(ip + 10, (short)ipv4Checksum(bytes, ip, ipHeader), ByteOrder.BIG_ENDIAN);
        }
        final int l4 = ip + ipHeader;
        b.putShort(l4, (short)srcPort, ByteOrder.BIG_ENDIAN);
        b.putShort(l4 + 2, (short)dstPort, ByteOrder.BIG_ENDIAN);
        if (protocol == TCP)
        {
            b.putByte(l4 + 12, (byte)0x50);
            b.putByte(l4 + 13, (byte)0x18); // PSH ACK
        }
        else
        {
            b.putShort(l4 + 4, (short)l4Length, ByteOrder.BIG_ENDIAN); // UDP checksum 0: none (IPv4 only)
        }
        b.putInt(length - 4, seq, ByteOrder.BIG_ENDIAN);
        return bytes;
    }

    /** @return the sequence number of a frame built by {@link #frame}. */
    static int seq(final org.agrona.DirectBuffer buffer, final int offset, final int length)
    {
        return buffer.getInt(offset + length - 4, ByteOrder.BIG_ENDIAN);
    }

    static InetAddress address(final String literal)
    {
        try
        {
            return InetAddress.getByName(literal); // a literal: no lookup
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException(literal, ex);
        }
    }

    static byte[] mac(final String text)
    {
        final String[] parts = text.trim().split(":");
        final byte[] mac = new byte[6];
        for (int i = 0; i < 6; i++)
        {
            mac[i] = (byte)Integer.parseInt(parts[i], 16);
        }
        return mac;
    }

    private static int ipv4Checksum(final byte[] bytes, final int offset, final int length)
    {
        int sum = 0;
        for (int i = 0; i < length; i += 2)
        {
            sum += ((bytes[offset + i] & 0xFF) << 8) | (bytes[offset + i + 1] & 0xFF);
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return ~sum & 0xFFFF;
    }
}
