package org.inlinetls.modes.direct;

/**
 * What the direct mode counts, per reason: each counter says what happened to a segment or a flow.
 */
public enum DirectCounter
{
    FLOWS_OPENED("flows opened (client SYN to a protected service)"),
    FLOWS_REFUSED_JOURNAL_FULL("flows refused: journal full (RST to the client)"),
    FLOWS_ESTABLISHED("flows through the handshake into cut-through"),
    FLOWS_RESUMED("of which resumed sessions"),
    FLOWS_RESTORED("flows continued from the journal after a restart"),
    FLOWS_NOT_RESTORABLE("journal entries of flows that could not be continued (in their handshake or in proxy handling): reset"),
    FLOWS_CLOSED("flows closed cleanly (FIN both ways)"),
    FLOWS_RESET("flows ended by a RST from either end"),
    FLOWS_RESET_SERVICE_REMOVED("flows reset on both legs: a reload removed their service (also in flows_reset)"),
    FLOWS_RESET_BY_MODE("flows reset on both legs at a mode's request, e.g. their load-balanced backend went down"),
    SERVICE_TABLES_APPLIED("service tables taken from a configuration reload"),
    FLOWS_EXPIRED("flows expired idle"),
    FLOWS_PARKED("quiet flows taken off the heap (their journal entry keeps them)"),
    FLOWS_UNPARKED("parked flows rebuilt from the journal by their next segment"),
    FLOWS_NOT_TLS_RESET("flows whose first bytes were not a TLS handshake: reset"),
    FLOWS_NOT_TLS_PASSED("flows whose first bytes were not a TLS handshake: passed"),
    HANDSHAKE_FAILED("handshakes failed (alert to the client, RST to the server)"),
    AUTH_FAILED("records failing authentication (bad_record_mac to the client, RST to the server)"),
    TLS_PROTOCOL_ERRORS("client records the record layer refused (alert to the client, RST to the server)"),
    INJECTED_GAVE_UP("flows reset because the client never acknowledged the appliance's flight"),
    CLIENT_SEGMENTS("client segments handled"),
    SERVER_SEGMENTS("server segments handled"),
    CLIENT_OUT_OF_ORDER("client segments past a hole: held until it fills (or dropped, counted below)"),
    SERVER_OUT_OF_ORDER("server segments past a hole: held until it fills (or dropped, counted below)"),
    OUT_OF_ORDER_DROPPED("segments past a hole that could not be held (flow's share or the pool full): dropped"),
    CLIENT_RETRANSMISSIONS("client retransmissions decrypted again from a checkpoint"),
    SERVER_RETRANSMISSIONS("server retransmissions encrypted again from a checkpoint"),
    CLIENT_RETRANSMISSIONS_UNUSABLE("client retransmissions with no checkpoint to start from: acknowledged only"),
    SERVER_RETRANSMISSIONS_UNUSABLE("server retransmissions not matching a checkpoint: dropped"),
    SERVER_RETRANSMISSIONS_PARTIAL("server retransmissions ending inside an original segment: that part not sent"),
    SERVER_RETRANSMISSIONS_CHANGED("server retransmissions whose bytes differ from the original: dropped"),
    RING_FULL_DROPS("segments dropped because the flow's checkpoint ring was full"),
    SERVER_DATA_BEFORE_KEYS("server data before the handshake completed: dropped"),
    APPLIANCE_ACKS("ACKs the appliance generated itself"),
    TX_REFUSED("frames the transmit port refused"),
    UNKNOWN_FLOW_SEGMENTS("segments to a protected service of no known flow (RST)"),
    CLOSED_FLOW_SEGMENTS("segments of a flow closed cleanly in the last minute (a FIN resent after its ACK was " +
        "lost gets the flow's last ACK, not a RST)"),
    PLAIN_FLOWS_UNTRACKED("plain connections to a backend port not tracked (table full): their replies are reset"),
    SACK_BLOCKS_TRANSLATED("SACK blocks of one peer translated into the other's sequence space"),
    SACK_BLOCKS_UNTRANSLATABLE("SACK blocks dropped: no whole segment inside them maps exactly (or below the ACK)"),
    SACK_BLOCKS_HELD("SACK blocks the appliance sent for segments it holds past a hole"),
    SERVER_WINDOW_SHRINK_AVOIDED("ACKs to the server in cut-through that kept the right edge offered before: the " +
        "client's window alone would have taken it back and cut the server's retransmissions short"),
    RETRANSMISSIONS_JOINED("retransmissions joined to the part of an interval an earlier one ended inside"),
    CLIENT_RETRANSMISSIONS_OF_KEPT("client retransmissions inside the part of an interval the appliance keeps and acknowledged: the kept part sent again"),
    SWITCHES_TO_PROXY_SMALL_WINDOW("server->client switched to proxy handling: the client's window stayed small"),
    SWITCHES_TO_PROXY_TINY_SEGMENTS("client->server switched to proxy handling: a run of tiny client segments"),
    SWITCHES_TO_PROXY_UNRESUMABLE("client->server switched to proxy handling: the client resends bytes whose ACK " +
        "cannot pass a boundary without decoder state (inside a CBC record's body)"),
    SWITCHES_TO_CUT_THROUGH("a direction switched back from proxy handling to cut-through"),
    SWITCHES_REFUSED_BUDGET("switches to proxy handling refused: switching.maxProxiedFlows flows in it already"),
    PROXIED_SERVER_BYTES("server bytes carried in proxy handling (staged, records cut by the appliance)"),
    PROXIED_CLIENT_BYTES("client bytes carried in proxy handling (acknowledged by the appliance, resent by it)"),
    PROXIED_STAGE_FULL_DROPS("server segments (parts) beyond the proxy stage's room: dropped, the server resends");

    private final String description;

    DirectCounter(final String description)
    {
        this.description = description;
    }

    /** What the counter counts, for logs and metrics help text. */
    public String description()
    {
        return description;
    }
}
