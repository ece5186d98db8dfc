package org.inlinetls.appliance.config;

import org.inlinetls.handshake.cert.CertificateSpec;
import org.inlinetls.packet.engine.Side;
import org.inlinetls.packet.port.FaultProfile;
import org.inlinetls.seqdb.FlowEntryLayout;
import org.inlinetls.seqdb.JournalConfig;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.Node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads {@code appliance.yaml} into an {@link ApplianceConfig}, rejecting unknown keys and bad values with the file,
 * line and field. See {@code config/appliance.yaml} for the documented format.
 */
public final class ConfigLoader
{
    private static final int MAX_FILE_BYTES = 1 << 20;
    private static final List<ApplianceConfig.OffloadName> DEFAULT_OFFLOADS = List.of(
        ApplianceConfig.OffloadName.GRO, ApplianceConfig.OffloadName.GSO,
        ApplianceConfig.OffloadName.TSO, ApplianceConfig.OffloadName.LRO);
    private static final long DEFAULT_IDLE_TIMEOUT_SEC = 300;

    private ConfigLoader()
    {
    }

    /** Loads and validates a file. */
    public static ApplianceConfig load(final Path file) throws ConfigException
    {
        final byte[] bytes;
        try
        {
            if (Files.isRegularFile(file) && Files.size(file) > MAX_FILE_BYTES)
            {
                throw new ConfigException(file + ": larger than " + MAX_FILE_BYTES + " bytes; not a config file");
            }
            bytes = Files.readAllBytes(file);
        }
        catch (final NoSuchFileException ex)
        {
            throw new ConfigException(file + ": no such file");
        }
        catch (final IOException ex)
        {
            throw new ConfigException(file + ": cannot be read: " + ex.getMessage(), ex);
        }
        return parse(file, new String(bytes, StandardCharsets.UTF_8));
    }

    /** Validates YAML text as if it came from {@code file}. */
    public static ApplianceConfig parse(final Path file, final String yaml) throws ConfigException
    {
        final String name = file.toString();
        final Optional<Node> root;
        try
        {
            final LoadSettings settings = LoadSettings.builder().setLabel(name).setAllowDuplicateKeys(true)
                .setMaxAliasesForCollections(10).build();
            root = new Compose(settings).composeString(yaml);
        }
        catch (final MarkedYamlEngineException ex)
        {
            final int line = ex.getProblemMark().map(mark -> mark.getLine() + 1).orElse(0);
            throw new ConfigException(name + ":" + line + ": not valid YAML: " + ex.getProblem(), ex);
        }
        catch (final YamlEngineException ex)
        {
            throw new ConfigException(name + ": not valid YAML: " + ex.getMessage(), ex);
        }
        if (root.isEmpty())
        {
            throw new ConfigException(name + ":1: the file is empty; see config/appliance.yaml");
        }
        return build(file, new YamlSection(name, "", root.get()));
    }

    private static ApplianceConfig build(final Path file, final YamlSection top) throws ConfigException
    {
        top.requireKnownKeys(Set.of("interfaces", "io", "nic", "threading", "malformed", "faults", "runtime", "tls",
            "certificates", "services", "journal", "export", "metrics", "fullProxy", "switching"));

        final YamlSection interfaces = top.section("interfaces");
        interfaces.requireKnownKeys(Set.of("outside", "inside"));
        final String outside = interfaceName(interfaces, "outside");
        final String inside = interfaceName(interfaces, "inside");
        if (outside.equals(inside))
        {
            throw interfaces.errorAt("inside", "must differ from interfaces.outside (" + outside + ")");
        }
        final List<CertificateSpec> certificates = ServiceConfigReader.certificates(file, top);
        return new ApplianceConfig(
            file.toAbsolutePath(),
            outside,
            inside,
            io(top),
            nic(top),
            threading(top),
            malformed(top),
            faults(top),
            runtimeDirectory(top),
            top.has("runtime") ? top.section("runtime").integer("countersLogIntervalSec", 0, 0, 86_400) : 0,
            TlsConfigReader.read(top),
            certificates,
            ServiceConfigReader.services(top, certificates.size()),
            journal(top),
            export(top),
            metrics(top),
            fullProxy(top),
            switching(top));
    }

