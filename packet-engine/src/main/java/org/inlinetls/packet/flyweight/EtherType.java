package org.inlinetls.packet.flyweight;

/**
 * EtherType values the engine looks at, from the IANA "IEEE 802 Numbers" registry.
 */
public final class EtherType
{
    /** IPv4, RFC 894. */
    public static final int IPV4 = 0x0800;
    /** ARP, RFC 826. */
    public static final int ARP = 0x0806;
    /** Customer VLAN tag (C-TAG), IEEE 802.1Q. */
    public static final int VLAN = 0x8100;
    /** IPv6, RFC 2464 §3. */
    public static final int IPV6 = 0x86DD;
    /** Service VLAN tag (S-TAG, "QinQ"), IEEE 802.1ad. */
    public static final int QINQ = 0x88A8;
    /** Pre-standard QinQ tag some switches still emit; not treated as a tag by the parser. */
    public static final int QINQ_LEGACY = 0x9100;

    private EtherType()
    {
    }

    /** True for the tag protocol identifiers of IEEE 802.1Q and 802.1ad. */
    public static boolean isVlanTag(final int etherType)
    {
        return etherType == VLAN || etherType == QINQ;
    }
}
