package org.inlinetls.packet.build;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.inlinetls.packet.checksum.Checksums;
import org.inlinetls.packet.flyweight.EtherType;
import org.inlinetls.packet.flyweight.EthernetFlyweight;
import org.inlinetls.packet.flyweight.IpProtocol;
import org.inlinetls.packet.flyweight.Ipv4HeaderFlyweight;
import org.inlinetls.packet.flyweight.Ipv6HeaderFlyweight;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.flyweight.TcpOption;
import org.inlinetls.packet.flyweight.VlanTagFlyweight;
import org.inlinetls.packet.frame.ParsedFrame;

import static org.inlinetls.packet.flyweight.AbstractFlyweight.NETWORK_ORDER;

/**
 * Builds whole Ethernet + IPv4/IPv6 + TCP frames for the segments the appliance injects (its handshake flight, ACKs
 * for bytes with no plaintext counterpart, RSTs), addressed from a received frame of the same flow.
 * <p>
 * One instance per agent; nothing is allocated after construction. Use in two steps:
 * <ol>
 * <li>{@link #template(DirectBuffer, ParsedFrame, boolean)} copies the MACs, the one optional 802.1Q tag, the
 * addresses and ports of a received frame, swapped when {@code reverse} is set so the frame goes back to its
 * sender; it also clears the segment fields. {@link #rstFor} and {@link #ackFor} do this and fill the segment
 * fields for their case.</li>
 * <li>Set the segment fields ({@link #sequenceNumber}, {@link #acknowledgmentNumber}, {@link #flags},
 * {@link #window}, {@link #timestamps}, {@link #payload}), then {@link #build(MutableDirectBuffer, int)}. Fields
 * keep their values across builds, so a run of segments changes only what differs.</li>
 * </ol>
 * IP fields that a template does not settle take defaults: TTL and hop limit {@link #DEFAULT_TTL}, DF set,
 * the IPv4 identification from a counter that advances per IPv4 frame built, DSCP as received with ECN cleared
 * (RFC 3168 §6.1.4 and §6.1.5: pure ACKs and RSTs are not ECN-capable, and the appliance's own data does not take
 * part in the end hosts' ECN), flow label as received in the same direction and 0 reversed (RFC 6437 §3).
 * The checksums are computed in full over the built bytes, not updated. The timestamps option, when set, is laid
 * out as NOP, NOP, TS (RFC 7323 Appendix A), giving a 32-byte header.
 */
public final class TcpSegmentBuilder
{
    /** Returned by {@link #build} when the buffer cannot take the frame or the payload exceeds the MSS. */
    public static final int REFUSED = -1;
    /** TTL and hop limit of built frames unless set otherwise (RFC 1700 figure, Linux's default). */
    public static final int DEFAULT_TTL = 64;
    /** Payload limit before {@link #maxSegmentSize(int)} is called: the largest a 20-byte-header IPv4 packet takes. */
    public static final int DEFAULT_MAX_SEGMENT_SIZE = 0xFFFF - Ipv4HeaderFlyweight.MIN_HEADER_LENGTH -
        TcpHeaderFlyweight.MIN_HEADER_LENGTH;
    /** Bytes the NOP, NOP, TS layout adds to the TCP header. */
    public static final int TIMESTAMPS_OPTION_SPACE = 2 + TcpOption.TIMESTAMPS_LENGTH;

    private static final int UINT16_MASK = 0xFFFF;
    private static final int ECN_MASK = 0x3;
    private static final int MAX_IP_PACKET_LENGTH = 0xFFFF;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final VlanTagFlyweight vlanTag = new VlanTagFlyweight();
    private final Ipv4HeaderFlyweight ipv4 = new Ipv4HeaderFlyweight();
    private final Ipv6HeaderFlyweight ipv6 = new Ipv6HeaderFlyweight();
    private final TcpHeaderFlyweight tcp = new TcpHeaderFlyweight();