    /**
     * {@code switching: {enabled, smallWindowBytes, smallWindowAcks, resumeWindowBytes, maxProxiedFlows, stageBytes,
     * tinySegmentBytes, tinySegmentRun}}, each optional: when a direction of a cut-through flow goes to proxy handling
     * and back.
     */
    private static org.inlinetls.modes.direct.SwitchPolicy switching(final YamlSection top) throws ConfigException
    {
        final org.inlinetls.modes.direct.SwitchPolicy d = org.inlinetls.modes.direct.SwitchPolicy.DEFAULT;
        if (!top.has("switching"))
        {
            return d;
        }
        final YamlSection switching = top.section("switching");
        switching.requireKnownKeys(Set.of("enabled", "smallWindowBytes", "smallWindowAcks", "resumeWindowBytes",
            "maxProxiedFlows", "stageBytes", "tinySegmentBytes", "tinySegmentRun"));
        final int small = (int)switching.integer("smallWindowBytes", d.smallWindowBytes(), 0, 1 << 20);
        final int resume = (int)switching.integer("resumeWindowBytes", d.resumeWindowBytes(), 0, 1 << 24);
        if (resume > 0 && resume < small)
        {
            throw switching.errorAt("resumeWindowBytes", "must not be below smallWindowBytes (" + small + ")");
        }
        return new org.inlinetls.modes.direct.SwitchPolicy(
            switching.bool("enabled", d.enabled()),
            small,
            (int)switching.integer("smallWindowAcks", d.smallWindowAcks(), 1, 1_000),
            resume,
            (int)switching.integer("maxProxiedFlows", d.maxProxiedFlows(), 0, 1 << 20),
            (int)switching.integer("stageBytes", d.stageBytes(), 1024, 1 << 20),
            (int)switching.integer("tinySegmentBytes", d.tinySegmentBytes(), 0, 65_535),
            (int)switching.integer("tinySegmentRun", d.tinySegmentRun(), 1, 1_000));
    }

    /** {@code fullProxy: {memoryBudgetMb, bufferKb, idleTimeoutSec, timeWaitMs}}, each optional. */
    private static ApplianceConfig.FullProxy fullProxy(final YamlSection top) throws ConfigException
    {
        if (!top.has("fullProxy"))
        {
            return ApplianceConfig.FullProxy.DEFAULTS;
        }
        final ApplianceConfig.FullProxy d = ApplianceConfig.FullProxy.DEFAULTS;
        final YamlSection proxy = top.section("fullProxy");
        proxy.requireKnownKeys(Set.of("memoryBudgetMb", "bufferKb", "idleTimeoutSec", "timeWaitMs"));
        return new ApplianceConfig.FullProxy(
            proxy.integer("memoryBudgetMb", d.memoryBudgetMb(), 1, 1L << 20),
            (int)proxy.integer("bufferKb", d.bufferKb(), 8, 16 * 1024),
            proxy.integer("idleTimeoutSec", d.idleTimeoutSec(), 1, 86_400),
            proxy.integer("timeWaitMs", d.timeWaitMs(), 0, 240_000));
    }

    /** {@code metrics: {address: "127.0.0.1:9400"}}: an IP literal and a port, or {@code [v6]:port}. */
    private static ApplianceConfig.Metrics metrics(final YamlSection top) throws ConfigException
    {
        if (!top.has("metrics"))
        {
            return ApplianceConfig.Metrics.NONE;
        }
        final YamlSection metrics = top.section("metrics");
        metrics.requireKnownKeys(Set.of("address"));
        final String text = metrics.string("address", null);
        if (null == text)
        {
            throw metrics.errorAt("address", "required: IP:port of the management endpoint, e.g. 127.0.0.1:9400");
        }
        final java.util.regex.Matcher m =
            java.util.regex.Pattern.compile("(\\d{1,3}(?:\\.\\d{1,3}){3}|\\[[0-9A-Fa-f:.]+])(?::(\\d{1,5}))").matcher(text);
        if (!m.matches())
        {
            throw metrics.errorAt("address", "must be IPv4:port or [IPv6]:port (no host names), was '" + text + "'");
        }
        final int port = Integer.parseInt(m.group(2));
        if (port < 1 || port > 65_535)
        {
            throw metrics.errorAt("address", "port must be in 1..65535, was " + port);
        }
        final String host = m.group(1).startsWith("[") ? m.group(1).substring(1, m.group(1).length() - 1) : m.group(1);
        if (!host.contains(":"))
        {
            for (final String octet : host.split("\\."))
            {
                if (Integer.parseInt(octet) > 255)
                {
                    throw metrics.errorAt("address", "not an IPv4 address: '" + host + "'"); // never a name lookup
                }
            }
        }
        try
        {
            return new ApplianceConfig.Metrics(new java.net.InetSocketAddress(java.net.InetAddress.getByName(host), port));
        }
        catch (final java.net.UnknownHostException ex)
        {
            throw metrics.errorAt("address", "not an IP address: '" + host + "'");
        }
    }

