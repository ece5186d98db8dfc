package org.inlinetls.modes.lb;

import java.util.List;

import org.agrona.DirectBuffer;
import org.agrona.collections.Int2IntHashMap;
import org.agrona.collections.IntHashSet;
import org.agrona.collections.LongArrayList;
import org.agrona.collections.LongHashSet;
import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.modes.direct.DirectEngine;
import org.inlinetls.modes.direct.FrameOut;
import org.inlinetls.packet.build.TcpSegmentBuilder;
import org.inlinetls.packet.engine.FrameClassifier;
import org.inlinetls.packet.engine.Side;
import org.inlinetls.packet.engine.Verdict;
import org.inlinetls.packet.flyweight.ArpFlyweight;
import org.inlinetls.packet.flyweight.EtherType;
import org.inlinetls.packet.flyweight.EthernetFlyweight;
import org.inlinetls.packet.flyweight.Ipv4HeaderFlyweight;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.frame.FrameAnomaly;
import org.inlinetls.packet.frame.FrameParser;
import org.inlinetls.packet.frame.ParsedFrame;
import org.inlinetls.packet.rewrite.TcpSegmentRewriter;

/**
 * The load-balancing mode's data path (DESIGN §1): a NAT stage in front of the {@link DirectEngine}, which does the
 * cut-through itself.
 * <p>
 * A client's SYN to a virtual address picks a backend (pool algorithm, health, persistence by client address) and
 * records a mapping in a preallocated {@link NatTable}. Every client frame of a mapped flow is copied, its
 * destination IP rewritten to the backend's (checksums updated incrementally, RFC 1624) and its destination MAC to
 * the backend's, and handed to the engine, which sees an ordinary direct-mode flow to one of its internal services
 * {@code backend ip:vip port -> backend ip:backend port} ({@link VirtualService#engineServices}). Frames the engine
 * sends the client go out through {@link #engineFrameOut()}: their source IP is set back to the virtual address and
 * their source MAC to the outside NIC's; frames to the server already carry the backend's addresses.
 * <p>
 * A mapping ends when the engine reports its flow ended ({@link DirectEngine#flowEndListener}), or when idle longer
 * than the engine could keep it. A backend that goes down (or down and up: its {@link BackendHealth} stamp changed)
 * has its flows reset on both legs by the engine, found by a sweep as soon as a stamp changes and by the flow's next
 * client frame; with no backend up a SYN gets a RST.
 * <p>
 * Around that: ARP requests for a virtual address are answered with the outside NIC's MAC; backends' MACs are learned
 * from their frames on the inside (the health checks' answers bring them); frames from or to the appliance's own
 * addresses (health checks) are not bridged across; direct connections to an internal service address from the
 * outside are bridged without interception. Everything else goes to the engine unchanged.
 * <p>
 * A virtual service with {@link VirtualService#delayedBinding()} (cookie persistence, PROXY header) is the full-proxy
 * engine's, which sits in front of this stage: here it only has its ARP answered and its backends' MACs learned
 * ({@link #learnedMac}); its TCP never maps.
 * <p>
 * One thread; no allocation and no lock per frame. NAT mappings live in the heap only: a restarted daemon resets the
 * flows through a virtual address that were in flight.
 */
public final class LbNatStage implements FrameClassifier
{
    /**
     * The stage's fixed settings.
     *
     * @param services             the virtual services, each with its pool.
     * @param outsideMac           the outside NIC's MAC: ARP answers and the source of frames from a virtual address.
     * @param ownAddresses         the appliance's own IPv4 addresses (health checks): their frames are not bridged.
     * @param maxMappings          the most flows through virtual addresses at once (SYNs beyond get a RST).
     * @param mappingIdleTimeoutNs a mapping quiet this long is forgotten; longer than the engine keeps a flow.
     */
    public record Settings(
        List<VirtualService> services,
        long outsideMac,
        int[] ownAddresses,
        int maxMappings,
        long mappingIdleTimeoutNs)
    {
    }

