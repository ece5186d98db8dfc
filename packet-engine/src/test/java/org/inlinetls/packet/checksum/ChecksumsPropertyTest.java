package org.inlinetls.packet.checksum;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Compares the word-at-a-time checksums with a byte-pair reference loop and incremental updates with full
 * recomputation; run with {@code -Dchecksum.seed=N} to replay a printed seed.
 */
class ChecksumsPropertyTest
{
    private static final long SEED = Long.getLong("checksum.seed", 0xC5_0001L);
    private static final int ITERATIONS = 5000;
    private static final int IPV4 = 0;
    private static final int IPV4_TCP = 20;
    private static final int IPV6 = 100;
    private static final int IPV6_TCP = 140;

    @Test
    void shouldMatchReferenceForRandomRanges()
    {
        final Random random = new Random(SEED);
        final byte[] bytes = new byte[1600];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        for (int i = 0; i < ITERATIONS; i++)
        {
            fill(random, bytes, random.nextInt(8) == 0 ? 0xFF : -1);
            final int offset = random.nextInt(9);
            final int length = random.nextInt(bytes.length - offset + 1);

            assertEquals(reference(bytes, offset, length, 0), Checksums.onesComplementSum(buffer, offset, length),
                "seed=" + SEED + " i=" + i + " offset=" + offset + " length=" + length);
        }
    }

    @Test
    void shouldMatchReferenceForTcpOverIpv4AndIpv6()
    {
        final Random random = new Random(SEED + 1);
        final byte[] bytes = new byte[1700];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        for (int i = 0; i < ITERATIONS; i++)
        {
            fill(random, bytes, -1);
            final int tcpLength = 20 + random.nextInt(1500);
            final String message = "seed=" + (SEED + 1) + " i=" + i + " length=" + tcpLength;

            final long pseudo4 = refPseudo(bytes, IPV4 + 12, 8) + 6 + tcpLength;
            final long initial4 = pseudo4 - checksumField(bytes, IPV4_TCP);
            final int expected4 = ~reference(bytes, IPV4_TCP, tcpLength, initial4) & 0xFFFF;
            assertEquals(expected4, Checksums.writeTcpChecksumIpv4(buffer, IPV4, IPV4_TCP, tcpLength), message);
            assertTrue(Checksums.verifyTcpChecksumIpv4(buffer, IPV4, IPV4_TCP, tcpLength), message);

            final long pseudo6 = refPseudo(bytes, IPV6 + 8, 32) + 6 + tcpLength;
            final long initial6 = pseudo6 - checksumField(bytes, IPV6_TCP);
            final int expected6 = ~reference(bytes, IPV6_TCP, tcpLength, initial6) & 0xFFFF;
            assertEquals(expected6, Checksums.writeTcpChecksumIpv6(buffer, IPV6, IPV6_TCP, tcpLength), message);
            assertTrue(Checksums.verifyTcpChecksumIpv6(buffer, IPV6, IPV6_TCP, tcpLength), message);
        }
    }

    @Test
    void shouldUpdateIncrementallyAsFullRecomputation()
    {
        final Random random = new Random(SEED + 2);
        final byte[] bytes = new byte[IPV4_TCP + 1500];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        for (int i = 0; i < ITERATIONS; i++)
        {
            fill(random, bytes, -1);
            bytes[IPV4] = 0x45;
            final int tcpLength = 24 + random.nextInt(1476);
            Checksums.writeIpv4HeaderChecksum(buffer, IPV4, 20);
            Checksums.writeTcpChecksumIpv4(buffer, IPV4, IPV4_TCP, tcpLength);
            final String message = "seed=" + (SEED + 2) + " i=" + i;

            rewrite16(buffer, random, IPV4_TCP + random.nextInt(2) * 2);
            rewrite32(buffer, random, IPV4_TCP + 4 + random.nextInt(2) * 4);
            rewriteAddress(buffer, random, IPV4 + 12 + random.nextInt(2) * 4);
            rewriteAnywhere(buffer, random, IPV4_TCP + 20 + random.nextInt(tcpLength - 23));

            assertEquals(Checksums.tcpChecksumIpv4(buffer, IPV4, IPV4_TCP, tcpLength), tcpChecksum(buffer), message);
            assertTrue(Checksums.verifyTcpChecksumIpv4(buffer, IPV4, IPV4_TCP, tcpLength), message);
            assertEquals(Checksums.ipv4HeaderChecksum(buffer, IPV4, 20), ipChecksum(buffer), message);
            assertTrue(Checksums.verifyIpv4HeaderChecksum(buffer, IPV4, 20), message);
        }
    }