    // addressing, from the template
    private boolean hasTemplate;
    private long sourceMac;
    private long destinationMac;
    private boolean hasVlan;
    private int vlanTci;
    private int ipVersion;
    private int ipv4Source;
    private int ipv4Destination;
    private long ipv6SourceHigh;
    private long ipv6SourceLow;
    private long ipv6DestinationHigh;
    private long ipv6DestinationLow;
    private int trafficClass;
    private int flowLabel;
    private int templateTtl;
    private int sourcePort;
    private int destinationPort;

    // IP fields with defaults
    private int ttl = DEFAULT_TTL;
    private boolean dontFragment = true;
    private int nextIdentification;
    private int identification = -1;

    // segment fields
    private int sequenceNumber;
    private int acknowledgmentNumber;
    private int flags;
    private int window;
    private boolean hasTimestamps;
    private int timestampValue;
    private int timestampEchoReply;
    private byte[] payloadArray;
    private DirectBuffer payloadBuffer;
    private int payloadOffset;
    private int payloadLength;
    private int maxSegmentSize = DEFAULT_MAX_SEGMENT_SIZE;
    private final int[] sackEdges = new int[2 * TcpOption.MAX_SACK_BLOCKS];
    private int sackBlockCount;

    /**
     * Takes the addressing of a received frame and clears the segment fields.
     *
     * @param buffer  holding the received frame.
     * @param frame   filled in by {@code FrameParser} from those bytes: a TCP segment without anomaly, at most one tag.
     * @param reverse swap MACs, addresses and ports, to address the frame's sender.
     * @return this.
     * @throws IllegalArgumentException when the frame is not such a segment.
     */
    public TcpSegmentBuilder template(final DirectBuffer buffer, final ParsedFrame frame, final boolean reverse)
    {
        if (!frame.isTcp() || frame.fragment || frame.vlanCount > 1 ||
            (frame.ipVersion != Ipv4HeaderFlyweight.VERSION && frame.ipVersion != Ipv6HeaderFlyweight.VERSION))
        {
            throw new IllegalArgumentException("not a TCP template: anomaly=" + frame.anomaly + " ipVersion=" +
                frame.ipVersion + " vlanCount=" + frame.vlanCount);
        }
        final EthernetFlyweight eth = ethernet.wrap(buffer, frame.frameOffset, frame.frameLength);
        final long frameSource = eth.sourceMac();
        final long frameDestination = eth.destinationMac();
        sourceMac = reverse ? frameDestination : frameSource;
        destinationMac = reverse ? frameSource : frameDestination;
        hasVlan = frame.vlanCount == 1;
        vlanTci = hasVlan ? vlanTag.wrap(buffer, eth.tagOffset(0)).tci() : 0;
        ipVersion = frame.ipVersion;
        if (ipVersion == Ipv4HeaderFlyweight.VERSION)
        {
            captureIpv4(buffer, frame.l3Offset, reverse);
        }
        else
        {
            captureIpv6(buffer, frame.l3Offset, reverse);
        }
        sourcePort = reverse ? frame.dstPort : frame.srcPort;
        destinationPort = reverse ? frame.srcPort : frame.dstPort;
        hasTemplate = true;
        return clearSegment();
    }