    /** How often the backends' health stamps are compared with the last seen (a change starts a sweep). */
    static final long HEALTH_SWEEP_INTERVAL_NS = 50_000_000L;
    /** How often a sweep for idle mappings starts. */
    static final long IDLE_SWEEP_INTERVAL_NS = 1_000_000_000L;
    /** Mapping slots one duty cycle sweeps at most: a large table is swept over several cycles. */
    static final int SWEEP_SLOTS_PER_CYCLE = 4_096;
    private static final int SCRATCH = 1 << 16;
    private static final int NO_HOST = -1;

    /**
     * The virtual services by slot (a mapping's service index): those of the running table, and those a reload
     * replaced or moved to another mode while mappings of theirs remain (null: a free slot).
     */
    private VirtualService[] services;
    /** Per slot: in the running table (new SYNs may map to it). */
    private boolean[] current;
    /** Per slot: mappings held. */
    private int[] mappingsPerSlot;
    /** Slots out of the running table with mappings still held: their client frames are found by mapping. */
    private int retiredSlots;
    /** Virtual addresses and ports (as {@link #addressKey}) another mode served before a reload. */
    private final LongHashSet handedOver = new LongHashSet();
    /**
     * Virtual addresses and ports a reload removed, for {@link #REMOVED_VIP_GRACE_NS}: a client's segment to one (in
     * flight when its flow was reset) is answered with a RST rather than bridged to an address nobody serves.
     */
    private final LongHashSet removedVips = new LongHashSet();
    private long removedVipsUntilNs;
    /** How long the segments to a removed virtual address are answered with a RST. */
    static final long REMOVED_VIP_GRACE_NS = 10_000_000_000L;
    private final long outsideMac;
    private final IntHashSet ownAddresses;
    private final long mappingIdleTimeoutNs;
    private final NatTable table;
    private final FrameOut out;
    private final NatEgress engineOut;
    private final long[] counters = new long[LbCounter.values().length];
    /** Backend hosts (distinct addresses over all pools): index by address, and their learned MACs (0: unknown). */
    private final Int2IntHashMap hostByAddress = new Int2IntHashMap(NO_HOST);
    private long[] hostMacs;
    /** Per service, per backend id: the index of its host. */
    private int[][] hostOf;
    /** Per service, per backend id: the health stamp the last sweep saw. */
    private int[][] sweptStamps;
    /** Internal service addresses (address << 16 | port) the engine intercepts for NATed flows only. */
    private final LongHashSet internalAddresses = new LongHashSet();
    private final LongArrayList endedFlows = new LongArrayList(1024, Long.MIN_VALUE);
    private DirectEngine engine;

    private final FrameParser parser = new FrameParser();
    private final ParsedFrame natFrame = new ParsedFrame();
    private final Ipv4HeaderFlyweight ipv4 = new Ipv4HeaderFlyweight();
    private final TcpHeaderFlyweight tcp = new TcpHeaderFlyweight();
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final ArpFlyweight arp = new ArpFlyweight();
    private final TcpSegmentRewriter rewriter = new TcpSegmentRewriter();
    private final TcpSegmentBuilder builder = new TcpSegmentBuilder();
    private final ArpReplies arpReplies = new ArpReplies();
    private final UnsafeBuffer ingressScratch = new UnsafeBuffer(new byte[SCRATCH]);
    private final UnsafeBuffer replyScratch = new UnsafeBuffer(new byte[SCRATCH]);
    private long nextHealthSweepNs;
    private long nextIdleSweepNs;
    /** The next slot of the sweep in progress, or -1 when none runs. */
    private int sweepCursor = -1;
    private DirectEngine.CountersSink countersSink;

