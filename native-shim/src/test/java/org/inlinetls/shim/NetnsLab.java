package org.inlinetls.shim;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A throw-away network namespace holding one veth pair ({@code a} and {@code b}), driven with iproute2 and ethtool;
 * it never touches the host's own interfaces or addresses.
 */
public final class NetnsLab implements AutoCloseable
{
    public static final String IP = firstExisting("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip");
    public static final String ETHTOOL = firstExisting("/usr/sbin/ethtool", "/sbin/ethtool", "/usr/bin/ethtool");
    private static final Pattern PROMISCUITY = Pattern.compile("promiscuity (\\d+)");

    public final String name;

    private NetnsLab(final String name)
    {
        this.name = name;
    }

    public static boolean toolsPresent()
    {
        return IP != null && ETHTOOL != null;
    }

    /**
     * Creates {@code itls-shim-<random>} with a veth pair a/b, both up.
     */
    public static NetnsLab create() throws IOException
    {
        final String name = "itls-shim-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
        run(IP, "netns", "add", name);
        final NetnsLab lab = new NetnsLab(name);
        try
        {
            // "name" and "dev" keywords: iproute2 would read a bare "a" as "address" and "b" as "broadcast"
            lab.exec(IP, "link", "add", "name", "a", "type", "veth", "peer", "name", "b");
            lab.exec(IP, "link", "set", "dev", "a", "up");
            lab.exec(IP, "link", "set", "dev", "b", "up");
        }
        catch (final IOException | RuntimeException ex)
        {
            lab.close();
            throw ex;
        }
        return lab;
    }

    /**
     * Like {@link #create()} with GRO/GSO/TSO and rx/tx checksumming off on both ends, as a packet-level engine
     * needs (frames arrive whole and with complete checksums).
     */
    public static NetnsLab createWithOffloadsOff() throws IOException
    {
        final NetnsLab lab = create();
        try
        {
            for (final String dev : new String[] {"a", "b"})
            {
                lab.exec(ETHTOOL, "-K", dev, "tso", "off", "gso", "off", "gro", "off", "tx", "off", "rx", "off");
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            lab.close();
            throw ex;
        }
        return lab;
    }

    /**
     * Runs a command inside the namespace with {@code ip netns exec}, which also mounts the namespace's own /sys.
     */
    public String exec(final String... command) throws IOException
    {
        final List<String> full = new ArrayList<>(List.of(IP, "netns", "exec", name));
        full.addAll(List.of(command));
        return run(full.toArray(new String[0]));
    }

    int promiscuity(final String ifName) throws IOException
    {
        final Matcher m = PROMISCUITY.matcher(exec(IP, "-d", "link", "show", "dev", ifName));
        if (!m.find())
        {
            throw new IllegalStateException("no promiscuity in ip -d link output");
        }
        return Integer.parseInt(m.group(1));
    }

    int sysfsFlags(final String ifName) throws IOException
    {
        return Integer.decode(exec("cat", "/sys/class/net/" + ifName + "/flags").trim());
    }

    /**
     * @return each offload's state as {@code ethtool -k} prints it.
     */
    Map<Offload, Boolean> ethtoolOffloads(final String ifName) throws IOException
    {
        final String out = exec(ETHTOOL, "-k", ifName);
        final Map<Offload, Boolean> result = new EnumMap<>(Offload.class);
        for (final Offload offload : Offload.values())
        {
            final Matcher m = Pattern.compile("(?m)^" + Pattern.quote(offload.ethtoolName()) + ": (on|off)").matcher(out);
            if (!m.find())
            {
                throw new IllegalStateException("ethtool -k shows no " + offload.ethtoolName() + ":\n" + out);
            }
            result.put(offload, m.group(1).equals("on"));
        }
        return result;
    }

    @Override
    public void close() throws IOException
    {
        run(IP, "netns", "del", name); // destroys the veth pair with it
    }

    static String run(final String... command) throws IOException
    {
        final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try
        {
            final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0)
            {
                throw new IOException(String.join(" ", command) + " failed: " + out);
            }
            return out;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted running " + String.join(" ", command), ex);
        }
        finally
        {
            p.destroy();
        }
    }

    private static String firstExisting(final String... paths)
    {
        for (final String path : paths)
        {
            if (Files.isExecutable(Path.of(path)))
            {
                return path;
            }
        }
        return null;
    }
}
