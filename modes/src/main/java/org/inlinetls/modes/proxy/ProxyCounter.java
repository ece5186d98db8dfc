package org.inlinetls.modes.proxy;

/**
 * What the full-proxy mode counts, per reason: each counter says what happened to a segment or a flow.
 */
public enum ProxyCounter
{
    FLOWS_OPENED("flows opened (client SYN to a full-proxy service)"),
    FLOWS_REFUSED_MEMORY("flows refused: the memory budget is used up (RST to the client)"),
    FLOWS_ESTABLISHED("flows through the TLS handshake (backend connection opened)"),
    FLOWS_RESUMED("of which resumed sessions"),
    FLOWS_CLOSED("flows ended cleanly (both legs closed)"),
    FLOWS_RESET("flows ended by a RST or a timeout on either leg"),
    FLOWS_EXPIRED("flows expired idle (both legs reset)"),
    FLOWS_TRUNCATED("client legs ending with a FIN but no close_notify (the backend gets a FIN all the same)"),
    FLOWS_NOT_TLS_RESET("flows whose first bytes were not a TLS handshake: reset"),
    BACKEND_REFUSED("backend connections refused or never answered (client reset)"),
    HANDSHAKE_FAILED("handshakes failed (alert to the client, then FIN)"),
    AUTH_FAILED("client records failing authentication (bad_record_mac to the client, RST to the backend)"),
    TLS_PROTOCOL_ERRORS("client records the record layer refused (alert to the client, RST to the backend)"),
    CLIENT_ALERTS("fatal alerts from the client (backend reset)"),
    POST_HANDSHAKE_IGNORED("post-handshake records from the client not acted on (e.g. KeyUpdate)"),
    CLIENT_SEGMENTS("frames from clients handled"),
    SERVER_SEGMENTS("frames from backends handled"),
    UNKNOWN_FLOW_SEGMENTS("segments to a full-proxy service (or from its backend) of no known flow: RST"),
    BYTES_FROM_CLIENTS("plaintext bytes decrypted from clients' records (toward the backends)"),
    BYTES_TO_CLIENTS("plaintext bytes from backends encrypted into records toward the clients"),
    CLIENT_RETRANSMISSIONS("segments the client-side endpoints sent again (timeout, fast or SACK recovery), added " +
        "when a flow ends"),
    BACKEND_RETRANSMISSIONS("segments the backend-side endpoints sent again, added when a flow ends"),
    FLOWS_RESET_SERVICE_REMOVED("flows reset on both legs because a reload removed their service"),
    SERVICE_TABLES_APPLIED("service tables applied (configuration reloads)"),
    TX_REFUSED("frames the transmit port refused (the endpoint offers them again)"),
    LB_FLOWS_BOUND("load-balanced flows (delayed binding) whose backend leg was opened after the TLS handshake"),
    LB_BY_COOKIE("of which sent to the backend their persistence cookie names"),
    LB_COOKIE_BACKEND_DOWN("requests whose cookie names a backend that is down: chosen by the algorithm instead"),
    LB_NO_COOKIE("requests whose header block had no cookie naming a backend: chosen by the algorithm (or source " +
        "persistence)"),
    LB_HEADER_LIMIT("requests whose header block grew past the cookie scan limit: chosen by the algorithm"),
    LB_BY_SOURCE("load-balanced flows sent to the backend their client address was remembered with"),
    LB_NO_BACKEND("load-balanced flows reset after the handshake: no backend of the pool was up"),
    LB_BACKEND_MAC_UNKNOWN("load-balanced flows reset after the handshake: the chosen backend's MAC is not known yet"),
    LB_RESET_BACKEND_DOWN("load-balanced flows reset on both legs: their backend went down since they were bound"),
    LB_PROXY_HEADERS("PROXY protocol v2 headers written to backends"),
    ERRORS("unexpected errors handling a flow (flow reset)");

    private final String description;

    ProxyCounter(final String description)
    {
        this.description = description;
    }

    /** What the counter counts, for logs and metrics help text. */
    public String description()
    {
        return description;
    }
}
