package org.inlinetls.packet.checksum;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Known-answer tests. The three frames were built independently of this code and checked with
 * {@code tshark -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE} (status "Good").
 */
class ChecksumsTest
{
    /** IPv4 TCP SYN with MSS, SACK-permitted, timestamps, NOP, window scale; TCP checksum 0xfffc. */
    static final String IPV4_SYN =
        "02000000000202000000000108004500003c1c46400040063224c000020ac6336414c00001bb1234567800000000a002faf0fffc0000" +
        "020405b40402080a0a1b2c3d0000000001030307";
    /** IPv4 TCP segment with timestamps and a 29-byte (odd) payload; TCP checksum 0x8649. */
    static final String IPV4_ODD_PAYLOAD =
        "0200000000020200000000010800450000511c4640004006320fc000020ac6336414c0000050123456799abcdef0801801f686490000" +
        "0101080a0a1b2c3e5e6f7081474554202f20485454502f312e310d0a486f73743a2061620d0a0d0a17";
    /** IPv6 TCP segment with an 11-byte payload; TCP checksum 0xa071. */
    static final String IPV6_ODD_PAYLOAD =
        "02000000000202000000000186dd60000000001f064020010db800000000000000000000000120010db80000000000000000000000ff" +
        "01bbc350fffffff00000001050180400a071000068656c6c6f2c206f646421";

    @Test
    void shouldMatchRfc1071Example()
    {
        final UnsafeBuffer buffer = buffer("0001f203f4f5f6f7");

        assertEquals(0xDDF2, Checksums.fold(Checksums.addWords(buffer, 0, 8, 0)));
        assertEquals(0xDDF2, Checksums.onesComplementSum(buffer, 0, 8));
        assertEquals(0x220D, Checksums.internetChecksum(buffer, 0, 8));
    }

    @Test
    void shouldPadOddLengthWithZeroByte()
    {
        final UnsafeBuffer buffer = buffer("0001f203f4f5f6f7ab");

        assertEquals(fold16(0x2DDF0 + 0xAB00), Checksums.onesComplementSum(buffer, 0, 9));
        assertEquals(0xFFFF, Checksums.internetChecksum(buffer, 0, 0));
        assertEquals(~0xAB00 & 0xFFFF, Checksums.internetChecksum(buffer, 8, 1));
    }

    @Test
    void shouldComputeAndVerifyWikipediaIpv4HeaderChecksum()
    {
        final UnsafeBuffer buffer = buffer("450000730000400040110000c0a80001c0a800c7");

        assertEquals(0xB861, Checksums.ipv4HeaderChecksum(buffer, 0, 20));
        assertFalse(Checksums.verifyIpv4HeaderChecksum(buffer, 0, 20));
        assertEquals(0xB861, Checksums.writeIpv4HeaderChecksum(buffer, 0, 20));
        assertTrue(Checksums.verifyIpv4HeaderChecksum(buffer, 0, 20));
        assertEquals(0xB861, Checksums.ipv4HeaderChecksum(buffer, 0, 20));
    }

    @Test
    void shouldVerifyCapturedIpv4Syn()
    {
        final UnsafeBuffer buffer = buffer(IPV4_SYN);

        assertTrue(Checksums.verifyIpv4HeaderChecksum(buffer, 14, 20));
        assertEquals(0x3224, Checksums.ipv4HeaderChecksum(buffer, 14, 20));
        assertTrue(Checksums.verifyTcpChecksumIpv4(buffer, 14, 34, 40));
        assertEquals(0xFFFC, Checksums.tcpChecksumIpv4(buffer, 14, 34, 40));
    }

    @Test
    void shouldVerifyCapturedIpv4SegmentWithOddPayload()
    {
        final UnsafeBuffer buffer = buffer(IPV4_ODD_PAYLOAD);

        assertTrue(Checksums.verifyIpv4HeaderChecksum(buffer, 14, 20));
        assertTrue(Checksums.verifyTcpChecksumIpv4(buffer, 14, 34, 61));
        assertEquals(0x8649, Checksums.tcpChecksumIpv4(buffer, 14, 34, 61));
        buffer.putShort(34 + 16, (short)0);
        assertEquals(0x8649, Checksums.writeTcpChecksumIpv4(buffer, 14, 34, 61));
        assertTrue(Checksums.verifyTcpChecksumIpv4(buffer, 14, 34, 61));
    }

    @Test
    void shouldVerifyCapturedIpv6SegmentWithOddPayload()
    {
        final UnsafeBuffer buffer = buffer(IPV6_ODD_PAYLOAD);

        assertTrue(Checksums.verifyTcpChecksumIpv6(buffer, 14, 54, 31));
        assertEquals(0xA071, Checksums.tcpChecksumIpv6(buffer, 14, 54, 31));
        buffer.putShort(54 + 16, (short)0x1234);
        assertFalse(Checksums.verifyTcpChecksumIpv6(buffer, 14, 54, 31));
        assertEquals(0xA071, Checksums.writeTcpChecksumIpv6(buffer, 14, 54, 31));
    }

    @Test
    void shouldDetectASingleFlippedBit()
    {
        final UnsafeBuffer buffer = buffer(IPV4_ODD_PAYLOAD);
        buffer.putByte(80, (byte)(buffer.getByte(80) ^ 0x10));

        assertFalse(Checksums.verifyTcpChecksumIpv4(buffer, 14, 34, 61));
    }

    @Test
    void shouldFoldLargeSums()
    {
        assertEquals(0xFFFF, Checksums.fold(0xFFFFL));
        assertEquals(1, Checksums.fold(0x10000L));
        assertEquals(fold16(Long.MAX_VALUE % 0xFFFF), Checksums.fold(Long.MAX_VALUE));
        assertEquals(0, Checksums.fold(0));
    }

    @Test
    void shouldUpdateForAKnownPortRewrite()
    {
        final UnsafeBuffer buffer = buffer(IPV4_SYN);
        buffer.putShort(34 + 2, (short)80, java.nio.ByteOrder.BIG_ENDIAN);

        final int updated = Checksums.updateField16(buffer, 34 + 16, 443, 80);

        assertEquals(Checksums.tcpChecksumIpv4(buffer, 14, 34, 40), updated);
        assertTrue(Checksums.verifyTcpChecksumIpv4(buffer, 14, 34, 40));
    }

    static UnsafeBuffer buffer(final String hex)
    {
        final byte[] bytes = new byte[hex.length() / 2];
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        return new UnsafeBuffer(bytes);
    }

    private static int fold16(final long sum)
    {
        long s = sum;
        while ((s >>> 16) != 0)
        {
            s = (s & 0xFFFF) + (s >>> 16);
        }
        return (int)s;
    }
}
