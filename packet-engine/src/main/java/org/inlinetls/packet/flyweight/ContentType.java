package org.inlinetls.packet.flyweight;

/**
 * TLS record content types, RFC 8446 §5.1 and the IANA "TLS ContentType" registry.
 */
public final class ContentType
{
    /** RFC 8446 §5.1; never valid on the wire as an outer type. */
    public static final int INVALID = 0;
    /** RFC 5246 §7.1; in TLS 1.3 only the compatibility record, RFC 8446 §D.4. */
    public static final int CHANGE_CIPHER_SPEC = 20;
    public static final int ALERT = 21;
    public static final int HANDSHAKE = 22;
    public static final int APPLICATION_DATA = 23;
    /** RFC 6520 §2. */
    public static final int HEARTBEAT = 24;

    private ContentType()
    {
    }

    /** True for the content types a TLS 1.2 or 1.3 record header may carry. */
    public static boolean isKnown(final int contentType)
    {
        return contentType >= CHANGE_CIPHER_SPEC && contentType <= HEARTBEAT;
    }
}
