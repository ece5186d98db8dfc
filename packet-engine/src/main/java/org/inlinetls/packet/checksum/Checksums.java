package org.inlinetls.packet.checksum;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Allocation-free Internet checksums (RFC 1071): full computation over a buffer range, the IPv4 header checksum, the
 * TCP checksum over the IPv4 (RFC 9293 §3.1) and IPv6 (RFC 8200 §8.1) pseudo-headers, and incremental updates
 * (RFC 1624 eqn. 3).
 * <p>
 * Sums are accumulated as 32-bit big-endian words in a {@code long} (8 bytes per read) and folded to 16 bits at the
 * end; RFC 1071 §2(B) and §2(C) make this equal to summing 16-bit words. A computed checksum is never 0xFFFF and
 * equals what a 16-bit reference loop gives, because every sum here has a non-zero term (version byte, protocol).
 * Callers check that the ranges they pass lie within the buffer.
 */
public final class Checksums
{
    private static final ByteOrder NETWORK_ORDER = ByteOrder.BIG_ENDIAN;
    private static final long MASK_32 = 0xFFFF_FFFFL;

    /** Offset of the checksum field in an IPv4 header. */
    public static final int IPV4_CHECKSUM_OFFSET = 10;
    /** Offset of the checksum field in a TCP header. */
    public static final int TCP_CHECKSUM_OFFSET = 16;
    private static final int IPV4_SOURCE_OFFSET = 12;
    private static final int IPV4_DESTINATION_OFFSET = 16;
    private static final int IPV6_SOURCE_OFFSET = 8;
    private static final int IPV6_ADDRESSES_LENGTH = 32;
    private static final int PROTOCOL_TCP = 6;
    /** A one's complement sum that verifies: all ones. */
    private static final int ALL_ONES = 0xFFFF;

    private Checksums()
    {
    }

    /**
     * Adds the bytes of {@code [offset, offset + length)} to {@code sum} as big-endian 16-bit words; an odd last
     * byte is padded with a zero byte on its right (RFC 1071 §4.1). Ranges added one after another must each start
     * at an even position of the checksummed data.
     *
     * @return the unfolded sum, to be passed to {@link #fold(long)}.
     */
    public static long addWords(final DirectBuffer buffer, final int offset, final int length, final long sum)
    {
        long acc = sum;
        int i = offset;
        final int end = offset + length;
        while (end - i >= 16)
        {
            final long a = buffer.getLong(i, NETWORK_ORDER);
            final long b = buffer.getLong(i + 8, NETWORK_ORDER);
            acc += (a >>> 32) + (a & MASK_32) + (b >>> 32) + (b & MASK_32);
            i += 16;
        }
        if (end - i >= 8)
        {
            final long a = buffer.getLong(i, NETWORK_ORDER);
            acc += (a >>> 32) + (a & MASK_32);
            i += 8;
        }
        if (end - i >= 4)
        {
            acc += buffer.getInt(i, NETWORK_ORDER) & MASK_32;
            i += 4;
        }
        if (end - i >= 2)
        {
            acc += buffer.getShort(i, NETWORK_ORDER) & 0xFFFF;
            i += 2;
        }
        if (end - i == 1)
        {
            acc += (buffer.getByte(i) & 0xFF) << 8;
        }
        return acc;
    }

    /** Folds a sum of 16- or 32-bit words into a 16-bit one's complement sum (end-around carry). */
    public static int fold(final long sum)
    {
        long folded = (sum & MASK_32) + (sum >>> 32);
        folded = (folded & 0xFFFF) + (folded >>> 16);
        folded = (folded & 0xFFFF) + (folded >>> 16);
        return (int)((folded & 0xFFFF) + (folded >>> 16));
    }

    /** The 16-bit one's complement sum of a range, not complemented. */
    public static int onesComplementSum(final DirectBuffer buffer, final int offset, final int length)
    {
        return fold(addWords(buffer, offset, length, 0));
    }

    /** The Internet checksum of a range: the complement of its one's complement sum (RFC 1071). */
    public static int internetChecksum(final DirectBuffer buffer, final int offset, final int length)
    {
        return ~onesComplementSum(buffer, offset, length) & 0xFFFF;
    }

    /** The IPv4 header checksum (RFC 791 §3.1) of the header at {@code offset}, ignoring its checksum field. */
    public static int ipv4HeaderChecksum(final DirectBuffer buffer, final int offset, final int headerLength)
    {
        final long sum = addWords(buffer, offset, headerLength, 0) +
            complement16(buffer, offset + IPV4_CHECKSUM_OFFSET);
        return ~fold(sum) & 0xFFFF;
    }