    /**
     * @param flowIdSeed the flow journal's seed ({@code FlowJournal.seed()}), so mappings know the engine's flow ids.
     * @param out        where frames finally go: the bridge's ports.
     */
    public LbNatStage(final Settings settings, final long flowIdSeed, final FrameOut out)
    {
        this.services = settings.services().toArray(new VirtualService[0]);
        this.outsideMac = settings.outsideMac();
        this.ownAddresses = new IntHashSet();
        for (final int address : settings.ownAddresses())
        {
            ownAddresses.add(address);
        }
        this.mappingIdleTimeoutNs = settings.mappingIdleTimeoutNs();
        this.table = new NatTable(settings.maxMappings(), flowIdSeed);
        this.out = out;
        this.engineOut = new NatEgress(table, internalAddresses, outsideMac, out, counters);
        current = new boolean[services.length];
        java.util.Arrays.fill(current, true);
        mappingsPerSlot = new int[services.length];
        hostOf = new int[services.length][];
        sweptStamps = new int[services.length][];
        hostMacs = new long[1];
        indexHosts();
    }

    /** Host indexes, health stamps and internal addresses of every slot's backends (control path). */
    private void indexHosts()
    {
        internalAddresses.clear();
        for (int s = 0; s < services.length; s++)
        {
            if (null == services[s])
            {
                continue;
            }
            final BackendPool pool = services[s].pool();
            if (null == hostOf[s])
            {
                hostOf[s] = new int[pool.backendCount()];
                sweptStamps[s] = new int[pool.backendCount()];
                for (int id = 0; id < pool.backendCount(); id++)
                {
                    sweptStamps[s][id] = pool.health().stamp(id);
                }
            }
            for (int id = 0; id < pool.backendCount(); id++)
            {
                final int address = pool.ipv4Address(id);
                int host = hostByAddress.get(address);
                if (NO_HOST == host)
                {
                    host = hostByAddress.size();
                    hostByAddress.put(address, host);
                }
                hostOf[s][id] = host;
                if (!services[s].delayedBinding())
                {
                    internalAddresses.add(addressKey(address, services[s].vipPort()));
                }
            }
        }
        if (hostMacs.length < hostByAddress.size())
        {
            hostMacs = java.util.Arrays.copyOf(hostMacs, hostByAddress.size());
        }
    }

    /**
     * Takes a reload's virtual services at once (data-path thread; control-path cost, once per reload): new SYNs map
     * by the new table; a mapping in flight keeps its service object, pool and backend, also when the service moved
     * to another mode or its pool changed (a service object of the old table that is not in the new one is kept while
     * it has mappings); mappings of {@link LbServiceTable#removed()} services are reset on both legs by the engine and
     * counted ({@link LbCounter#FLOWS_RESET_SERVICE_REMOVED}). Apply it before the engine's own new table, so the
     * engine resets them as another mode's request rather than as flows of a removed internal service.
     */
    public void applyServices(final LbServiceTable next, final long nowNs)
    {
        final boolean[] wasCurrent = current.clone();
        java.util.Arrays.fill(current, false);
        for (final VirtualService service : next.services())
        {
            int slot = slotOf(service);
            if (slot < 0)
            {
                slot = freeSlot();
                services[slot] = service;
                hostOf[slot] = null;
                sweptStamps[slot] = null;
                mappingsPerSlot[slot] = 0;
            }
            current[slot] = true;
        }
        for (int s = 0; s < services.length; s++)
        {
            if (null != services[s] && !current[s] && s < wasCurrent.length && wasCurrent[s] &&
                next.removed().contains(services[s]))
            {
                resetMappingsOf(s);
            }
            if (null != services[s] && !current[s] && mappingsPerSlot[s] == 0)
            {
                services[s] = null; // free
            }
        }
        retiredSlots = countRetiredSlots();
        for (final VirtualService gone : next.removed())
        {
            removedVips.add(addressKey(gone.vipAddress(), gone.vipPort()));
            removedVipsUntilNs = nowNs + REMOVED_VIP_GRACE_NS;
        }
        for (final VirtualService service : next.services())
        {
            removedVips.remove(addressKey(service.vipAddress(), service.vipPort()));
        }
        ownAddresses.clear();
        for (final int address : next.ownAddresses())
        {
            ownAddresses.add(address);
        }
        handedOver.clear();
        for (final long key : next.handedOver())
        {
            handedOver.add(key);
        }
        indexHosts();
        count(LbCounter.SERVICE_TABLES_APPLIED);
    }

