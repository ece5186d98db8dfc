package org.inlinetls.packet.rewrite;

import org.agrona.MutableDirectBuffer;
import org.inlinetls.packet.checksum.Checksums;
import org.inlinetls.packet.flyweight.Ipv4HeaderFlyweight;
import org.inlinetls.packet.flyweight.Ipv6HeaderFlyweight;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.flyweight.TcpOption;
import org.inlinetls.packet.flyweight.TcpOptionIterator;
import org.inlinetls.packet.frame.ParsedFrame;

import static org.inlinetls.packet.flyweight.AbstractFlyweight.NETWORK_ORDER;

/**
 * Rewrites the TCP and IPv4 fields of a parsed frame in place, keeping the checksums right by RFC 1624 updates.
 * <p>
 * One instance per agent, re-{@link #wrap}ped per frame; nothing is allocated and nothing is recomputed over the
 * segment: every change adjusts the TCP checksum (and, for IPv4 addresses, the IPv4 header checksum) by the
 * difference of the old and new field values (RFC 1624 eqn. 3). A checksum that was wrong before stays wrong by the
 * same amount, so a corrupt segment is still detected by the receiver, as RFC 1624 §1 intends.
 * <p>
 * Each setter returns the bit of {@link #changes()} it set, or 0 when the field already held the value, so callers
 * can count what was rewritten. Fields are written whatever the flags say (an acknowledgment number is rewritten on
 * a segment without ACK too); when to rewrite what is the mode handler's decision. The {@link ParsedFrame} passed to
 * {@code wrap} is not updated: its ports describe the frame as received.
 */
public final class TcpSegmentRewriter
{
    /** The source port changed. */
    public static final int SOURCE_PORT = 1;
    /** The destination port changed. */
    public static final int DESTINATION_PORT = 1 << 1;
    /** The sequence number changed. */
    public static final int SEQUENCE_NUMBER = 1 << 2;
    /** The acknowledgment number changed. */
    public static final int ACKNOWLEDGMENT_NUMBER = 1 << 3;
    /** The window field changed. */
    public static final int WINDOW = 1 << 4;
    /** The MSS option's value was lowered. */
    public static final int MSS = 1 << 5;
    /** The IPv4 source address changed. */
    public static final int IPV4_SOURCE_ADDRESS = 1 << 6;
    /** The IPv4 destination address changed. */
    public static final int IPV4_DESTINATION_ADDRESS = 1 << 7;
    /** Reported, not a change: an MSS clamp found no MSS option of length 4 (RFC 9293 §3.7.1) to clamp. */
    public static final int MSS_ABSENT = 1 << 8;
    /** Reported, not a change: an MSS clamp was asked of a segment without SYN, where MSS has no meaning. */
    public static final int NOT_SYN = 1 << 9;

    /** Bits of {@link #changes()} that stand for modified bytes. */
    public static final int CHANGED_MASK = SOURCE_PORT | DESTINATION_PORT | SEQUENCE_NUMBER | ACKNOWLEDGMENT_NUMBER |
        WINDOW | MSS | IPV4_SOURCE_ADDRESS | IPV4_DESTINATION_ADDRESS;

    private static final int TCP_CHECKSUM_OFFSET = TcpHeaderFlyweight.CHECKSUM_OFFSET;
    private static final int MSS_VALUE_OFFSET = 2;
    private static final int UINT16_MASK = 0xFFFF;

    private final TcpOptionIterator options = new TcpOptionIterator();
    private MutableDirectBuffer buffer;
    private int ipVersion;
    private int l3Offset;
    private int l4Offset;
    private int tcpHeaderLength;
    private int changes;

