package org.inlinetls.modes.direct;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import org.agrona.DirectBuffer;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.crypto.record.IntegrityMode;
import org.inlinetls.crypto.record.RecordDecoder;
import org.inlinetls.handshake.HandshakeConfig;
import org.inlinetls.handshake.HandshakeEngine;
import org.inlinetls.handshake.ServerHandshake;
import org.inlinetls.packet.build.TcpSegmentBuilder;
import org.inlinetls.packet.checksum.Checksums;
import org.inlinetls.packet.engine.FrameClassifier;
import org.inlinetls.packet.engine.Side;
import org.inlinetls.packet.engine.Verdict;
import org.inlinetls.packet.flyweight.Ipv4HeaderFlyweight;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.flyweight.TcpOption;
import org.inlinetls.packet.frame.FrameAnomaly;
import org.inlinetls.packet.frame.FrameParser;
import org.inlinetls.packet.frame.ParsedFrame;
import org.inlinetls.packet.rewrite.TcpSegmentRewriter;
import org.inlinetls.seqdb.FlowEntry;
import org.inlinetls.seqdb.FlowJournal;
import org.inlinetls.seqdb.FlowKey;
import org.inlinetls.seqdb.InsertResult;

/**
 * The direct mode's interception hook (DESIGN §1, §3): TCP to a protected server's port 443 from the outside, and
 * from its backend port on the inside, belongs to a {@link DirectFlow}; every other frame is bridged unchanged.
 * <p>
 * Owns the flows of one engine thread (a heap table by flow id over the journal's entries), the shared scratch
 * buffers, and the frames it builds, which go out through a {@link FrameOut}. Never forwards a protected server's
 * plaintext to the outside: a server segment of no known flow is answered with a RST, never bridged.
 * <p>
 * IPv4 services only in this version. Flows live in the heap table by flow id; a flow the table does not know but
 * the journal does (the daemon restarted) is rebuilt from its entry on its first segment ({@link FlowRestorer}).
 * SACK is translated both ways when both ends permit it and {@link Settings#translateSack()} is on, else the
 * SACK-permitted option is stripped from the SYNs.
 * <p>
 * Services change at run time through {@link #servicesProxy()} ({@link #onServicesChanged}): new SYNs use the new
 * table at once, flows in flight keep the {@link Service} they started with, and flows of a removed service are reset.
 */
public final class DirectEngine implements FrameClassifier
{
    /**
     * A protected server: its address, the port clients use, the port its plain HTTP server listens on, and whether
     * a flow whose first bytes are not a TLS handshake is passed to that port (else reset; see also
     * {@link Settings#passNonTls()}, which passes for every service).
     */
    public record Service(int ipv4Address, int listenPort, int backendPort, boolean passNonTls)
    {
        /** A service that resets non-TLS flows (unless {@link Settings#passNonTls()}). */
        public Service(final int ipv4Address, final int listenPort, final int backendPort)
        {
            this(ipv4Address, listenPort, backendPort, false);
        }
    }

    /** Everything the engine needs besides its frames. */
    public record Settings(
        List<Service> services,
        HandshakeConfig handshake,
        IntegrityMode integrity,
        boolean passNonTls,
        int maxRecordOverhead,
        long idleTimeoutNs,
        long finLingerNs,
        boolean translateSack,
        long parkAfterNs,
        SwitchPolicy switching)
    {
        /** A flow quiet this long with nothing in flight leaves the heap ({@link #parkAfterNs}); 0 never. */
        public static final long DEFAULT_PARK_AFTER_NS = 2_000_000_000L;

        /** Settings with the default {@link SwitchPolicy}. */
        public Settings(
            final List<Service> services,
            final HandshakeConfig handshake,
            final IntegrityMode integrity,
            final boolean passNonTls,
            final int maxRecordOverhead,
            final long idleTimeoutNs,
            final long finLingerNs,
            final boolean translateSack,
            final long parkAfterNs)
        {
            this(services, handshake, integrity, passNonTls, maxRecordOverhead, idleTimeoutNs, finLingerNs,
                translateSack, parkAfterNs, SwitchPolicy.DEFAULT);
        }

        /** Settings with the default {@link #parkAfterNs}. */
        public Settings(
            final List<Service> services,
            final HandshakeConfig handshake,
            final IntegrityMode integrity,
            final boolean passNonTls,
            final int maxRecordOverhead,
            final long idleTimeoutNs,
            final long finLingerNs,
            final boolean translateSack)
        {
            this(services, handshake, integrity, passNonTls, maxRecordOverhead, idleTimeoutNs, finLingerNs,
                translateSack, DEFAULT_PARK_AFTER_NS);
        }

        /** Record overhead of TLS 1.2 AES-GCM (header 5, explicit nonce 8, tag 16), the largest AEAD one. */
        public static final int AEAD_MAX_RECORD_OVERHEAD = 29;
        /** Record overhead of TLS 1.2 AES-CBC-SHA256 (header 5, IV 16, MAC 32, padding up to 16). */
        public static final int CBC_MAX_RECORD_OVERHEAD = 69;
    }

    private static final int SCRATCH = 1 << 16;
    private static final long SCAN_INTERVAL_NS = 100_000_000L;
    private static final int JOURNAL_EXPIRY_PER_SWEEP = 64;
    /**
     * How long the backend port of a service no longer in the table stays protected (its server's segments are
     * answered with a RST, never bridged to the outside): long enough for segments in flight when its flows were
     * reset, and for as long as flows that started under it still run.
     */
    static final long RETIRED_SERVICE_GRACE_NS = 10_000_000_000L;
    private static final int SERVICE_TABLES_PER_CYCLE = ServicesProxy.CAPACITY;