    private int slotOf(final VirtualService service)
    {
        for (int s = 0; s < services.length; s++)
        {
            if (services[s] == service)
            {
                return s;
            }
        }
        return -1;
    }

    private int freeSlot()
    {
        for (int s = 0; s < services.length; s++)
        {
            if (null == services[s] && mappingsPerSlot[s] == 0)
            {
                return s;
            }
        }
        final int slot = services.length;
        final int length = slot + 1;
        services = java.util.Arrays.copyOf(services, length);
        current = java.util.Arrays.copyOf(current, length);
        mappingsPerSlot = java.util.Arrays.copyOf(mappingsPerSlot, length);
        hostOf = java.util.Arrays.copyOf(hostOf, length);
        sweptStamps = java.util.Arrays.copyOf(sweptStamps, length);
        return slot;
    }

    /** Resets every mapping of a removed service's slot (control path: one pass over the NAT table). */
    private void resetMappingsOf(final int serviceSlot)
    {
        for (int slot = 0; slot < table.capacity(); slot++)
        {
            if (table.isUsed(slot) && table.serviceIndex(slot) == serviceSlot)
            {
                if (engine.resetFlow(table.engineFlowId(slot)))
                {
                    count(LbCounter.FLOWS_RESET_SERVICE_REMOVED);
                }
                else
                {
                    removeMapping(slot); // the engine's flow already ended: nothing to reset
                }
            }
        }
        drainEndedFlows();
    }

    /** The internal engine services these virtual services need after the direct ones (for the engine's settings). */
    public static List<DirectEngine.Service> engineServices(final List<DirectEngine.Service> direct,
        final List<VirtualService> services)
    {
        return VirtualService.engineServices(direct, services);
    }

    /**
     * The frames the engine builds go here (give it to the {@link DirectEngine}'s constructor), then
     * {@link #engine(DirectEngine)} attaches the engine.
     */
    public FrameOut engineFrameOut()
    {
        return engineOut;
    }

    /** Attaches the engine this stage feeds; once, before the first frame. */
    public LbNatStage engine(final DirectEngine engine)
    {
        this.engine = engine;
        engine.flowEndListener(this::onEngineFlowEnded);
        return this;
    }

    public DirectEngine engine()
    {
        return engine;
    }

    /** Tells the stage a backend's MAC (tests, or the control path before start); learned from frames otherwise. */
    public void backendMac(final int ipv4Address, final long mac)
    {
        final int host = hostByAddress.get(ipv4Address);
        if (NO_HOST != host)
        {
            hostMacs[host] = mac;
        }
    }

    /** Where the counters go once a second (the daemon's shared counters); set before the first frame. */
    public LbNatStage countersSink(final DirectEngine.CountersSink sink)
    {
        this.countersSink = sink;
        return this;
    }

    /**
     * The MAC learned for a backend address of any virtual service (the full-proxy engine's delayed-binding flows ask
     * for it when they open their backend leg), or 0 when not known yet. Data-path thread.
     */
    public long learnedMac(final int ipv4Address)
    {
        final int host = hostByAddress.get(ipv4Address);
        return NO_HOST == host ? 0 : hostMacs[host];
    }

    /** @return the counter's value (data-path thread, or after it stopped). */
    public long counter(final LbCounter counter)
    {
        return counters[counter.ordinal()];
    }

    /** NAT mappings held now. */
    public int mappingCount()
    {
        return table.size();
    }

    // ------------------------------------------------------------------------------------------ classification --

