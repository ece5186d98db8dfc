package org.inlinetls.modes.proxy;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.IntToLongFunction;

import org.agrona.DirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.crypto.record.IntegrityMode;
import org.inlinetls.crypto.record.RecordDecoder;
import org.inlinetls.handshake.HandshakeConfig;
import org.inlinetls.handshake.HandshakeEngine;
import org.inlinetls.handshake.ServerHandshake;
import org.inlinetls.modes.direct.FrameOut;
import org.inlinetls.packet.build.TcpSegmentBuilder;
import org.inlinetls.packet.engine.FrameClassifier;
import org.inlinetls.packet.engine.RateLimitedLog;
import org.inlinetls.packet.engine.Side;
import org.inlinetls.packet.engine.Verdict;
import org.inlinetls.packet.flyweight.EthernetFlyweight;
import org.inlinetls.packet.flyweight.Ipv4HeaderFlyweight;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.frame.ParsedFrame;
import org.inlinetls.packet.tcp.BufferPool;
import org.inlinetls.packet.tcp.FrameSink;
import org.inlinetls.packet.tcp.TcpConfig;
import org.inlinetls.packet.tcp.TcpEndpoint;
import org.slf4j.LoggerFactory;

/**
 * The full-proxy mode's interception hook (DESIGN §1): TCP to a full-proxy service's listen port from the outside,
 * and from its backend port on the inside, belongs to a {@link ProxyFlow} that terminates TCP on both legs with
 * {@link TcpEndpoint}s; every other frame is bridged unchanged.
 * <p>
 * Transparent addressing, as the direct mode: the client's SYN to the service address is answered by an endpoint with
 * that address, and once the TLS handshake completed the backend (the same address, the service's backend port) is
 * connected from the client's own address and port, whose replies pass the bridge anyway. The backend leg carries
 * plaintext; records toward the client carry up to 16 KiB each.
 * <p>
 * Delayed binding (load-balanced services with cookie persistence or a PROXY protocol header, see
 * {@link Balancing}): the client's SYN to the virtual address is answered by an endpoint with that address as for any
 * full-proxy service; once the TLS handshake completed, the first request's plaintext is buffered in the flow's
 * plaintext stage and scanned for the persistence cookie ({@link org.inlinetls.modes.lb.CookieScanner}, at most
 * {@link Balancing#COOKIE_SCAN_MAX_BYTES}); when its header block ended (or the scan gave up, or the client finished)
 * the backend is chosen (the cookie's backend when it is up, else source persistence, else the pool's algorithm) and
 * the backend leg opened to the backend's address and port, again from the client's own address and port, so the
 * backend's replies come back through the bridge and are found here by that backend address. The PROXY v2 header, when
 * configured, is written first, then the buffered plaintext. Later requests of the connection stay on that backend.
 * The backend's MAC comes from the load-balancing stage, which learns it ({@link #backendMacs}). A flow whose
 * backend the health checks took out (its {@link org.inlinetls.modes.lb.BackendHealth} stamp moved on) is reset on
 * both legs by the next scan, within {@link #SCAN_INTERVAL_NS}.
 * <p>
 * Memory: a flow's two endpoints' send and receive buffers and its two stages borrow their arrays from one
 * {@link BufferPool} while they hold bytes and give them back when they empty, so an idle flow holds none of them
 * (memory follows the bytes in flight); nothing is allocated per packet once the pool has arrays to lend. A SYN is
 * answered with a RST (counted) unless the pool has room for one more flow's worst case ({@link
 * Settings#flowCostBytes()}) under {@link Settings#memoryBudgetBytes()}; past the budget, receive buffers refuse
 * arriving segments (the peers send them again) while bytes already held may still move on and free memory. IPv4, untagged frames only in this version. Single-threaded.
 */