    private final Settings settings;
    /** The services new flows are matched against and the handshake policy; replaced by onServicesChanged. */
    private ServiceTable table;
    private final RetiredServices retired = new RetiredServices();
    private final OneToOneConcurrentArrayQueue<ServiceTable> servicesQueue =
        new OneToOneConcurrentArrayQueue<>(ServicesProxy.CAPACITY);
    private final ServicesProxy servicesProxy = new ServicesProxy(servicesQueue);
    /** The service of the flow whose segment is being handled: the one it started with. */
    private Service frameService;
    private final FlowJournal journal;
    private final FrameOut out;
    private final long[] counters = new long[DirectCounter.values().length];
    private final Long2ObjectHashMap<DirectFlow> flows = new Long2ObjectHashMap<>();
    private final org.inlinetls.handshake.HandshakeFailures handshakeFailures =
        new org.inlinetls.handshake.HandshakeFailures();
    /** Plain connections to a backend port, by flow id, with their last activity. */
    private final Long2LongHashMap plainFlows = new Long2LongHashMap(Long.MIN_VALUE);
    private static final int MAX_PLAIN_FLOWS = 1 << 16;
    private final ArrayDeque<DirectFlow> pool = new ArrayDeque<>();
    /** Flow objects kept for reuse: the rest go to the collector, so parked and closed flows cost no heap. */
    private static final int POOL_MAX = 256;
    private final ArrayList<DirectFlow> scan = new ArrayList<>();
    /** Flows polled every cycle: their injected stream (handshake flight, proxy handling) has timers running. */
    private final ArrayList<DirectFlow> handshaking = new ArrayList<>();
    private final org.agrona.collections.LongArrayList expiredPlain = new org.agrona.collections.LongArrayList();
    private final FlowKey lookupKey = new FlowKey();
    private final TcpHeaderFlyweight tcp = new TcpHeaderFlyweight();
    private final Ipv4HeaderFlyweight ipv4 = new Ipv4HeaderFlyweight();
    private final FrameParser parser = new FrameParser();
    private final TcpSegmentBuilder builder = new TcpSegmentBuilder();
    private final TcpSegmentRewriter rewriter = new TcpSegmentRewriter();
    private final UnsafeBuffer frameOut = new UnsafeBuffer(new byte[SCRATCH]);
    private final byte[] payload = new byte[SCRATCH];
    private final byte[] records = new byte[SCRATCH];
    private final byte[] resend = new byte[SCRATCH];
    private final byte[] output = new byte[SCRATCH];
    private final byte[] decoderScratch = new byte[RecordDecoder.SCRATCH_LENGTH];
    private final byte[] checkpoint;
    private final byte[] compare;
    private final byte[] alert = new byte[2];
    private final int ringCapacity;
    /** Payload buffers for segments held past a hole, shared by this thread's flows. */
    private final SegmentPool segmentPool = new SegmentPool(SEGMENT_POOL_SLOTS);
    private static final int SEGMENT_POOL_SLOTS = 2048;
    /** Flows closed cleanly in the last {@link #CLOSED_FLOW_KEEP_NS}: a late FIN gets their last ACK, not a RST. */
    private final ClosedFlows closedFlows = new ClosedFlows(CLOSED_FLOWS_MAX, CLOSED_FLOW_KEEP_NS);
    /** Records of closed flows kept at most (about 2.6 MB with the index); the oldest goes first when full. */
    static final int CLOSED_FLOWS_MAX = 1 << 15;
    /** TIME-WAIT's 2 x MSL of Linux (60 s): a peer resends its FIN for as long as its timers allow, within that. */
    static final long CLOSED_FLOW_KEEP_NS = 60_000_000_000L;
    int framesToServer;
    /** Flows whose server→client direction is in proxy handling now. */
    private int proxiedFlows;
    private long nextScanNs;
    private HandshakeFactory handshakeFactory;
    private CountersSink countersSink;
    private long nextCountersPublishNs;
    private static final long COUNTERS_PUBLISH_INTERVAL_NS = 1_000_000_000L;

    /** Receives the engine's counters on the engine's thread about once a second, e.g. to publish them. */
    @FunctionalInterface
    public interface CountersSink
    {
        /**
         * @param countersByOrdinal the values by {@link DirectCounter#ordinal()}; read them now, do not keep the array.
         */
        void publish(long[] countersByOrdinal);
    }

    /** Where the counters go once a second (the daemon's shared counters); set before the first frame. */
    public DirectEngine countersSink(final CountersSink sink)
    {
        this.countersSink = sink;
        return this;
    }
    /** A parked flow's service and key, by flow id: it comes back under the service it started with. */
    record ParkedFlow(Service service, FlowKey key)
    {
    }

    private final Long2ObjectHashMap<ParkedFlow> parkedFlows = new Long2ObjectHashMap<>();
    private final java.util.function.LongConsumer onJournalExpired = this::onJournalExpired;
    /** Told the id of each flow that ends (closed, reset, expired, parked and forgotten); a mode's own state goes. */
    private java.util.function.LongConsumer flowEndListener = id -> { };

    /**
     * @throws IllegalArgumentException for {@code integrity: strict}: holding a spanning record whole means
     *                                  acknowledging bytes the appliance then owns, which cut-through cannot do
     *                                  without proxy handling (a later mode), or the client's window deadlocks.
     */
    public DirectEngine(final Settings settings, final FlowJournal journal, final FrameOut out)
    {
        if (settings.integrity() != IntegrityMode.DEFERRED)
        {
            throw new IllegalArgumentException("direct mode supports integrity: deferred only (strict holds whole " +
                "records, which needs the proxy handling of flows that is not implemented yet)");
        }
        this.settings = settings;
        this.table = new ServiceTable(settings.services(), settings.handshake());
        removeUnrestorableEntries(journal);
        this.journal = journal;
        this.out = out;
        this.checkpoint = new byte[Math.max(256, journal.config().checkpointLength())];
        this.compare = new byte[checkpoint.length];
        this.ringCapacity = journal.config().ringCapacity();
        this.handshakeFactory = key -> new HandshakeEngine(settings.handshake());
    }

