package org.inlinetls.shim;

import java.io.IOException;

/**
 * An {@link IOException} raised when a libc call returns failure, naming the call and carrying its errno.
 */
public final class NativeIoException extends IOException
{
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;

    /**
     * @param call   the call that failed as the operator should read it, e.g. {@code "ioctl(SIOCETHTOOL ETHTOOL_SGRO, eth1)"}.
     * @param errno  the errno the call left behind.
     * @param reason the text of that errno (strerror).
     */
    public NativeIoException(final String call, final int errno, final String reason)
    {
        super(call + " failed: " + LibC.errnoName(errno) + " (" + reason + ", errno " + errno + ")");
        this.call = call;
        this.errno = errno;
    }

    /**
     * @return the call that failed.
     */
    public String call()
    {
        return call;
    }

    /**
     * @return the errno of the failure.
     */
    public int errno()
    {
        return errno;
    }
}
