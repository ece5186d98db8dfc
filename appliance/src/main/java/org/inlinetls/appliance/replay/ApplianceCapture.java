package org.inlinetls.appliance.replay;

import org.inlinetls.packet.engine.OfflineReplay;
import org.inlinetls.packet.engine.Side;
import org.inlinetls.packet.port.PcapFileReaderPort;
import org.inlinetls.packet.port.PcapFormat;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A capture of both legs taken at the appliance ({@code tcpdump -i out0} and {@code tcpdump -i in0} in its
 * namespace), merged in time order. Each frame is known by its leg and its direction: on the outside leg the frames
 * whose source MAC is the client side's entered the appliance and the others are what it sent to the clients; on
 * the inside leg the frames whose source MAC is the client side's are what it sent to the servers (the bridge is
 * transparent: it keeps the MACs) and the others entered it from the servers.
 */
public final class ApplianceCapture
{
    /** One captured frame: its time, bytes, the leg it was seen on and whether it entered the appliance there. */
    public record Frame(long timestampNs, byte[] bytes, Side leg, boolean entering)
    {
    }

    private final List<Frame> frames;
    private final long clientMac;
    private final PcapFormat.Resolution resolution;
    private final int snapLength;

    private ApplianceCapture(final List<Frame> frames, final long clientMac, final PcapFormat.Resolution resolution,
        final int snapLength)
    {
        this.frames = frames;
        this.clientMac = clientMac;
        this.resolution = resolution;
        this.snapLength = snapLength;
    }

    /**
     * Reads both legs.
     *
     * @param clientMac the client side's MAC as a 48-bit number, or -1 to take the first outside frame's source.
     * @throws IOException when a file cannot be read or ends early.
     */
    public static ApplianceCapture load(final Path outside, final Path inside, final long clientMac)
        throws IOException
    {
        final List<Frame> outsideFrames = new ArrayList<>();
        final List<Frame> insideFrames = new ArrayList<>();
        final PcapFormat.Resolution resolution;
        final int snapLength;
        try (PcapFileReaderPort reader = new PcapFileReaderPort(outside))
        {
            read(reader, Side.OUTSIDE, outsideFrames);
            resolution = reader.resolution();
            snapLength = reader.snapLength();
        }
        try (PcapFileReaderPort reader = new PcapFileReaderPort(inside))
        {
            read(reader, Side.INSIDE, insideFrames);
        }
        long mac = clientMac;
        if (mac == -1 && !outsideFrames.isEmpty())
        {
            mac = sourceMac(outsideFrames.get(0).bytes());
        }
        final List<Frame> merged = new ArrayList<>(outsideFrames.size() + insideFrames.size());
        for (final Frame frame : outsideFrames)
        {
            merged.add(new Frame(frame.timestampNs(), frame.bytes(), Side.OUTSIDE, sourceMac(frame.bytes()) == mac));
        }
        for (final Frame frame : insideFrames)
        {
            merged.add(new Frame(frame.timestampNs(), frame.bytes(), Side.INSIDE, sourceMac(frame.bytes()) != mac));
        }
        merged.sort(Comparator.comparingLong(Frame::timestampNs)); // stable: a leg's own order is kept
        return new ApplianceCapture(List.copyOf(merged), mac, resolution, snapLength);
    }

    private static void read(final PcapFileReaderPort reader, final Side leg, final List<Frame> into)
        throws IOException
    {
        while (!reader.isEndOfStream())
        {
            reader.receive((buffer, offset, length, timestampNs) ->
            {
                final byte[] bytes = new byte[length];
                buffer.getBytes(offset, bytes);
                into.add(new Frame(timestampNs, bytes, leg, false));
            }, 64);
        }
        if (null != reader.error())
        {
            throw new IOException(reader.name() + ": input ended early: " + reader.error());
        }
    }

    /** Every frame of one capture file, in file order, as seen on {@code leg} (not marked entering). */
    public static List<Frame> readFrames(final Path file, final Side leg) throws IOException
    {
        final List<Frame> frames = new ArrayList<>();
        try (PcapFileReaderPort reader = new PcapFileReaderPort(file))
        {
            read(reader, leg, frames);
        }
        return frames;
    }

    /** The source MAC of an Ethernet frame as a 48-bit number, -2 for a runt. */
    public static long sourceMac(final byte[] frame)
    {
        if (frame.length < 12)
        {
            return -2;
        }
        final java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(frame).order(ByteOrder.BIG_ENDIAN);
        return ((b.getShort(6) & 0xFFFFL) << 32) | (b.getInt(8) & 0xFFFF_FFFFL);
    }

    /** Every frame of both legs in time order. */
    public List<Frame> frames()
    {
        return frames;
    }

    /** The client side's MAC (given or learnt), as {@link OfflineReplay#parseMac} gives it. */
    public long clientMac()
    {
        return clientMac;
    }

    /** The outside capture's timestamp resolution, for an output written alike. */
    public PcapFormat.Resolution resolution()
    {
        return resolution;
    }

    /** The outside capture's snap length. */
    public int snapLength()
    {
        return snapLength;
    }

    /** Time from the first frame to the last. */
    public long durationNs()
    {
        return frames.isEmpty() ? 0 : frames.get(frames.size() - 1).timestampNs() - frames.get(0).timestampNs();
    }
}
