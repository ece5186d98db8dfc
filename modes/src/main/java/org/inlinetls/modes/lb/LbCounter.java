package org.inlinetls.modes.lb;

/**
 * What the load-balancing mode's NAT stage ({@link LbNatStage}) counts, per reason.
 */
public enum LbCounter
{
    FLOWS_MAPPED("new flows to a virtual address NATed to a backend"),
    FLOWS_PERSISTED("of which sent to the backend their client was remembered with (persistence by source)"),
    SYN_RESET_NO_BACKEND("SYNs to a virtual address answered with a RST: no backend of the pool is up"),
    SYN_RESET_TABLE_FULL("SYNs to a virtual address answered with a RST: the NAT table is full"),
    SYN_RESET_CONFLICT("SYNs answered with a RST: the client port already has a flow to that backend"),
    SYN_DROPPED_BACKEND_MAC_UNKNOWN("SYNs dropped (the client retries): the chosen backend's MAC is not known yet"),
    UNMAPPED_SEGMENTS_RESET("segments to a virtual address of no NAT mapping, answered with a RST"),
    FLOWS_RESET_BACKEND_DOWN("flows reset on both legs: their backend went down (or down and up) since they opened"),
    FLOWS_RESET_SERVICE_REMOVED("flows reset on both legs: a reload removed their virtual service"),
    SERVICE_TABLES_APPLIED("virtual service tables applied (configuration reloads)"),
    MAPPINGS_ENDED("NAT mappings removed because the engine ended their flow"),
    MAPPINGS_EXPIRED("NAT mappings removed idle (the engine never reported their end)"),
    FRAMES_TO_BACKEND("client frames rewritten to their backend (destination IP and MAC)"),
    FRAMES_TO_CLIENT("frames to the client rewritten to come from the virtual address"),
    FRAMES_TO_CLIENT_UNMAPPED("frames from a backend's internal service of no mapping: dropped, never sent"),
    FRAMES_NOT_TCP_TO_VIP("frames to a virtual address that are not TCP to its port (or fragments): dropped"),
    FRAMES_ENGINE_NOT_CONSUMED("rewritten frames the engine did not take: dropped"),
    ARP_REPLIES("ARP requests for a virtual address answered with the outside MAC"),
    OWN_ADDRESS_FRAMES("frames from or to the appliance's own addresses (health checks): not bridged"),
    BACKEND_MACS_LEARNED("backend MAC addresses learned or changed (from frames on the inside)");

    private final String description;

    LbCounter(final String description)
    {
        this.description = description;
    }

    /** What the counter counts, for logs and metrics help text. */
    public String description()
    {
        return description;
    }
}
