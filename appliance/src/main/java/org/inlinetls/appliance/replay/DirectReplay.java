package org.inlinetls.appliance.replay;

import org.HdrHistogram.Histogram;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.appliance.daemon.DirectWiring;
import org.inlinetls.appliance.daemon.EngineWiring;
import org.inlinetls.handshake.keylog.KeyLogFile;
import org.inlinetls.modes.direct.DirectCounter;
import org.inlinetls.modes.direct.DirectEngine;
import org.inlinetls.packet.checksum.Checksums;
import org.inlinetls.packet.counter.PortCounters;
import org.inlinetls.packet.engine.BridgeAgent;
import org.inlinetls.packet.engine.FrameClassifier;
import org.inlinetls.packet.engine.OfflineReplay;
import org.inlinetls.packet.engine.Side;
import org.inlinetls.packet.flyweight.Ipv4HeaderFlyweight;
import org.inlinetls.packet.frame.FrameAnomaly;
import org.inlinetls.packet.frame.FrameParser;
import org.inlinetls.packet.frame.ParsedFrame;
import org.inlinetls.packet.port.PacketPort;
import org.inlinetls.packet.port.PcapFileWriterPort;
import org.inlinetls.seqdb.FlowJournal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Replays a capture of both legs taken at the appliance ({@link ApplianceCapture}) through the engine offline: the
 * frames that entered the appliance (client frames on the outside leg, server frames on the inside leg) are fed to
 * a bridge with the configuration's services in direct mode; the frames the live appliance sent to the clients
 * serve only the handshakes, which are stood in for with the key log ({@link ReplayHandshakes}). Whatever the
 * engine sends on either side is written to the output capture. Without services, the entering frames go through
 * the plain bridge.
 * <p>
 * The journal is a throw-away file on tmpfs (it holds the replayed flows' record keys), removed afterwards.
 */
public final class DirectReplay
{
    /** The figures of one replay. */
    public record Result(long framesIn, long framesOut, int handshakes, List<String> handshakeFailures,
        Histogram latencyNs, String counters)
    {
    }

    private static final Path TMPFS = Path.of("/dev/shm");
    private static final int FRAME_BYTES = 1 << 16;

    private DirectReplay()
    {
    }

    /**
     * @param keyLog the key log of the capture (required when the configuration has services).
     * @param rounds how many times the capture is fed (each round later in time, with client ports of its own).
     */
    public static Result run(final ApplianceConfig config, final ApplianceCapture capture, final KeyLogFile keyLog,
        final Path output, final int rounds) throws IOException
    {
        final boolean direct = !config.services().isEmpty();
        if (direct && null == keyLog)
        {
            throw new IllegalArgumentException("the configuration has services (direct mode): --keylog is needed");
        }
        final OfflineReplay replay = new OfflineReplay(capture.clientMac());
        final CountersManager counters = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 512)), new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 128)));
        final PortCounters outsideCounters = new PortCounters(counters, Side.OUTSIDE.label());
        final PortCounters insideCounters = new PortCounters(counters, Side.INSIDE.label());
        final PacketPort outside = EngineWiring.withFaults(config, Side.OUTSIDE, replay.outsidePort());
        final PacketPort inside = EngineWiring.withFaults(config, Side.INSIDE, replay.insidePort());
        final PortRemap ports = new PortRemap(rounds, reservedPorts(config, capture));
        Path journalDirectory = null;
        FlowJournal journal = null;
        try
        {
            FrameClassifier classifier = FrameClassifier.BRIDGE_ALL;
            DirectEngine engine = null;
            ReplayHandshakes handshakes = null;
            if (direct)
            {
                journalDirectory = Files.createTempDirectory(TMPFS, "inline-tls-replay-");
                journal = FlowJournal.open(config.journal().toJournalConfig(config.tls().allowCbc())
                    .path(journalDirectory.resolve("journal.dat")));
                engine = DirectWiring.replayEngine(config, journal, outside, inside, outsideCounters, insideCounters);
                handshakes = new ReplayHandshakes(keyLog, ClientStreams.of(capture.frames(),
                    f -> f.leg() == Side.OUTSIDE && !f.entering(), true), ports);
                engine.handshakeFactory(handshakes);
                classifier = engine;
            }
            final BridgeAgent agent = new BridgeAgent(outside, inside, outsideCounters, insideCounters, classifier,
                EngineWiring.malformedPolicy(config), replay.clock(), config.io().batchFrames());
            try (PcapFileWriterPort writer = new PcapFileWriterPort(output, capture.resolution(),
                capture.snapLength(), replay.clock()))
            {
                replay.start(agent, writer);
                feed(replay, capture, ports, rounds);
                replay.finish();
                agent.onClose();
            }
            return new Result(replay.framesIn(), replay.framesOut(), null == handshakes ? 0 : handshakes.count(),
                null == handshakes ? List.of() : handshakes.failures(), replay.latencyHistogram(),
                null == engine ? "" : directCounters(engine));
        }
        finally
        {
            if (null != journal)
            {
                journal.close();
            }
            deleteTree(journalDirectory);
        }
    }

    private static void feed(final OfflineReplay replay, final ApplianceCapture capture, final PortRemap ports,
        final int rounds)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[FRAME_BYTES]);
        final FrameParser parser = new FrameParser();
        final ParsedFrame parsed = new ParsedFrame();
        final long roundNs = capture.durationNs() + 1_000_000_000L;
        final long startNs = capture.frames().isEmpty() ? 0 : capture.frames().get(0).timestampNs();
        for (int round = 0; round < rounds; round++)
        {
            for (final ApplianceCapture.Frame captured : capture.frames())
            {
                if (!captured.entering() || captured.bytes().length > FRAME_BYTES)
                {
                    continue;
                }
                final int length = captured.bytes().length;
                frame.putBytes(0, captured.bytes());
                if (round > 0)
                {
                    remapClientPort(frame, length, captured.leg(), parser, parsed, ports, round);
                }
                replay.feed(captured.leg(), frame, 0, length,
                    startNs + round * roundNs + (captured.timestampNs() - startNs));
            }
        }
    }

    /** Gives the frame's client port its port of the round (client frames: source; server frames: destination). */
    private static void remapClientPort(final UnsafeBuffer frame, final int length, final Side leg,
        final FrameParser parser, final ParsedFrame parsed, final PortRemap ports, final int round)
    {
        if (parser.parse(frame, 0, length, parsed) != FrameAnomaly.NONE || !parsed.isTcp() ||
            parsed.ipVersion != Ipv4HeaderFlyweight.VERSION)
        {
            return;
        }
        final boolean fromClient = leg == Side.OUTSIDE;
        final int portOffset = parsed.l4Offset + (fromClient ? 0 : 2);
        final int captured = fromClient ? parsed.srcPort : parsed.dstPort;
        frame.putShort(portOffset, (short)ports.port(round, captured), java.nio.ByteOrder.BIG_ENDIAN);
        Checksums.writeTcpChecksumIpv4(frame, parsed.l3Offset, parsed.l4Offset, parsed.l4Length);
    }

    private static int[] reservedPorts(final ApplianceConfig config, final ApplianceCapture capture)
    {
        final List<Integer> reserved = new ArrayList<>();
        for (final ApplianceConfig.Service service : config.services())
        {
            reserved.add(service.listen().getPort());
            reserved.add(service.backendPort());
        }
        final FrameParser parser = new FrameParser();
        final ParsedFrame parsed = new ParsedFrame();
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[0]);
        for (final ApplianceCapture.Frame frame : capture.frames())
        {
            buffer.wrap(frame.bytes());
            if (parser.parse(buffer, 0, frame.bytes().length, parsed) == FrameAnomaly.NONE && parsed.isTcp())
            {
                reserved.add(parsed.srcPort);
                reserved.add(parsed.dstPort);
            }
        }
        return reserved.stream().mapToInt(Integer::intValue).toArray();
    }

    private static String directCounters(final DirectEngine engine)
    {
        final StringBuilder text = new StringBuilder();
        for (final DirectCounter counter : DirectCounter.values())
        {
            final long value = engine.counter(counter);
            if (value != 0)
            {
                text.append(String.format("  %-34s %,d%n", counter.name().toLowerCase(), value));
            }
        }
        return text.toString();
    }

    private static void deleteTree(final Path directory) throws IOException
    {
        if (null == directory || !Files.exists(directory))
        {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory))
        {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(path);
            }
        }
    }

    /** Count, p50, p90, p99, p99.9 and max of the engine's time per frame, in microseconds. */
    public static String latencySummary(final Histogram latencyNs)
    {
        return String.format("engine time per frame (us): count %,d  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  " +
            "max %.1f", latencyNs.getTotalCount(), micros(latencyNs, 50), micros(latencyNs, 90),
            micros(latencyNs, 99), micros(latencyNs, 99.9), latencyNs.getMaxValue() / 1_000.0);
    }

    private static double micros(final Histogram histogram, final double percentile)
    {
        return histogram.getValueAtPercentile(percentile) / 1_000.0;
    }
}
