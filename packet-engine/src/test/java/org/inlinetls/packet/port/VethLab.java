package org.inlinetls.packet.port;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away network namespace with one veth pair {@code a}/{@code b}, both up with offloads off; deleting the
 * namespace destroys the pair. Never touches the host's interfaces.
 */
final class VethLab implements AutoCloseable
{
    static final String IP = firstExisting("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip");
    static final String ETHTOOL = firstExisting("/usr/sbin/ethtool", "/sbin/ethtool", "/usr/bin/ethtool");

    final String name;

    private VethLab(final String name)
    {
        this.name = name;
    }

    static boolean toolsPresent()
    {
        return IP != null && ETHTOOL != null;
    }

    static VethLab create() throws IOException
    {
        final String name = "itls-ring-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
        run(IP, "netns", "add", name);
        final VethLab lab = new VethLab(name);
        try
        {
            lab.exec(IP, "link", "add", "name", "a", "type", "veth", "peer", "name", "b");
            for (final String dev : new String[] {"a", "b"})
            {
                lab.exec(ETHTOOL, "-K", dev, "tso", "off", "gso", "off", "gro", "off", "tx", "off", "rx", "off");
                lab.exec(IP, "link", "set", "dev", dev, "up");
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            lab.close();
            throw ex;
        }
        return lab;
    }

    String exec(final String... command) throws IOException
    {
        final List<String> full = new ArrayList<>(List.of(IP, "netns", "exec", name));
        full.addAll(List.of(command));
        return run(full.toArray(new String[0]));
    }

    @Override
    public void close() throws IOException
    {
        run(IP, "netns", "del", name);
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