    /**
     * Prepares the RST that answers {@code received} when no connection owns it, RFC 9293 §3.10.7.1: with ACK set on
     * the segment, {@code <SEQ=SEG.ACK><CTL=RST>}; without, {@code <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>}, where
     * SEG.LEN counts SYN and FIN. The window is 0 and there are no timestamps (RFC 7323 §3.2 lets a RST go
     * without); set them after this call if wanted.
     *
     * @param buffer   holding the received frame.
     * @param received the parsed segment being answered.
     * @param reverse  true to address the segment's sender (the RFC case); false to send it onward in the
     *                 segment's own direction, numbers unchanged, e.g. toward the server before translation.
     * @return false, preparing nothing, when {@code received} is itself a RST: a RST is never answered (§3.10.7.1).
     */
    public boolean rstFor(final DirectBuffer buffer, final ParsedFrame received, final boolean reverse)
    {
        final int segmentFlags = buffer.getByte(received.l4Offset + TcpHeaderFlyweight.FLAGS_OFFSET) & 0xFF;
        if ((segmentFlags & TcpHeaderFlyweight.RST) != 0)
        {
            return false;
        }
        template(buffer, received, reverse);
        if ((segmentFlags & TcpHeaderFlyweight.ACK) != 0)
        {
            sequenceNumber = buffer.getInt(received.l4Offset + TcpHeaderFlyweight.ACKNOWLEDGMENT_NUMBER_OFFSET,
                NETWORK_ORDER);
            flags = TcpHeaderFlyweight.RST;
        }
        else
        {
            sequenceNumber = 0;
            acknowledgmentNumber = segmentEnd(buffer, received, segmentFlags);
            flags = TcpHeaderFlyweight.RST | TcpHeaderFlyweight.ACK;
        }
        return true;
    }

    /**
     * Prepares a pure ACK that acknowledges all of {@code received} (SEG.SEQ + SEG.LEN, SYN and FIN counted).
     *
     * @param buffer         holding the received frame.
     * @param received       the parsed segment being acknowledged.
     * @param reverse        true to address the segment's sender, as an ACK normally is.
     * @param sequenceNumber the appliance's own next sequence number toward that peer.
     * @param window         the window field as sent (already scaled down).
     * @return this, to add {@link #timestamps} before building.
     */
    public TcpSegmentBuilder ackFor(
        final DirectBuffer buffer,
        final ParsedFrame received,
        final boolean reverse,
        final int sequenceNumber,
        final int window)
    {
        final int segmentFlags = buffer.getByte(received.l4Offset + TcpHeaderFlyweight.FLAGS_OFFSET) & 0xFF;
        template(buffer, received, reverse);
        this.sequenceNumber = sequenceNumber;
        this.acknowledgmentNumber = segmentEnd(buffer, received, segmentFlags);
        this.flags = TcpHeaderFlyweight.ACK;
        this.window = window & UINT16_MASK;
        return this;
    }

    /**
     * Replaces the template's ports, e.g. to send a client's segment on to the service's backend port.
     *
     * @return this.
     */
    public TcpSegmentBuilder ports(final int sourcePort, final int destinationPort)
    {
        this.sourcePort = sourcePort & UINT16_MASK;
        this.destinationPort = destinationPort & UINT16_MASK;
        return this;
    }

    /**
     * SACK blocks (RFC 2018) for the next segments, laid out as NOP, NOP, SACK after the timestamps; at most three
     * with timestamps, four without (the 40 option bytes).
     *
     * @param edges      left and right edge of each block, in pairs.
     * @param blockCount blocks to take from {@code edges}; 0 for none.
     * @return this.
     */
    public TcpSegmentBuilder sackBlocks(final int[] edges, final int blockCount)
    {
        final int max = hasTimestamps ? TcpOption.MAX_SACK_BLOCKS - 1 : TcpOption.MAX_SACK_BLOCKS;
        sackBlockCount = Math.max(0, Math.min(blockCount, max));
        System.arraycopy(edges, 0, sackEdges, 0, 2 * sackBlockCount);
        return this;
    }

    /** Clears seq, ack, flags, window, timestamps and payload, keeping the template and IP settings. */
    public TcpSegmentBuilder clearSegment()
    {
        sequenceNumber = 0;
        acknowledgmentNumber = 0;
        flags = 0;
        window = 0;
        hasTimestamps = false;
        timestampValue = 0;
        timestampEchoReply = 0;
        sackBlockCount = 0;
        return noPayload();
    }

    public TcpSegmentBuilder sequenceNumber(final int sequenceNumber)
    {
        this.sequenceNumber = sequenceNumber;
        return this;
    }

    public TcpSegmentBuilder acknowledgmentNumber(final int acknowledgmentNumber)
    {
        this.acknowledgmentNumber = acknowledgmentNumber;
        return this;
    }

