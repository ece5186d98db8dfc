package org.inlinetls.appliance.config;

import org.inlinetls.packet.engine.Side;
import org.inlinetls.packet.port.FaultProfile;

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
    long countersLogIntervalSec)
{
    /** Packet I/O driver. */
    public enum IoDriver
    {
        /** libpcap through pcap4j; the AF_PACKET ring follows in the fast-I/O issue. */
        PCAP
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

    /** Packet I/O settings. */
    public record Io(IoDriver driver, int snapLengthBytes, int bufferBytes, int batchFrames)
    {
    }

    /** What is done to the bridged NICs. */
    public record Nic(boolean promiscuous, List<OffloadName> disableOffloads)
    {
    }

    /** Threading. */
    public record Threading(ThreadingMode mode, Idle idle)
    {
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
            .append(" batchFrames=").append(io.batchFrames()).append('\n')
            .append("  nic: promiscuous=").append(nic.promiscuous())
            .append(" disableOffloads=").append(nic.disableOffloads().stream().map(YamlSection::wordOf).toList())
            .append('\n')
            .append("  threading: mode=").append(YamlSection.wordOf(threading.mode()))
            .append(" idle=").append(YamlSection.wordOf(threading.idle())).append('\n')
            .append("  malformed: action=").append(YamlSection.wordOf(malformed)).append('\n')
            .append("  runtime: directory=").append(runtimeDirectory)
            .append(" countersLogIntervalSec=").append(countersLogIntervalSec).append('\n');
        faults.forEach((side, profile) -> text.append("  faults.").append(side.label()).append(": ")
            .append(profile).append('\n'));
        return text.toString();
    }
}