    /** True when the IPv4 header at {@code offset} sums to all ones with its checksum field. */
    public static boolean verifyIpv4HeaderChecksum(final DirectBuffer buffer, final int offset, final int headerLength)
    {
        return onesComplementSum(buffer, offset, headerLength) == ALL_ONES;
    }

    /** Computes the IPv4 header checksum and writes it into the header; returns it. */
    public static int writeIpv4HeaderChecksum(
        final MutableDirectBuffer buffer, final int offset, final int headerLength)
    {
        final int checksum = ipv4HeaderChecksum(buffer, offset, headerLength);
        buffer.putShort(offset + IPV4_CHECKSUM_OFFSET, (short)checksum, NETWORK_ORDER);
        return checksum;
    }

    /** Sum of the IPv4 pseudo-header: source, destination, zero, protocol, upper-layer length (RFC 9293 §3.1). */
    public static long ipv4PseudoHeaderSum(final int sourceAddress, final int destinationAddress, final int protocol,
        final int upperLayerLength)
    {
        return (sourceAddress & MASK_32) + (destinationAddress & MASK_32) + protocol + upperLayerLength;
    }

    /** Sum of the IPv4 pseudo-header with the addresses read from the IPv4 header at {@code ipv4Offset}. */
    public static long ipv4PseudoHeaderSum(final DirectBuffer buffer, final int ipv4Offset, final int protocol,
        final int upperLayerLength)
    {
        return ipv4PseudoHeaderSum(buffer.getInt(ipv4Offset + IPV4_SOURCE_OFFSET, NETWORK_ORDER),
            buffer.getInt(ipv4Offset + IPV4_DESTINATION_OFFSET, NETWORK_ORDER), protocol, upperLayerLength);
    }

    /**
     * Sum of the IPv6 pseudo-header: source, destination, 32-bit upper-layer length, next header (RFC 8200 §8.1),
     * with the addresses read from the IPv6 header at {@code ipv6Offset}. When a Routing header is present the
     * destination should be the final one; such callers build the sum with {@link #addWords} themselves.
     */
    public static long ipv6PseudoHeaderSum(final DirectBuffer buffer, final int ipv6Offset, final int nextHeader,
        final int upperLayerLength)
    {
        return addWords(buffer, ipv6Offset + IPV6_SOURCE_OFFSET, IPV6_ADDRESSES_LENGTH, 0) +
            (upperLayerLength & MASK_32) + nextHeader;
    }

    /** TCP checksum of the segment at {@code tcpOffset} over the IPv4 pseudo-header, ignoring its checksum field. */
    public static int tcpChecksumIpv4(final DirectBuffer buffer, final int ipv4Offset, final int tcpOffset,
        final int tcpLength)
    {
        return segmentChecksum(buffer, ipv4PseudoHeaderSum(buffer, ipv4Offset, PROTOCOL_TCP, tcpLength), tcpOffset,
            tcpLength);
    }

    /** True when the TCP segment's checksum is correct over the IPv4 pseudo-header. */
    public static boolean verifyTcpChecksumIpv4(final DirectBuffer buffer, final int ipv4Offset, final int tcpOffset,
        final int tcpLength)
    {
        final long pseudo = ipv4PseudoHeaderSum(buffer, ipv4Offset, PROTOCOL_TCP, tcpLength);
        return fold(addWords(buffer, tcpOffset, tcpLength, pseudo)) == ALL_ONES;
    }

    /** Computes the TCP checksum over the IPv4 pseudo-header and writes it into the segment; returns it. */
    public static int writeTcpChecksumIpv4(final MutableDirectBuffer buffer, final int ipv4Offset, final int tcpOffset,
        final int tcpLength)
    {
        final int checksum = tcpChecksumIpv4(buffer, ipv4Offset, tcpOffset, tcpLength);
        buffer.putShort(tcpOffset + TCP_CHECKSUM_OFFSET, (short)checksum, NETWORK_ORDER);
        return checksum;
    }

    /** TCP checksum of the segment at {@code tcpOffset} over the IPv6 pseudo-header, ignoring its checksum field. */
    public static int tcpChecksumIpv6(final DirectBuffer buffer, final int ipv6Offset, final int tcpOffset,
        final int tcpLength)
    {
        return segmentChecksum(buffer, ipv6PseudoHeaderSum(buffer, ipv6Offset, PROTOCOL_TCP, tcpLength), tcpOffset,
            tcpLength);
    }

    /** True when the TCP segment's checksum is correct over the IPv6 pseudo-header. */
    public static boolean verifyTcpChecksumIpv6(final DirectBuffer buffer, final int ipv6Offset, final int tcpOffset,
        final int tcpLength)
    {
        final long pseudo = ipv6PseudoHeaderSum(buffer, ipv6Offset, PROTOCOL_TCP, tcpLength);
        return fold(addWords(buffer, tcpOffset, tcpLength, pseudo)) == ALL_ONES;
    }

