package org.inlinetls.appliance.cli;

import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.appliance.config.ConfigException;
import org.inlinetls.appliance.config.ConfigLoader;
import org.inlinetls.appliance.daemon.CountersPrinter;
import org.inlinetls.appliance.daemon.EngineWiring;
import org.inlinetls.appliance.replay.ApplianceCapture;
import org.inlinetls.appliance.replay.DirectReplay;
import org.inlinetls.handshake.keylog.KeyLogFile;
import org.inlinetls.packet.counter.PortCounters;
import org.inlinetls.packet.engine.BridgeAgent;
import org.inlinetls.packet.engine.FrameClassifier;
import org.inlinetls.packet.engine.OfflineReplay;
import org.inlinetls.packet.engine.Side;
import org.inlinetls.packet.port.PcapFileReaderPort;
import org.inlinetls.packet.port.PcapFileWriterPort;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code appliance replay}: runs the engine offline from a capture to another, through the plain bridge or, with the
 * configuration's services, in direct mode with the handshakes stood in for by the capture's key log.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
    description = {
        "Run the engine offline and write the frames it sends (either side) to --out with the input's timestamps, "
            + "then print the counters and the engine's time per frame (count, p50, p90, p99, p99.9, max). Faults "
            + "in the config apply.",
        "",
        "One capture (--in only, no services in the config): frames enter on the side their source MAC belongs to "
            + "(--outside-mac, else the first frame's source) and go through the plain bridge.",
        "",
        "Two legs captured at the appliance (--in = tcpdump -i <outside NIC>, --inside = tcpdump -i <inside NIC>, "
            + "both in the appliance's namespace or host): only what ENTERED the appliance is fed to the engine "
            + "(outside leg: frames from the client MAC; inside leg: frames from other MACs), in time order. With "
            + "services in the config (direct mode) --keylog is required: the appliance's ephemeral keys of the live "
            + "run are gone, so each handshake is stood in for: the ClientHello's client random finds the secrets "
            + "in the key log (export.keyLog of the live run), and the appliance's own flights are taken from what "
            + "it sent to the client on the outside leg, so the flow enters cut-through at the same sequence points "
            + "as live and the client's records are decrypted and the server's encrypted as they were. See "
            + "test-pcaps/README.md."})
public final class ReplayCommand implements Callable<Integer>
{
    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "The YAML configuration.")
    private Path configFile;

    @Option(names = "--in", required = true, paramLabel = "A.pcap",
        description = "Input capture (classic pcap): the whole input, or the outside leg when --inside is given.")
    private Path input;

    @Option(names = "--inside", paramLabel = "B.pcap",
        description = "The inside leg, captured at the appliance at the same time as --in.")
    private Path inside;

    @Option(names = "--keylog", paramLabel = "FILE",
        description = "NSS key log of the live run (direct mode; required when the config has services).")
    private Path keyLogFile;

    @Option(names = "--out", required = true, paramLabel = "C.pcap", description = "Output capture to write.")
    private Path output;

    @Option(names = "--outside-mac", paramLabel = "MAC",
        description = "MAC of the client-side host; default: the first (outside) frame's source MAC.")
    private String outsideMac;

    @Option(names = "--repeat", paramLabel = "N", defaultValue = "1",
        description = "Two legs: feed the capture N times, each round later and with client ports of its own "
            + "(for scripts/bench-replay.sh). Default: ${DEFAULT-VALUE}.")
    private int repeat;

    @Override
    public Integer call()
    {
        final ApplianceConfig config;
        final long mac;
        try
        {
            config = ConfigLoader.load(configFile);
            mac = outsideMac == null ? -1 : OfflineReplay.parseMac(outsideMac);
            if (repeat < 1 || (repeat > 1 && null == inside))
            {
                throw new IllegalArgumentException("--repeat must be at least 1 (above 1 with --inside only)");
            }
            if (!config.services().isEmpty() && (null == inside || null == keyLogFile))
            {
                throw new IllegalArgumentException("the configuration has services (direct mode): replay needs the "
                    + "two legs captured at the appliance (--in, --inside) and the key log of the run (--keylog)");
            }
        }
        catch (final ConfigException | IllegalArgumentException ex)
        {
            System.err.println("invalid: " + ex.getMessage());
            return ApplianceMain.EXIT_USAGE;
        }
        return null == inside ? replayOneCapture(config, mac) : replayTwoLegs(config, mac);
    }

    private int replayTwoLegs(final ApplianceConfig config, final long mac)
    {
        KeyLogFile keyLog = null;
        try
        {
            final ApplianceCapture capture = ApplianceCapture.load(input, inside, mac);
            keyLog = null == keyLogFile ? null : KeyLogFile.read(keyLogFile);
            final DirectReplay.Result result = DirectReplay.run(config, capture, keyLog, output, repeat);
            System.out.println("replayed " + result.framesIn() + " frames in, " + result.framesOut() +
                " frames out" + (config.services().isEmpty() ? "" : ", " + result.handshakes() +
                " handshakes stood in for with the key log"));
            System.out.print(result.counters());
            System.out.println(DirectReplay.latencySummary(result.latencyNs()));
            for (final String failure : result.handshakeFailures())
            {
                System.err.println("handshake not replayed: " + failure);
            }
            return result.handshakeFailures().isEmpty() ? ApplianceMain.EXIT_OK : ApplianceMain.EXIT_FAILURE;
        }
        catch (final IOException | RuntimeException ex)
        {
            System.err.println("replay failed: " + ex.getMessage());
            return ApplianceMain.EXIT_FAILURE;
        }
        finally
        {
            if (null != keyLog)
            {
                keyLog.destroy();
            }
        }
    }

    private int replayOneCapture(final ApplianceConfig config, final long mac)
    {
        final OfflineReplay replay = new OfflineReplay(mac);
        final CountersManager counters = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 512)), new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 128)));
        final BridgeAgent engine = new BridgeAgent(
            EngineWiring.withFaults(config, Side.OUTSIDE, replay.outsidePort()),
            EngineWiring.withFaults(config, Side.INSIDE, replay.insidePort()),
            new PortCounters(counters, Side.OUTSIDE.label()),
            new PortCounters(counters, Side.INSIDE.label()),
            FrameClassifier.BRIDGE_ALL,
            EngineWiring.malformedPolicy(config),
            replay.clock(),
            config.io().batchFrames());
        try (PcapFileReaderPort reader = new PcapFileReaderPort(input);
            PcapFileWriterPort writer = new PcapFileWriterPort(output, reader.resolution(), reader.snapLength(),
                replay.clock()))
        {
            replay.run(reader, engine, writer);
            engine.onClose();
            if (reader.error() != null)
            {
                System.err.println("input ended early: " + reader.error());
                return ApplianceMain.EXIT_FAILURE;
            }
        }
        catch (final IOException ex)
        {
            System.err.println("replay failed: " + ex.getMessage());
            return ApplianceMain.EXIT_FAILURE;
        }
        System.out.println("replayed " + replay.framesIn() + " frames in, " + replay.framesOut() + " frames out");
        System.out.print(CountersPrinter.format(counters));
        System.out.println(DirectReplay.latencySummary(replay.latencyHistogram()));
        return ApplianceMain.EXIT_OK;
    }
}