    /**
     * Replaces how new flows' handshakes are made (replay stands in for the handshake with the key log); set before
     * the first frame.
     */
    public DirectEngine handshakeFactory(final HandshakeFactory handshakeFactory)
    {
        this.handshakeFactory = java.util.Objects.requireNonNull(handshakeFactory, "handshakeFactory");
        return this;
    }

    /**
     * Has {@code listener} told the id ({@link FlowKey#id(long)} under the journal's seed) of every flow that ends:
     * closed, reset, expired idle, or a parked flow forgotten. Called on the engine thread, possibly in the middle of
     * a {@link #classify} or {@link #onTick} call, after the flow's last frames were sent; set before the first frame.
     */
    public DirectEngine flowEndListener(final java.util.function.LongConsumer listener)
    {
        this.flowEndListener = java.util.Objects.requireNonNull(listener, "listener");
        return this;
    }

    /**
     * Resets a flow on both legs at another mode's request (the load-balancing mode: its backend went down) and ends
     * it; a parked flow (no frame of its to address a RST from) is forgotten. Engine thread only.
     *
     * @param flowId the flow's id under the journal's seed.
     * @return true when the engine held the flow (in the heap table or parked).
     */
    public boolean resetFlow(final long flowId)
    {
        final DirectFlow flow = flows.get(flowId);
        if (null != flow)
        {
            frameService = flow.service;
            flow.resetBoth();
            count(DirectCounter.FLOWS_RESET_BY_MODE);
            close(flow);
            return true;
        }
        final ParkedFlow parked = parkedFlows.remove(flowId);
        if (null != parked)
        {
            journal.remove(parked.key());
            count(DirectCounter.FLOWS_RESET_BY_MODE);
            flowEndListener.accept(flowId);
            return true;
        }
        return false;
    }

    private void onJournalExpired(final long flowId)
    {
        parkedFlows.remove(flowId);
        flowEndListener.accept(flowId);
    }

    ServerHandshake newHandshake(final FlowKey clientToServer)
    {
        return handshakeFactory.newHandshake(clientToServer);
    }

    /**
     * At start, entries a previous run left for flows still in their handshake cannot be continued (the handshake
     * state is not journaled): they go at once. Flows in cut-through stay, to be rebuilt by their next segment, or
     * expired idle like any other.
     */
    private static void removeUnrestorableEntries(final FlowJournal journal)
    {
        final List<FlowKey> stale = new ArrayList<>();
        journal.forEach(summary ->
        {
            if (summary.state() != DirectFlow.STATE_CUT_THROUGH)
            {
                stale.add(summary.key(new FlowKey()));
            }
        });
        for (final FlowKey key : stale)
        {
            journal.remove(key);
        }
    }

    // ------------------------------------------------------------------------------------------ classification --

    @Override
    public Verdict classify(final Side ingress, final DirectBuffer buffer, final ParsedFrame frame, final long nowNs)
    {
        if (!frame.isTcp() || frame.ipVersion != Ipv4HeaderFlyweight.VERSION || frame.fragment)
        {
            return Verdict.FORWARD;
        }
        ipv4.wrap(buffer, frame.l3Offset);
        if (ingress == Side.OUTSIDE)
        {
            final Service service = table.byListen(ipv4.destinationAddress(), frame.dstPort);
            if (null == service)
            {
                if (!retired.isEmpty() && onRetiredClientFrame(buffer, frame, nowNs))
                {
                    return Verdict.CONSUMED;
                }
                notePlainFlow(frame, nowNs);
                return Verdict.FORWARD;
            }
            tcp.wrap(buffer, frame.l4Offset);
            onClientFrame(service, buffer, frame, nowNs);
            return Verdict.CONSUMED;
        }
        final Service service = protectedBackend(ipv4.sourceAddress(), frame.srcPort);
        if (null == service || isPlainFlow(frame, nowNs))
        {
            return Verdict.FORWARD;
        }
        tcp.wrap(buffer, frame.l4Offset);
        onServerFrame(service, buffer, frame, nowNs);
        return Verdict.CONSUMED;
    }

    /**
     * Clients may also talk plain TCP to a protected server's backend port directly: those connections are
     * remembered from their outside packets, so that the server's replies from that port are bridged, while a reply
     * of no known connection (possibly the plaintext of an intercepted flow this process lost) is never bridged.
     */
    private void notePlainFlow(final ParsedFrame frame, final long nowNs)
    {
        if (null == protectedBackend(ipv4.destinationAddress(), frame.dstPort))
        {
            return;
        }
        lookupKey.ipv4(ipv4.sourceAddress(), frame.srcPort, ipv4.destinationAddress(), frame.dstPort);
        final long id = lookupKey.id(journal.seed());
        if (plainFlows.size() < MAX_PLAIN_FLOWS || plainFlows.containsKey(id))
        {
            plainFlows.put(id, nowNs);
        }
        else
        {
            count(DirectCounter.PLAIN_FLOWS_UNTRACKED);
        }
    }

    private boolean isPlainFlow(final ParsedFrame frame, final long nowNs)
    {
        lookupKey.ipv4(ipv4.destinationAddress(), frame.dstPort, ipv4.sourceAddress(), frame.srcPort);
        final long id = lookupKey.id(journal.seed());
        if (plainFlows.containsKey(id))
        {
            plainFlows.put(id, nowNs);
            return true;
        }
        return false;
    }

    /** The service of the table, else a retired one, whose server answers from this address and port; or null. */
    private Service protectedBackend(final int address, final int port)
    {
        final Service service = table.byBackend(address, port);
        return null != service || retired.isEmpty() ? service : retired.byBackend(address, port);
    }

