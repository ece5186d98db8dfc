package org.inlinetls.appliance.daemon;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.agrona.concurrent.status.AtomicCounter;
import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.modes.lb.Backend;
import org.inlinetls.packet.engine.Side;
import org.inlinetls.shim.xdp.InterceptMatch;
import org.inlinetls.shim.xdp.XdpProgram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's XDP program on the two bridged NICs and the intercept keys it redirects to the daemon's AF_XDP
 * sockets, computed from the configured services ({@link #keysOf}) at start and again on every reload
 * ({@link #apply}); {@link #close()} detaches the program (the NICs' traffic then stays with the kernel bridge).
 * <p>
 * Which frames of a service the engines need, per mode (each mode's wiring sends to these addresses):
 * <ul>
 *     <li>direct and full proxy: the clients' segments to the service address and port on the outside
 *     ({@link InterceptMatch#DESTINATION}); on the inside, the server's segments from its plaintext port
 *     ({@code backendPort}: the decrypted leg the engine opened with the client's address and port) and from the
 *     service port (the server's side of flows the engine bridges, e.g. a non-TLS flow on 443)
 *     ({@link InterceptMatch#SOURCE}); direct mode also the clients' segments to the plaintext port on the outside
 *     (the engine bridges the server's answers of a client's own plain connection only when it saw the client's
 *     side, and resets them otherwise: the server's plaintext never leaves unseen);</li>
 *     <li>load balancing: the virtual address and port on the outside, every backend's address and port on the
 *     inside.</li>
 * </ul>
 * Conductor thread after start (map updates are system calls; the data path never waits for them).
 */
final class XdpIntercepts implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(XdpIntercepts.class);
    private static final Pattern MASTER = Pattern.compile(" master (\\S+) ");

    /**
     * One intercept key.
     *
     * @param side    the NIC it applies to.
     * @param match   whether the segment's destination or source must be {@code address:port}.
     * @param address the address.
     * @param port    the TCP port.
     */
    record Key(Side side, InterceptMatch match, InetAddress address, int port)
    {
        @Override
        public String toString()
        {
            return side.label() + " " + (match == InterceptMatch.DESTINATION ? "to " : "from ") +
                new InetSocketAddress(address, port).toString().replaceFirst("^[^/]*/", "");
        }
    }

    private final XdpProgram program;
    private final String outside;
    private final String inside;
    private final boolean redirectAll;
    private Set<Key> applied = Set.of();
    private AtomicCounter keysGauge;
    private boolean closed;

    XdpIntercepts(final XdpProgram program, final ApplianceConfig config)
    {
        this.program = program;
        this.outside = config.outside();
        this.inside = config.inside();
        this.redirectAll = config.io().xdp().redirect() == ApplianceConfig.XdpRedirect.ALL;
    }

    /** The intercept keys of a configuration's services, in file order, without duplicates. */
    static Set<Key> keysOf(final ApplianceConfig config)
    {
        final Set<Key> keys = new LinkedHashSet<>();
        for (final ApplianceConfig.Service service : config.services())
        {
            final InetAddress address = service.listen().getAddress();
            final int port = service.listen().getPort();
            keys.add(new Key(Side.OUTSIDE, InterceptMatch.DESTINATION, address, port));
            if (service.mode() == ApplianceConfig.ServiceMode.LOAD_BALANCING)
            {
                for (final Backend backend : service.loadBalancing().backends())
                {
                    keys.add(new Key(Side.INSIDE, InterceptMatch.SOURCE, backend.address().getAddress(),
                        backend.address().getPort()));
                }
            }
            else
            {
                keys.add(new Key(Side.INSIDE, InterceptMatch.SOURCE, address, service.backendPort()));
                keys.add(new Key(Side.INSIDE, InterceptMatch.SOURCE, address, port));
                if (service.mode() == ApplianceConfig.ServiceMode.DIRECT)
                {
                    // a client's own plain connection to the server's plaintext port: the direct engine notes it
                    // from the client's segments and bridges the server's answers, which it must never bridge else
                    keys.add(new Key(Side.OUTSIDE, InterceptMatch.DESTINATION, address, service.backendPort()));
                }
            }
        }
        return keys;
    }

    /**
     * Why a configuration cannot run on the XDP driver with its redirect mode, or null when it can.
     * <p>
     * Load-balanced services are refused: the virtual address's ARP requests must reach the daemon (it answers
     * them), the backends' MACs are learned from their frames before the first SYN is mapped (ARP, health-check
     * answers), and the health checks' answers must reach the kernel (the checks are kernel sockets on the
     * appliance's own inside address). The XDP program redirects TCP only and steals what it redirects from the
     * kernel (with {@code redirect: all}, everything), so none of these hold.
     */
    static String refusal(final ApplianceConfig config)
    {
        for (final ApplianceConfig.Service service : config.services())
        {
            if (service.mode() == ApplianceConfig.ServiceMode.LOAD_BALANCING)
            {
                return "service '" + service.name() + "' is load-balanced: the XDP program neither hands the daemon " +
                    "ARP for its virtual address nor leaves the health checks' answers to the kernel (the ring " +
                    "sees both)";
            }
        }
        return null;
    }

    /**
     * With {@code redirect: intercepted}, why the two NICs are not ports of one Linux bridge (which forwards what
     * is not intercepted), or null when they are.
     *
     * @param linkDetails an interface's {@code ip -o -d link show dev IF} line, or null when it cannot be read.
     */
    static String bridgeProblem(final String outside, final String inside, final Function<String, String> linkDetails)
    {
        final String outsideBridge = bridgeOf(outside, linkDetails);
        final String insideBridge = bridgeOf(inside, linkDetails);
        if (null == outsideBridge || null == insideBridge || !outsideBridge.equals(insideBridge))
        {
            return "with io.xdp.redirect: intercepted the kernel forwards what is not intercepted, so " + outside +
                " and " + inside + " must be ports of one Linux bridge, but " + outside + " is " +
                (null == outsideBridge ? "in no bridge" : "in bridge " + outsideBridge) + " and " + inside + " " +
                (null == insideBridge ? "in no bridge" : "in bridge " + insideBridge) +
                " (e.g. ip link add br0 type bridge; ip link set " + outside + " master br0; ip link set " + inside +
                " master br0; ip link set br0 up)";
        }
        return null;
    }

    private static String bridgeOf(final String ifName, final Function<String, String> linkDetails)
    {
        final String line = linkDetails.apply(ifName);
        if (null == line || !line.contains(" bridge_slave "))
        {
            return null;
        }
        final Matcher master = MASTER.matcher(line);
        return master.find() ? master.group(1) : null;
    }

    /**
     * {@code ip -o -d link show dev IF} run in the calling thread's network namespace (a child process inherits the
     * thread's namespace; {@code /sys/class/net} would show the mount's), or null when it fails.
     */
    static String ipLinkDetails(final String ifName)
    {
        try
        {
            final Process ip = new ProcessBuilder("ip", "-o", "-d", "link", "show", "dev", ifName)
                .redirectErrorStream(true).start();
            final String text;
            try (InputStream out = ip.getInputStream())
            {
                text = new String(out.readNBytes(64 << 10), StandardCharsets.UTF_8);
            }
            if (!ip.waitFor(10, TimeUnit.SECONDS))
            {
                ip.destroyForcibly();
                return null;
            }
            return ip.exitValue() == 0 ? text.replace('\n', ' ') + " " : null;
        }
        catch (final IOException ex)
        {
            return null;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Whether every frame goes to the daemon ({@code redirect: all}): the keys are then not used. */
    boolean redirectsAll()
    {
        return redirectAll;
    }

    /** Where the number of keys in force is published after each {@link #apply} ({@code io xdp_intercept_keys}). */
    void keysGauge(final AtomicCounter gauge)
    {
        keysGauge = gauge;
    }

    /** The keys in the program's map for both NICs (tests and diagnostics; a system call per key). */
    int keysInMap() throws IOException
    {
        return program.interceptCount(outside) + program.interceptCount(inside);
    }

    /** The keys in force. */
    Set<Key> applied()
    {
        return applied;
    }

    /**
     * Makes the program's keys those of {@code config}'s services: nothing when they did not change; new keys are
     * added first; when some must go, both interfaces' keys are cleared and all added again (a segment arriving in
     * between, a few system calls long, is forwarded by the kernel bridge). Nothing with {@code redirect: all}.
     *
     * @throws IOException when a map update fails (the keys are then partly applied: the caller logs it).
     */
    void apply(final ApplianceConfig config) throws IOException
    {
        if (redirectAll)
        {
            return;
        }
        final Set<Key> wanted = keysOf(config);
        if (wanted.equals(applied))
        {
            return;
        }
        final Set<Key> stale = new LinkedHashSet<>(applied);
        stale.removeAll(wanted);
        final List<Key> toAdd = new ArrayList<>(wanted);
        if (stale.isEmpty())
        {
            toAdd.removeAll(applied);
        }
        else
        {
            program.clearIntercepts(outside);
            program.clearIntercepts(inside);
            applied = Set.of();
        }
        final Set<Key> done = new LinkedHashSet<>(applied);
        try
        {
            for (final Key key : toAdd)
            {
                program.intercept(key.side() == Side.OUTSIDE ? outside : inside, key.match(), key.address(),
                    key.port());
                done.add(key);
            }
        }
        finally
        {
            applied = done;
            if (null != keysGauge)
            {
                keysGauge.setRelease(done.size());
            }
        }
        LOG.info("xdp: {} intercept key(s){}: {}", wanted.size(), stale.isEmpty() ? "" : " (" + stale.size() +
            " removed)", wanted);
    }

    /** Detaches the program from both NICs and releases it (a failed start); idempotent, never throws. */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            program.close();
            LOG.info("xdp: program detached from {} and {}", outside, inside);
        }
    }

    /**
     * The daemon stops: the program stays attached, so once the sockets close it drops the services' flows (their
     * clients retransmit) while the kernel bridge forwards the rest, and the next start continues those flows from
     * the journal (a start on another driver detaches it; so does {@code ip link set dev IF xdp off}). Idempotent,
     * never throws.
     */
    void closeLeavingAttached()
    {
        if (!closed)
        {
            closed = true;
            program.closeLeavingAttached();
            LOG.info("xdp: program left attached to {} and {}: the services' flows are held until the next start",
                outside, inside);
        }
    }
}