    /** The flag byte: an OR of {@link TcpHeaderFlyweight#ACK}, {@code PSH}, {@code RST}, {@code FIN}, {@code SYN}. */
    public TcpSegmentBuilder flags(final int flags)
    {
        this.flags = flags & 0xFF;
        return this;
    }

    /** The window field as sent, already scaled down by the caller (RFC 7323 §2.3). */
    public TcpSegmentBuilder window(final int window)
    {
        this.window = window & UINT16_MASK;
        return this;
    }

    /** Adds a timestamps option with the caller's TSval and TSecr (RFC 7323 §3). */
    public TcpSegmentBuilder timestamps(final int timestampValue, final int timestampEchoReply)
    {
        this.hasTimestamps = true;
        this.timestampValue = timestampValue;
        this.timestampEchoReply = timestampEchoReply;
        return this;
    }

    public TcpSegmentBuilder noTimestamps()
    {
        hasTimestamps = false;
        return this;
    }

    /** Copies {@code length} bytes of {@code src} from {@code offset} as the payload at build time; keeps the array. */
    public TcpSegmentBuilder payload(final byte[] src, final int offset, final int length)
    {
        checkRange(offset, length, src.length);
        payloadArray = src;
        payloadBuffer = null;
        payloadOffset = offset;
        payloadLength = length;
        return this;
    }

    /** As {@link #payload(byte[], int, int)} from a buffer range. */
    public TcpSegmentBuilder payload(final DirectBuffer src, final int offset, final int length)
    {
        checkRange(offset, length, src.capacity());
        payloadArray = null;
        payloadBuffer = src;
        payloadOffset = offset;
        payloadLength = length;
        return this;
    }

    public TcpSegmentBuilder noPayload()
    {
        payloadArray = null;
        payloadBuffer = null;
        payloadOffset = 0;
        payloadLength = 0;
        return this;
    }

    /** The most payload bytes {@link #build} accepts, normally the peer's MSS (RFC 9293 §3.7.1). */
    public TcpSegmentBuilder maxSegmentSize(final int maxSegmentSize)
    {
        this.maxSegmentSize = maxSegmentSize;
        return this;
    }

    /** IPv4 TTL or IPv6 hop limit of the frames built from now on. */
    public TcpSegmentBuilder ttl(final int ttl)
    {
        this.ttl = ttl & 0xFF;
        return this;
    }

    /** Uses the TTL or hop limit the template frame arrived with, as a middlebox that forwards it would. */
    public TcpSegmentBuilder ttlFromTemplate()
    {
        return ttl(templateTtl);
    }

    public TcpSegmentBuilder dontFragment(final boolean dontFragment)
    {
        this.dontFragment = dontFragment;
        return this;
    }

    /** The IPv4 identification of the next frame only; afterwards the counter resumes. */
    public TcpSegmentBuilder identification(final int identification)
    {
        this.identification = identification & UINT16_MASK;
        return this;
    }

    /** Where the identification counter continues, e.g. seeded from the random source. */
    public TcpSegmentBuilder nextIdentification(final int nextIdentification)
    {
        this.nextIdentification = nextIdentification & UINT16_MASK;
        return this;
    }

    /** Bytes {@link #build} will write with the current settings. */
    public int frameLength()
    {
        return l2Length() + l3HeaderLength() + tcpHeaderLength() + payloadLength;
    }

