package org.inlinetls.appliance.cli;

import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.appliance.config.ConfigException;
import org.inlinetls.appliance.config.ConfigLoader;
import org.inlinetls.appliance.daemon.CountersPrinter;
import org.inlinetls.appliance.daemon.EngineWiring;
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
 * {@code appliance replay}: runs the engine offline from one capture file to another.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
    description = "Run the engine offline: frames of --in enter on the side their source MAC belongs to; frames the "
        + "engine sends on either side are written to --out with the input's timestamps. Faults in the config apply.")
public final class ReplayCommand implements Callable<Integer>
{
    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "The YAML configuration.")
    private Path configFile;

    @Option(names = "--in", required = true, paramLabel = "A.pcap", description = "Input capture (classic pcap).")
    private Path input;

    @Option(names = "--out", required = true, paramLabel = "B.pcap", description = "Output capture to write.")
    private Path output;

    @Option(names = "--outside-mac", paramLabel = "MAC",
        description = "MAC of the client-side host; default: the first frame's source MAC.")
    private String outsideMac;

    @Override
    public Integer call()
    {
        final ApplianceConfig config;
        final long mac;
        try
        {
            config = ConfigLoader.load(configFile);
            mac = outsideMac == null ? -1 : OfflineReplay.parseMac(outsideMac);
        }
        catch (final ConfigException | IllegalArgumentException ex)
        {
            System.err.println("invalid: " + ex.getMessage());
            return ApplianceMain.EXIT_USAGE;
        }
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
        return ApplianceMain.EXIT_OK;
    }
}
