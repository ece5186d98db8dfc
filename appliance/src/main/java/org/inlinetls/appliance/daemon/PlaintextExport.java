package org.inlinetls.appliance.daemon;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.agrona.concurrent.status.AtomicCounter;
import org.inlinetls.packet.engine.FrameClassifier;
import org.inlinetls.packet.engine.Side;
import org.inlinetls.packet.engine.Verdict;
import org.inlinetls.packet.frame.ParsedFrame;
import org.inlinetls.packet.port.PcapFileWriterPort;
import org.inlinetls.packet.port.PcapFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The opt-in decrypted-traffic export: a packet-aligned pcap of what the protected servers see of intercepted flows
 * (the plaintext frames the engine sends them, and the frames of theirs it takes), for an IDS or Wireshark.
 * <p>
 * The data path only copies each frame, with its epoch timestamp, into a one-to-one ring buffer ({@link #tap});
 * when the ring is full the frame is dropped from the export and counted, never waited for. The writer
 * ({@link #doWork}, an agent with the role {@code export}) appends them to a classic pcap file created mode 0600,
 * which rotates at {@code maxBytes}: the current file becomes {@code NAME.1} (replacing the previous one) and a new
 * one starts. It never goes to the journal file. Plaintext is sensitive: the daemon warns loudly while it is on.
 */
final class PlaintextExport implements Agent, AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(PlaintextExport.class);
    /** Bytes of frames buffered between the data path and the writer. */
    static final int RING_CAPACITY_BYTES = 8 << 20;
    private static final int FRAME_MESSAGE = 1;
    private static final int TIMESTAMP_LENGTH = Long.BYTES;
    private static final int SNAP_LENGTH = 65_535;
    private static final int FRAMES_PER_CYCLE = 256;

    private final Path path;
    private final long maxBytes;
    private final OneToOneRingBuffer ring;
    private final AtomicCounter framesCounter;
    private final AtomicCounter droppedCounter;
    private final AtomicCounter rotationsCounter;
    private final MessageHandler writer = this::onFrame;
    private PcapFileWriterPort file;
    private long fileBytes;
    private long frameEpochNs;
    private boolean pendingSync;

    /**
     * @param path     the pcap file, absolute; created (mode 0600) or truncated.
     * @param maxBytes size at which the file rotates.
     */
    PlaintextExport(final Path path, final long maxBytes, final AtomicCounter frames, final AtomicCounter dropped,
        final AtomicCounter rotations) throws IOException
    {
        this.path = path;
        this.maxBytes = maxBytes;
        this.framesCounter = frames;
        this.droppedCounter = dropped;
        this.rotationsCounter = rotations;
        this.ring = new OneToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect(RING_CAPACITY_BYTES + RingBufferDescriptor.TRAILER_LENGTH)));
        openFile();
    }

    /**
     * Data path: copies one frame into the ring with its timestamp; drops and counts it when the ring is full.
     * Allocation-free.
     */
    void tap(final DirectBuffer buffer, final int offset, final int length, final long epochNs)
    {
        final int index = ring.tryClaim(FRAME_MESSAGE, TIMESTAMP_LENGTH + length);
        if (index <= 0)
        {
            droppedCounter.incrementOrdered();
            return;
        }
        final MutableDirectBuffer target = ring.buffer();
        target.putLong(index, epochNs);
        target.putBytes(index + TIMESTAMP_LENGTH, buffer, offset, length);
        ring.commit(index);
    }

    /**
     * Wraps the engine so that the server frames it takes (ingress inside, consumed) are exported; frames the engine
     * sends the servers are exported by {@link #tappingSends}.
     *
     * @param clock epoch nanoseconds, for the frames' timestamps.
     */
    FrameClassifier tapping(final FrameClassifier engine, final org.agrona.concurrent.NanoClock clock)
    {
        return new FrameClassifier()
        {
            @Override
            public Verdict classify(final Side ingress, final DirectBuffer buffer, final ParsedFrame frame,
                final long nowNs)
            {
                final Verdict verdict = engine.classify(ingress, buffer, frame, nowNs);
                if (ingress == Side.INSIDE && verdict == Verdict.CONSUMED)
                {
                    tap(buffer, frame.frameOffset, frame.frameLength, clock.nanoTime());
                }
                return verdict;
            }

            @Override
            public int onTick(final long nowNs)
            {
                return engine.onTick(nowNs);
            }
        };
    }

    /** The port the engine sends the servers through, exporting what it sends (only the engine uses it). */
    org.inlinetls.packet.port.PacketPort tappingSends(final org.inlinetls.packet.port.PacketPort inside,
        final org.agrona.concurrent.NanoClock clock)
    {
        return new org.inlinetls.packet.port.PacketPort()
        {
            @Override
            public String name()
            {
                return inside.name();
            }

            @Override
            public int receive(final org.inlinetls.packet.port.FrameHandler handler, final int limit)
            {
                return inside.receive(handler, limit);
            }

            @Override
            public boolean send(final DirectBuffer buffer, final int offset, final int length)
            {
                final boolean sent = inside.send(buffer, offset, length);
                if (sent)
                {
                    tap(buffer, offset, length, clock.nanoTime());
                }
                return sent;
            }

            @Override
            public int flush(final long nowNs)
            {
                return inside.flush(nowNs);
            }

            @Override
            public int txRoom()
            {
                return inside.txRoom();
            }

            @Override
            public void close()
            {
                // the bridge owns and closes the port
            }
        };
    }

    @Override
    public int doWork()
    {
        final int frames = ring.read(writer, FRAMES_PER_CYCLE);
        if (frames > 0)
        {
            pendingSync = true;
        }
        else if (pendingSync)
        {
            file.sync(); // idle: what was written so far is readable by a tool following the file
            pendingSync = false;
        }
        if (fileBytes >= maxBytes)
        {
            try
            {
                rotate();
            }
            catch (final IOException ex)
            {
                // keep writing where it can; the size check retries at the next cycle, so say it once a file
                fileBytes = 0;
                LOG.error("plaintext export: rotating {} failed: {}", path, ex.toString());
            }
        }
        return frames;
    }

    private void onFrame(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        frameEpochNs = buffer.getLong(index);
        final int frameLength = length - TIMESTAMP_LENGTH;
        if (file.send(buffer, index + TIMESTAMP_LENGTH, frameLength))
        {
            fileBytes += PcapFormat.RECORD_HEADER_LENGTH + Math.min(frameLength, SNAP_LENGTH);
            framesCounter.incrementOrdered();
        }
        else
        {
            droppedCounter.incrementOrdered();
        }
    }

    private void openFile() throws IOException
    {
        Files.deleteIfExists(path);
        Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        file = new PcapFileWriterPort(path, PcapFormat.Resolution.MICROS, SNAP_LENGTH, () -> frameEpochNs);
        fileBytes = PcapFormat.GLOBAL_HEADER_LENGTH;
    }

    private void rotate() throws IOException
    {
        file.close();
        Files.move(path, path.resolveSibling(path.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING,
            StandardCopyOption.ATOMIC_MOVE);
        rotationsCounter.incrementOrdered();
        openFile();
    }

    @Override
    public String roleName()
    {
        return "export";
    }

    /** Writes out what the ring still holds and closes the file. */
    @Override
    public void close()
    {
        try
        {
            while (ring.read(writer, FRAMES_PER_CYCLE) > 0)
            {
                // drain
            }
        }
        finally
        {
            file.close();
            LOG.info("plaintext export: {} frames written to {}, {} dropped", framesCounter.get(), path,
                droppedCounter.get());
        }
    }
}
