package org.inlinetls.shim.xdp;

/**
 * Which end of a TCP segment an intercept key of {@link XdpProgram} names: the segment is redirected to the
 * daemon when its destination (or source) address and port equal the key's.
 */
public enum InterceptMatch
{
    /** The key is the segment's destination address and port: a protected service seen from its clients. */
    DESTINATION(0),
    /** The key is the segment's source address and port: the server's replies. */
    SOURCE(1);

    private final int code;

    InterceptMatch(final int code)
    {
        this.code = code;
    }

    /** @return the {@code match} byte of the program's {@code struct intercept_key}. */
    int code()
    {
        return code;
    }
}
