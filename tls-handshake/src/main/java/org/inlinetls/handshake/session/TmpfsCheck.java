package org.inlinetls.handshake.session;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Finds the file system a path lives on from {@code /proc/self/mountinfo} (proc(5)), so that files holding secrets
 * are refused anywhere but tmpfs (nothing reaches a disk or a swap-less backup).
 */
public final class TmpfsCheck
{
    static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    private TmpfsCheck()
    {
    }

    /** True when the directory (or the nearest existing ancestor of it) is on tmpfs. */
    public static boolean isTmpfs(final Path directory) throws IOException
    {
        return "tmpfs".equals(fileSystemType(directory, Files.readAllLines(MOUNTINFO)));
    }

    /**
     * The type of the file system mounted at the longest mount point containing the path, or null.
     *
     * @param mountinfo the lines of a mountinfo file: {@code id parent major:minor root mount-point options
     * [optional fields] - type source super-options}.
     */
    static String fileSystemType(final Path directory, final List<String> mountinfo) throws IOException
    {
        Path existing = directory.toAbsolutePath().normalize();
        while (null != existing && !Files.exists(existing))
        {
            existing = existing.getParent();
        }
        final Path real = null == existing ? Path.of("/") : existing.toRealPath();
        String type = null;
        int bestLength = -1;
        for (final String line : mountinfo)
        {
            final String[] fields = line.split(" ");
            final int separator = List.of(fields).indexOf("-");
            if (fields.length < 5 || separator < 0 || separator + 1 >= fields.length)
            {
                continue;
            }
            final Path mountPoint = Path.of(unescape(fields[4]));
            final int length = mountPoint.toString().length();
            // later lines override earlier ones at the same mount point (mounts stacked on top)
            if (real.startsWith(mountPoint) && length >= bestLength)
            {
                bestLength = length;
                type = fields[separator + 1];
            }
        }
        return type;
    }

    /** Mount points escape space, tab, newline and backslash as octal ({@code \040}). */
    private static String unescape(final String field)
    {
        final StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++)
        {
            final char c = field.charAt(i);
            if (c == '\\' && i + 4 <= field.length())
            {
                out.append((char)Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            }
            else
            {
                out.append(c);
            }
        }
        return out.toString();
    }
}
