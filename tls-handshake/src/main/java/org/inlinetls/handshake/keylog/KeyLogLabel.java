package org.inlinetls.handshake.keylog;

/**
 * The labels of the NSS key log format (SSLKEYLOGFILE, as Wireshark reads it): each line is
 * {@code LABEL <client_random hex> <secret hex>}. TLS 1.2 logs the master secret under {@link #CLIENT_RANDOM};
 * TLS 1.3 logs the four traffic secrets of RFC 8446 §7.1.
 */
public enum KeyLogLabel
{
    /** TLS 1.2: the 48-byte master secret. */
    CLIENT_RANDOM,
    /** TLS 1.3: client_handshake_traffic_secret. */
    CLIENT_HANDSHAKE_TRAFFIC_SECRET,
    /** TLS 1.3: server_handshake_traffic_secret. */
    SERVER_HANDSHAKE_TRAFFIC_SECRET,
    /** TLS 1.3: client_application_traffic_secret_0. */
    CLIENT_TRAFFIC_SECRET_0,
    /** TLS 1.3: server_application_traffic_secret_0. */
    SERVER_TRAFFIC_SECRET_0;

    private static final KeyLogLabel[] VALUES = values();

    /** The label for its text in a key log line, or null for one this appliance does not use. */
    public static KeyLogLabel forText(final String text)
    {
        for (final KeyLogLabel label : VALUES)
        {
            if (label.name().equals(text))
            {
                return label;
            }
        }
        return null;
    }
}
