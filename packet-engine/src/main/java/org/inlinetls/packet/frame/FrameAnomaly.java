package org.inlinetls.packet.frame;

/**
 * Reasons a frame could not be parsed to the end, each with the action a transparent bridge takes by default.
 * <p>
 * Policy: only frames too short to be Ethernet are dropped by default. Every other anomaly is bridged unchanged, the
 * way a kernel bridge would, because the end host is the one that judges its own traffic; such frames are never
 * intercepted. The {@code malformed.action} config key overrides the default for all reasons at once.
 */
public enum FrameAnomaly
{
    NONE("ok", FrameAction.BRIDGE),
    TRUNCATED_ETHERNET("truncated_ethernet", FrameAction.DROP),
    TRUNCATED_VLAN("truncated_vlan", FrameAction.BRIDGE),
    TRUNCATED_ARP("truncated_arp", FrameAction.BRIDGE),
    TRUNCATED_IPV4("truncated_ipv4", FrameAction.BRIDGE),
    BAD_IP_VERSION("bad_ip_version", FrameAction.BRIDGE),
    BAD_IPV4_IHL("bad_ipv4_ihl", FrameAction.BRIDGE),
    BAD_IPV4_TOTAL_LENGTH("bad_ipv4_total_length", FrameAction.BRIDGE),
    IPV4_FRAGMENT("ipv4_fragment", FrameAction.BRIDGE),
    TRUNCATED_IPV6("truncated_ipv6", FrameAction.BRIDGE),
    BAD_IPV6_PAYLOAD_LENGTH("bad_ipv6_payload_length", FrameAction.BRIDGE),
    IPV6_EXTENSION_OVERRUN("ipv6_extension_overrun", FrameAction.BRIDGE),
    IPV6_FRAGMENT("ipv6_fragment", FrameAction.BRIDGE),
    TRUNCATED_TCP("truncated_tcp", FrameAction.BRIDGE),
    BAD_TCP_DATA_OFFSET("bad_tcp_data_offset", FrameAction.BRIDGE),
    TCP_OPTIONS_OVERRUN("tcp_options_overrun", FrameAction.BRIDGE);

    private static final FrameAnomaly[] VALUES = values();

    private final String label;
    private final FrameAction defaultAction;

    FrameAnomaly(final String label, final FrameAction defaultAction)
    {
        this.label = label;
        this.defaultAction = defaultAction;
    }

    /** Stable lower-case id used in counters and logs. */
    public String label()
    {
        return label;
    }

    public FrameAction defaultAction()
    {
        return defaultAction;
    }

    public static FrameAnomaly get(final int ordinal)
    {
        return VALUES[ordinal];
    }
}