    private void onClientFrame(final Service service, final DirectBuffer buffer, final ParsedFrame frame,
        final long nowNs)
    {
        lookupKey.ipv4(ipv4.sourceAddress(), frame.srcPort, ipv4.destinationAddress(), frame.dstPort);
        final long id = lookupKey.id(journal.seed());
        DirectFlow flow = flows.get(id);
        final int flags = tcp.flags();
        if (null == flow && (flags & TcpHeaderFlyweight.SYN) == 0)
        {
            flow = restoreFlow(service, id, buffer, frame, false, nowNs);
        }
        if (null == flow)
        {
            if ((flags & (TcpHeaderFlyweight.SYN | TcpHeaderFlyweight.ACK | TcpHeaderFlyweight.RST)) !=
                TcpHeaderFlyweight.SYN)
            {
                if (!answerClosedFlow(id, buffer, frame, false, nowNs))
                {
                    onUnknownClientSegment(buffer, frame);
                }
                return;
            }
            closedFlows.remove(id); // the four-tuple starts a new connection
            flow = openFlow(service, id, buffer, frame, nowNs);
            if (null == flow)
            {
                return;
            }
            frameService = service;
            forwardSyn(buffer, frame, true);
            return;
        }
        frameService = flow.service;
        flow.onClientSegment(buffer, frame, tcp, nowNs);
        afterSegment(flow, nowNs);
    }

    /**
     * A client segment to the address and port of a service the table no longer has (it moved to another mode, or
     * changed): handled when it belongs to a flow that started under the old service, else left to the next engine.
     */
    private boolean onRetiredClientFrame(final DirectBuffer buffer, final ParsedFrame frame, final long nowNs)
    {
        final Service old = retired.byListen(ipv4.destinationAddress(), frame.dstPort);
        if (null == old)
        {
            return false;
        }
        lookupKey.ipv4(ipv4.sourceAddress(), frame.srcPort, ipv4.destinationAddress(), frame.dstPort);
        final long id = lookupKey.id(journal.seed());
        DirectFlow flow = flows.get(id);
        tcp.wrap(buffer, frame.l4Offset);
        if (null == flow && parkedFlows.containsKey(id) && (tcp.flags() & TcpHeaderFlyweight.SYN) == 0)
        {
            flow = restoreFlow(old, id, buffer, frame, false, nowNs);
        }
        if (null == flow)
        {
            return false;
        }
        frameService = flow.service;
        flow.onClientSegment(buffer, frame, tcp, nowNs);
        afterSegment(flow, nowNs);
        return true;
    }

    private void onServerFrame(final Service service, final DirectBuffer buffer, final ParsedFrame frame,
        final long nowNs)
    {
        lookupKey.ipv4(ipv4.destinationAddress(), frame.dstPort, ipv4.sourceAddress(), service.listenPort());
        final long id = lookupKey.id(journal.seed());
        DirectFlow flow = flows.get(id);
        if (null == flow && (tcp.flags() & TcpHeaderFlyweight.SYN) == 0)
        {
            flow = restoreFlow(service, id, buffer, frame, true, nowNs);
        }
        if (null == flow)
        {
            if (answerClosedFlow(id, buffer, frame, true, nowNs))
            {
                return;
            }
            // never bridge a protected server's plaintext to the outside
            count(DirectCounter.UNKNOWN_FLOW_SEGMENTS);
            if (builder.rstFor(buffer, frame, true) && (tcp.flags() & TcpHeaderFlyweight.SYN) == 0)
            {
                emit(false);
            }
            return;
        }
        frameService = flow.service;
        flow.onServerSegment(buffer, frame, tcp, nowNs);
        afterSegment(flow, nowNs);
    }

    /** A flow the journal holds but this process does not (it restarted): rebuilt from its entry, or null. */
    private DirectFlow restoreFlow(final Service service, final long id, final DirectBuffer buffer,
        final ParsedFrame frame, final boolean fromServer, final long nowNs)
    {
        final FlowEntry entry = journal.acquire(lookupKey);
        if (null == entry)
        {
            return null;
        }
        DirectFlow flow = pool.isEmpty() ? new DirectFlow(this) : pool.poll();
        final boolean parked = (entry.tcpOptions() & DirectFlow.OPTION_PARKED) != 0;
        try
        {
            if (!flow.restore(entry, id, buffer, frame, tcp, fromServer, nowNs))
            {
                recycle(flow);
                flow = null;
            }
            else if (parked)
            {
                entry.tcpOptions(entry.tcpOptions() & ~DirectFlow.OPTION_PARKED);
            }
        }
        finally
        {
            entry.close();
        }
        if (null == flow)
        {
            journal.remove(lookupKey);
            count(DirectCounter.FLOWS_NOT_RESTORABLE);
            return null;
        }
        final ParkedFlow parkedFlow = parked ? parkedFlows.remove(id) : null;
        flow.service = null == parkedFlow ? service : parkedFlow.service();
        flows.put(id, flow);
        if (parked)
        {
            count(DirectCounter.FLOWS_UNPARKED);
        }
        else
        {
            count(DirectCounter.FLOWS_RESTORED);
        }
        return flow;
    }

    /**
     * A segment of a flow that closed cleanly moments ago ({@link ClosedFlows}): a FIN or data (a peer whose ACK of
     * its FIN was lost resends it) gets the flow's last ACK on that leg, a pure ACK nothing, a RST ends the record.
     *
     * @return false when no such flow closed lately: the segment is of no known flow.
     */
    private boolean answerClosedFlow(final long id, final DirectBuffer buffer, final ParsedFrame frame,
        final boolean fromServer, final long nowNs)
    {
        if (closedFlows.size() == 0)
        {
            return false;
        }
        final int slot = closedFlows.find(id, nowNs);
        if (slot < 0)
        {
            return false;
        }
        count(DirectCounter.CLOSED_FLOW_SEGMENTS);
        final int flags = tcp.flags();
        if ((flags & TcpHeaderFlyweight.RST) != 0)
        {
            closedFlows.remove(id);
            return true;
        }
        if ((flags & (TcpHeaderFlyweight.FIN | TcpHeaderFlyweight.SYN)) == 0 && frame.payloadLength <= 0)
        {
            return true;
        }
        if (fromServer)
        {
            builder.ackFor(buffer, frame, true, closedFlows.seqToServer(slot), closedFlows.windowToServer(slot))
                .acknowledgmentNumber(closedFlows.ackToServer(slot));
        }
        else
        {
            builder.ackFor(buffer, frame, true, closedFlows.seqToClient(slot), closedFlows.windowToClient(slot))
                .acknowledgmentNumber(closedFlows.ackToClient(slot));
        }
        if (closedFlows.timestamps(slot) && tcp.hasTimestamps())
        {
            builder.timestamps(fromServer ? closedFlows.tsvalToServer(slot) : closedFlows.tsvalToClient(slot),
                tcp.timestampValue());
        }
        count(DirectCounter.APPLIANCE_ACKS);
        emit(!fromServer);
        return true;
    }

