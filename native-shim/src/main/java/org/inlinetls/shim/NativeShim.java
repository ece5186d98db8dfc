package org.inlinetls.shim;

import java.util.Locale;

/**
 * The start-up probe of the native shim: whether this platform and its C library can be used at all, and the
 * features that further need privileges.
 *
 * <p>The daemon calls {@link #isAvailable()} (or {@link #ensureAvailability()}) once at start and falls back to
 * pcap4j when it is false; each feature class ({@link NetDevice}, {@link NetNamespace}) adds its own privilege
 * check to this one through its own {@code isAvailable()}/{@code unavailabilityCause()}.
 */
public final class NativeShim
{
    private static final Throwable UNAVAILABILITY_CAUSE = probe(
        System.getProperty("os.name", ""), System.getProperty("os.arch", ""));

    private NativeShim()
    {
    }

    /**
     * @return true on Linux x86_64/aarch64 with libc bound through JNR-FFI.
     */
    public static boolean isAvailable()
    {
        return UNAVAILABILITY_CAUSE == null;
    }

    /**
     * @return why the shim cannot be used here, or null when {@link #isAvailable()}.
     */
    public static Throwable unavailabilityCause()
    {
        return UNAVAILABILITY_CAUSE;
    }

    /**
     * @throws UnsatisfiedLinkError carrying the cause when the shim is not available.
     */
    public static void ensureAvailability()
    {
        if (UNAVAILABILITY_CAUSE != null)
        {
            throw (UnsatisfiedLinkError)new UnsatisfiedLinkError("native-shim unavailable: "
                + UNAVAILABILITY_CAUSE.getMessage()).initCause(UNAVAILABILITY_CAUSE);
        }
    }

    /**
     * @return one line per feature for the start-up log, e.g. {@code "native-shim: ok; NetDevice: missing ..."}.
     */
    public static String describe()
    {
        return "native-shim: " + status(UNAVAILABILITY_CAUSE)
            + "; NetDevice: " + status(NetDevice.unavailabilityCause())
            + "; NetNamespace: " + status(NetNamespace.unavailabilityCause());
    }

    private static String status(final Throwable cause)
    {
        return cause == null ? "available" : "unavailable (" + cause.getMessage() + ")";
    }

    /**
     * Checks the platform first (the struct table and constants are only right there), then loads libc.
     */
    static Throwable probe(final String osName, final String osArch)
    {
        final Throwable platform = platformCause(osName, osArch);
        if (platform != null)
        {
            return platform;
        }
        return LibC.isAvailable() ? null :
            new UnsatisfiedLinkError("cannot bind libc with JNR-FFI: " + LibC.unavailabilityCause());
    }

    /**
     * @return null on a supported platform, else an exception saying which one this is.
     */
    static Throwable platformCause(final String osName, final String osArch)
    {
        if (!osName.toLowerCase(Locale.ROOT).startsWith("linux"))
        {
            return new UnsupportedOperationException("needs Linux, this is " + osName);
        }
        final String arch = osArch.toLowerCase(Locale.ROOT);
        if (!arch.equals("amd64") && !arch.equals("x86_64") && !arch.equals("aarch64") && !arch.equals("arm64"))
        {
            return new UnsupportedOperationException("needs x86_64 or aarch64 (the struct layouts are LP64 "
                + "little-endian), this is " + osArch);
        }
        return null;
    }
}