public final class ProxyEngine implements FrameClassifier
{
    /**
     * A full-proxy service: its address, the port clients use, and the port the backend's plain server listens on;
     * or a load-balanced one with delayed binding (its virtual address and port, backend port 0, and its
     * {@link Balancing}, whose identity is part of the service's: a reload that changes the pool makes another service).
     */
    public record Service(int ipv4Address, int listenPort, int backendPort, Balancing balancing)
    {
        /** A transparent full-proxy service (no balancing). */
        public Service(final int ipv4Address, final int listenPort, final int backendPort)
        {
            this(ipv4Address, listenPort, backendPort, null);
        }

        /** A load-balanced service whose backend is chosen after the TLS handshake. */
        public static Service balanced(final int vipAddress, final int vipPort, final Balancing balancing)
        {
            return new Service(vipAddress, vipPort, 0, Objects.requireNonNull(balancing, "balancing"));
        }
    }

    /**
     * Everything the engine needs besides its frames.
     *
     * @param mss                the MSS both of the appliance's endpoints advertise and send at most.
     * @param receiveBufferBytes each endpoint's receive buffer (its largest advertised window).
     * @param sendBufferBytes    each endpoint's send buffer (bytes written and not yet acknowledged).
     * @param stageBytes         each of a flow's two stages (at least {@link #MIN_STAGE_BYTES}).
     * @param memoryBudgetBytes  bytes of buffers the flows may borrow (see the class comment).
     * @param idleTimeoutNs      a flow with no frame this long is reset on both legs.
     * @param timeWaitNs         TIME-WAIT of the appliance's endpoints (a flow's memory is held that long).
     * @param sackPermitted      offer SACK-permitted on both legs (RFC 2018 blocks and RFC 6675 recovery where the
     *                           peer agrees).
     * @param isnSeed            the secret of the endpoints' initial sequence numbers and timestamp offsets (random
     *                           in production; see {@link TcpConfig#isnSeed}).
     */
    public record Settings(
        List<Service> services,
        HandshakeConfig handshake,
        IntegrityMode integrity,
        int mss,
        int receiveBufferBytes,
        int sendBufferBytes,
        int stageBytes,
        long memoryBudgetBytes,
        long idleTimeoutNs,
        long timeWaitNs,
        boolean sackPermitted,
        long isnSeed)
    {
        /** A stage holds what a decoder may release at once plus a flight, with room to read. */
        public static final int MIN_STAGE_BYTES = 48 * 1024;
        public static final int DEFAULT_BUFFER_BYTES = 64 * 1024;

        public Settings
        {
            services = List.copyOf(services);
            Objects.requireNonNull(handshake, "handshake");
            Objects.requireNonNull(integrity, "integrity");
            if (stageBytes < MIN_STAGE_BYTES)
            {
                throw new IllegalArgumentException("stageBytes must be at least " + MIN_STAGE_BYTES);
            }
        }

        /** Bytes one flow holds at most: four endpoint buffers and two stages, all full. */
        public long flowCostBytes()
        {
            return 2L * (receiveBufferBytes + sendBufferBytes + stageBytes);
        }
    }

    /** Receives the engine's counters on the engine's thread about once a second, e.g. to publish them. */
    @FunctionalInterface
    public interface CountersSink
    {
        /**
         * @param countersByOrdinal the values by {@link ProxyCounter#ordinal()}; read them now, do not keep the array.
         * @param flows             flows held now.
         * @param memoryUsedBytes   bytes of buffers they borrow now.
         */
        void publish(long[] countersByOrdinal, int flows, long memoryUsedBytes);
    }

    static final long SCAN_INTERVAL_NS = 100_000_000L;
    private static final long COUNTERS_PUBLISH_INTERVAL_NS = 1_000_000_000L;
    private static final int SCRATCH_BYTES = 1 << 16;
    private static final int POOL_MAX = 256;
    private static final long MAX_POOLED_BYTES = 64L << 20;

    /**
     * How long the backend port of a service no longer in the table stays protected (a backend segment of no flow is
     * answered with a RST, never bridged to the outside) after its flows were reset, and the least time its flows in
     * flight (it moved to another mode or changed) are looked up under it.
     */
    static final long RETIRED_SERVICE_GRACE_NS = 10_000_000_000L;

