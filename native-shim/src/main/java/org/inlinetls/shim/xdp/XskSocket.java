package org.inlinetls.shim.xdp;

import java.io.IOException;
import java.util.concurrent.locks.LockSupport;

import jnr.ffi.Pointer;
import org.inlinetls.shim.LibC;
import org.inlinetls.shim.NativeIoException;

/**
 * One AF_XDP socket bound to one receive queue of an interface, with its UMEM and its four rings mapped into this
 * process: frames redirected by {@link XdpProgram} to this queue land in UMEM frames the fill ring offered, and
 * frames written into UMEM and described on the TX ring go out on the interface.
 *
 * <p>This class sets the socket up and owns its native memory; the ring protocol (single producer, single consumer,
 * 32-bit free-running indexes read with acquire and written with release ordering) is driven by the owner of the
 * socket (packet-engine's {@code XskPort}) through the addresses of {@link #fillRing()}, {@link #completionRing()},
 * {@link #rxRing()} and {@link #txRing()} and the UMEM at {@link #umemAddress()}. All of it is mapped from
 * {@link #open} to {@link #close} (anonymous memory for the UMEM, the socket's ring pages for the rings), so no GC
 * activity can move or free memory the kernel writes into.
 *
 * <p>Binding asks for zero-copy when {@link Config#zeroCopy} allows and the driver supports it, else copy mode
 * (veth, and every driver without AF_XDP zero-copy support), always with {@code XDP_USE_NEED_WAKEUP}.
 */
public final class XskSocket implements AutoCloseable
{
    /** {@code AF_XDP} (linux/socket.h). */
    public static final int AF_XDP = 44;
    /** {@code SOL_XDP}. */
    public static final int SOL_XDP = 283;
    /** Bytes the kernel reserves in front of every received frame in a UMEM frame ({@code XDP_PACKET_HEADROOM}). */
    public static final int XDP_PACKET_HEADROOM = 256;
    /** {@code sizeof(struct xdp_desc)}: addr u64, len u32, options u32. */
    public static final int RX_TX_DESC_SIZE = 16;
    /** Fill and completion ring entries are a u64 UMEM address. */
    public static final int UMEM_DESC_SIZE = 8;
    /** {@code XDP_RING_NEED_WAKEUP} in a ring's flags word. */
    public static final int XDP_RING_NEED_WAKEUP = 1;

    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int XDP_MMAP_OFFSETS = 1;
    private static final int XDP_RX_RING = 2;
    private static final int XDP_TX_RING = 3;
    private static final int XDP_UMEM_REG = 4;
    private static final int XDP_UMEM_FILL_RING = 5;
    private static final int XDP_UMEM_COMPLETION_RING = 6;
    private static final int XDP_STATISTICS = 7;
    private static final int XDP_OPTIONS = 8;
    private static final int XDP_OPTIONS_ZEROCOPY = 1;
    private static final int XDP_COPY = 1 << 1;
    private static final int XDP_ZEROCOPY = 1 << 2;
    private static final int XDP_USE_NEED_WAKEUP = 1 << 3;
    private static final long XDP_PGOFF_RX_RING = 0;
    private static final long XDP_PGOFF_TX_RING = 0x80000000L;
    private static final long XDP_UMEM_PGOFF_FILL_RING = 0x100000000L;
    private static final long XDP_UMEM_PGOFF_COMPLETION_RING = 0x180000000L;
    /** {@code struct xdp_umem_reg}: addr u64, len u64, chunk_size u32, headroom u32, flags u32, tx_metadata_len u32. */
    private static final int UMEM_REG_SIZE = 32;
    /** {@code struct xdp_mmap_offsets}: rx, tx, fr, cr, each {@code struct xdp_ring_offset} of 4 u64. */
    private static final int MMAP_OFFSETS_SIZE = 128;
    private static final int RING_OFFSET_SIZE = 32;
    /** {@code struct sockaddr_xdp}: family u16, flags u16, ifindex u32, queue_id u32, shared_umem_fd u32. */
    private static final int SOCKADDR_XDP_SIZE = 16;
    /** {@code struct xdp_statistics}: six u64 counters. */
    public static final int STATISTICS_SIZE = 48;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int PAGE_SIZE = 4096;
    private static final int EBUSY = 16;
    private static final int EAGAIN = 11;
    /** How long {@link #open} retries a bind the kernel refuses with EBUSY (see {@link #bind}). */
    private static final long BIND_BUSY_RETRY_NS = 2_000_000_000L;

