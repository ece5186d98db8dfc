package org.inlinetls.shim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Answers whether this process is root and which capabilities it holds (from {@code /proc/self/status}), and
 * turns a missing capability into an exception that tells the operator how to fix it.
 *
 * <p>Capabilities are checked rather than the uid: root in a container may lack CAP_NET_ADMIN, and a non-root
 * service may be granted it by {@code setcap} or systemd's {@code AmbientCapabilities=}.
 */
public final class Privileges
{
    /** The per-process status file the kernel documents in proc(5). */
    static final Path PROC_SELF_STATUS = Path.of("/proc/self/status");

    private Privileges()
    {
    }

    /**
     * @return true when the effective uid is 0 (from geteuid, or the Uid line of /proc/self/status without libc).
     */
    public static boolean isRoot()
    {
        if (LibC.isAvailable())
        {
            return LibC.geteuid() == 0;
        }
        return parseEffectiveUid(readStatus()) == 0;
    }

    /**
     * @return true when the capability is in this process's effective set.
     */
    public static boolean hasCapability(final Capability capability)
    {
        return hasCapability(effectiveCapabilities(), capability);
    }

    /**
     * @return the effective capability mask (CapEff) of this process.
     */
    public static long effectiveCapabilities()
    {
        return parseCapabilityMask(readStatus(), "CapEff");
    }

    /**
     * @return the capabilities of {@code required} missing from this process's effective set.
     */
    public static Set<Capability> missing(final Set<Capability> required)
    {
        final long mask = effectiveCapabilities();
        final Set<Capability> missing = EnumSet.noneOf(Capability.class);
        for (final Capability c : required)
        {
            if (!hasCapability(mask, c))
            {
                missing.add(c);
            }
        }
        return missing;
    }

    /**
     * Fails unless the process has CAP_NET_ADMIN and CAP_NET_RAW.
     *
     * @param forWhat what they are needed for, completing "need ... to": e.g. "put eth1 in promiscuous mode".
     * @throws InsufficientPrivilegesException naming what is missing and how to grant it.
     */
    public static void requireNetAdmin(final String forWhat) throws InsufficientPrivilegesException
    {
        require(forWhat, EnumSet.of(Capability.NET_ADMIN, Capability.NET_RAW));
    }

    /**
     * Fails unless the process has every capability in {@code required}.
     *
     * @param forWhat what they are needed for, completing "need ... to".
     * @throws InsufficientPrivilegesException naming what is missing and how to grant it.
     */
    public static void require(final String forWhat, final Set<Capability> required)
        throws InsufficientPrivilegesException
    {
        final Set<Capability> missing = missing(required);
        if (!missing.isEmpty())
        {
            throw new InsufficientPrivilegesException(message(forWhat, required, missing), missing, null);
        }
    }

    /**
     * Builds the operator-facing message, e.g. "need CAP_NET_ADMIN and CAP_NET_RAW to put eth1 in promiscuous
     * mode: run as root or grant the capabilities (setcap / systemd AmbientCapabilities); missing: CAP_NET_RAW".
     */
    static String message(final String forWhat, final Set<Capability> required, final Set<Capability> missing)
    {
        final String names = required.stream().map(Capability::kernelName).collect(Collectors.joining(" and "));
        final String list = required.stream().map(Capability::kernelName).collect(Collectors.joining(" "));
        final StringBuilder sb = new StringBuilder()
            .append("need ").append(names).append(" to ").append(forWhat)
            .append(": run as root or grant the capabilities (setcap '")
            .append(list.toLowerCase(java.util.Locale.ROOT).replace(' ', ',')).append("+ep' on the java binary, or")
            .append(" systemd AmbientCapabilities=").append(list).append(')');
        if (!missing.isEmpty())
        {
            sb.append("; missing: ")
                .append(missing.stream().map(Capability::kernelName).collect(Collectors.joining(", ")));
        }
        return sb.toString();
    }

    static boolean hasCapability(final long mask, final Capability capability)
    {
        return (mask & (1L << capability.bit())) != 0;
    }

    /**
     * Parses a capability line such as {@code CapEff:\t000001fffeffffff} out of the text of a proc status file.
     *
     * @throws IllegalArgumentException when the field is absent or not hexadecimal.
     */
    static long parseCapabilityMask(final String statusText, final String field)
    {
        final String value = fieldValue(statusText, field);
        try
        {
            return Long.parseUnsignedLong(value.trim(), 16);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("bad " + field + " value in proc status: '" + value + "'", ex);
        }
    }

    /**
     * Parses the effective uid (second column) of the {@code Uid:} line of a proc status file.
     */
    static int parseEffectiveUid(final String statusText)
    {
        final String[] ids = fieldValue(statusText, "Uid").trim().split("\\s+");
        if (ids.length < 2)
        {
            throw new IllegalArgumentException("bad Uid line in proc status: '" + String.join(" ", ids) + "'");
        }
        return Integer.parseInt(ids[1]);
    }

    private static String fieldValue(final String statusText, final String field)
    {
        final String prefix = field + ":";
        for (final String line : statusText.split("\n"))
        {
            if (line.startsWith(prefix))
            {
                return line.substring(prefix.length());
            }
        }
        throw new IllegalArgumentException("no " + field + " line in proc status");
    }

    private static String readStatus()
    {
        try
        {
            return Files.readString(PROC_SELF_STATUS, StandardCharsets.US_ASCII);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read " + PROC_SELF_STATUS, ex);
        }
    }
}
