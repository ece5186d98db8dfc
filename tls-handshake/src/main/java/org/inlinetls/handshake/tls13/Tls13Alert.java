package org.inlinetls.handshake.tls13;

/**
 * A TLS 1.3 protocol error found by the appliance's own handshake code, carrying the fatal alert it is answered with
 * (RFC 8446 §6.2). The message is a fixed text: never key material.
 */
public final class Tls13Alert extends Exception
{
    /** RFC 8446 §6.2 alert descriptions used here. */
    public static final int UNEXPECTED_MESSAGE = 10;
    public static final int BAD_RECORD_MAC = 20;
    public static final int HANDSHAKE_FAILURE = 40;
    public static final int ILLEGAL_PARAMETER = 47;
    public static final int DECODE_ERROR = 50;
    public static final int DECRYPT_ERROR = 51;
    public static final int INTERNAL_ERROR = 80;

    private static final long serialVersionUID = 1L;

    private final int description;

    public Tls13Alert(final int description, final String message)
    {
        super(message, null, false, false);
        this.description = description;
    }

    /** The alert description to send. */
    public int description()
    {
        return description;
    }
}
