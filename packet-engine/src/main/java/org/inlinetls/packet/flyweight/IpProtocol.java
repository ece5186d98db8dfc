package org.inlinetls.packet.flyweight;

/**
 * IP protocol numbers and IPv6 extension header types, from the IANA "Assigned Internet Protocol Numbers" registry.
 */
public final class IpProtocol
{
    /** IPv6 Hop-by-Hop Options, RFC 8200 §4.3. */
    public static final int HOP_BY_HOP = 0;
    /** ICMP, RFC 792. */
    public static final int ICMP = 1;
    /** TCP, RFC 9293. */
    public static final int TCP = 6;
    /** UDP, RFC 768. */
    public static final int UDP = 17;
    /** IPv6 Routing header, RFC 8200 §4.4. */
    public static final int IPV6_ROUTING = 43;
    /** IPv6 Fragment header, RFC 8200 §4.5. */
    public static final int IPV6_FRAGMENT = 44;
    /** Encapsulating Security Payload, RFC 4303; opaque, ends the header chain. */
    public static final int ESP = 50;
    /** Authentication Header, RFC 4302 §2.2: its length is in 4-octet units minus 2. */
    public static final int AH = 51;
    /** ICMPv6, RFC 4443. */
    public static final int ICMPV6 = 58;
    /** IPv6 No Next Header, RFC 8200 §4.7. */
    public static final int IPV6_NO_NEXT_HEADER = 59;
    /** IPv6 Destination Options, RFC 8200 §4.6. */
    public static final int IPV6_DESTINATION_OPTIONS = 60;
    /** Mobility header, RFC 6275 §6.1; uses the uniform extension header format of RFC 6564. */
    public static final int MOBILITY = 135;
    /** Host Identity Protocol, RFC 7401 §5.1; uniform extension header format. */
    public static final int HIP = 139;
    /** Shim6, RFC 5533 §5; uniform extension header format. */
    public static final int SHIM6 = 140;

    private IpProtocol()
    {
    }

    /**
     * True for the IPv6 extension headers a parser skips to reach the upper layer (RFC 8200 §4, RFC 7045 §2).
     * ESP and No Next Header end the chain and are not included.
     */
    public static boolean isIpv6ExtensionHeader(final int protocol)
    {
        switch (protocol)
        {
            case HOP_BY_HOP:
            case IPV6_ROUTING:
            case IPV6_FRAGMENT:
            case AH:
            case IPV6_DESTINATION_OPTIONS:
            case MOBILITY:
            case HIP:
            case SHIM6:
                return true;
            default:
                return false;
        }
    }
}