    private final Settings settings;
    /** Replaced by {@link #applyServices}; flows keep the service object they started with. */
    private ProxyServices services;
    private HandshakeConfig handshake;
    private long memoryBudgetBytes;
    private long idleTimeoutNs;
    private long timeWaitNs;
    /** Services a reload replaced or removed, while flows of theirs run or their grace lasts; usually empty. */
    private final ArrayList<Service> retired = new ArrayList<>();
    private final org.agrona.collections.LongArrayList retiredUntilNs = new org.agrona.collections.LongArrayList();
    private final FrameOut out;
    private final long[] counters = new long[ProxyCounter.values().length];
    private final Long2ObjectHashMap<ProxyFlow> flows = new Long2ObjectHashMap<>();
    private final ArrayList<ProxyFlow> active = new ArrayList<>();
    private final ArrayDeque<ProxyFlow> pool = new ArrayDeque<>();
    private final Ipv4HeaderFlyweight ipv4 = new Ipv4HeaderFlyweight();
    private final TcpHeaderFlyweight tcp = new TcpHeaderFlyweight();
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final TcpSegmentBuilder builder = new TcpSegmentBuilder();
    private final UnsafeBuffer frameOut = new UnsafeBuffer(new byte[SCRATCH_BYTES]);
    private final byte[] readScratch = new byte[SCRATCH_BYTES];
    private final byte[] recordScratch = new byte[SCRATCH_BYTES];
    private final byte[] decoderScratch = new byte[RecordDecoder.SCRATCH_LENGTH];
    private final byte[] alertScratch = new byte[2];
    private final RateLimitedLog errorLog =
        new RateLimitedLog(LoggerFactory.getLogger(ProxyEngine.class), 1_000_000_000L);
    private final FrameSink clientSink;
    private final FrameSink serverSink;
    private final BufferPool bufferPool;
    private final org.inlinetls.handshake.HandshakeFailures handshakeFailures =
        new org.inlinetls.handshake.HandshakeFailures();
    private long nextTimerNs = TcpEndpoint.NO_DEADLINE;
    private long nextScanNs;
    /** The clock of the duty cycle in progress. */
    private long clockNs;
    private boolean txRefused;
    private CountersSink countersSink;
    private long nextCountersPublishNs;
    /** Chooses load-balanced flows' backends and writes their PROXY headers. */
    private final BackendBinder binder = new BackendBinder(this);

    public ProxyEngine(final Settings settings, final FrameOut out)
    {
        this.settings = settings;
        this.services = new ProxyServices(settings.services());
        this.handshake = settings.handshake();
        this.memoryBudgetBytes = settings.memoryBudgetBytes();
        // arrays given back are kept for reuse up to an eighth of the budget (at most 64 MiB), the rest collected
        this.bufferPool = new BufferPool(memoryBudgetBytes, Math.min(memoryBudgetBytes / 8, MAX_POOLED_BYTES));
        this.idleTimeoutNs = settings.idleTimeoutNs();
        this.timeWaitNs = settings.timeWaitNs();
        this.out = out;
        this.clientSink = (buffer, offset, length) -> sent(out.toClient(buffer, offset, length));
        this.serverSink = (buffer, offset, length) -> sent(out.toServer(buffer, offset, length));
        // a bad MSS or buffer size fails here, at start, rather than at the first SYN
        endpointConfig().localAddress(address(1)).remoteAddress(address(2)).localPort(1).remotePort(2).validate();
    }

    /** Where the counters go once a second (the daemon's shared counters); set before the first frame. */
    public ProxyEngine countersSink(final CountersSink sink)
    {
        this.countersSink = sink;
        return this;
    }

