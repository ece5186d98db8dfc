package org.inlinetls.packet.engine;

/**
 * The two bridged sides of the appliance.
 */
public enum Side
{
    /** Faces the clients (the Internet). */
    OUTSIDE("outside"),
    /** Faces the protected servers. */
    INSIDE("inside");

    private final String label;

    Side(final String label)
    {
        this.label = label;
    }

    public String label()
    {
        return label;
    }

    public Side other()
    {
        return this == OUTSIDE ? INSIDE : OUTSIDE;
    }
}