    /** Keeps a cleanly closed flow's last numbers on both legs for {@link #answerClosedFlow}. */
    private void rememberClosed(final DirectFlow flow, final long nowNs)
    {
        if (flow.state != DirectFlow.STATE_CUT_THROUGH)
        {
            return; // the numbers of a passed flow are its peers' own, and a handshake never finished
        }
        closedFlows.add(flow.id, flow.controlSeqToServer(), flow.ackToServer, 0xFFFF >>> Math.max(0, flow.clientShift),
            flow.lastClientTsval(), flow.controlSeqToClient(), flow.ackToClient,
            0xFFFF >>> Math.max(0, flow.serverShift), flow.lastServerTsval(), flow.timestamps(), nowNs);
    }

    private void onUnknownClientSegment(final DirectBuffer buffer, final ParsedFrame frame)
    {
        // No state for it (a handshake a restart lost, a flow already expired): a RST lets the client fail at
        // once instead of waiting out its timeouts; RFC 9293 answers any non-RST segment of no connection so.
        count(DirectCounter.UNKNOWN_FLOW_SEGMENTS);
        if (builder.rstFor(buffer, frame, true))
        {
            emit(true);
        }
    }

    private DirectFlow openFlow(final Service service, final long id, final DirectBuffer buffer,
        final ParsedFrame frame, final long nowNs)
    {
        InsertResult result = journal.insert(lookupKey, nowNs);
        if (result == InsertResult.EXISTS)
        {
            journal.remove(lookupKey); // left by an earlier run: this SYN starts a new connection
            result = journal.insert(lookupKey, nowNs);
        }
        if (result != InsertResult.INSERTED)
        {
            count(DirectCounter.FLOWS_REFUSED_JOURNAL_FULL);
            if (builder.rstFor(buffer, frame, true))
            {
                emit(true);
            }
            return null;
        }
        final DirectFlow flow = pool.isEmpty() ? new DirectFlow(this) : pool.poll();
        flow.open(lookupKey, id, buffer, frame, tcp, nowNs);
        flow.service = service;
        flows.put(id, flow);
        count(DirectCounter.FLOWS_OPENED);
        return flow;
    }

    private void afterSegment(final DirectFlow flow, final long nowNs)
    {
        if (flow.isCloseRequested())
        {
            close(flow);
            return;
        }
        if (!flow.isClosed() && flow.isFinished() && flow.finishedAtNs == 0)
        {
            flow.finishedAtNs = nowNs;
        }
    }

    /** Ends a flow: keys zeroed, journal entry removed, object back to the pool. */
    void close(final DirectFlow flow)
    {
        if (!flows.containsKey(flow.id) || flows.get(flow.id) != flow)
        {
            return;
        }
        flows.remove(flow.id);
        unlistTimer(flow);
        journal.remove(flow.key);
        final long id = flow.id;
        flow.release();
        recycle(flow);
        flowEndListener.accept(id);
    }

    private void recycle(final DirectFlow flow)
    {
        if (pool.size() < POOL_MAX)
        {
            pool.add(flow);
        }
    }

    /**
     * Takes a quiet flow off the heap: everything it needs is in its journal entry already (the state a restart
     * continues from), so its next segment rebuilds it as a restart would, and until then it costs only the entry.
     */
    private void park(final DirectFlow flow, final long nowNs)
    {
        final FlowEntry entry = journal.acquire(flow.key);
        if (null == entry)
        {
            return;
        }
        try
        {
            entry.tcpOptions(entry.tcpOptions() | DirectFlow.OPTION_PARKED);
            entry.lastActivityNs(flow.lastActivityNs());
        }
        finally
        {
            entry.close();
        }
        // its entry shrinks to the parked file; if that file is full it stays whole, and the flow comes back alike
        journal.park(flow.key);
        parkedFlows.put(flow.id, new ParkedFlow(flow.service, new FlowKey().set(flow.key)));
        flows.remove(flow.id);
        unlistTimer(flow);
        flow.release();
        recycle(flow);
        count(DirectCounter.FLOWS_PARKED);
    }

