package org.inlinetls.appliance.config;

/**
 * A configuration file that cannot be used; the message names the file, the line and the field.
 */
public final class ConfigException extends Exception
{
    private static final long serialVersionUID = 1L;

    public ConfigException(final String message)
    {
        super(message);
    }

    public ConfigException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