    /** Computes the TCP checksum over the IPv6 pseudo-header and writes it into the segment; returns it. */
    public static int writeTcpChecksumIpv6(final MutableDirectBuffer buffer, final int ipv6Offset, final int tcpOffset,
        final int tcpLength)
    {
        final int checksum = tcpChecksumIpv6(buffer, ipv6Offset, tcpOffset, tcpLength);
        buffer.putShort(tcpOffset + TCP_CHECKSUM_OFFSET, (short)checksum, NETWORK_ORDER);
        return checksum;
    }

    /**
     * RFC 1624 eqn. 3 for a 16-bit field at an even offset from the start of the checksummed data:
     * {@code HC' = ~(~HC + ~m + m')}.
     *
     * @param checksum the checksum before the change.
     * @param oldValue the field's old 16-bit value (m).
     * @param newValue the field's new 16-bit value (m').
     * @return the checksum after the change, equal to a full recomputation.
     */
    public static int update16(final int checksum, final int oldValue, final int newValue)
    {
        return applyDelta(checksum, (~oldValue & 0xFFFF) + (newValue & 0xFFFF), false);
    }

    /**
     * {@link #update16} for a field at an odd offset, such as an MSS value after a single NOP: the field's bytes
     * straddle two 16-bit words, which in one's complement arithmetic is the same as swapping its bytes.
     */
    public static int update16AtOddOffset(final int checksum, final int oldValue, final int newValue)
    {
        return applyDelta(checksum, (~oldValue & 0xFFFF) + (newValue & 0xFFFF), true);
    }

    /** RFC 1624 eqn. 3 for a 32-bit field at an even offset (sequence number, IPv4 address): both 16-bit halves. */
    public static int update32(final int checksum, final int oldValue, final int newValue)
    {
        return applyDelta(checksum, delta32(oldValue, newValue), false);
    }

    /** {@link #update32} for a field at an odd offset, such as a timestamp after a single NOP. */
    public static int update32AtOddOffset(final int checksum, final int oldValue, final int newValue)
    {
        return applyDelta(checksum, delta32(oldValue, newValue), true);
    }

    /** Applies {@link #update16} to the checksum field at {@code checksumOffset} in place; returns the new value. */
    public static int updateField16(final MutableDirectBuffer buffer, final int checksumOffset, final int oldValue,
        final int newValue)
    {
        final int checksum = update16(buffer.getShort(checksumOffset, NETWORK_ORDER) & 0xFFFF, oldValue, newValue);
        buffer.putShort(checksumOffset, (short)checksum, NETWORK_ORDER);
        return checksum;
    }

    /** Applies {@link #update32} to the checksum field at {@code checksumOffset} in place; returns the new value. */
    public static int updateField32(final MutableDirectBuffer buffer, final int checksumOffset, final int oldValue,
        final int newValue)
    {
        final int checksum = update32(buffer.getShort(checksumOffset, NETWORK_ORDER) & 0xFFFF, oldValue, newValue);
        buffer.putShort(checksumOffset, (short)checksum, NETWORK_ORDER);
        return checksum;
    }

    private static long delta32(final int oldValue, final int newValue)
    {
        final int notOld = ~oldValue;
        return (notOld >>> 16) + (notOld & 0xFFFF) + (newValue >>> 16) + (newValue & 0xFFFF);
    }

    /** Adds {@code ~m + m'} (byte-swapped for odd offsets: a rotation by 8 bits mod 0xFFFF) to {@code ~HC}. */
    private static int applyDelta(final int checksum, final long delta, final boolean oddOffset)
    {
        final int folded = fold(delta);
        final int aligned = oddOffset ? ((folded << 8) | (folded >>> 8)) & 0xFFFF : folded;
        return ~fold((~checksum & 0xFFFF) + aligned) & 0xFFFF;
    }

    private static int segmentChecksum(final DirectBuffer buffer, final long pseudoSum, final int offset,
        final int length)
    {
        final long sum = addWords(buffer, offset, length, pseudoSum) +
            complement16(buffer, offset + TCP_CHECKSUM_OFFSET);
        return ~fold(sum) & 0xFFFF;
    }

    /** Adding the complement of a word subtracts it in one's complement: computes as if the field were zero. */
    private static long complement16(final DirectBuffer buffer, final int fieldOffset)
    {
        return ~buffer.getShort(fieldOffset, NETWORK_ORDER) & 0xFFFF;
    }
}