    /**
     * Timers: the injected flights of flows in their handshake every cycle (few flows, short-lived), and every
     * {@link #SCAN_INTERVAL_NS} a sweep of all flows for closing and idle expiry.
     */
    @Override
    public int onTick(final long nowNs)
    {
        int work = drainServiceTables(nowNs);
        final boolean sweep = nowNs - nextScanNs >= 0;
        if (sweep)
        {
            nextScanNs = nowNs + SCAN_INTERVAL_NS;
            if (null != countersSink && nowNs - nextCountersPublishNs >= 0)
            {
                nextCountersPublishNs = nowNs + COUNTERS_PUBLISH_INTERVAL_NS;
                countersSink.publish(counters);
            }
            expirePlainFlows(nowNs);
            closedFlows.expire(nowNs);
            // entries no live flow of this process refreshes (left by a previous run and never resumed); live
            // flows expire from the heap table first, their entries with them
            final int orphans = journal.expireIdle(nowNs, 2 * settings.idleTimeoutNs(), JOURNAL_EXPIRY_PER_SWEEP,
                onJournalExpired);
            for (int i = 0; i < orphans; i++)
            {
                count(DirectCounter.FLOWS_EXPIRED);
            }
        }
        scan.clear();
        if (sweep)
        {
            scan.addAll(flows.values());
        }
        else
        {
            scan.addAll(handshaking);
        }
        for (int i = 0, n = scan.size(); i < n; i++)
        {
            final DirectFlow flow = scan.get(i);
            frameService = flow.service;
            work += flow.serviceInjected(nowNs);
            if (flow.isCloseRequested())
            {
                close(flow);
                continue;
            }
            if (flow.isClosed())
            {
                continue;
            }
            if (!flow.needsTimer())
            {
                unlistTimer(flow);
            }
            if (!sweep)
            {
                continue;
            }
            if (flow.finishedAtNs != 0 && nowNs - flow.finishedAtNs > settings.finLingerNs())
            {
                count(DirectCounter.FLOWS_CLOSED);
                rememberClosed(flow, nowNs);
                close(flow);
            }
            else if (nowNs - flow.lastActivityNs() > settings.idleTimeoutNs())
            {
                count(DirectCounter.FLOWS_EXPIRED);
                close(flow);
            }
            else if (settings.parkAfterNs() > 0 && nowNs - flow.lastActivityNs() > settings.parkAfterNs() &&
                flow.isQuiescent())
            {
                park(flow, nowNs);
            }
        }
        if (sweep && !retired.isEmpty())
        {
            retired.forgetUnused(nowNs, flows, parkedFlows.values());
        }
        return work;
    }

    /** @return the way other threads hand this engine a new {@link ServiceTable}. */
    public ServicesProxy servicesProxy()
    {
        return servicesProxy;
    }

    private int drainServiceTables(final long nowNs)
    {
        int work = 0;
        ServiceTable next;
        while (work < SERVICE_TABLES_PER_CYCLE && null != (next = servicesQueue.poll()))
        {
            onServicesChanged(next, nowNs);
            work++;
        }
        return work;
    }

    /**
     * Takes a new table (a configuration reload; control path, so allocation is fine): new SYNs use it at once; a
     * flow in flight keeps the service object it started with, so a service whose settings changed (backend port,
     * non-TLS action) serves its old flows as before; flows of a service the table no longer has are reset on both
     * legs and closed. The backend ports of replaced and removed services stay protected for a while (see
     * {@link #RETIRED_SERVICE_GRACE_NS}).
     */
    void onServicesChanged(final ServiceTable next, final long nowNs)
    {
        applyServices(next, nowNs);
    }

    /**
     * Takes a new table at once, on the engine's thread (a {@code ModeChange} that changes several modes together);
     * see {@link #onServicesChanged}. A flow whose service is in {@link ServiceTable#elsewhere()} (it moved to another
     * mode) keeps running under its old service.
     */
    public void applyServices(final ServiceTable next, final long nowNs)
    {
        final ServiceTable previous = table;
        table = next;
        for (final Service old : previous.services())
        {
            if (!old.equals(next.byListen(old.ipv4Address(), old.listenPort())))
            {
                retired.retire(old, nowNs + RETIRED_SERVICE_GRACE_NS);
            }
        }
        scan.clear();
        scan.addAll(flows.values());
        for (int i = 0, n = scan.size(); i < n; i++)
        {
            final DirectFlow flow = scan.get(i);
            final Service service = flow.service;
            if (isRemoved(service, next))
            {
                frameService = service;
                flow.resetBoth();
                count(DirectCounter.FLOWS_RESET_SERVICE_REMOVED);
                close(flow);
            }
        }
        scan.clear();
        // parked flows of a removed service cannot be sent a RST (no frame of theirs to address it from): they are
        // forgotten, and their next segment is answered as a segment of no flow
        final java.util.Iterator<ParkedFlow> parked = parkedFlows.values().iterator();
        while (parked.hasNext())
        {
            final ParkedFlow p = parked.next();
            final Service service = p.service();
            if (isRemoved(service, next))
            {
                journal.remove(p.key());
                parked.remove();
                count(DirectCounter.FLOWS_RESET_SERVICE_REMOVED);
                flowEndListener.accept(p.key().id(journal.seed()));
            }
        }
        count(DirectCounter.SERVICE_TABLES_APPLIED);
    }

    private void unlistTimer(final DirectFlow flow)
    {
        if (flow.timerListed)
        {
            flow.timerListed = false;
            handshaking.remove(flow);
        }
    }

    private static boolean isRemoved(final Service service, final ServiceTable next)
    {
        return null != service && null == next.byListen(service.ipv4Address(), service.listenPort()) &&
            !next.servedElsewhere(service.ipv4Address(), service.listenPort());
    }

    /** Called by a flow whose injected stream has bytes to send or a timer running. */
    void needsTimer(final DirectFlow flow)
    {
        if (!flow.timerListed)
        {
            flow.timerListed = true;
            handshaking.add(flow);
        }
    }

    private void expirePlainFlows(final long nowNs)
    {
        final long idle = settings.idleTimeoutNs();
        plainFlows.longForEach((id, last) ->
        {
            if (nowNs - last > idle)
            {
                expiredPlain.addLong(id);
            }
        });
        for (int i = 0; i < expiredPlain.size(); i++)
        {
            plainFlows.remove(expiredPlain.getLong(i));
        }
        expiredPlain.clear();
    }

    /** The earliest timer of any flow, for a simulation clock that jumps to it. */
    public long nextDeadlineNs()
    {
        long next = InjectedStreamSender.NO_DEADLINE;
        for (final DirectFlow flow : flows.values())
        {
            next = Math.min(next, flow.nextDeadlineNs());
        }
        return next;
    }

    // ---------------------------------------------------------------------------------------------- frames out --

    /** Sends a SYN or SYN-ACK on with the service's ports, the client's MSS lowered for record overhead and no SACK. */
    void forwardSyn(final DirectBuffer buffer, final ParsedFrame frame, final boolean fromClient)
    {
        final int length = copyWithServicePorts(buffer, frame, fromClient);
        if (fromClient)
        {
            final int mss = rewriter.mss();
            rewriter.clampMss((mss > 0 ? mss : 536) - settings.maxRecordOverhead());
        }
        if (!settings.translateSack())
        {
            stripSackPermitted();
        }
        send(!fromClient, length);
    }