    private static ApplianceConfig.Export export(final YamlSection top) throws ConfigException
    {
        if (!top.has("export"))
        {
            return ApplianceConfig.Export.NONE;
        }
        final YamlSection export = top.section("export");
        export.requireKnownKeys(Set.of("keyLog", "keyLogMaxBytes", "plaintextPcap", "plaintextPcapMaxBytes"));
        final long maxBytes = export.integer("keyLogMaxBytes", ApplianceConfig.Export.DEFAULT_KEY_LOG_MAX_BYTES,
            64 * 1024, 1L << 40);
        final long pcapMaxBytes = export.integer("plaintextPcapMaxBytes",
            ApplianceConfig.Export.DEFAULT_PLAINTEXT_PCAP_MAX_BYTES, 1L << 20, 1L << 40);
        return new ApplianceConfig.Export(absoluteOrNull(export, "keyLog"), maxBytes,
            absoluteOrNull(export, "plaintextPcap"), pcapMaxBytes);
    }

    private static Path absoluteOrNull(final YamlSection section, final String key) throws ConfigException
    {
        if (!section.has(key))
        {
            return null;
        }
        final String text = section.string(key, null);
        final Path path = Path.of(text);
        if (!path.isAbsolute())
        {
            throw section.errorAt(key, "must be an absolute path, was '" + text + "'");
        }
        return path.normalize();
    }

    private static String interfaceName(final YamlSection interfaces, final String key) throws ConfigException
    {
        final String name = interfaces.string(key, null);
        if (name.length() > 15 || !name.matches("[A-Za-z0-9_.:@-]+"))
        {
            throw interfaces.errorAt(key, "not a Linux interface name (1-15 of A-Z a-z 0-9 _ . : @ -): '" + name + "'");
        }
        return name;
    }

    private static ApplianceConfig.Io io(final YamlSection top) throws ConfigException
    {
        if (!top.has("io"))
        {
            return new ApplianceConfig.Io(ApplianceConfig.IoDriver.RING, 65_535, 16 << 20, 64);
        }
        final YamlSection io = top.section("io");
        io.requireKnownKeys(Set.of("driver", "snapLengthBytes", "bufferBytes", "batchFrames", "xdp"));
        final ApplianceConfig.IoDriver driver =
            io.choice("driver", ApplianceConfig.IoDriver.class, ApplianceConfig.IoDriver.RING);
        return new ApplianceConfig.Io(
            driver,
            (int)io.integer("snapLengthBytes", 65_535, 128, 262_144),
            (int)io.integer("bufferBytes", 16 << 20, 1 << 16, 1 << 30),
            (int)io.integer("batchFrames", 64, 1, 4096),
            xdp(io, driver));
    }

    /** {@code io.xdp}: {attach: auto|driver|generic, redirect: intercepted|all}; only with {@code driver: xdp}. */
    private static ApplianceConfig.Xdp xdp(final YamlSection io, final ApplianceConfig.IoDriver driver)
        throws ConfigException
    {
        if (!io.has("xdp"))
        {
            return ApplianceConfig.Xdp.DEFAULT;
        }
        if (driver != ApplianceConfig.IoDriver.XDP)
        {
            throw io.errorAt("xdp", "only with io.driver: xdp (the driver is " + YamlSection.wordOf(driver) + ")");
        }
        final YamlSection xdp = io.section("xdp");
        xdp.requireKnownKeys(Set.of("attach", "redirect"));
        return new ApplianceConfig.Xdp(
            xdp.choice("attach", ApplianceConfig.XdpAttach.class, ApplianceConfig.XdpAttach.AUTO),
            xdp.choice("redirect", ApplianceConfig.XdpRedirect.class, ApplianceConfig.XdpRedirect.INTERCEPTED));
    }