    /** Sizes of the UMEM and the rings; {@link #defaults()} suits one 1–10 Gbit/s queue. */
    public static final class Config
    {
        int frameSize = 2048;
        int frameCount = 4096;
        int fillRingSize = 2048;
        int completionRingSize = 2048;
        int rxRingSize = 2048;
        int txRingSize = 2048;
        boolean zeroCopy = true;

        /** @return 4096 frames of 2 KiB (8 MiB of UMEM): 2048 for receiving, 2048 for sending; rings of 2048. */
        public static Config defaults()
        {
            return new Config();
        }

        /** @param bytes per UMEM frame: 2048 or 4096 (aligned chunk mode); frames up to this less 256 B fit. */
        public Config frameSize(final int bytes)
        {
            frameSize = bytes;
            return this;
        }

        /** @param count UMEM frames: the first {@link #fillRingSize} receive, the rest send. */
        public Config frameCount(final int count)
        {
            frameCount = count;
            return this;
        }

        /** @param entries of the fill ring, a power of two: also the number of receive frames. */
        public Config fillRingSize(final int entries)
        {
            fillRingSize = entries;
            return this;
        }

        /** @param entries of the completion ring, a power of two, at least the send frames. */
        public Config completionRingSize(final int entries)
        {
            completionRingSize = entries;
            return this;
        }

        /** @param entries of the RX ring, a power of two. */
        public Config rxRingSize(final int entries)
        {
            rxRingSize = entries;
            return this;
        }

        /** @param entries of the TX ring, a power of two, at least the send frames. */
        public Config txRingSize(final int entries)
        {
            txRingSize = entries;
            return this;
        }

        /** @param allowed try zero-copy first (the kernel falls back to copy mode when the driver has none). */
        public Config zeroCopy(final boolean allowed)
        {
            zeroCopy = allowed;
            return this;
        }

        /** @return bytes per UMEM frame. */
        public int frameSize()
        {
            return frameSize;
        }

        /** @return UMEM frames. */
        public int frameCount()
        {
            return frameCount;
        }

        /** @return receive frames (the fill ring's size). */
        public int rxFrames()
        {
            return fillRingSize;
        }

        /** @return send frames: the UMEM frames after the receive frames. */
        public int txFrames()
        {
            return frameCount - fillRingSize;
        }

        void validate()
        {
            if (frameSize != 2048 && frameSize != 4096)
            {
                throw new IllegalArgumentException("frameSize " + frameSize + " must be 2048 or 4096");
            }
            for (final int ring : new int[] {fillRingSize, completionRingSize, rxRingSize, txRingSize})
            {
                if (ring < 8 || Integer.bitCount(ring) != 1)
                {
                    throw new IllegalArgumentException("ring size " + ring + " must be a power of two >= 8");
                }
            }
            if (txFrames() < 1 || txFrames() > txRingSize || txFrames() > completionRingSize)
            {
                throw new IllegalArgumentException("send frames " + txFrames() + " (frameCount - fillRingSize) must be"
                    + " in 1..min(txRingSize, completionRingSize)");
            }
            if ((long)frameSize * frameCount > Integer.MAX_VALUE)
            {
                throw new IllegalArgumentException("UMEM of " + frameCount + " x " + frameSize + " B exceeds 2 GiB");
            }
        }
    }

    /** Where one mapped ring lives: its mapping and the offsets of its producer, consumer, flags and entries. */
    public static final class Ring
    {
        private final long address;
        private final long lengthBytes;
        private final int producerOffset;
        private final int consumerOffset;
        private final int flagsOffset;
        private final int descriptorsOffset;
        private final int size;

