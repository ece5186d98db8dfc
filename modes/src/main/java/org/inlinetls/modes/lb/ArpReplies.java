package org.inlinetls.modes.lb;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.inlinetls.packet.flyweight.ArpFlyweight;
import org.inlinetls.packet.flyweight.EthernetFlyweight;
import org.inlinetls.packet.frame.ParsedFrame;

/**
 * Builds the ARP reply (RFC 826) that answers a request for a virtual address with the appliance's MAC: the request
 * turned around, so VLAN tags stay as they came. One data-path thread; nothing allocated.
 */
final class ArpReplies
{
    /** The shortest Ethernet frame without its FCS: the reply is padded to it. */
    static final int MIN_FRAME_BYTES = 60;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final ArpFlyweight arp = new ArpFlyweight();

    /**
     * Writes the reply to an Ethernet/IPv4 ARP request at offset 0 of {@code into}.
     *
     * @param request the request's frame, as parsed ({@link ArpFlyweight#isEthernetIpv4()} checked by the caller).
     * @param mac     the MAC the requested address is at.
     * @return the reply's length.
     */
    int reply(final DirectBuffer buffer, final ParsedFrame request, final long mac, final MutableDirectBuffer into)
    {
        final int arpEnd = request.l3Offset + ArpFlyweight.ETHERNET_IPV4_LENGTH - request.frameOffset;
        final int length = Math.max(MIN_FRAME_BYTES, arpEnd);
        into.setMemory(0, length, (byte)0);
        into.putBytes(0, buffer, request.frameOffset, arpEnd);
        ethernet.wrap(into, 0);
        ethernet.destinationMac(ethernet.sourceMac()).sourceMac(mac);
        arp.wrap(into, request.l3Offset - request.frameOffset, ArpFlyweight.ETHERNET_IPV4_LENGTH);
        final long requesterMac = arp.senderHardwareAddress();
        final int requesterAddress = arp.senderProtocolAddress();
        final int requested = arp.targetProtocolAddress();
        arp.operation(ArpFlyweight.OPERATION_REPLY)
            .targetHardwareAddress(requesterMac).targetProtocolAddress(requesterAddress)
            .senderHardwareAddress(mac).senderProtocolAddress(requested);
        return length;
    }
}