    private static ApplianceConfig.Nic nic(final YamlSection top) throws ConfigException
    {
        if (!top.has("nic"))
        {
            return new ApplianceConfig.Nic(true, DEFAULT_OFFLOADS);
        }
        final YamlSection nic = top.section("nic");
        nic.requireKnownKeys(Set.of("promiscuous", "disableOffloads"));
        return new ApplianceConfig.Nic(
            nic.bool("promiscuous", true),
            List.copyOf(nic.choices("disableOffloads", ApplianceConfig.OffloadName.class, DEFAULT_OFFLOADS)));
    }

    private static ApplianceConfig.Threading threading(final YamlSection top) throws ConfigException
    {
        if (!top.has("threading"))
        {
            return new ApplianceConfig.Threading(ApplianceConfig.ThreadingMode.SHARED, ApplianceConfig.Idle.BACKOFF);
        }
        final YamlSection threading = top.section("threading");
        threading.requireKnownKeys(Set.of("mode", "idle", "workers", "cpus"));
        final ApplianceConfig.ThreadingMode mode =
            threading.choice("mode", ApplianceConfig.ThreadingMode.class, ApplianceConfig.ThreadingMode.SHARED);
        final int workers = (int)threading.integer("workers", 1, 1, ApplianceConfig.Threading.MAX_WORKERS);
        if (workers > 1 && mode != ApplianceConfig.ThreadingMode.DEDICATED)
        {
            throw threading.errorAt("workers", "more than one worker needs mode: dedicated " +
                "(shared runs every agent on one thread)");
        }
        if (workers > 1 && top.has("services") && !top.sections("services").isEmpty())
        {
            throw threading.errorAt("workers", "must be 1 while services are configured: the direct-mode engine " +
                "and its journal run on one thread for now");
        }
        final ApplianceConfig.Cpus cpus = threading.has("cpus") ?
            cpus(threading, mode, workers) : ApplianceConfig.Cpus.NONE;
        return new ApplianceConfig.Threading(
            mode, threading.choice("idle", ApplianceConfig.Idle.class, ApplianceConfig.Idle.BACKOFF), workers, cpus);
    }