    /** Bridges a segment of a flow that is passed as plain TCP (not TLS): only the port changes. */
    void forwardPassing(final DirectBuffer buffer, final ParsedFrame frame, final boolean fromClient)
    {
        send(!fromClient, copyWithServicePorts(buffer, frame, fromClient));
    }

    /**
     * Copies a frame into the output buffer with the service's port swapped (443 to the backend port toward the
     * server, back toward the client), leaving the rewriter on the copy.
     *
     * @return the copy's length.
     */
    private int copyWithServicePorts(final DirectBuffer buffer, final ParsedFrame frame, final boolean fromClient)
    {
        final int length = copyFrame(buffer, frame);
        reparse(length);
        final Service service = frameService;
        rewriter.wrap(frameOut, outFrame);
        if (fromClient)
        {
            rewriter.destinationPort(service.backendPort());
        }
        else
        {
            rewriter.sourcePort(service.listenPort());
        }
        return length;
    }

    private final ParsedFrame outFrame = new ParsedFrame();
    private final int[] sackEdges = new int[2 * TcpOption.MAX_SACK_BLOCKS];
    private final int[] sackScratch = new int[2 * HeldSegments.PER_DIRECTION];

    private int copyFrame(final DirectBuffer buffer, final ParsedFrame frame)
    {
        final int length = frame.l4Offset + frame.l4Length - frame.frameOffset;
        frameOut.putBytes(0, buffer, frame.frameOffset, length);
        return length;
    }

    private void reparse(final int length)
    {
        parser.parse(frameOut, 0, length, outFrame);
    }

    private void stripSackPermitted()
    {
        tcp.wrap(frameOut, outFrame.l4Offset);
        final int at = tcp.findOption(TcpOption.SACK_PERMITTED);
        if (at == TcpHeaderFlyweight.NOT_FOUND)
        {
            return;
        }
        frameOut.putByte(at, (byte)TcpOption.NOP);
        frameOut.putByte(at + 1, (byte)TcpOption.NOP);
        Checksums.writeTcpChecksumIpv4(frameOut, outFrame.l3Offset, outFrame.l4Offset, outFrame.l4Length);
    }

    boolean buildToServer(final DirectFlow flow, final int seq, final int ack, final int flags, final int window,
        final byte[] bytes, final int offset, final int length)
    {
        return build(flow, false, seq, ack, flags, window, bytes, offset, length);
    }

    boolean buildToClient(final DirectFlow flow, final int seq, final int ack, final int flags, final int window,
        final byte[] bytes, final int offset, final int length)
    {
        return build(flow, true, seq, ack, flags, window, bytes, offset, length);
    }

    /** A segment of the flow from its template, toward the client or the server, with the flow's options. */
    private boolean build(final DirectFlow flow, final boolean toClient, final int seq, final int ack,
        final int flags, final int window, final byte[] bytes, final int offset, final int length)
    {
        builder.template(flow.templateBuffer(), flow.templateFrame(), flow.templateFromServer() != toClient)
            .ports(toClient ? flow.key.destinationPort() : flow.key.sourcePort(),
                toClient ? flow.key.sourcePort() : backendPortOf(flow))
            .sequenceNumber(seq).acknowledgmentNumber(ack).flags(flags).window(window);
        if (flow.timestamps())
        {
            builder.timestamps(toClient ? flow.lastServerTsval() : flow.lastClientTsval(),
                toClient ? flow.lastClientTsval() : flow.lastServerTsval());
        }
        if (flow.sack)
        {
            // blocks for what the appliance holds from the peer being answered, and the other peer's translated
            final int blocks = toClient ?
                SackBlocks.compose(this, flow.heldFromClient, flow.c2sCipherNext, flow.sackToClient,
                    flow.sackToClientCount, ack, flow.timestamps(), length, flow.clientMss, sackEdges, sackScratch) :
                SackBlocks.compose(this, flow.heldFromServer, flow.s2cPlainNext, flow.sackToServer,
                    flow.sackToServerCount, ack, flow.timestamps(), length, flow.serverMss, sackEdges, sackScratch);
            builder.sackBlocks(sackEdges, blocks);
        }
        if (length > 0)
        {
            builder.payload(bytes, offset, length);
        }
        return emit(toClient);
    }

    private int backendPortOf(final DirectFlow flow)
    {
        return null == flow.service ? flow.key.destinationPort() : flow.service.backendPort();
    }

    private boolean emit(final boolean toClient)
    {
        final int length = builder.build(frameOut, 0);
        if (length < 0)
        {
            count(DirectCounter.TX_REFUSED);
            return false;
        }
        return send(toClient, length);
    }

    private boolean send(final boolean toClient, final int length)
    {
        final boolean sent = toClient ? out.toClient(frameOut, 0, length) : out.toServer(frameOut, 0, length);
        if (!toClient)
        {
            framesToServer++;
        }
        if (!sent)
        {
            count(DirectCounter.TX_REFUSED);
        }
        return sent;
    }

    void parseTemplate(final UnsafeBuffer buffer, final int length, final ParsedFrame into)
    {
        if (parser.parse(buffer, 0, length, into) != FrameAnomaly.NONE)
        {
            throw new IllegalStateException("template does not parse: " + into.anomaly);
        }
    }

    // ------------------------------------------------------------------------------------------------ plumbing --

    FlowEntry acquire(final FlowKey key)
    {
        return journal.acquire(key);
    }

    void count(final DirectCounter counter)
    {
        counters[counter.ordinal()]++;
    }

    void count(final DirectCounter counter, final long amount)
    {
        counters[counter.ordinal()] += amount;
    }

