package org.inlinetls.appliance.config;

import org.inlinetls.crypto.cbc.CbcSuite;
import org.inlinetls.crypto.record.IntegrityMode;
import org.inlinetls.crypto.suite.CipherSuite;
import org.inlinetls.handshake.KeyShareGroup;
import org.inlinetls.handshake.cert.CertificateSpec;
import org.inlinetls.modes.lb.Backend;
import org.inlinetls.modes.lb.BalancingAlgorithm;
import org.inlinetls.modes.lb.HealthCheckSettings;
import org.inlinetls.packet.engine.Side;
import org.inlinetls.packet.port.FaultProfile;
import org.inlinetls.seqdb.JournalConfig;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The daemon's whole validated configuration, built once from the YAML file by {@link ConfigLoader}.
 *
 * @param source    the file it came from.
 * @param outside   interface facing the clients.
 * @param inside    interface facing the servers.
 * @param io        packet I/O settings.
 * @param nic       what is done to the bridged interfaces at start (and undone at stop).
 * @param threading how agents map to threads.
 * @param malformed what to do with frames that do not parse.
 * @param faults    optional fault injection per egress side (lab and tests only); empty when off.
 * @param runtimeDirectory where the counters file lives (tmpfs).
 * @param countersLogIntervalSec how often counters are logged; 0 for only at exit and on SIGUSR1.
 * @param tls       the TLS policy every service answers clients with.
 * @param certificates the credentials of the certificate store, in file order; at most one is marked default and,
 *                  when the file marks none, the first is.
 * @param services  the virtual services whose port 443 flows are intercepted; empty for a pure bridge.
 * @param journal   the per-flow journal (DESIGN §5).
 * @param fullProxy the buffers and memory budget of full-proxy services.
 * @param export    opt-in exports of secrets (the NSS key log); off unless configured.
 * @param metrics   the management endpoint (Prometheus {@code /metrics}, {@code /healthz}); off unless configured.
 */