    /** {@code threading.cpus}: {dispatcher: N, workers: [N, ...], conductor: N}, each key optional. */
    private static ApplianceConfig.Cpus cpus(
        final YamlSection threading, final ApplianceConfig.ThreadingMode mode, final int workers)
        throws ConfigException
    {
        if (mode != ApplianceConfig.ThreadingMode.DEDICATED)
        {
            throw threading.errorAt("cpus", "pinning needs mode: dedicated (shared runs on the caller's CPUs; " +
                "use taskset)");
        }
        final YamlSection cpus = threading.section("cpus");
        cpus.requireKnownKeys(Set.of("dispatcher", "workers", "conductor"));
        final int unpinned = ApplianceConfig.Cpus.UNPINNED;
        final int maxCpu = 1023; // a cpu_set_t names CPUs 0..1023 (glibc __CPU_SETSIZE)
        if (workers == 1 && cpus.has("dispatcher"))
        {
            throw cpus.errorAt("dispatcher", "only with threading.workers > 1 (one worker reads the ports itself; " +
                "pin it with cpus.workers: [N])");
        }
        final int dispatcher = (int)cpus.integer("dispatcher", unpinned, 0, maxCpu);
        final int conductor = (int)cpus.integer("conductor", unpinned, 0, maxCpu);
        final List<String> texts = cpus.strings("workers", List.of());
        if (cpus.has("workers") && texts.size() != workers)
        {
            throw cpus.errorAt("workers", "needs one CPU per worker (threading.workers is " + workers + "), had " +
                texts.size());
        }
        final List<Integer> workerCpus = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++)
        {
            final int cpu;
            try
            {
                cpu = Integer.parseInt(texts.get(i).replace("_", ""));
            }
            catch (final NumberFormatException ex)
            {
                throw cpus.errorAtItem("workers", i, "must be a whole number, was '" + texts.get(i) + "'");
            }
            if (cpu < 0 || cpu > maxCpu)
            {
                throw cpus.errorAtItem("workers", i, "must be within 0.." + maxCpu + ", was " + cpu);
            }
            workerCpus.add(cpu);
        }
        return new ApplianceConfig.Cpus(dispatcher, workerCpus, conductor);
    }

    private static ApplianceConfig.MalformedAction malformed(final YamlSection top) throws ConfigException
    {
        if (!top.has("malformed"))
        {
            return ApplianceConfig.MalformedAction.DEFAULT;
        }
        final YamlSection malformed = top.section("malformed");
        malformed.requireKnownKeys(Set.of("action"));
        return malformed.choice("action", ApplianceConfig.MalformedAction.class,
            ApplianceConfig.MalformedAction.DEFAULT);
    }

    private static Map<Side, FaultProfile> faults(final YamlSection top) throws ConfigException
    {
        final Map<Side, FaultProfile> faults = new EnumMap<>(Side.class);
        if (!top.has("faults"))
        {
            return faults;
        }
        final YamlSection section = top.section("faults");
        section.requireKnownKeys(Set.of("outside", "inside"));
        for (final Side side : Side.values())
        {
            if (section.has(side.label()))
            {
                faults.put(side, faultProfile(section.section(side.label())));
            }
        }
        return faults;
    }

    private static FaultProfile faultProfile(final YamlSection fault) throws ConfigException
    {
        fault.requireKnownKeys(Set.of("seed", "lossPercent", "duplicatePercent", "reorderPercent", "reorderWindow",
            "delayMicros", "maxHoldMicros"));
        return new FaultProfile(
            fault.integer("seed", 1, Long.MIN_VALUE, Long.MAX_VALUE),
            fault.decimal("lossPercent", 0, 0, 100),
            fault.decimal("duplicatePercent", 0, 0, 100),
            fault.decimal("reorderPercent", 0, 0, 100),
            (int)fault.integer("reorderWindow", 3, 1, 1024),
            fault.integer("delayMicros", 0, 0, 10_000_000) * 1_000L,
            fault.integer("maxHoldMicros", FaultProfile.DEFAULT_MAX_HOLD_NS / 1_000, 0, 10_000_000) * 1_000L);
    }

    private static Path runtimeDirectory(final YamlSection top) throws ConfigException
    {
        if (!top.has("runtime"))
        {
            return Path.of(defaultRuntimeDirectory());
        }
        final YamlSection runtime = top.section("runtime");
        runtime.requireKnownKeys(Set.of("directory", "countersLogIntervalSec"));
        return Path.of(runtime.string("directory", defaultRuntimeDirectory()));
    }

    private static ApplianceConfig.Journal journal(final YamlSection top) throws ConfigException
    {
        final String defaultPath = defaultRuntimeDirectory() + "/journal.dat";
        if (!top.has("journal"))
        {
            return new ApplianceConfig.Journal(Path.of(defaultPath), JournalConfig.DEFAULT_MAX_FLOWS,
                JournalConfig.DEFAULT_RING_CAPACITY, DEFAULT_IDLE_TIMEOUT_SEC);
        }
        final YamlSection journal = top.section("journal");
        journal.requireKnownKeys(
            Set.of("path", "maxFlows", "maxActiveFlows", "ringCapacity", "idleTimeoutSec", "parkAfterMs"));
        final long maxFlows = journal.integer("maxFlows", JournalConfig.DEFAULT_MAX_FLOWS, 1, Integer.MAX_VALUE - 1);
        return new ApplianceConfig.Journal(
            absolutePath(journal, "path", defaultPath),
            maxFlows,
            (int)journal.integer("ringCapacity", JournalConfig.DEFAULT_RING_CAPACITY, 2,
                FlowEntryLayout.MAX_RING_CAPACITY),
            journal.integer("idleTimeoutSec", DEFAULT_IDLE_TIMEOUT_SEC, 1, 86_400),
            journal.integer("maxActiveFlows",
                Math.min(maxFlows, ApplianceConfig.Journal.DEFAULT_MAX_ACTIVE_FLOWS), 1, maxFlows),
            journal.integer("parkAfterMs", ApplianceConfig.Journal.DEFAULT_PARK_AFTER_MS, 0, 86_400_000));
    }

    /** A path that must be absolute: files holding secrets are named in full, never relative to a working directory. */
    static Path absolutePath(final YamlSection section, final String key, final String defaultValue)
        throws ConfigException
    {
        final String text = section.string(key, defaultValue);
        final Path path = Path.of(text);
        if (!path.isAbsolute())
        {
            throw section.errorAt(key, "must be an absolute path (on tmpfs, e.g. under /dev/shm), was '" + text + "'");
        }
        return path.normalize();
    }

    /** {@code /dev/shm/inline-tls}: tmpfs on Debian, so nothing the daemon keeps at run time reaches a disk. */
    public static String defaultRuntimeDirectory()
    {
        return "/dev/shm/inline-tls";
    }
}
