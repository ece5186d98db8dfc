package org.inlinetls.shim;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import java.util.stream.Stream;

/**
 * A throw-away network namespace holding one veth pair ({@code a} and {@code b}), and more on demand, driven with
 * iproute2 and ethtool; it never touches the host's own interfaces or addresses. Also the root tests' shared checks of
 * this JVM's sockets and mappings.
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
     * What a root test in a lab checks first: skipped unless root on Linux, failed when iproute2 or ethtool is
     * missing.
     */
    public static void assumeRootWithTools()
    {
        assumeTrue(NativeShim.isAvailable() && Privileges.isRoot(), "needs root on Linux");
        assertTrue(toolsPresent(), "root tests need iproute2 and ethtool installed");
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
            lab.offloadsOff("a");
            lab.offloadsOff("b");
        }
        catch (final IOException | RuntimeException ex)
        {
            lab.close();
            throw ex;
        }
        return lab;
    }

    /**
     * Adds a second veth pair, both ends up, then with offloads off (in {@link #createWithOffloadsOff()}'s order).
     *
     * @return this lab.
     */
    public NetnsLab addVethPairWithOffloadsOff(final String end, final String peer) throws IOException
    {
        exec(IP, "link", "add", "name", end, "type", "veth", "peer", "name", peer);
        for (final String dev : new String[] {end, peer})
        {
            exec(IP, "link", "set", "dev", dev, "up");
            offloadsOff(dev);
        }
        return this;
    }

    private void offloadsOff(final String dev) throws IOException
    {
        exec(ETHTOOL, "-K", dev, "tso", "off", "gso", "off", "gro", "off", "tx", "off", "rx", "off");
    }

    /**
     * Waits until each device is up with its real qdisc attached. Right after {@code ip link set up} a veth keeps the
     * {@code noop} qdisc until the link watcher activates it, and noop drops every frame while {@code send} and
     * {@code sendmmsg} report success (NET_XMIT_CN maps to no error): a test sending then would lose frames silently.
     *
     * @return this lab.
     */
    public NetnsLab awaitLinksUp(final String... devices) throws IOException
    {
        final long deadline = System.nanoTime() + 5_000_000_000L;
        for (final String dev : devices)
        {
            String link = exec(IP, "link", "show", "dev", dev);
            while (!(link.contains("state UP") && !link.contains("qdisc noop")))
            {
                if (System.nanoTime() - deadline > 0)
                {
                    throw new IllegalStateException(dev + " not up after 5 s: " + link);
                }
                Thread.onSpinWait();
                link = exec(IP, "link", "show", "dev", dev);
            }
        }
        return this;
    }

    /** Something opened while the calling thread is inside the lab's namespace, e.g. a port on one of its veths. */
    @FunctionalInterface
    public interface Opening<T, E extends Exception>
    {
        T open() throws E;
    }

    /**
     * Opens something inside the namespace: the calling thread enters it for the call only, and what was opened
     * (a socket, a daemon's ports) stays bound to the lab's interfaces.
     */
    public <T, E extends Exception> T openInside(final Opening<T, E> opening) throws E, IOException
    {
        try (NetNamespace.Entered ignored = NetNamespace.enter(name))
        {
            return opening.open();
        }
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

    /**
     * Open socket descriptors of this JVM: only sockets are counted, because the JVM opens and closes other files
     * (class-path jars, /proc reads) on its own at any time.
     */
    public static long openSockets() throws IOException
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd")))
        {
            return fds.filter(fd ->
            {
                try
                {
                    return Files.readSymbolicLink(fd).toString().startsWith("socket:");
                }
                catch (final IOException ex)
                {
                    return false;
                }
            }).count();
        }
    }

    /** @return true when a mapping of this JVM covers {@code address}. */
    public static boolean isMapped(final long address) throws IOException
    {
        try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps")))
        {
            // a range test, not a start test: an anonymous mapping may merge with a neighbour of the same flags
            return maps.anyMatch(line ->
            {
                final int dash = line.indexOf('-');
                final long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
                final long end = Long.parseUnsignedLong(line.substring(dash + 1, line.indexOf(' ')), 16);
                return Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0;
            });
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