    @Override
    public Verdict classify(final Side ingress, final DirectBuffer buffer, final ParsedFrame frame, final long nowNs)
    {
        final Verdict verdict = ingress == Side.OUTSIDE ?
            onOutsideFrame(buffer, frame, nowNs) : onInsideFrame(buffer, frame, nowNs);
        drainEndedFlows();
        return verdict;
    }

    private Verdict onOutsideFrame(final DirectBuffer buffer, final ParsedFrame frame, final long nowNs)
    {
        if (frame.etherType == EtherType.ARP)
        {
            return onOutsideArp(buffer, frame, nowNs);
        }
        if (frame.ipVersion != Ipv4HeaderFlyweight.VERSION)
        {
            return engine.classify(Side.OUTSIDE, buffer, frame, nowNs);
        }
        ipv4.wrap(buffer, frame.l3Offset);
        final int destination = ipv4.destinationAddress();
        if (isOwnTraffic(ipv4.sourceAddress(), destination))
        {
            return Verdict.DROP;
        }
        final int serviceIndex = frame.isTcp() && !frame.fragment ? serviceOf(destination, frame.dstPort) : -1;
        if (serviceIndex < 0 && retiredSlots > 0 && frame.isTcp() && !frame.fragment)
        {
            final int slot = table.findByClientLeg(ipv4.sourceAddress(), frame.srcPort, destination, frame.dstPort);
            if (NatTable.NONE != slot)
            {
                // a flow of a service the running table no longer has here (moved or changed): as it started
                table.touch(slot, nowNs);
                toBackend(slot, buffer, frame, nowNs);
                return Verdict.CONSUMED;
            }
        }
        if (serviceIndex < 0 && !removedVips.isEmpty() && frame.isTcp() &&
            removedVips.contains(addressKey(destination, frame.dstPort)))
        {
            resetClient(buffer, frame, LbCounter.UNMAPPED_SEGMENTS_RESET);
            return Verdict.CONSUMED;
        }
        if (serviceIndex < 0)
        {
            if (isVip(destination))
            {
                count(LbCounter.FRAMES_NOT_TCP_TO_VIP);
                return Verdict.DROP;
            }
            if (frame.isTcp() && internalAddresses.contains(addressKey(destination, frame.dstPort)))
            {
                return Verdict.FORWARD; // a backend's own port, reached directly: not a virtual service's flow
            }
            return engine.classify(Side.OUTSIDE, buffer, frame, nowNs);
        }
        tcp.wrap(buffer, frame.l4Offset);
        return onVipSegment(serviceIndex, buffer, frame, nowNs);
    }

    private Verdict onInsideFrame(final DirectBuffer buffer, final ParsedFrame frame, final long nowNs)
    {
        if (frame.etherType == EtherType.ARP)
        {
            arp.wrap(buffer, frame.l3Offset, frame.l3Length);
            if (arp.isEthernetIpv4())
            {
                learnMac(arp.senderProtocolAddress(), arp.senderHardwareAddress());
                if (isOwnTraffic(arp.senderProtocolAddress(), arp.targetProtocolAddress()))
                {
                    return Verdict.DROP;
                }
            }
            return engine.classify(Side.INSIDE, buffer, frame, nowNs);
        }
        if (frame.ipVersion == Ipv4HeaderFlyweight.VERSION)
        {
            ipv4.wrap(buffer, frame.l3Offset);
            final int source = ipv4.sourceAddress();
            ethernet.wrap(buffer, frame.frameOffset);
            learnMac(source, ethernet.sourceMac());
            if (isOwnTraffic(source, ipv4.destinationAddress()))
            {
                return Verdict.DROP;
            }
        }
        return engine.classify(Side.INSIDE, buffer, frame, nowNs);
    }

