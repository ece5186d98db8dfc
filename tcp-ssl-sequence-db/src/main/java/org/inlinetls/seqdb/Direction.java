package org.inlinetls.seqdb;

/**
 * The two directions of a flow, which index the per-direction parts of a journal entry.
 */
public enum Direction
{
    /** From the endpoint that opened the flow (the client, source of the key given to insert). */
    CLIENT_TO_SERVER,
    /** Towards the client. */
    SERVER_TO_CLIENT;

    private static final Direction[] VALUES = values();

    /**
     * The other direction.
     *
     * @return the reverse of this direction.
     */
    public Direction reverse()
    {
        return this == CLIENT_TO_SERVER ? SERVER_TO_CLIENT : CLIENT_TO_SERVER;
    }

    /**
     * The direction for an ordinal, without allocating.
     *
     * @param ordinal 0 or 1.
     * @return the direction.
     */
    public static Direction get(final int ordinal)
    {
        return VALUES[ordinal];
    }
}
