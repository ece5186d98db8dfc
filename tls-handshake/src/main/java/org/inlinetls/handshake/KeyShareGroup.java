package org.inlinetls.handshake;

/**
 * The (EC)DHE groups the appliance negotiates, with their IANA code points (RFC 8446 §4.2.7, RFC 8422 §5.1.1).
 */
public enum KeyShareGroup
{
    X25519(29),
    SECP256R1(23),
    SECP384R1(24);

    private final int code;

    KeyShareGroup(final int code)
    {
        this.code = code;
    }

    /** The IANA NamedGroup code point. */
    public int code()
    {
        return code;
    }

    /** The group with this code point, or null. */
    public static KeyShareGroup forCode(final int code)
    {
        for (final KeyShareGroup group : values())
        {
            if (group.code == code)
            {
                return group;
            }
        }
        return null;
    }
}