    private Verdict onVipSegment(final int serviceIndex, final DirectBuffer buffer, final ParsedFrame frame,
        final long nowNs)
    {
        final int client = ipv4.sourceAddress();
        final int vip = ipv4.destinationAddress();
        int slot = table.findByClientLeg(client, frame.srcPort, vip, frame.dstPort);
        final boolean syn = (tcp.flags() & (TcpHeaderFlyweight.SYN | TcpHeaderFlyweight.ACK | TcpHeaderFlyweight.RST))
            == TcpHeaderFlyweight.SYN;
        if (NatTable.NONE != slot &&
            !services[table.serviceIndex(slot)].pool().health().isCurrent(table.backendId(slot), table.stamp(slot)))
        {
            // the backend went down (or down and up) since the flow opened: the engine resets both legs
            resetMapping(slot);
            drainEndedFlows();
            slot = NatTable.NONE;
            if (!syn)
            {
                resetClient(buffer, frame, null);
                return Verdict.CONSUMED;
            }
        }
        if (NatTable.NONE == slot)
        {
            if (!syn)
            {
                if (!handedOver.isEmpty() && handedOver.contains(addressKey(vip, frame.dstPort)))
                {
                    // the address served another mode before a reload: maybe a flow in flight there
                    return engine.classify(Side.OUTSIDE, buffer, frame, nowNs);
                }
                resetClient(buffer, frame, LbCounter.UNMAPPED_SEGMENTS_RESET);
                return Verdict.CONSUMED;
            }
            slot = openMapping(serviceIndex, buffer, frame, client, vip, nowNs);
            if (NatTable.NONE == slot)
            {
                return Verdict.CONSUMED;
            }
        }
        table.touch(slot, nowNs);
        toBackend(slot, buffer, frame, nowNs);
        return Verdict.CONSUMED;
    }

    /** @return the new mapping's slot, or {@link NatTable#NONE} when the SYN was answered or dropped. */
    private int openMapping(final int serviceIndex, final DirectBuffer buffer, final ParsedFrame frame,
        final int client, final int vip, final long nowNs)
    {
        final VirtualService service = services[serviceIndex];
        final BackendPool pool = service.pool();
        final long clientKey = BackendPool.clientKey(client);
        final SourcePersistenceTable persistence = service.persistence();
        final int remembered = null == persistence ? BackendPool.NONE : persistence.lookup(clientKey, nowNs);
        final int id = pool.pickPreferring(remembered, clientKey);
        if (BackendPool.NONE == id)
        {
            resetClient(buffer, frame, LbCounter.SYN_RESET_NO_BACKEND);
            return NatTable.NONE;
        }
        if (0 == hostMacs[hostOf[serviceIndex][id]])
        {
            count(LbCounter.SYN_DROPPED_BACKEND_MAC_UNKNOWN);
            return NatTable.NONE;
        }
        final int slot = table.add(client, frame.srcPort, vip, frame.dstPort, serviceIndex, id,
            pool.ipv4Address(id), pool.health().stamp(id), nowNs);
        if (slot < 0)
        {
            resetClient(buffer, frame, NatTable.FULL == slot ? LbCounter.SYN_RESET_TABLE_FULL :
                LbCounter.SYN_RESET_CONFLICT);
            return NatTable.NONE;
        }
        pool.onFlowOpened(id);
        mappingsPerSlot[serviceIndex]++;
        if (null != persistence)
        {
            if (remembered == id)
            {
                count(LbCounter.FLOWS_PERSISTED);
            }
            persistence.remember(clientKey, id, nowNs);
        }
        count(LbCounter.FLOWS_MAPPED);
        return slot;
    }

    /** The client's frame, copied with the backend's IP and MAC as its destination, into the engine. */
    private void toBackend(final int slot, final DirectBuffer buffer, final ParsedFrame frame, final long nowNs)
    {
        final int length = frame.l4Offset + frame.l4Length - frame.frameOffset;
        ingressScratch.putBytes(0, buffer, frame.frameOffset, length);
        if (parser.parse(ingressScratch, 0, length, natFrame) != FrameAnomaly.NONE)
        {
            count(LbCounter.FRAMES_ENGINE_NOT_CONSUMED);
            return;
        }
        ethernet.wrap(ingressScratch, 0).destinationMac(hostMacs[hostOf[table.serviceIndex(slot)][
            table.backendId(slot)]]);
        rewriter.wrap(ingressScratch, natFrame).ipv4DestinationAddress(table.backendIp(slot));
        count(LbCounter.FRAMES_TO_BACKEND);
        if (engine.classify(Side.OUTSIDE, ingressScratch, natFrame, nowNs) != Verdict.CONSUMED)
        {
            count(LbCounter.FRAMES_ENGINE_NOT_CONSUMED); // never bridge the rewritten copy: the original would go
        }
    }