    /**
     * Where load-balanced flows learn their backend's MAC when they open the backend leg (the load-balancing stage,
     * which learns it from the inside's frames); it returns 0 for one not known yet, and such a flow is reset.
     */
    public ProxyEngine backendMacs(final IntToLongFunction macOfIpv4Address)
    {
        binder.backendMacs(Objects.requireNonNull(macOfIpv4Address, "macOfIpv4Address"));
        return this;
    }

    // ------------------------------------------------------------------------------------------ classification --

    @Override
    public Verdict classify(final Side ingress, final DirectBuffer buffer, final ParsedFrame frame, final long nowNs)
    {
        clockNs = nowNs;
        if (!frame.isTcp() || frame.ipVersion != Ipv4HeaderFlyweight.VERSION || frame.fragment ||
            frame.vlanCount != 0)
        {
            return Verdict.FORWARD;
        }
        ipv4.wrap(buffer, frame.l3Offset);
        if (ingress == Side.OUTSIDE)
        {
            return onOutsideFrame(buffer, frame, nowNs);
        }
        final int source = ipv4.sourceAddress();
        Service service = services.byBackend(source, frame.srcPort);
        if (null == service)
        {
            service = services.balancedByBackend(source, frame.srcPort);
            if (null == service && !retired.isEmpty())
            {
                service = retiredByBackend(source, frame.srcPort);
            }
            if (null == service)
            {
                return Verdict.FORWARD;
            }
        }
        final ProxyFlow flow = findByBackend(ipv4.destinationAddress(), frame.dstPort, source, frame.srcPort);
        if (null == flow || null == flow.server)
        {
            if (null == service.balancing() ? services.isSharedBackend(service) :
                services.isSharedBackend(source, frame.srcPort) || services.isHandedOver(service) ||
                service.balancing().isCheckAddress(ipv4.destinationAddress()))
            {
                return Verdict.FORWARD; // maybe another mode's flow, or a health check: the next engine decides
            }
            count(ProxyCounter.SERVER_SEGMENTS);
            onUnknownSegment(buffer, frame, false);
            return Verdict.CONSUMED;
        }
        count(ProxyCounter.SERVER_SEGMENTS);
        flow.lastActivityNs = nowNs;
        flow.server.onFrame(buffer, frame.frameOffset, frame.frameLength, nowNs);
        pumpFlow(flow, nowNs);
        return Verdict.CONSUMED;
    }

    /**
     * A client frame: to a flow of this engine (whatever the service's mode is now: a flow finishes in the mode it
     * started in), or a SYN to a full-proxy service; anything else to a full-proxy service is answered with a RST,
     * unless the service was another mode's before a reload (then it may be a flow in flight there).
     */
    private Verdict onOutsideFrame(final DirectBuffer buffer, final ParsedFrame frame, final long nowNs)
    {
        final int destination = ipv4.destinationAddress();
        final Service service = services.byListen(destination, frame.dstPort);
        if (null == service && (retired.isEmpty() || null == retiredByListen(destination, frame.dstPort)))
        {
            return Verdict.FORWARD;
        }
        final int clientAddress = ipv4.sourceAddress();
        ProxyFlow flow = flows.isEmpty() ? null : find(clientAddress, frame.srcPort, destination, frame.dstPort);
        if (null == flow)
        {
            if (null == service)
            {
                return Verdict.FORWARD; // a retired service's segment of no flow of ours: another mode's now
            }
            final int flags = tcp.wrap(buffer, frame.l4Offset).flags();
            if ((flags & (TcpHeaderFlyweight.SYN | TcpHeaderFlyweight.ACK | TcpHeaderFlyweight.RST)) !=
                TcpHeaderFlyweight.SYN)
            {
                if (services.isHandedOver(service))
                {
                    return Verdict.FORWARD; // maybe a flow the service's previous mode still carries
                }
                count(ProxyCounter.CLIENT_SEGMENTS);
                onUnknownSegment(buffer, frame, true);
                return Verdict.CONSUMED;
            }
            count(ProxyCounter.CLIENT_SEGMENTS);
            flow = openFlow(service, clientAddress, buffer, frame, nowNs);
            if (null == flow)
            {
                return Verdict.CONSUMED;
            }
        }
        else
        {
            count(ProxyCounter.CLIENT_SEGMENTS);
        }
        flow.lastActivityNs = nowNs;
        flow.client.onFrame(buffer, frame.frameOffset, frame.frameLength, nowNs);
        pumpFlow(flow, nowNs);
        return Verdict.CONSUMED;
    }