    /**
     * Wraps the frame {@code frame} describes, which must have parsed as a whole, unfragmented TCP segment.
     *
     * @param buffer holding the frame, as parsed.
     * @param frame  filled in by {@code FrameParser} from the same bytes.
     * @return this, with {@link #changes()} cleared.
     * @throws IllegalArgumentException when the frame is not an IPv4 or IPv6 TCP segment without anomaly.
     */
    public TcpSegmentRewriter wrap(final MutableDirectBuffer buffer, final ParsedFrame frame)
    {
        if (!frame.isTcp() || frame.fragment ||
            (frame.ipVersion != Ipv4HeaderFlyweight.VERSION && frame.ipVersion != Ipv6HeaderFlyweight.VERSION))
        {
            throw new IllegalArgumentException("not a TCP segment: anomaly=" + frame.anomaly + " ipVersion=" +
                frame.ipVersion + " protocol=" + frame.ipProtocol);
        }
        this.buffer = buffer;
        this.ipVersion = frame.ipVersion;
        this.l3Offset = frame.l3Offset;
        this.l4Offset = frame.l4Offset;
        this.tcpHeaderLength = frame.tcpHeaderLength;
        this.changes = 0;
        return this;
    }

    /** Bits of everything changed or reported since {@link #wrap}. */
    public int changes()
    {
        return changes;
    }

    /** True when any byte of the frame was modified since {@link #wrap}. */
    public boolean isModified()
    {
        return (changes & CHANGED_MASK) != 0;
    }

    /** Sets the source port, e.g. 443 to 80 toward the server; returns {@link #SOURCE_PORT} or 0. */
    public int sourcePort(final int port)
    {
        return putTcpField16(TcpHeaderFlyweight.SOURCE_PORT_OFFSET, port, SOURCE_PORT);
    }

    /** Sets the destination port; returns {@link #DESTINATION_PORT} or 0. */
    public int destinationPort(final int port)
    {
        return putTcpField16(TcpHeaderFlyweight.DESTINATION_PORT_OFFSET, port, DESTINATION_PORT);
    }

    /** Adds {@code delta} to the sequence number, mod 2^32; returns {@link #SEQUENCE_NUMBER} or 0. */
    public int addToSequenceNumber(final int delta)
    {
        return addToTcpField32(TcpHeaderFlyweight.SEQUENCE_NUMBER_OFFSET, delta, SEQUENCE_NUMBER);
    }

    /** Adds {@code delta} to the acknowledgment number, mod 2^32; returns {@link #ACKNOWLEDGMENT_NUMBER} or 0. */
    public int addToAcknowledgmentNumber(final int delta)
    {
        return addToTcpField32(TcpHeaderFlyweight.ACKNOWLEDGMENT_NUMBER_OFFSET, delta, ACKNOWLEDGMENT_NUMBER);
    }

    /** Sets the window field as sent (already scaled down by the caller); returns {@link #WINDOW} or 0. */
    public int window(final int window)
    {
        return putTcpField16(TcpHeaderFlyweight.WINDOW_OFFSET, window, WINDOW);
    }

    /**
     * Lowers the MSS option of a SYN or SYN-ACK to {@code maxMss} when it is above it; never raises it.
     * <p>
     * The option may sit at any offset after NOPs or other options; a value at an odd offset from the start of the
     * segment straddles two checksum words and is updated with {@link Checksums#update16AtOddOffset}. Only the first
     * MSS option counts, and only with length 4, as {@link TcpHeaderFlyweight#mss()} reads it.
     *
     * @param maxMss the largest MSS to let through, 0 to 65535.
     * @return {@link #MSS} when lowered, {@link #MSS_ABSENT} or {@link #NOT_SYN} when there was nothing to clamp,
     * 0 when the option was already at or below {@code maxMss}.
     */
    public int clampMss(final int maxMss)
    {
        if ((buffer.getByte(l4Offset + TcpHeaderFlyweight.FLAGS_OFFSET) & TcpHeaderFlyweight.SYN) == 0)
        {
            return report(NOT_SYN);
        }
        final int optionOffset = findMssOption();
        if (TcpHeaderFlyweight.NOT_FOUND == optionOffset)
        {
            return report(MSS_ABSENT);
        }
        final int valueOffset = optionOffset + MSS_VALUE_OFFSET;
        final int oldMss = uint16(valueOffset);
        final int newMss = maxMss & UINT16_MASK;
        if (oldMss <= newMss)
        {
            return 0;
        }
        buffer.putShort(valueOffset, (short)newMss, NETWORK_ORDER);
        final int checksum = tcpChecksum();
        final boolean odd = ((valueOffset - l4Offset) & 1) != 0;
        putTcpChecksum(odd ?
            Checksums.update16AtOddOffset(checksum, oldMss, newMss) : Checksums.update16(checksum, oldMss, newMss));
        return report(MSS);
    }