    // ----------------------------------------------------------------------------------------------- lifecycle --

    @Override
    public int onTick(final long nowNs)
    {
        int work = engine.onTick(nowNs);
        work += drainEndedFlows();
        if (!removedVips.isEmpty() && nowNs - removedVipsUntilNs >= 0)
        {
            removedVips.clear();
        }
        if (nowNs - nextHealthSweepNs >= 0)
        {
            nextHealthSweepNs = nowNs + HEALTH_SWEEP_INTERVAL_NS;
            if (healthChanged())
            {
                sweepCursor = 0;
            }
        }
        if (nowNs - nextIdleSweepNs >= 0)
        {
            nextIdleSweepNs = nowNs + IDLE_SWEEP_INTERVAL_NS;
            sweepCursor = 0;
            if (null != countersSink)
            {
                countersSink.publish(counters);
            }
        }
        if (sweepCursor >= 0)
        {
            work += sweep(nowNs);
        }
        return work;
    }

    /** The earliest timer of the engine, for a simulation clock that jumps to it. */
    public long nextDeadlineNs()
    {
        return Math.min(engine.nextDeadlineNs(), nextHealthSweepNs);
    }

    private boolean healthChanged()
    {
        boolean changed = false;
        for (int s = 0; s < services.length; s++)
        {
            if (null == services[s])
            {
                continue;
            }
            final BackendHealth health = services[s].pool().health();
            final int[] swept = sweptStamps[s];
            for (int id = 0; id < swept.length; id++)
            {
                final int stamp = health.stamp(id);
                if (stamp != swept[id])
                {
                    swept[id] = stamp;
                    changed = true;
                }
            }
        }
        return changed;
    }

    /**
     * The next {@link #SWEEP_SLOTS_PER_CYCLE} slots of the sweep in progress: flows of a backend whose stamp moved on
     * are reset, idle mappings forgotten.
     */
    private int sweep(final long nowNs)
    {
        int work = 0;
        final int end = Math.min(table.capacity(), sweepCursor + SWEEP_SLOTS_PER_CYCLE);
        for (int slot = sweepCursor; slot < end; slot++)
        {
            if (!table.isUsed(slot))
            {
                continue;
            }
            if (!services[table.serviceIndex(slot)].pool().health().isCurrent(table.backendId(slot),
                table.stamp(slot)))
            {
                resetMapping(slot);
                work++;
            }
            else if (nowNs - table.lastSeenNs(slot) > mappingIdleTimeoutNs)
            {
                count(LbCounter.MAPPINGS_EXPIRED);
                removeMapping(slot);
                work++;
            }
        }
        sweepCursor = end == table.capacity() ? -1 : end;
        return work + drainEndedFlows();
    }

    /** Has the engine reset a mapping's flow on both legs (its end comes back through the listener). */
    private void resetMapping(final int slot)
    {
        count(LbCounter.FLOWS_RESET_BACKEND_DOWN);
        if (!engine.resetFlow(table.engineFlowId(slot)))
        {
            removeMapping(slot); // the engine never held it (its SYN was refused): nothing to reset
        }
    }

    private void onEngineFlowEnded(final long engineFlowId)
    {
        // deferred: the engine may still send the flow's last frames toward the client in this call
        endedFlows.addLong(engineFlowId);
    }