    private void onUnknownSegment(final DirectBuffer buffer, final ParsedFrame frame, final boolean fromClient)
    {
        // no state for it (expired, refused, or from before a restart): RFC 9293 answers with a RST; a backend's
        // segment of no flow is never bridged, so plaintext of a lost flow cannot leak to the outside
        count(ProxyCounter.UNKNOWN_FLOW_SEGMENTS);
        if (builder.rstFor(buffer, frame, true))
        {
            final int length = builder.build(frameOut, 0);
            if (length > 0)
            {
                sent(fromClient ? out.toClient(frameOut, 0, length) : out.toServer(frameOut, 0, length));
            }
        }
    }

    private ProxyFlow openFlow(final Service service, final int clientAddress, final DirectBuffer buffer,
        final ParsedFrame frame, final long nowNs)
    {
        final long cost = settings.flowCostBytes();
        if (bufferPool.lentBytes() + cost > memoryBudgetBytes)
        {
            count(ProxyCounter.FLOWS_REFUSED_MEMORY);
            onUnknownSegment(buffer, frame, true);
            return null;
        }
        ethernet.wrap(buffer, frame.frameOffset);
        final long clientMac = ethernet.sourceMac();
        final long serverMac = ethernet.destinationMac();
        final ProxyFlow flow = pool.isEmpty() ? new ProxyFlow(this, settings.stageBytes()) : pool.poll();
        final TcpEndpoint client = new TcpEndpoint(endpointConfig()
            .localMac(serverMac).remoteMac(clientMac)
            .localAddress(address(service.ipv4Address())).remoteAddress(address(clientAddress))
            .localPort(service.listenPort()).remotePort(frame.srcPort)
            .isnSeed(settings.isnSeed()).isnClockNs(nowNs));
        final ServerHandshake serverHandshake = new HandshakeEngine(handshake);
        flow.open(service, clientAddress, frame.srcPort, clientMac, serverMac, client, serverHandshake, nowNs);
        final long key = key(clientAddress, frame.srcPort);
        flow.next = flows.get(key);
        flows.put(key, flow);
        flow.activeIndex = active.size();
        active.add(flow);
        count(ProxyCounter.FLOWS_OPENED);
        return flow;
    }

    /** The backend leg of a flow whose handshake completed: from the client's address and port (transparent). */
    TcpEndpoint newBackendEndpoint(final ProxyFlow flow)
    {
        return new TcpEndpoint(endpointConfig()
            .localMac(flow.clientMac).remoteMac(flow.backendMac)
            .localAddress(address(flow.clientAddress)).remoteAddress(address(flow.backendAddress))
            .localPort(flow.clientPort).remotePort(flow.backendPort)
            .isnSeed(settings.isnSeed()).isnClockNs(clockNs));
    }

    private TcpConfig endpointConfig()
    {
        return new TcpConfig().mss(settings.mss()).receiveBufferBytes(settings.receiveBufferBytes())
            .sendBufferBytes(settings.sendBufferBytes()).timestamps(true).windowScale(true)
            .sackPermitted(settings.sackPermitted()).timeWaitNs(timeWaitNs).bufferPool(bufferPool);
    }

