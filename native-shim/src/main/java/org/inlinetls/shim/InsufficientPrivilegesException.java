package org.inlinetls.shim;

import java.io.IOException;
import java.util.Set;

/**
 * Thrown when the process lacks the capabilities a native operation needs; the message says how to grant them.
 */
public final class InsufficientPrivilegesException extends IOException
{
    private static final long serialVersionUID = 1L;

    private final transient Set<Capability> missing;

    /**
     * @param message what was needed, for what, and how to grant it.
     * @param missing the capabilities found missing (may be empty when the kernel refused despite them).
     * @param cause   the native failure that revealed it, or null when found by the up-front check.
     */
    public InsufficientPrivilegesException(final String message, final Set<Capability> missing, final Throwable cause)
    {
        super(message, cause);
        this.missing = Set.copyOf(missing);
    }

    /**
     * @return the capabilities found missing.
     */
    public Set<Capability> missing()
    {
        return missing;
    }
}