    @Test
    void shouldLeaveChecksumUnchangedWhenValueIsUnchanged()
    {
        final Random random = new Random(SEED + 3);
        for (int i = 0; i < ITERATIONS; i++)
        {
            final int checksum = random.nextInt(0xFFFF);
            final int value = random.nextInt();
            assertEquals(checksum, Checksums.update16(checksum, value & 0xFFFF, value & 0xFFFF));
            assertEquals(checksum, Checksums.update32(checksum, value, value));
        }
    }

    private static void rewrite16(final UnsafeBuffer buffer, final Random random, final int offset)
    {
        final int oldValue = buffer.getShort(offset, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int newValue = random.nextInt(0x10000);
        buffer.putShort(offset, (short)newValue, ByteOrder.BIG_ENDIAN);
        Checksums.updateField16(buffer, IPV4_TCP + 16, oldValue, newValue);
    }

    private static void rewrite32(final UnsafeBuffer buffer, final Random random, final int offset)
    {
        final int oldValue = buffer.getInt(offset, ByteOrder.BIG_ENDIAN);
        final int newValue = random.nextInt();
        buffer.putInt(offset, newValue, ByteOrder.BIG_ENDIAN);
        Checksums.updateField32(buffer, IPV4_TCP + 16, oldValue, newValue);
    }

    /** An address sits in both the IPv4 header and the TCP pseudo-header: both checksums change. */
    private static void rewriteAddress(final UnsafeBuffer buffer, final Random random, final int offset)
    {
        final int oldValue = buffer.getInt(offset, ByteOrder.BIG_ENDIAN);
        final int newValue = random.nextInt();
        buffer.putInt(offset, newValue, ByteOrder.BIG_ENDIAN);
        Checksums.updateField32(buffer, IPV4 + 10, oldValue, newValue);
        Checksums.updateField32(buffer, IPV4_TCP + 16, oldValue, newValue);
    }

    /** A 16- or 32-bit value at any offset in the options or payload, odd offsets included. */
    private static void rewriteAnywhere(final UnsafeBuffer buffer, final Random random, final int offset)
    {
        final boolean odd = ((offset - IPV4_TCP) & 1) != 0;
        final int checksum = tcpChecksum(buffer);
        if (random.nextBoolean())
        {
            final int oldValue = buffer.getShort(offset, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            final int newValue = random.nextInt(0x10000);
            buffer.putShort(offset, (short)newValue, ByteOrder.BIG_ENDIAN);
            setTcpChecksum(buffer, odd ? Checksums.update16AtOddOffset(checksum, oldValue, newValue) :
                Checksums.update16(checksum, oldValue, newValue));
        }
        else
        {
            final int oldValue = buffer.getInt(offset, ByteOrder.BIG_ENDIAN);
            final int newValue = random.nextInt();
            buffer.putInt(offset, newValue, ByteOrder.BIG_ENDIAN);
            setTcpChecksum(buffer, odd ? Checksums.update32AtOddOffset(checksum, oldValue, newValue) :
                Checksums.update32(checksum, oldValue, newValue));
        }
    }

    private static int tcpChecksum(final UnsafeBuffer buffer)
    {
        return buffer.getShort(IPV4_TCP + 16, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    private static void setTcpChecksum(final UnsafeBuffer buffer, final int checksum)
    {
        buffer.putShort(IPV4_TCP + 16, (short)checksum, ByteOrder.BIG_ENDIAN);
    }

    private static int ipChecksum(final UnsafeBuffer buffer)
    {
        return buffer.getShort(IPV4 + 10, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    private static void fill(final Random random, final byte[] bytes, final int constant)
    {
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = constant >= 0 ? (byte)constant : (byte)random.nextInt(256);
        }
    }

    /** RFC 1071 §4.1, one 16-bit word at a time. */
    private static int reference(final byte[] bytes, final int offset, final int length, final long initial)
    {
        long sum = initial;
        int i = offset;
        for (; i + 1 < offset + length; i += 2)
        {
            sum += ((bytes[i] & 0xFF) << 8) | (bytes[i + 1] & 0xFF);
        }
        if (i < offset + length)
        {
            sum += (bytes[i] & 0xFF) << 8;
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int)sum;
    }

    private static long refPseudo(final byte[] bytes, final int offset, final int length)
    {
        long sum = 0;
        for (int i = offset; i < offset + length; i += 2)
        {
            sum += ((bytes[i] & 0xFF) << 8) | (bytes[i + 1] & 0xFF);
        }
        return sum;
    }

    /** The reference computes as if the checksum field were zero by subtracting it before folding. */
    private static long checksumField(final byte[] bytes, final int tcpOffset)
    {
        return ((bytes[tcpOffset + 16] & 0xFF) << 8) | (bytes[tcpOffset + 17] & 0xFF);
    }
}