    private void pumpFlow(final ProxyFlow flow, final long nowNs)
    {
        txRefused = false;
        try
        {
            flow.pump(nowNs);
        }
        catch (final RuntimeException ex)
        {
            count(ProxyCounter.ERRORS);
            errorLog.warn(nowNs, "full-proxy flow failed, both legs reset", ex.toString());
            flow.abortBoth();
            try
            {
                flow.pump(nowNs);
            }
            catch (final RuntimeException ignored)
            {
                // the RSTs could not be offered; the flow goes all the same
            }
        }
        if (flow.isDone())
        {
            closeFlow(flow);
            return;
        }
        if (txRefused)
        {
            flow.morePending = true;
        }
        final long deadlineNs = flow.morePending ? nowNs : flow.nextDeadlineNs();
        if (deadlineNs - nextTimerNs < 0)
        {
            nextTimerNs = deadlineNs;
        }
    }

    private void closeFlow(final ProxyFlow flow)
    {
        flow.countEnd(ProxyCounter.FLOWS_CLOSED);
        final long key = key(flow.clientAddress, flow.clientPort);
        ProxyFlow head = flows.get(key);
        if (head == flow)
        {
            if (null == flow.next)
            {
                flows.remove(key);
            }
            else
            {
                flows.put(key, flow.next);
            }
        }
        else
        {
            while (null != head && head.next != flow)
            {
                head = head.next;
            }
            if (null != head)
            {
                head.next = flow.next;
            }
        }
        final int index = flow.activeIndex;
        final ProxyFlow last = active.remove(active.size() - 1);
        if (last != flow)
        {
            active.set(index, last);
            last.activeIndex = index;
        }
        if (flow.backendId >= 0)
        {
            flow.service.balancing().pool().onFlowClosed(flow.backendId);
        }
        flow.countRetransmissions();
        flow.release();
        if (pool.size() < POOL_MAX)
        {
            pool.add(flow);
        }
    }

    // ------------------------------------------------------------------------------------------------ timers --

    @Override
    public int onTick(final long nowNs)
    {
        clockNs = nowNs;
        if (null != countersSink && nowNs - nextCountersPublishNs >= 0)
        {
            nextCountersPublishNs = nowNs + COUNTERS_PUBLISH_INTERVAL_NS;
            countersSink.publish(counters, active.size(), bufferPool.lentBytes());
        }
        if (active.isEmpty() || (nowNs - nextTimerNs < 0 && nowNs - nextScanNs < 0))
        {
            if (active.isEmpty() && !retired.isEmpty() && nowNs - nextScanNs >= 0)
            {
                nextScanNs = nowNs + SCAN_INTERVAL_NS;
                forgetUnusedRetired(nowNs);
            }
            return 0;
        }
        final boolean scan = nowNs - nextScanNs >= 0;
        if (scan)
        {
            nextScanNs = nowNs + SCAN_INTERVAL_NS;
        }
        nextTimerNs = TcpEndpoint.NO_DEADLINE;
        int work = 0;
        if (scan && !retired.isEmpty())
        {
            forgetUnusedRetired(nowNs);
        }
        for (int i = active.size() - 1; i >= 0; i--)
        {
            if (i >= active.size())
            {
                continue;
            }
            final ProxyFlow flow = active.get(i);
            if (scan && nowNs - flow.lastActivityNs > idleTimeoutNs)
            {
                count(ProxyCounter.FLOWS_EXPIRED);
                flow.abortBoth();
                pumpFlow(flow, nowNs);
                work++;
                continue;
            }
            if (scan && flow.backendId >= 0 && !flow.isBackendCurrent())
            {
                // the health checks took its backend out (or out and back: it lost the connection either way)
                count(ProxyCounter.LB_RESET_BACKEND_DOWN);
                flow.abortBoth();
                pumpFlow(flow, nowNs);
                work++;
                continue;
            }
            final long deadlineNs = flow.nextDeadlineNs();
            if (flow.morePending || deadlineNs - nowNs <= 0)
            {
                pumpFlow(flow, nowNs);
                work++;
            }
            else if (deadlineNs - nextTimerNs < 0)
            {
                nextTimerNs = deadlineNs;
            }
        }
        return work;
    }

    /** The earliest time {@link #onTick} has work, for a simulation's clock; {@link TcpEndpoint#NO_DEADLINE} if none. */
    public long nextDeadlineNs()
    {
        return active.isEmpty() ? TcpEndpoint.NO_DEADLINE : Math.min(nextTimerNs, nextScanNs);
    }