    private int drainEndedFlows()
    {
        final int ended = endedFlows.size();
        for (int i = 0; i < ended; i++)
        {
            final int slot = table.findByEngineFlowId(endedFlows.getLong(i));
            if (NatTable.NONE != slot)
            {
                count(LbCounter.MAPPINGS_ENDED);
                removeMapping(slot);
            }
        }
        endedFlows.clear();
        return ended;
    }

    private void removeMapping(final int slot)
    {
        final int serviceSlot = table.serviceIndex(slot);
        services[serviceSlot].pool().onFlowClosed(table.backendId(slot));
        table.remove(slot);
        if (--mappingsPerSlot[serviceSlot] == 0 && !current[serviceSlot])
        {
            services[serviceSlot] = null; // a retired service's last mapping: its slot is free
            retiredSlots = countRetiredSlots();
        }
    }

    private int countRetiredSlots()
    {
        int retired = 0;
        for (int s = 0; s < services.length; s++)
        {
            if (null != services[s] && !current[s])
            {
                retired++;
            }
        }
        return retired;
    }

    // --------------------------------------------------------------------------------------------- the rest --

    /** Answers an ARP request for a virtual address; other ARP goes to the engine (bridged). */
    private Verdict onOutsideArp(final DirectBuffer buffer, final ParsedFrame frame, final long nowNs)
    {
        arp.wrap(buffer, frame.l3Offset, frame.l3Length);
        if (!arp.isEthernetIpv4())
        {
            return engine.classify(Side.OUTSIDE, buffer, frame, nowNs);
        }
        final int target = arp.targetProtocolAddress();
        if (isOwnTraffic(arp.senderProtocolAddress(), target))
        {
            return Verdict.DROP;
        }
        if (!isVip(target))
        {
            return engine.classify(Side.OUTSIDE, buffer, frame, nowNs);
        }
        if (arp.operation() == ArpFlyweight.OPERATION_REQUEST)
        {
            count(LbCounter.ARP_REPLIES);
            out.toClient(replyScratch, 0, arpReplies.reply(buffer, frame, outsideMac, replyScratch));
        }
        return Verdict.CONSUMED;
    }

    /** A RST from the virtual address answering the client's segment (none to a RST), counted when a reason. */
    private void resetClient(final DirectBuffer buffer, final ParsedFrame frame, final LbCounter reason)
    {
        if (null != reason)
        {
            count(reason);
        }
        if (builder.rstFor(buffer, frame, true))
        {
            final int length = builder.build(replyScratch, 0);
            if (length > 0)
            {
                out.toClient(replyScratch, 0, length);
            }
        }
    }

    private void learnMac(final int address, final long mac)
    {
        final int host = hostByAddress.get(address);
        if (NO_HOST != host && hostMacs[host] != mac && 0 != mac)
        {
            hostMacs[host] = mac;
            count(LbCounter.BACKEND_MACS_LEARNED);
        }
    }

    private boolean isOwnTraffic(final int source, final int destination)
    {
        if (!ownAddresses.isEmpty() && (ownAddresses.contains(source) || ownAddresses.contains(destination)))
        {
            count(LbCounter.OWN_ADDRESS_FRAMES);
            return true;
        }
        return false;
    }

    private int serviceOf(final int address, final int port)
    {
        for (int s = 0; s < services.length; s++)
        {
            if (current[s] && services[s].vipAddress() == address && services[s].vipPort() == port &&
                !services[s].delayedBinding())
            {
                return s; // a delayed-binding service's TCP is the full-proxy engine's (in front of this stage)
            }
        }
        return -1;
    }

    private boolean isVip(final int address)
    {
        for (int s = 0; s < services.length; s++)
        {
            if (current[s] && services[s].vipAddress() == address)
            {
                return true;
            }
        }
        return false;
    }

    static long addressKey(final int address, final int port)
    {
        return (address & 0xFFFF_FFFFL) << 16 | port;
    }

    private void count(final LbCounter counter)
    {
        counters[counter.ordinal()]++;
    }
}