    /** @return the counter's value (engine thread, or after the engine stopped). */
    public long counter(final DirectCounter counter)
    {
        return counters[counter.ordinal()];
    }

    /** @return the name of a flow state as the journal stores it, for {@code appliance flows}. */
    public static String stateName(final int state)
    {
        switch (state)
        {
            case DirectFlow.STATE_SYN:
                return "syn";
            case DirectFlow.STATE_SYN_ACK:
                return "syn-ack";
            case DirectFlow.STATE_OPEN:
                return "open";
            case DirectFlow.STATE_HANDSHAKE:
                return "handshake";
            case DirectFlow.STATE_CUT_THROUGH:
                return "cut-through";
            case DirectFlow.STATE_PASS:
                return "passed";
            case DirectFlow.STATE_CLOSED:
                return "closed";
            default:
                return "new";
        }
    }

    /** @return one line per flow with its positions (never keys), for diagnostics. */
    public String describeFlows()
    {
        final StringBuilder text = new StringBuilder();
        flows.values().forEach(flow -> text.append(flow).append('\n'));
        return text.toString();
    }

    /** @return flows in the heap table. */
    public int flowCount()
    {
        return flows.size();
    }

    /** Index of {@link #countFlowsByState}: SYN seen, TCP or TLS handshake in progress. */
    public static final int FLOWS_HANDSHAKE = 0;
    /** Index of {@link #countFlowsByState}: records decrypted and encrypted segment by segment. */
    public static final int FLOWS_CUT_THROUGH = 1;
    /** Index of {@link #countFlowsByState}: a direction in proxy handling (DESIGN §6). */
    public static final int FLOWS_PROXY_HANDLING = 2;
    /** Index of {@link #countFlowsByState}: not intercepted, passed through unchanged (not TLS, per config). */
    public static final int FLOWS_PASSING = 3;
    /** Index of {@link #countFlowsByState}: ended, waiting to be let go. */
    public static final int FLOWS_CLOSING = 4;
    /** Index of {@link #countFlowsByState}: quiet, their entry parked off the heap. */
    public static final int FLOWS_PARKED = 5;
    /** Length of the array {@link #countFlowsByState} fills. */
    public static final int FLOW_STATES = 6;
    /** Names of the states by index, for metrics. */
    public static final java.util.List<String> FLOW_STATE_NAMES =
        java.util.List.of("handshake", "cut_through", "proxy_handling", "passing", "closing", "parked");

    /**
     * Counts the flows held now by state, into {@code byState} (length {@link #FLOW_STATES}): one pass over the
     * table, for a once-a-second gauge (engine thread; nothing allocated).
     */
    public void countFlowsByState(final long[] byState)
    {
        java.util.Arrays.fill(byState, 0, FLOW_STATES, 0);
        for (final DirectFlow flow : flows.values())
        {
            final int state = flow.state;
            final int index;
            if (state == DirectFlow.STATE_CLOSED || flow.closeRequested)
            {
                index = FLOWS_CLOSING;
            }
            else if (state == DirectFlow.STATE_PASS)
            {
                index = FLOWS_PASSING;
            }
            else if (state == DirectFlow.STATE_CUT_THROUGH)
            {
                index = flow.s2cProxy.isActive() || flow.c2sProxy.isActive() ? FLOWS_PROXY_HANDLING :
                    FLOWS_CUT_THROUGH;
            }
            else
            {
                index = FLOWS_HANDSHAKE;
            }
            byState[index]++;
        }
        byState[FLOWS_PARKED] = parkedFlows.size();
    }

    /** Failed handshakes by alert. */
    public org.inlinetls.handshake.HandshakeFailures handshakeFailures()
    {
        return handshakeFailures;
    }

    /** The policy of handshakes starting now: the newest table's. */
    HandshakeConfig handshakeConfig()
    {
        return table.handshake();
    }

    IntegrityMode integrityMode()
    {
        return settings.integrity();
    }

    /** Whether the flow whose segment is being handled passes non-TLS bytes (its service's setting). */
    boolean passNonTls()
    {
        return settings.passNonTls() || (null != frameService && frameService.passNonTls());
    }

    boolean translatesSack()
    {
        return settings.translateSack();
    }

    SwitchPolicy switchPolicy()
    {
        return settings.switching();
    }

    /** Takes a place for one more flow in proxy handling, if {@link SwitchPolicy#maxProxiedFlows()} allows. */
    boolean tryStartProxiedFlow()
    {
        if (proxiedFlows >= settings.switching().maxProxiedFlows())
        {
            return false;
        }
        proxiedFlows++;
        return true;
    }

    /** A flow left proxy handling (or ended in it). */
    void proxiedFlowEnded()
    {
        proxiedFlows--;
    }

    /** Flows in proxy handling now (engine thread). */
    public int proxiedFlows()
    {
        return proxiedFlows;
    }

    int maxRecordOverhead()
    {
        return settings.maxRecordOverhead();
    }

    int ringCapacity()
    {
        return ringCapacity;
    }

    InjectedStreamSender newInjectedSender(final int initialSeq)
    {
        return new InjectedStreamSender(initialSeq);
    }

    SegmentPool segmentPool()
    {
        return segmentPool;
    }

    byte[] payloadScratch(final int length)
    {
        return payload;
    }

    byte[] recordScratch()
    {
        return records;
    }

    byte[] resendScratch(final int length)
    {
        return resend;
    }

    /** A client retransmission joined to the part kept of its interval; grows (rarely) to the largest seen. */
    byte[] joinScratch(final int length)
    {
        if (join.length < length)
        {
            join = new byte[Math.max(length, 2 * join.length)];
        }
        return join;
    }

    private byte[] join = new byte[4096];

    byte[] outputScratch()
    {
        return output;
    }

    byte[] decoderScratch()
    {
        return decoderScratch;
    }

    byte[] checkpointScratch()
    {
        return checkpoint;
    }

    byte[] compareScratch()
    {
        return compare;
    }

    byte[] alertScratch()
    {
        return alert;
    }
}