    // ------------------------------------------------------------------------------------------------ plumbing --

    private boolean sent(final boolean sent)
    {
        if (!sent)
        {
            count(ProxyCounter.TX_REFUSED);
            txRefused = true; // the flow being pumped offers it again on the next tick
        }
        return sent;
    }

    /** The flow from the client's address and port to this service address and listen port, whatever its service. */
    private ProxyFlow find(final int clientAddress, final int clientPort, final int address, final int port)
    {
        ProxyFlow flow = flows.get(key(clientAddress, clientPort));
        while (null != flow && !(flow.service.ipv4Address() == address && flow.service.listenPort() == port))
        {
            flow = flow.next;
        }
        return flow;
    }

    /** The flow whose backend leg runs from the client's address and port to this backend address and port. */
    private ProxyFlow findByBackend(final int clientAddress, final int clientPort, final int address,
        final int port)
    {
        ProxyFlow flow = flows.get(key(clientAddress, clientPort));
        while (null != flow && !(flow.backendAddress == address && flow.backendPort == port))
        {
            flow = flow.next;
        }
        return flow;
    }

    private Service retiredByListen(final int address, final int port)
    {
        for (int i = retired.size() - 1; i >= 0; i--)
        {
            final Service s = retired.get(i);
            if (s.ipv4Address() == address && s.listenPort() == port)
            {
                return s;
            }
        }
        return null;
    }

