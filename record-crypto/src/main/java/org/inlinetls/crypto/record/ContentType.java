package org.inlinetls.crypto.record;

/**
 * TLS record content types (RFC 8446 §5.1, RFC 5246 §6.2.1).
 */
public final class ContentType
{
    public static final int CHANGE_CIPHER_SPEC = 20;
    public static final int ALERT = 21;
    public static final int HANDSHAKE = 22;
    public static final int APPLICATION_DATA = 23;

    private ContentType()
    {
    }

    /** True for the four types a TLS 1.2/1.3 record may carry. */
    public static boolean isKnown(final int type)
    {
        return type >= CHANGE_CIPHER_SPEC && type <= APPLICATION_DATA;
    }
}