        Ring(final long address, final long lengthBytes, final Pointer offsets, final int base, final int size)
        {
            this.address = address;
            this.lengthBytes = lengthBytes;
            this.producerOffset = (int)offsets.getLong(base);
            this.consumerOffset = (int)offsets.getLong(base + 8);
            this.descriptorsOffset = (int)offsets.getLong(base + 16);
            this.flagsOffset = (int)offsets.getLong(base + 24);
            this.size = size;
        }

        /** @return start of the mapping. */
        public long address()
        {
            return address;
        }

        /** @return bytes mapped. */
        public int lengthBytes()
        {
            return (int)lengthBytes;
        }

        /** @return offset of the u32 producer index. */
        public int producerOffset()
        {
            return producerOffset;
        }

        /** @return offset of the u32 consumer index. */
        public int consumerOffset()
        {
            return consumerOffset;
        }

        /** @return offset of the u32 flags ({@link #XDP_RING_NEED_WAKEUP}). */
        public int flagsOffset()
        {
            return flagsOffset;
        }

        /** @return offset of entry 0. */
        public int descriptorsOffset()
        {
            return descriptorsOffset;
        }

        /** @return entries, a power of two. */
        public int size()
        {
            return size;
        }
    }

    private static final class Availability
    {
        static final Throwable CAUSE = probe();