    private Service retiredByBackend(final int address, final int port)
    {
        for (int i = retired.size() - 1; i >= 0; i--)
        {
            final Service s = retired.get(i);
            if (null == s.balancing() ? s.ipv4Address() == address && s.backendPort() == port :
                s.balancing().isBackend(address, port))
            {
                return s;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------------ reload --

    /**
     * Takes a reload's services and live settings at once (engine thread; control-path cost): new SYNs use them;
     * flows in flight keep the service they started with, also when it moved to another mode or changed its backend
     * port; flows of a service no mode serves any more are reset on both legs and counted
     * ({@link ProxyCounter#FLOWS_RESET_SERVICE_REMOVED}). Buffer sizes stay as started (see {@link Settings}).
     */
    public void applyServices(final ProxyServiceTable table, final long nowNs)
    {
        final ProxyServices previous = services;
        services = new ProxyServices(table.services(), table.elsewhere(), table.handedOver());
        handshake = table.handshake();
        memoryBudgetBytes = table.memoryBudgetBytes();
        bufferPool.budgetBytes(memoryBudgetBytes);
        idleTimeoutNs = table.idleTimeoutNs();
        timeWaitNs = table.timeWaitNs();
        for (final Service old : previous.all())
        {
            if (!old.equals(services.byListen(old.ipv4Address(), old.listenPort())))
            {
                retired.add(old);
                retiredUntilNs.addLong(nowNs + RETIRED_SERVICE_GRACE_NS);
            }
        }
        for (int i = active.size() - 1; i >= 0; i--)
        {
            if (i >= active.size())
            {
                continue;
            }
            final ProxyFlow flow = active.get(i);
            final Service service = flow.service;
            if (null == services.byListen(service.ipv4Address(), service.listenPort()) &&
                !table.servedElsewhere(service))
            {
                count(ProxyCounter.FLOWS_RESET_SERVICE_REMOVED);
                flow.abortBoth();
                pumpFlow(flow, nowNs);
            }
        }
        count(ProxyCounter.SERVICE_TABLES_APPLIED);
    }

    private void forgetUnusedRetired(final long nowNs)
    {
        for (int i = retired.size() - 1; i >= 0; i--)
        {
            if (nowNs - retiredUntilNs.getLong(i) >= 0 && !inUse(retired.get(i)))
            {
                retired.remove(i);
                retiredUntilNs.removeAt(i);
            }
        }
    }

    private boolean inUse(final Service service)
    {
        for (int i = 0, n = active.size(); i < n; i++)
        {
            if (active.get(i).service == service)
            {
                return true;
            }
        }
        return false;
    }

    /**
     * Backends (address and port) that another mode's engine on the same bridge also serves (a direct service in
     * front of the same server port): a segment from one that belongs to no full-proxy flow is left to that engine
     * rather than reset. Set before the first frame.
     */
    public ProxyEngine sharedBackends(final List<Service> otherModesServices)
    {
        services = services.shareBackendsWith(otherModesServices);
        return this;
    }

    private static long key(final int clientAddress, final int clientPort)
    {
        return (long)clientAddress << 32 | (clientPort & 0xFFFFL);
    }

    private static byte[] address(final int ipv4)
    {
        return new byte[] {(byte)(ipv4 >>> 24), (byte)(ipv4 >>> 16), (byte)(ipv4 >>> 8), (byte)ipv4};
    }

    BackendBinder binder()
    {
        return binder;
    }

    FrameSink clientSink()
    {
        return clientSink;
    }

    FrameSink serverSink()
    {
        return serverSink;
    }

    IntegrityMode integrityMode()
    {
        return settings.integrity();
    }

    byte[] readScratch()
    {
        return readScratch;
    }

    byte[] recordScratch()
    {
        return recordScratch;
    }

    byte[] decoderScratch()
    {
        return decoderScratch;
    }

    byte[] alertScratch()
    {
        return alertScratch;
    }

    void count(final ProxyCounter counter)
    {
        counters[counter.ordinal()]++;
    }

    void add(final ProxyCounter counter, final long delta)
    {
        counters[counter.ordinal()] += delta;
    }

    /** @return the counter's value (engine thread, or after the engine stopped). */
    public long counter(final ProxyCounter counter)
    {
        return counters[counter.ordinal()];
    }

    /** Flows held now. */
    public int flowCount()
    {
        return active.size();
    }

    /**
     * Index of {@link #countFlowsByState}: TCP or TLS handshake with the client in progress (or, load-balanced with
     * delayed binding, the first request awaited before the backend leg opens).
     */
    public static final int FLOWS_HANDSHAKE = 0;
    /** Index of {@link #countFlowsByState}: the backend leg opened, bytes moving. */
    public static final int FLOWS_ESTABLISHED = 1;
    /** Index of {@link #countFlowsByState}: closing, failed, or in TIME-WAIT. */
    public static final int FLOWS_CLOSING = 2;
    /** Length of the array {@link #countFlowsByState} fills. */
    public static final int FLOW_STATES = 3;
    /** Names of the states by index, for metrics. */
    public static final List<String> FLOW_STATE_NAMES = List.of("handshake", "established", "closing");

    /** Counts the flows held now by state into {@code byState} (engine thread; nothing allocated). */
    public void countFlowsByState(final long[] byState)
    {
        java.util.Arrays.fill(byState, 0, FLOW_STATES, 0);
        for (int i = 0; i < active.size(); i++)
        {
            byState[active.get(i).stateIndex()]++;
        }
    }

    /** Failed handshakes by alert. */
    public org.inlinetls.handshake.HandshakeFailures handshakeFailures()
    {
        return handshakeFailures;
    }

    /** Bytes of buffers one flow holds. */
    public long flowCostBytes()
    {
        return settings.flowCostBytes();
    }

    /** Bytes of buffers the flows borrow now (what the budget is checked against). */
    public long memoryUsedBytes()
    {
        return bufferPool.lentBytes();
    }

    /** Where the flows' buffers and stages borrow their arrays. */
    BufferPool bufferPool()
    {
        return bufferPool;
    }

    /** The flows in flight, for logs and assertion messages (never keys). */
    public String describeFlows()
    {
        final StringBuilder text = new StringBuilder();
        for (final ProxyFlow flow : active)
        {
            text.append("\n  ").append(flow);
        }
        return text.toString();
    }
}