    /**
     * Writes the frame at {@code offset} of {@code dst} with both checksums computed in full.
     *
     * @return the frame's length, or {@link #REFUSED} when it does not fit in {@code dst} or the payload exceeds the
     * {@link #maxSegmentSize(int)}; nothing is written then.
     * @throws IllegalStateException when no template was taken.
     */
    public int build(final MutableDirectBuffer dst, final int offset)
    {
        if (!hasTemplate)
        {
            throw new IllegalStateException("no template");
        }
        final int tcpLength = tcpHeaderLength() + payloadLength;
        final int ipLength = l3HeaderLength() + tcpLength;
        final int frameLength = l2Length() + ipLength;
        if (payloadLength > maxSegmentSize || ipLength > MAX_IP_PACKET_LENGTH || offset < 0 ||
            frameLength > dst.capacity() - offset)
        {
            return REFUSED;
        }
        final int l3Offset = writeEthernet(dst, offset);
        final int l4Offset = l3Offset + l3HeaderLength();
        writeTcp(dst, l4Offset);
        if (ipVersion == Ipv4HeaderFlyweight.VERSION)
        {
            writeIpv4(dst, l3Offset, ipLength);
            Checksums.writeIpv4HeaderChecksum(dst, l3Offset, Ipv4HeaderFlyweight.MIN_HEADER_LENGTH);
            Checksums.writeTcpChecksumIpv4(dst, l3Offset, l4Offset, tcpLength);
        }
        else
        {
            writeIpv6(dst, l3Offset, tcpLength);
            Checksums.writeTcpChecksumIpv6(dst, l3Offset, l4Offset, tcpLength);
        }
        return frameLength;
    }

    private int writeEthernet(final MutableDirectBuffer dst, final int offset)
    {
        final int etherType = ipVersion == Ipv4HeaderFlyweight.VERSION ? EtherType.IPV4 : EtherType.IPV6;
        final EthernetFlyweight eth = ethernet.wrap(dst, offset).destinationMac(destinationMac).sourceMac(sourceMac);
        if (hasVlan)
        {
            vlanTag.wrap(dst, eth.tagOffset(0)).tpid(EtherType.VLAN).tci(vlanTci).encapsulatedType(etherType);
        }
        else
        {
            eth.etherType(etherType);
        }
        return offset + l2Length();
    }

    private void writeIpv4(final MutableDirectBuffer dst, final int l3Offset, final int totalLength)
    {
        final int id;
        if (identification >= 0)
        {
            id = identification;
            identification = -1;
        }
        else
        {
            id = nextIdentification;
            nextIdentification = (nextIdentification + 1) & UINT16_MASK;
        }
        ipv4.wrap(dst, l3Offset)
            .versionAndIhl(Ipv4HeaderFlyweight.VERSION, Ipv4HeaderFlyweight.MIN_IHL)
            .typeOfService(trafficClass)
            .totalLength(totalLength)
            .identification(id)
            .flagsAndFragmentOffset(dontFragment ? Ipv4HeaderFlyweight.FLAG_DF : 0)
            .ttl(ttl)
            .protocol(IpProtocol.TCP)
            .headerChecksum(0)
            .sourceAddress(ipv4Source)
            .destinationAddress(ipv4Destination);
    }

    private void writeIpv6(final MutableDirectBuffer dst, final int l3Offset, final int payloadLength)
    {
        ipv6.wrap(dst, l3Offset)
            .versionClassFlow(Ipv6HeaderFlyweight.VERSION, trafficClass, flowLabel)
            .payloadLength(payloadLength)
            .nextHeader(IpProtocol.TCP)
            .hopLimit(ttl)
            .sourceAddress(ipv6SourceHigh, ipv6SourceLow)
            .destinationAddress(ipv6DestinationHigh, ipv6DestinationLow);
    }

    private void writeTcp(final MutableDirectBuffer dst, final int l4Offset)
    {
        // zero the data offset byte first: dataOffset() keeps the reserved bits it finds
        dst.putByte(l4Offset + TcpHeaderFlyweight.DATA_OFFSET_OFFSET, (byte)0);
        final TcpHeaderFlyweight header = tcp.wrap(dst, l4Offset)
            .sourcePort(sourcePort)
            .destinationPort(destinationPort)
            .sequenceNumber(sequenceNumber)
            .acknowledgmentNumber(acknowledgmentNumber)
            .flags(flags)
            .window(window)
            .checksum(0)
            .urgentPointer(0)
            .beginOptions();
        if (hasTimestamps)
        {
            header.appendNop().appendNop().appendTimestamps(timestampValue, timestampEchoReply);
        }
        if (sackBlockCount > 0)
        {
            header.appendNop().appendNop().appendSack(sackEdges, sackBlockCount);
        }
        final int headerLength = header.endOptions();
        final int payloadAt = l4Offset + headerLength;
        if (null != payloadArray)
        {
            dst.putBytes(payloadAt, payloadArray, payloadOffset, payloadLength);
        }
        else if (null != payloadBuffer)
        {
            dst.putBytes(payloadAt, payloadBuffer, payloadOffset, payloadLength);
        }
    }

