package org.inlinetls.crypto.record;

/**
 * The TLS alert descriptions the record layer raises (RFC 8446 §6.2).
 */
public final class AlertDescription
{
    public static final int CLOSE_NOTIFY = 0;
    public static final int UNEXPECTED_MESSAGE = 10;
    public static final int BAD_RECORD_MAC = 20;
    public static final int RECORD_OVERFLOW = 22;
    public static final int DECODE_ERROR = 50;
    public static final int PROTOCOL_VERSION = 70;
    public static final int INTERNAL_ERROR = 80;

    /** Level byte of a fatal alert (RFC 5246 §7.2). */
    public static final int LEVEL_FATAL = 2;
    public static final int LEVEL_WARNING = 1;

    private AlertDescription()
    {
    }

    /** Name for logs and counters. */
    public static String name(final int description)
    {
        switch (description)
        {
            case CLOSE_NOTIFY:
                return "close_notify";
            case UNEXPECTED_MESSAGE:
                return "unexpected_message";
            case BAD_RECORD_MAC:
                return "bad_record_mac";
            case RECORD_OVERFLOW:
                return "record_overflow";
            case DECODE_ERROR:
                return "decode_error";
            case PROTOCOL_VERSION:
                return "protocol_version";
            case INTERNAL_ERROR:
                return "internal_error";
            default:
                return "alert_" + description;
        }
    }
}