public record ApplianceConfig(
    Path source,
    String outside,
    String inside,
    Io io,
    Nic nic,
    Threading threading,
    MalformedAction malformed,
    Map<Side, FaultProfile> faults,
    Path runtimeDirectory,
    long countersLogIntervalSec,
    Tls tls,
    List<CertificateSpec> certificates,
    List<Service> services,
    Journal journal,
    Export export,
    Metrics metrics,
    FullProxy fullProxy,
    org.inlinetls.modes.direct.SwitchPolicy switching)
{
    /** Packet I/O driver. */
    public enum IoDriver
    {
        /**
         * AF_PACKET TPACKET_V3 receive ring and batched transmit (the default); falls back to {@link #PCAP} with a
         * logged reason where rings cannot be opened.
         */
        RING,
        /** libpcap through pcap4j: portable, about 5x the CPU per frame; the fallback. */
        PCAP,
        /**
         * An XDP program on both NICs hands the intercepted flows (or, with {@link XdpRedirect#ALL}, every frame) to
         * AF_XDP sockets the daemon reads; everything else stays in the kernel (a Linux bridge of the two NICs).
         * Falls back to {@link #RING}, then {@link #PCAP}, with a logged reason where XDP or AF_XDP cannot be used.
         */
        XDP
    }

    /** How the XDP program is attached ({@code io.xdp.attach}). */
    public enum XdpAttach
    {
        /** Native (driver) mode where the driver supports it, else generic. */
        AUTO,
        /** Native (driver) mode only: attaching fails on a driver without XDP support. */
        DRIVER,
        /** Generic (skb) mode: works on every interface, costs an skb per frame. */
        GENERIC
    }

    /** Which frames the XDP program redirects to the daemon ({@code io.xdp.redirect}). */
    public enum XdpRedirect
    {
        /**
         * The TCP segments of the configured services only (outside: to the service address and port; inside: from
         * the server or backend address and port); the rest is forwarded by the kernel bridge of the two NICs.
         */
        INTERCEPTED,
        /** Every frame: the daemon bridges everything, as on the ring (no kernel bridge needed). */
        ALL
    }

    /** Threading modes (STYLE: Aeron's MediaDriver modes). */
    public enum ThreadingMode
    {
        /** Every agent on one thread: 2-core machines and tests. */
        SHARED,
        /** The bridge on its own thread, the conductor on another. */
        DEDICATED
    }

    /** Idle strategies for agents with nothing to do. */
    public enum Idle
    {
        BACKOFF,
        BUSY_SPIN,
        YIELDING,
        SLEEPING
    }

    /** NIC offloads the daemon can turn off. */
    public enum OffloadName
    {
        GRO,
        GSO,
        TSO,
        LRO,
        TX_CHECKSUM
    }

    /** What to do with malformed frames. */
    public enum MalformedAction
    {
        /** Each anomaly's documented default. */
        DEFAULT,
        BRIDGE,
        DROP
    }

    /**
     * Packet I/O settings.
     *
     * @param driver          the port implementation.
     * @param snapLengthBytes pcap only: bytes captured per frame.
     * @param bufferBytes     kernel buffer per port: the pcap buffer, or the ring's size (whole 1 MiB blocks).
     * @param batchFrames     most frames taken from one port per duty cycle.
     * @param xdp             XDP settings (used with {@link IoDriver#XDP} only).
     */
    public record Io(IoDriver driver, int snapLengthBytes, int bufferBytes, int batchFrames, Xdp xdp)
    {
        public Io
        {
            xdp = null == xdp ? Xdp.DEFAULT : xdp;
        }

        /** With the default XDP settings. */
        public Io(final IoDriver driver, final int snapLengthBytes, final int bufferBytes, final int batchFrames)
        {
            this(driver, snapLengthBytes, bufferBytes, batchFrames, Xdp.DEFAULT);
        }
    }

    /**
     * XDP settings ({@code io.xdp}).
     *
     * @param attach   how the program is attached to the two NICs.
     * @param redirect which frames go to the daemon.
     */
    public record Xdp(XdpAttach attach, XdpRedirect redirect)
    {
        public static final Xdp DEFAULT = new Xdp(XdpAttach.AUTO, XdpRedirect.INTERCEPTED);
    }

    /** What is done to the bridged NICs. */
    public record Nic(boolean promiscuous, List<OffloadName> disableOffloads)
    {
    }

    /**
     * Threading.
     *
     * @param mode    shared or dedicated.
     * @param idle    what an idle agent does.
     * @param workers bridge workers sharded by flow hash, 1..{@link #MAX_WORKERS}; above 1 (dedicated only) a
     *                dispatcher thread owns the ports' receive side and each worker transmits through its own ports.
     * @param cpus    the CPU each thread pins itself to, or {@link Cpus#NONE} for no pinning.
     */
    public record Threading(ThreadingMode mode, Idle idle, int workers, Cpus cpus)
    {
        public static final int MAX_WORKERS = 64;

        public Threading
        {
            if (workers < 1 || workers > MAX_WORKERS)
            {
                throw new IllegalArgumentException("workers must be within 1.." + MAX_WORKERS + ": " + workers);
            }
            if (!cpus.workers().isEmpty() && cpus.workers().size() != workers)
            {
                throw new IllegalArgumentException("one CPU per worker: " + cpus.workers() + " for " + workers);
            }
        }

        /** One worker, no pinning. */
        public Threading(final ThreadingMode mode, final Idle idle)
        {
            this(mode, idle, 1, Cpus.NONE);
        }
    }

    /**
     * CPU pinning of the dedicated threads; {@link #UNPINNED} where a thread is not pinned.
     *
     * @param dispatcher the dispatcher's CPU (workers &gt; 1 only).
     * @param workers    each worker's CPU in worker order (the bridge's with one worker), or empty.
     * @param conductor  the conductor's CPU.
     */
    public record Cpus(int dispatcher, List<Integer> workers, int conductor)
    {
        public static final int UNPINNED = -1;
        public static final Cpus NONE = new Cpus(UNPINNED, List.of(), UNPINNED);

        public Cpus
        {
            workers = List.copyOf(workers);
        }

        public boolean isEmpty()
        {
            return dispatcher == UNPINNED && workers.isEmpty() && conductor == UNPINNED;
        }

        /** The worker's CPU, or {@link #UNPINNED}. */
        public int worker(final int index)
        {
            return workers.isEmpty() ? UNPINNED : workers.get(index);
        }
    }

    /** How a service handles its flows (DESIGN §1). */
    public enum ServiceMode
    {
        /** Transparent: the client talks to the server's own address; only 443 becomes the backend port. */
        DIRECT,
        /**
         * A virtual address NATed to a pool of backends: validated by check-config, its data path not wired yet
         * (the daemon refuses to start such a service).
         */
        LOAD_BALANCING,
        /**
         * TCP terminated on both legs by the appliance's own endpoints (transparent: the service's address, its
         * backend port on the same address), TLS on the client leg; buffers bounded by {@link FullProxy}.
         */
        FULL_PROXY
    }

    /** What to do with a flow to a service's port whose first client bytes are not a TLS handshake. */
    public enum NonTlsAction
    {
        /** Reset both ends. */
        RESET,
        /** Bridge the flow unchanged to the service's own port. */
        PASS
    }

    /**
     * The TLS policy; the fields map one to one onto {@code HandshakeConfig.Builder}.
     *
     * @param minVersion     the lowest protocol version accepted.
     * @param suites         AEAD suites in server preference order.
     * @param cbcSuites      legacy CBC suites, offered after every AEAD suite; empty unless {@code allowCbc}.
     * @param allowCbc       whether CBC suites are offered at all (DESIGN §6: off by default).
     * @param groups         key-share groups in preference order.
     * @param alpn           ALPN protocols the backends speak, in preference order; empty: ALPN not negotiated.
     * @param integrity      when the plaintext of a record spanning segments is released (DESIGN §6).
     * @param sessionTickets RFC 5077 and TLS 1.3 resumption tickets.
     * @param sessionCache   TLS 1.2 session-id resumption.
     * @param sack           whether SACK (RFC 2018) is translated between the legs or SACK-permitted stripped.
     */
    public record Tls(
        CipherSuite.TlsVersion minVersion,
        List<CipherSuite> suites,
        List<CbcSuite> cbcSuites,
        boolean allowCbc,
        List<KeyShareGroup> groups,
        List<String> alpn,
        IntegrityMode integrity,
        SessionTickets sessionTickets,
        SessionCache sessionCache,
        SackMode sack)
    {
    }

    /** What the cut-through modes do with SACK (DESIGN §4), {@code tls.sack} in the file. */
    public enum SackMode
    {
        /** Translate SACK blocks between the cipher and plain sequence spaces (the default). */
        TRANSLATE,
        /** Strip SACK-permitted from the SYNs: no SACK on either leg (much slower under loss). */
        STRIP
    }

    /**
     * Session tickets; the ticket keys live only in memory and are never written anywhere.
     *
     * @param enabled             whether tickets are issued and accepted.
     * @param rotationIntervalSec how long a ticket key seals; it still opens for one more interval.
     * @param lifetimeSec         how long a session stays resumable (tickets and the session cache alike).
     */
    public record SessionTickets(boolean enabled, long rotationIntervalSec, long lifetimeSec)
    {
    }

    /**
     * The TLS 1.2 session-id cache, a Chronicle Map file on tmpfs (it holds master secrets).
     *
     * @param enabled    whether session ids are issued and resumed.
     * @param maxEntries the most sessions kept.
     * @param path       the file, which must be on tmpfs or ramfs when it is opened.
     */
    public record SessionCache(boolean enabled, int maxEntries, Path path)
    {
    }

    /**
     * A virtual service: the address whose port 443 flows are intercepted.
     *
     * @param name          unique label used in logs and counters.
     * @param mode          how its flows are handled.
     * @param listen        the address and port clients connect to.
     * @param backendPort   the plain-HTTP port of the server that receives the decrypted bytes (direct mode; a
     *                      load-balanced service's backends carry their own ports).
     * @param onNonTls      what to do with flows that do not start with a TLS handshake.
     * @param loadBalancing the pool and its policies when the mode is {@link ServiceMode#LOAD_BALANCING}, else null.
     */
    public record Service(String name, ServiceMode mode, InetSocketAddress listen, int backendPort,
        NonTlsAction onNonTls, LoadBalancing loadBalancing)
    {
        public Service
        {
            if ((mode == ServiceMode.LOAD_BALANCING) != (loadBalancing != null))
            {
                throw new IllegalArgumentException("load-balancing settings go with mode load-balancing only: " +
                    name);
            }
        }

        /** A service without a pool (direct mode). */
        public Service(final String name, final ServiceMode mode, final InetSocketAddress listen, final int backendPort,
            final NonTlsAction onNonTls)
        {
            this(name, mode, listen, backendPort, onNonTls, null);
        }
    }

    /**
     * A load-balanced service's pool and policies (DESIGN §1); the types are the load-balancing mode's own
     * ({@code org.inlinetls.modes.lb}).
     *
     * @param backends      the pool in file order; a backend's index is its id.
     * @param algorithm     how new flows are spread over the backends that are up.
     * @param healthCheck   how backends are checked.
     * @param persistence   how a client is kept on its backend.
     * @param proxyProtocol whether a PROXY protocol header precedes the plaintext sent to the backend.
     */
    public record LoadBalancing(List<Backend> backends, BalancingAlgorithm algorithm, HealthCheckSettings healthCheck,
        Persistence persistence, ProxyProtocol proxyProtocol)
    {
        public LoadBalancing
        {
            backends = List.copyOf(backends);
        }
    }

    /** How a load-balanced service keeps a client on one backend. */
    public enum PersistenceType
    {
        /** Each new flow is placed by the algorithm alone. */
        NONE,
        /** By client address: a bounded table of recent clients and their backends. */
        SOURCE,
        /** By a cookie the backends set themselves, its value naming the backend (read from the request). */
        COOKIE
    }

    /**
     * Persistence settings.
     *
     * @param type           none, source or cookie.
     * @param cookieName     the cookie's name ({@link PersistenceType#COOKIE} only, else null).
     * @param idleTimeoutSec how long a client is remembered after its last new flow ({@link PersistenceType#SOURCE}).
     * @param maxClients     the most clients remembered ({@link PersistenceType#SOURCE}).
     */
    public record Persistence(PersistenceType type, String cookieName, long idleTimeoutSec, int maxClients)
    {
        public static final Persistence NONE = new Persistence(PersistenceType.NONE, null, 300, 65_536);
    }

    /** The PROXY protocol header sent to the backends ahead of the plaintext. */
    public enum ProxyProtocol
    {
        /** None: the backends see the appliance's connection only. */
        OFF,
        /** Version 2 (binary), with ALPN, SNI, TLS version and cipher TLVs. */
        V2
    }

    /**
     * The per-flow journal (DESIGN §5).
     *
     * @param path           the Chronicle Map file; it must be on tmpfs or ramfs when it is opened.
     * @param maxFlows       the hard cap on flows.
     * @param ringCapacity   checkpoint slots per direction.
     * @param idleTimeoutSec how long a flow may stay silent before its entry is removed.
     */
    public record Journal(Path path, long maxFlows, int ringCapacity, long idleTimeoutSec, long maxActiveFlows,
        long parkAfterMs)
    {
        /** Full entries at most, by default: flows busy at once; quiet ones park (1,024 bytes each). */
        public static final long DEFAULT_MAX_ACTIVE_FLOWS = 4_096;
        /** A flow quiet this long with nothing in flight parks. */
        public static final long DEFAULT_PARK_AFTER_MS = 2_000;

        /** With the defaults for parking. */
        public Journal(final Path path, final long maxFlows, final int ringCapacity, final long idleTimeoutSec)
        {
            this(path, maxFlows, ringCapacity, idleTimeoutSec, Math.min(maxFlows, DEFAULT_MAX_ACTIVE_FLOWS),
                DEFAULT_PARK_AFTER_MS);
        }

        /** The journal's settings; CBC suites need the larger checkpoint of the CBC decoder. */
        public JournalConfig toJournalConfig(final boolean cbc)
        {
            return new JournalConfig().path(path).maxFlows(maxFlows).maxActiveFlows(maxActiveFlows)
                .ringCapacity(ringCapacity)
                .checkpointLength(cbc ? JournalConfig.CBC_CHECKPOINT_LENGTH : JournalConfig.AEAD_CHECKPOINT_LENGTH);
        }
    }

    /**
     * Opt-in exports of session secrets (for debugging with Wireshark or replaying captures; never in production).
     *
     * @param keyLog         the NSS key log file (SSLKEYLOGFILE format) every completed handshake is appended to, or
     *                       null when off (the default).
     * @param keyLogMaxBytes the size at which the key log is rotated to {@code NAME.1} (one old file is kept).
     */
    /**
     * The management endpoint: plain HTTP on an address of the management network (or loopback), serving the
     * counters in the Prometheus text format at {@code /metrics} and liveness at {@code /healthz}.
     *
     * @param address where it listens, or null when it is off.
     */
    /**
     * Buffers and limits of full-proxy flows (DESIGN §1): each flow holds two endpoints' send and receive buffers and
     * two stages; a new flow past the budget is refused with a RST.
     *
     * @param memoryBudgetMb the sum of every full-proxy flow's buffers above which new flows are refused.
     * @param bufferKb       each endpoint buffer (the largest window a leg advertises).
     * @param idleTimeoutSec a flow with no frame this long is reset on both legs.
     * @param timeWaitMs     TIME-WAIT of the appliance's endpoints.
     */
    public record FullProxy(long memoryBudgetMb, int bufferKb, long idleTimeoutSec, long timeWaitMs)
    {
        /** 512 MiB: about 1,300 flows with the default buffers. */
        public static final FullProxy DEFAULTS = new FullProxy(512, 64, 300, 2_000);
    }

    public record Metrics(java.net.InetSocketAddress address)
    {
        /** No endpoint. */
        public static final Metrics NONE = new Metrics(null);

        public boolean enabled()
        {
            return null != address;
        }
    }

    public record Export(Path keyLog, long keyLogMaxBytes, Path plaintextPcap, long plaintextPcapMaxBytes)
    {
        /** 16 MiB: about 50,000 TLS 1.3 handshakes. */
        public static final long DEFAULT_KEY_LOG_MAX_BYTES = 16L << 20;
        /** 256 MiB per plaintext pcap file before it rotates. */
        public static final long DEFAULT_PLAINTEXT_PCAP_MAX_BYTES = 256L << 20;
        /** Nothing exported. */
        public static final Export NONE = new Export(null, DEFAULT_KEY_LOG_MAX_BYTES);

        /** The key log settings alone, no plaintext export. */
        public Export(final Path keyLog, final long keyLogMaxBytes)
        {
            this(keyLog, keyLogMaxBytes, null, DEFAULT_PLAINTEXT_PCAP_MAX_BYTES);
        }

        /** Whether the servers' plaintext of intercepted flows is written to a pcap file. */
        public boolean plaintextEnabled()
        {
            return null != plaintextPcap;
        }

        public boolean keyLogEnabled()
        {
            return null != keyLog;
        }
    }

    /** Human-readable effective configuration for the start-up log; holds no secrets. */
    public String describe()
    {
        final StringBuilder text = new StringBuilder();
        text.append("config ").append(source).append('\n')
            .append("  interfaces: outside=").append(outside).append(" inside=").append(inside).append('\n')
            .append("  io: driver=").append(YamlSection.wordOf(io.driver()))
            .append(" snapLengthBytes=").append(io.snapLengthBytes())
            .append(" bufferBytes=").append(io.bufferBytes())
            .append(" batchFrames=").append(io.batchFrames())
            .append(" xdp.attach=").append(YamlSection.wordOf(io.xdp().attach()))
            .append(" xdp.redirect=").append(YamlSection.wordOf(io.xdp().redirect())).append('\n')
            .append("  nic: promiscuous=").append(nic.promiscuous())
            .append(" disableOffloads=").append(nic.disableOffloads().stream().map(YamlSection::wordOf).toList())
            .append('\n')
            .append("  threading: mode=").append(YamlSection.wordOf(threading.mode()))
            .append(" idle=").append(YamlSection.wordOf(threading.idle()))
            .append(" workers=").append(threading.workers())
            .append(threading.cpus().isEmpty() ? "" : " cpus=" + threading.cpus()).append('\n')
            .append("  malformed: action=").append(YamlSection.wordOf(malformed)).append('\n')
            .append("  runtime: directory=").append(runtimeDirectory)
            .append(" countersLogIntervalSec=").append(countersLogIntervalSec).append('\n');
        faults.forEach((side, profile) -> text.append("  faults.").append(side.label()).append(": ")
            .append(profile).append('\n'));
        text.append("  tls: minVersion=").append(TlsConfigReader.versionWord(tls.minVersion()))
            .append(" suites=").append(tls.suites())
            .append(" allowCbc=").append(tls.allowCbc());
        if (tls.allowCbc())
        {
            text.append(" cbcSuites=").append(tls.cbcSuites());
        }
        text.append(" groups=").append(tls.groups().stream().map(YamlSection::wordOf).toList())
            .append(" alpn=").append(tls.alpn())
            .append(" integrity=").append(YamlSection.wordOf(tls.integrity()))
            .append(" sack=").append(YamlSection.wordOf(tls.sack())).append('\n')
            .append("  tls.sessionTickets: enabled=").append(tls.sessionTickets().enabled())
            .append(" rotationIntervalSec=").append(tls.sessionTickets().rotationIntervalSec())
            .append(" lifetimeSec=").append(tls.sessionTickets().lifetimeSec()).append('\n')
            .append("  tls.sessionCache: enabled=").append(tls.sessionCache().enabled())
            .append(" maxEntries=").append(tls.sessionCache().maxEntries())
            .append(" path=").append(tls.sessionCache().path()).append('\n');
        text.append("  switching: enabled=").append(switching.enabled())
            .append(" smallWindowBytes=").append(switching.smallWindowBytes() == 0 ? "(client MSS)" :
                String.valueOf(switching.smallWindowBytes()))
            .append(" smallWindowAcks=").append(switching.smallWindowAcks())
            .append(" resumeWindowBytes=").append(switching.resumeWindowBytes() == 0 ? "(4 x client MSS)" :
                String.valueOf(switching.resumeWindowBytes()))
            .append(" maxProxiedFlows=").append(switching.maxProxiedFlows())
            .append(" stageBytes=").append(switching.stageBytes())
            .append(" tinySegmentBytes=").append(switching.tinySegmentBytes())
            .append(" tinySegmentRun=").append(switching.tinySegmentRun()).append('\n');
        // paths only: the key file's contents are never read here, let alone printed
        for (final CertificateSpec spec : certificates)
        {
            text.append("  certificate: chain=").append(spec.chainPem()).append(" key=").append(spec.keyPem())
                .append(" names=").append(spec.serverNames().isEmpty() ? "(from certificate)" : spec.serverNames())
                .append(spec.isDefault() ? " default" : "").append('\n');
        }
        for (final Service service : services)
        {
            text.append("  service ").append(service.name())
                .append(": mode=").append(YamlSection.wordOf(service.mode()))
                .append(" listen=").append(ServiceConfigReader.addressText(service.listen()));
            if (service.loadBalancing() == null)
            {
                text.append(" backendPort=").append(service.backendPort());
            }
            text.append(" onNonTls=").append(YamlSection.wordOf(service.onNonTls())).append('\n');
            if (service.loadBalancing() != null)
            {
                LoadBalancingConfigReader.describe(service.loadBalancing(), text);
            }
        }
        text.append("  fullProxy: memoryBudgetMb=").append(fullProxy.memoryBudgetMb())
            .append(" bufferKb=").append(fullProxy.bufferKb())
            .append(" idleTimeoutSec=").append(fullProxy.idleTimeoutSec())
            .append(" timeWaitMs=").append(fullProxy.timeWaitMs()).append('\n');
        text.append("  journal: path=").append(journal.path())
            .append(" maxFlows=").append(journal.maxFlows())
            .append(" ringCapacity=").append(journal.ringCapacity())
            .append(" idleTimeoutSec=").append(journal.idleTimeoutSec()).append('\n');
        if (export.keyLogEnabled())
        {
            text.append("  export: keyLog=").append(export.keyLog()).append(" keyLogMaxBytes=")
                .append(export.keyLogMaxBytes()).append(" (SESSION SECRETS ARE WRITTEN TO THIS FILE)\n");
        }
        if (export.plaintextEnabled())
        {
            text.append("  export: plaintextPcap=").append(export.plaintextPcap()).append(" plaintextPcapMaxBytes=")
                .append(export.plaintextPcapMaxBytes()).append(" (DECRYPTED TRAFFIC IS WRITTEN TO THIS FILE)\n");
        }
        return text.toString();
    }
}