    private void captureIpv4(final DirectBuffer buffer, final int l3Offset, final boolean reverse)
    {
        final Ipv4HeaderFlyweight ip = ipv4.wrap(buffer, l3Offset, Ipv4HeaderFlyweight.MIN_HEADER_LENGTH);
        ipv4Source = reverse ? ip.destinationAddress() : ip.sourceAddress();
        ipv4Destination = reverse ? ip.sourceAddress() : ip.destinationAddress();
        trafficClass = ip.typeOfService() & ~ECN_MASK;
        flowLabel = 0;
        templateTtl = ip.ttl();
    }

    private void captureIpv6(final DirectBuffer buffer, final int l3Offset, final boolean reverse)
    {
        final Ipv6HeaderFlyweight ip = ipv6.wrap(buffer, l3Offset, Ipv6HeaderFlyweight.HEADER_LENGTH);
        final long sourceHigh = ip.sourceAddressHigh();
        final long sourceLow = ip.sourceAddressLow();
        final long destinationHigh = ip.destinationAddressHigh();
        final long destinationLow = ip.destinationAddressLow();
        ipv6SourceHigh = reverse ? destinationHigh : sourceHigh;
        ipv6SourceLow = reverse ? destinationLow : sourceLow;
        ipv6DestinationHigh = reverse ? sourceHigh : destinationHigh;
        ipv6DestinationLow = reverse ? sourceLow : destinationLow;
        trafficClass = ip.trafficClass() & ~ECN_MASK;
        flowLabel = reverse ? 0 : ip.flowLabel();
        templateTtl = ip.hopLimit();
    }

    private int l2Length()
    {
        return EthernetFlyweight.HEADER_LENGTH + (hasVlan ? VlanTagFlyweight.TAG_LENGTH : 0);
    }

    private int l3HeaderLength()
    {
        return ipVersion == Ipv6HeaderFlyweight.VERSION ?
            Ipv6HeaderFlyweight.HEADER_LENGTH : Ipv4HeaderFlyweight.MIN_HEADER_LENGTH;
    }

    private int tcpHeaderLength()
    {
        return TcpHeaderFlyweight.MIN_HEADER_LENGTH + (hasTimestamps ? TIMESTAMPS_OPTION_SPACE : 0) +
            (sackBlockCount > 0 ? 2 + TcpOption.SACK_BASE_LENGTH + sackBlockCount * TcpOption.SACK_BLOCK_LENGTH : 0);
    }

    /** SEG.SEQ + SEG.LEN, where SYN and FIN each take one sequence number (RFC 9293 §3.4). */
    private static int segmentEnd(final DirectBuffer buffer, final ParsedFrame segment, final int segmentFlags)
    {
        final int seq = buffer.getInt(segment.l4Offset + TcpHeaderFlyweight.SEQUENCE_NUMBER_OFFSET, NETWORK_ORDER);
        final int controls = ((segmentFlags & TcpHeaderFlyweight.SYN) != 0 ? 1 : 0) +
            ((segmentFlags & TcpHeaderFlyweight.FIN) != 0 ? 1 : 0);
        return seq + segment.payloadLength + controls;
    }

    private static void checkRange(final int offset, final int length, final int capacity)
    {
        if (offset < 0 || length < 0 || offset > capacity - length)
        {
            throw new IndexOutOfBoundsException("payload range " + offset + "+" + length + " of " + capacity);
        }
    }
}