    /** The MSS the first well-formed MSS option carries, or -1 when there is none. */
    public int mss()
    {
        final int optionOffset = findMssOption();
        return TcpHeaderFlyweight.NOT_FOUND == optionOffset ? -1 : uint16(optionOffset + MSS_VALUE_OFFSET);
    }

    /**
     * Sets the IPv4 source address (network-order int), updating the IPv4 header checksum and, since the address is
     * part of the pseudo-header (RFC 9293 §3.1), the TCP checksum; returns {@link #IPV4_SOURCE_ADDRESS} or 0.
     *
     * @throws IllegalStateException when the wrapped frame is IPv6.
     */
    public int ipv4SourceAddress(final int address)
    {
        return putIpv4Address(Ipv4HeaderFlyweight.SOURCE_ADDRESS_OFFSET, address, IPV4_SOURCE_ADDRESS);
    }

    /** As {@link #ipv4SourceAddress(int)} for the destination; returns {@link #IPV4_DESTINATION_ADDRESS} or 0. */
    public int ipv4DestinationAddress(final int address)
    {
        return putIpv4Address(Ipv4HeaderFlyweight.DESTINATION_ADDRESS_OFFSET, address, IPV4_DESTINATION_ADDRESS);
    }

    private int putTcpField16(final int fieldOffset, final int value, final int bit)
    {
        final int index = l4Offset + fieldOffset;
        final int oldValue = uint16(index);
        final int newValue = value & UINT16_MASK;
        if (oldValue == newValue)
        {
            return 0;
        }
        buffer.putShort(index, (short)newValue, NETWORK_ORDER);
        // every fixed-header field starts at an even offset from the segment start
        putTcpChecksum(Checksums.update16(tcpChecksum(), oldValue, newValue));
        return report(bit);
    }

    private int addToTcpField32(final int fieldOffset, final int delta, final int bit)
    {
        if (0 == delta)
        {
            return 0;
        }
        final int index = l4Offset + fieldOffset;
        final int oldValue = buffer.getInt(index, NETWORK_ORDER);
        final int newValue = oldValue + delta;
        buffer.putInt(index, newValue, NETWORK_ORDER);
        putTcpChecksum(Checksums.update32(tcpChecksum(), oldValue, newValue));
        return report(bit);
    }

    private int putIpv4Address(final int fieldOffset, final int address, final int bit)
    {
        if (ipVersion != Ipv4HeaderFlyweight.VERSION)
        {
            throw new IllegalStateException("IPv4 address rewrite on an IPv" + ipVersion + " frame");
        }
        final int index = l3Offset + fieldOffset;
        final int oldAddress = buffer.getInt(index, NETWORK_ORDER);
        if (oldAddress == address)
        {
            return 0;
        }
        buffer.putInt(index, address, NETWORK_ORDER);
        Checksums.updateField32(buffer, l3Offset + Ipv4HeaderFlyweight.CHECKSUM_OFFSET, oldAddress, address);
        // the pseudo-header's addresses are 32-bit words at even offsets of the summed data
        putTcpChecksum(Checksums.update32(tcpChecksum(), oldAddress, address));
        return report(bit);
    }

    private int findMssOption()
    {
        final TcpOptionIterator it = options.reset(
            buffer, l4Offset + TcpHeaderFlyweight.OPTIONS_OFFSET, l4Offset + tcpHeaderLength);
        while (it.next())
        {
            if (it.kind() == TcpOption.MSS)
            {
                return it.length() == TcpOption.MSS_LENGTH ? it.offset() : TcpHeaderFlyweight.NOT_FOUND;
            }
        }
        return TcpHeaderFlyweight.NOT_FOUND;
    }

    private int tcpChecksum()
    {
        return uint16(l4Offset + TCP_CHECKSUM_OFFSET);
    }

    private void putTcpChecksum(final int checksum)
    {
        buffer.putShort(l4Offset + TCP_CHECKSUM_OFFSET, (short)checksum, NETWORK_ORDER);
    }

    private int uint16(final int index)
    {
        return buffer.getShort(index, NETWORK_ORDER) & UINT16_MASK;
    }

    private int report(final int bit)
    {
        changes |= bit;
        return bit;
    }
}