        private static Throwable probe()
        {
            try
            {
                if (!LibC.isAvailable())
                {
                    return LibC.unavailabilityCause();
                }
                final int fd = LibC.socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0, "AF_XDP probe");
                LibC.close(fd, "AF_XDP probe");
                return null;
            }
            catch (final Throwable t)
            {
                return t;
            }
        }
    }

    private final String interfaceName;
    private final int queueId;
    private final Config config;
    private int fd = -1;
    private long umemAddress;
    private final long umemLengthBytes;
    private Ring fill;
    private Ring completion;
    private Ring rx;
    private Ring tx;
    private boolean zeroCopyMode;
    private final Pointer statistics = LibC.allocate(STATISTICS_SIZE);
    private final Pointer statisticsLength = LibC.allocate(Integer.BYTES);

    private XskSocket(final String interfaceName, final int queueId, final Config config)
    {
        this.interfaceName = interfaceName;
        this.queueId = queueId;
        this.config = config;
        this.umemLengthBytes = (long)config.frameSize * config.frameCount;
    }

    /** @return null when AF_XDP sockets can be created here (probed once), else why not. */
    public static Throwable unavailabilityCause()
    {
        return Availability.CAUSE;
    }

    /**
     * Opens a socket on a receive queue of an interface of the calling thread's network namespace: UMEM registered,
     * rings sized and mapped, the fill ring still empty (its owner offers the receive frames), bound.
     *
     * @throws IOException naming the call and errno that failed; nothing stays open or mapped then.
     */
    public static XskSocket open(final String interfaceName, final int queueId, final Config config) throws IOException
    {
        config.validate();
        final XskSocket socket = new XskSocket(interfaceName, queueId, config);
        try
        {
            socket.setUp(LibC.ifNameToIndex(interfaceName));
            return socket;
        }
        catch (final IOException | RuntimeException ex)
        {
            socket.close();
            throw ex;
        }
    }

    private void setUp(final int ifindex) throws IOException
    {
        final String what = interfaceName + " queue " + queueId;
        fd = LibC.socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0, "AF_XDP " + what);
        umemAddress = LibC.mmapAnonymous(umemLengthBytes, "UMEM of " + what);

        final Pointer reg = LibC.allocate(UMEM_REG_SIZE);
        reg.putLong(0, umemAddress);
        reg.putLong(8, umemLengthBytes);
        reg.putInt(16, config.frameSize);
        reg.putInt(20, 0); // headroom: frames start XDP_PACKET_HEADROOM into their chunk
        LibC.setsockopt(fd, SOL_XDP, XDP_UMEM_REG, reg, UMEM_REG_SIZE, "XDP_UMEM_REG " + what);
        ringSize(XDP_UMEM_FILL_RING, config.fillRingSize, "XDP_UMEM_FILL_RING " + what);
        ringSize(XDP_UMEM_COMPLETION_RING, config.completionRingSize, "XDP_UMEM_COMPLETION_RING " + what);
        ringSize(XDP_RX_RING, config.rxRingSize, "XDP_RX_RING " + what);
        ringSize(XDP_TX_RING, config.txRingSize, "XDP_TX_RING " + what);

        final Pointer offsets = LibC.allocate(MMAP_OFFSETS_SIZE);
        LibC.getsockopt(fd, SOL_XDP, XDP_MMAP_OFFSETS, offsets, MMAP_OFFSETS_SIZE, "XDP_MMAP_OFFSETS " + what);
        rx = map(offsets, 0, config.rxRingSize, RX_TX_DESC_SIZE, XDP_PGOFF_RX_RING, "RX ring of " + what);
        tx = map(offsets, RING_OFFSET_SIZE, config.txRingSize, RX_TX_DESC_SIZE, XDP_PGOFF_TX_RING,
            "TX ring of " + what);
        fill = map(offsets, 2 * RING_OFFSET_SIZE, config.fillRingSize, UMEM_DESC_SIZE, XDP_UMEM_PGOFF_FILL_RING,
            "fill ring of " + what);
        completion = map(offsets, 3 * RING_OFFSET_SIZE, config.completionRingSize, UMEM_DESC_SIZE,
            XDP_UMEM_PGOFF_COMPLETION_RING, "completion ring of " + what);

        final Pointer addr = LibC.allocate(SOCKADDR_XDP_SIZE);
        addr.putShort(0, (short)AF_XDP);
        addr.putInt(4, ifindex);
        addr.putInt(8, queueId);
        // no XDP_COPY/XDP_ZEROCOPY: the kernel tries zero-copy and falls back to copy by itself
        final int mode = config.zeroCopy ? 0 : XDP_COPY;
        addr.putShort(2, (short)(XDP_USE_NEED_WAKEUP | mode));
        bind(addr, what);

        final Pointer options = LibC.allocate(Integer.BYTES);
        LibC.getsockopt(fd, SOL_XDP, XDP_OPTIONS, options, Integer.BYTES, "XDP_OPTIONS " + what);
        zeroCopyMode = (options.getInt(0) & XDP_OPTIONS_ZEROCOPY) != 0;
    }

    /**
     * Binds, retrying EBUSY for up to {@link #BIND_BUSY_RETRY_NS}: the kernel releases a closed socket's hold on
     * its queue in deferred work, so a socket opened right after another on the same queue was closed (a restart,
     * a reload, a test's next cycle) can find the queue still taken for a few milliseconds.
     */
    private void bind(final Pointer addr, final String what) throws IOException
    {
        final long deadlineNs = System.nanoTime() + BIND_BUSY_RETRY_NS;
        while (true)
        {
            try
            {
                LibC.bind(fd, addr, SOCKADDR_XDP_SIZE, "AF_XDP " + what);
                return;
            }
            catch (final NativeIoException ex)
            {
                if (ex.errno() != EBUSY || System.nanoTime() - deadlineNs > 0)
                {
                    throw ex;
                }
                LockSupport.parkNanos(1_000_000L);
            }
        }
    }

    private void ringSize(final int option, final int entries, final String what) throws IOException
    {
        final Pointer value = LibC.allocate(Integer.BYTES);
        value.putInt(0, entries);
        LibC.setsockopt(fd, SOL_XDP, option, value, Integer.BYTES, what);
    }

    private Ring map(final Pointer offsets, final int base, final int entries, final int entrySize,
        final long pageOffset, final String what) throws IOException
    {
        final long length = offsets.getLong(base + 16) + (long)entries * entrySize;
        final long address = LibC.mmapShared(length, fd, pageOffset, what);
        return new Ring(address, length, offsets, base, entries);
    }

    /**
     * Wakes the kernel to send what the TX ring holds (copy mode sends up to 32 frames per call): the data path, no
     * exception.
     *
     * @return 0, or {@code -errno}: EAGAIN/EBUSY/ENOBUFS mean "call again", anything else is a hard error.
     */
    public int kickTx()
    {
        final long rc = LibC.sendOrErrno(fd, 0L, 0L, MSG_DONTWAIT);
        return rc < 0 ? (int)rc : 0;
    }

    /**
     * Wakes the driver to take frames from the fill ring (when its flags ask for it): the data path, no exception.
     *
     * @return 0, or {@code -errno}.
     */
    public int kickRx()
    {
        final long rc = LibC.recvOrErrno(fd, 0L, 0L, MSG_DONTWAIT);
        return rc < 0 && rc != -EAGAIN ? (int)rc : 0;
    }

    /**
     * Reads XDP_STATISTICS into a reused buffer without allocating.
     *
     * @return frames dropped by the kernel for this socket: rx_dropped (no room, too long for a frame) plus
     *         rx_ring_full, or -1 when the read failed.
     */
    public long readDrops()
    {
        try
        {
            LibC.getsockopt(fd, SOL_XDP, XDP_STATISTICS, statistics, statisticsLength, STATISTICS_SIZE,
                "XDP_STATISTICS");
        }
        catch (final NativeIoException | RuntimeException ex)
        {
            return -1;
        }
        return statistics.getLong(0) + statistics.getLong(24);
    }

    /**
     * Number of receive queues of an interface of the calling thread's namespace (see {@link RxQueues#count}).
     */
    public static int rxQueueCount(final String interfaceName)
    {
        return RxQueues.count(interfaceName);
    }

    /** @return the socket's descriptor, for {@link XdpProgram#registerSocket}; -1 once closed. */
    public int fd()
    {
        return fd;
    }

    /** @return the interface this socket is bound to. */
    public String interfaceName()
    {
        return interfaceName;
    }

    /** @return the receive queue this socket is bound to. */
    public int queueId()
    {
        return queueId;
    }

    /** @return the sizes this socket was opened with. */
    public Config config()
    {
        return config;
    }

    /** @return true when the driver runs this socket zero-copy (XDP_OPTIONS), false in copy mode. */
    public boolean isZeroCopy()
    {
        return zeroCopyMode;
    }

    /** @return start of the UMEM (page aligned). */
    public long umemAddress()
    {
        return umemAddress;
    }

    /** @return bytes of UMEM: frameSize * frameCount. */
    public int umemLengthBytes()
    {
        return (int)umemLengthBytes;
    }

    /** @return the fill ring (UMEM addresses offered to the kernel for receiving). */
    public Ring fillRing()
    {
        return fill;
    }

    /** @return the completion ring (UMEM addresses of sent frames, back to the owner). */
    public Ring completionRing()
    {
        return completion;
    }

    /** @return the RX ring (descriptors of received frames). */
    public Ring rxRing()
    {
        return rx;
    }

    /** @return the TX ring (descriptors of frames to send). */
    public Ring txRing()
    {
        return tx;
    }

    /** @return true until {@link #close()}. */
    public boolean isOpen()
    {
        return fd >= 0;
    }

    /**
     * Unmaps the rings, closes the socket (the kernel releases the UMEM pages it pinned), unmaps the UMEM;
     * idempotent. The owner must stop touching ring and UMEM addresses first.
     */
    @Override
    public void close()
    {
        for (final Ring ring : new Ring[] {rx, tx, fill, completion})
        {
            unmap(ring == null ? 0 : ring.address, ring == null ? 0 : ring.lengthBytes);
        }
        rx = tx = fill = completion = null;
        if (fd >= 0)
        {
            try
            {
                LibC.close(fd, "AF_XDP " + interfaceName + " queue " + queueId);
            }
            catch (final IOException ignored)
            {
                // the descriptor is released even then
            }
            fd = -1;
        }
        unmap(umemAddress, umemLengthBytes);
        umemAddress = 0;
    }

    private static void unmap(final long address, final long lengthBytes)
    {
        if (address != 0)
        {
            try
            {
                LibC.munmap(address, (lengthBytes + PAGE_SIZE - 1) & ~(long)(PAGE_SIZE - 1), "AF_XDP mapping");
            }
            catch (final IOException ignored)
            {
                // nothing more to do: the address range was ours
            }
        }
    }

    @Override
    public String toString()
    {
        return "XskSocket[" + interfaceName + " queue " + queueId + (zeroCopyMode ? ", zero-copy" : ", copy") + "]";
    }
}
