package org.inlinetls.shim;

import static org.inlinetls.shim.LinuxConstants.AF_PACKET;
import static org.inlinetls.shim.LinuxConstants.ENOPROTOOPT;
import static org.inlinetls.shim.LinuxConstants.ETH_P_ALL;
import static org.inlinetls.shim.LinuxConstants.MAP_SHARED;
import static org.inlinetls.shim.LinuxConstants.MSG_DONTWAIT;
import static org.inlinetls.shim.LinuxConstants.PACKET_ADD_MEMBERSHIP;
import static org.inlinetls.shim.LinuxConstants.PACKET_IGNORE_OUTGOING;
import static org.inlinetls.shim.LinuxConstants.PACKET_MR_PROMISC;
import static org.inlinetls.shim.LinuxConstants.PACKET_QDISC_BYPASS;
import static org.inlinetls.shim.LinuxConstants.PACKET_RX_RING;
import static org.inlinetls.shim.LinuxConstants.PACKET_STATISTICS;
import static org.inlinetls.shim.LinuxConstants.PACKET_VERSION;
import static org.inlinetls.shim.LinuxConstants.PROT_READ;
import static org.inlinetls.shim.LinuxConstants.PROT_WRITE;
import static org.inlinetls.shim.LinuxConstants.SOCK_CLOEXEC;
import static org.inlinetls.shim.LinuxConstants.SOCK_RAW;
import static org.inlinetls.shim.LinuxConstants.SOL_PACKET;
import static org.inlinetls.shim.LinuxConstants.TPACKET_ALIGNMENT;
import static org.inlinetls.shim.LinuxConstants.TPACKET_V3;
import static org.inlinetls.shim.LinuxConstants.TP_STATUS_KERNEL;
import static org.inlinetls.shim.LinuxConstants.TP_STATUS_USER;
import static org.inlinetls.shim.StructLayout.BLOCK_DESC_FIRST_PKT_OFFSET;
import static org.inlinetls.shim.StructLayout.BLOCK_DESC_NUM_PKTS_OFFSET;
import static org.inlinetls.shim.StructLayout.BLOCK_DESC_STATUS_OFFSET;
import static org.inlinetls.shim.StructLayout.PACKET_MREQ_IFINDEX_OFFSET;
import static org.inlinetls.shim.StructLayout.PACKET_MREQ_SIZE;
import static org.inlinetls.shim.StructLayout.PACKET_MREQ_TYPE_OFFSET;
import static org.inlinetls.shim.StructLayout.SOCKADDR_LL_FAMILY_OFFSET;
import static org.inlinetls.shim.StructLayout.SOCKADDR_LL_IFINDEX_OFFSET;
import static org.inlinetls.shim.StructLayout.SOCKADDR_LL_PROTOCOL_OFFSET;
import static org.inlinetls.shim.StructLayout.SOCKADDR_LL_SIZE;
import static org.inlinetls.shim.StructLayout.TPACKET3_LEN_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET3_MAC_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET3_NEXT_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET3_NSEC_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET3_SEC_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET3_SNAPLEN_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET_REQ3_BLOCK_NR_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET_REQ3_BLOCK_SIZE_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET_REQ3_FRAME_NR_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET_REQ3_FRAME_SIZE_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET_REQ3_RETIRE_TOV_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET_REQ3_SIZE;
import static org.inlinetls.shim.StructLayout.TPACKET_STATS_DROPS_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET_STATS_PACKETS_OFFSET;
import static org.inlinetls.shim.StructLayout.TPACKET_STATS_V3_SIZE;

import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.util.EnumSet;

import jnr.ffi.Pointer;

/**
 * An AF_PACKET socket bound to one interface with a TPACKET_V3 receive ring mapped into this process: frames are
 * handed out where the kernel wrote them, and sent with {@code send(2)} from native memory the caller owns.
 *
 * <p>One owning thread polls {@link #receive}; {@link #send} may run on another thread. The ring is plain native
 * memory outside the Java heap, so nothing the GC does can move or free it: it lives from {@link #open} to
 * {@link #close} (which unmaps it and closes the descriptor; the kernel then drops the promiscuous membership).
 * Offsets handed to a {@link FrameConsumer} are relative to {@link #ringAddress()} and valid only during the call.
 *
 * <p>Transmit is one {@code send} system call per frame; batching with {@code sendmmsg} (or a PACKET_TX_RING) is the next step.
 */
public final class PacketSocket implements AutoCloseable
{
    /** Receives one frame lying in the ring. */
    @FunctionalInterface
    public interface FrameConsumer
    {
        /**
         * @param ringOffset  of the Ethernet header from {@link #ringAddress()}.
         * @param length      bytes of the frame present in the ring (no FCS).
         * @param timestampNs kernel receive time, epoch nanoseconds.
         */
        void onFrame(int ringOffset, int length, long timestampNs);
    }

    /** The ring geometry and socket options; {@link #defaults()} suits one 1–10 Gbit/s port. */
    public static final class Config
    {
        int blockSize = 1 << 20;
        int blockCount = 8;
        int frameSize = 2048;
        int retireTimeoutMs = 1;
        boolean promiscuous = true;
        boolean ignoreOutgoing = true;
        boolean qdiscBypass;

        /** @return 8 blocks of 1 MiB, 2 KiB frames, 1 ms block retire, promiscuous, ignoring outgoing frames. */
        public static Config defaults()
        {
            return new Config();
        }

        /** @param bytes per block: a power of two multiple of the page size; frames never span blocks. */
        public Config blockSize(final int bytes)
        {
            blockSize = bytes;
            return this;
        }

        /** @param count of blocks in the ring. */
        public Config blockCount(final int count)
        {
            blockCount = count;
            return this;
        }

        /** @param bytes nominal frame slot, a multiple of 16; TPACKET_V3 packs frames by their real length. */
        public Config frameSize(final int bytes)
        {
            frameSize = bytes;
            return this;
        }

        /** @param ms after which the kernel hands over a partly filled block (the receive latency bound). */
        public Config retireTimeoutMs(final int ms)
        {
            retireTimeoutMs = ms;
            return this;
        }

        /** @param on take a PACKET_MR_PROMISC membership (dropped by the kernel when the socket closes). */
        public Config promiscuous(final boolean on)
        {
            promiscuous = on;
            return this;
        }

        /** @param on do not deliver frames this host sends on the interface (PACKET_IGNORE_OUTGOING, Linux 4.20+). */
        public Config ignoreOutgoing(final boolean on)
        {
            ignoreOutgoing = on;
            return this;
        }

        /** @param on send past the qdisc layer (PACKET_QDISC_BYPASS): no traffic shaping, no qdisc drops counted. */
        public Config qdiscBypass(final boolean on)
        {
            qdiscBypass = on;
            return this;
        }

        void validate()
        {
            final int page = 4096;
            if (blockSize < page || Integer.bitCount(blockSize) != 1)
            {
                throw new IllegalArgumentException("blockSize must be a power of two >= " + page + ": " + blockSize);
            }
            if (frameSize < 64 || frameSize % TPACKET_ALIGNMENT != 0 || frameSize > blockSize)
            {
                throw new IllegalArgumentException("frameSize must be a multiple of 16 in [64, blockSize]: " +
                    frameSize);
            }
            if (blockCount < 1 || (long)blockSize * blockCount > Integer.MAX_VALUE)
            {
                throw new IllegalArgumentException("blockCount must be >= 1 and the ring < 2 GiB: " + blockCount);
            }
            if (retireTimeoutMs < 1)
            {
                throw new IllegalArgumentException("retireTimeoutMs must be >= 1: " + retireTimeoutMs);
            }
        }
    }

    private final String ifName;
    private final int ifIndex;
    private final int blockSize;
    private final int blockCount;
    private final boolean ignoringOutgoing;
    private final Pointer statistics = LibC.allocate(TPACKET_STATS_V3_SIZE);
    private final long ringAddress;
    private final long ringLength;
    /** The mapping as JNR memory: plain reads and writes, ordered by {@link VarHandle} fences. */
    private final Pointer ring;
    private int fd;

    // walk state: survives a receive() that stopped at its limit in the middle of a block
    private int blockIndex;
    private boolean holdingBlock;
    private int packetsLeftInBlock;
    private int nextPacketOffset;
    private long truncatedFrames;
    private long kernelPackets;
    private long kernelDrops;

    private PacketSocket(final String ifName, final int ifIndex, final int fd, final Config config,
        final long ringAddress, final long ringLength, final boolean ignoringOutgoing)
    {
        this.ifName = ifName;
        this.ifIndex = ifIndex;
        this.fd = fd;
        this.blockSize = config.blockSize;
        this.blockCount = config.blockCount;
        this.ringAddress = ringAddress;
        this.ringLength = ringLength;
        this.ignoringOutgoing = ignoringOutgoing;
        this.ring = Pointer.wrap(LibC.runtime(), ringAddress, ringLength);
    }

    /**
     * Opens a socket on an interface of the calling thread's network namespace; it stays in that namespace.
     *
     * @throws IOException naming the interface when it does not exist, or the call and errno that failed
     *                     ({@link InsufficientPrivilegesException} without CAP_NET_RAW).
     */
    public static PacketSocket open(final String ifName, final Config config) throws IOException
    {
        NetDevice.validateName(ifName);
        config.validate();
        final int ifIndex;
        try
        {
            ifIndex = LibC.ifNameToIndex(ifName);
        }
        catch (final NativeIoException ex)
        {
            throw new IOException("no network interface '" + ifName + "' in network namespace " +
                NetNamespace.currentId() + " for an AF_PACKET ring", ex);
        }
        final int fd;
        try
        {
            // protocol 0: nothing is queued before bind(), so the ring never holds frames of other interfaces
            fd = LibC.socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0, "AF_PACKET ring for " + ifName);
        }
        catch (final NativeIoException ex)
        {
            if (ex.errno() == LinuxConstants.EPERM)
            {
                Privileges.require("open an AF_PACKET ring on " + ifName,
                    EnumSet.of(Capability.NET_RAW));
            }
            throw ex;
        }
        long ringAddress = 0;
        final long ringLength = (long)config.blockSize * config.blockCount;
        try
        {
            setInt(fd, PACKET_VERSION, TPACKET_V3, "PACKET_VERSION TPACKET_V3, " + ifName);
            final boolean ignoringOutgoing = config.ignoreOutgoing && setIgnoreOutgoing(fd, ifName);
            if (config.qdiscBypass)
            {
                setInt(fd, PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS, " + ifName);
            }
            final Pointer req = LibC.allocate(TPACKET_REQ3_SIZE);
            req.putInt(TPACKET_REQ3_BLOCK_SIZE_OFFSET, config.blockSize);
            req.putInt(TPACKET_REQ3_BLOCK_NR_OFFSET, config.blockCount);
            req.putInt(TPACKET_REQ3_FRAME_SIZE_OFFSET, config.frameSize);
            req.putInt(TPACKET_REQ3_FRAME_NR_OFFSET, config.blockSize / config.frameSize * config.blockCount);
            req.putInt(TPACKET_REQ3_RETIRE_TOV_OFFSET, config.retireTimeoutMs);
            LibC.setsockopt(fd, SOL_PACKET, PACKET_RX_RING, req, TPACKET_REQ3_SIZE,
                "PACKET_RX_RING " + config.blockCount + " x " + config.blockSize + " B, " + ifName);
            ringAddress = LibC.mmap(ringLength, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                ringLength + " B RX ring of " + ifName);
            if (config.promiscuous)
            {
                final Pointer mreq = LibC.allocate(PACKET_MREQ_SIZE);
                mreq.putInt(PACKET_MREQ_IFINDEX_OFFSET, ifIndex);
                mreq.putShort(PACKET_MREQ_TYPE_OFFSET, (short)PACKET_MR_PROMISC);
                LibC.setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq, PACKET_MREQ_SIZE,
                    "PACKET_ADD_MEMBERSHIP PACKET_MR_PROMISC, " + ifName);
            }
            final Pointer sll = LibC.allocate(SOCKADDR_LL_SIZE);
            sll.putShort(SOCKADDR_LL_FAMILY_OFFSET, (short)AF_PACKET);
            sll.putShort(SOCKADDR_LL_PROTOCOL_OFFSET, Short.reverseBytes((short)ETH_P_ALL)); // htons on LE hosts
            sll.putInt(SOCKADDR_LL_IFINDEX_OFFSET, ifIndex);
            LibC.bind(fd, sll, SOCKADDR_LL_SIZE, "AF_PACKET ETH_P_ALL, " + ifName);
            return new PacketSocket(ifName, ifIndex, fd, config, ringAddress, ringLength, ignoringOutgoing);
        }
        catch (final IOException | RuntimeException ex)
        {
            if (ringAddress != 0)
            {
                try
                {
                    LibC.munmap(ringAddress, ringLength, "RX ring of " + ifName);
                }
                catch (final NativeIoException suppressed)
                {
                    ex.addSuppressed(suppressed);
                }
            }
            try
            {
                LibC.close(fd, "AF_PACKET ring for " + ifName);
            }
            catch (final NativeIoException suppressed)
            {
                ex.addSuppressed(suppressed);
            }
            throw ex;
        }
    }

    /**
     * @return null when this process can open AF_PACKET sockets with TPACKET_V3 rings, else why not.
     */
    public static Throwable unavailabilityCause()
    {
        final Throwable shim = NativeShim.unavailabilityCause();
        if (shim != null)
        {
            return shim;
        }
        try
        {
            final int fd = LibC.socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0, "AF_PACKET availability probe");
            try
            {
                setInt(fd, PACKET_VERSION, TPACKET_V3, "PACKET_VERSION TPACKET_V3");
            }
            finally
            {
                LibC.close(fd, "AF_PACKET availability probe");
            }
            return null;
        }
        catch (final NativeIoException | RuntimeException ex)
        {
            return ex;
        }
    }

    /** @return true when {@link #unavailabilityCause()} is null. */
    public static boolean isAvailable()
    {
        return unavailabilityCause() == null;
    }

    private static void setInt(final int fd, final int option, final int value, final String what)
        throws NativeIoException
    {
        final Pointer v = LibC.allocate(Integer.BYTES);
        v.putInt(0, value);
        LibC.setsockopt(fd, SOL_PACKET, option, v, Integer.BYTES, what);
    }

    private static boolean setIgnoreOutgoing(final int fd, final String ifName) throws NativeIoException
    {
        try
        {
            setInt(fd, PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING, " + ifName);
            return true;
        }
        catch (final NativeIoException ex)
        {
            if (ex.errno() == ENOPROTOOPT)
            {
                return false; // kernel older than 4.20: the caller must filter its own frames
            }
            throw ex;
        }
    }

    /**
     * Hands up to {@code limit} waiting frames to the consumer without blocking, and gives each fully read block
     * back to the kernel. Frames the ring cut short (larger than a block) are counted in {@link #truncatedFrames()}
     * and not delivered.
     *
     * @return frames delivered.
     */
    public int receive(final FrameConsumer consumer, final int limit)
    {
        ensureOpen();
        final Pointer ring = this.ring;
        int delivered = 0;
        while (delivered < limit)
        {
            final long block = (long)blockIndex * blockSize;
            if (!holdingBlock)
            {
                final int status = ring.getInt(block + BLOCK_DESC_STATUS_OFFSET);
                VarHandle.acquireFence(); // the block's contents are read only after seeing TP_STATUS_USER
                if ((status & TP_STATUS_USER) == 0)
                {
                    break;
                }
                holdingBlock = true;
                packetsLeftInBlock = ring.getInt(block + BLOCK_DESC_NUM_PKTS_OFFSET);
                nextPacketOffset = ring.getInt(block + BLOCK_DESC_FIRST_PKT_OFFSET);
            }
            if (packetsLeftInBlock == 0)
            {
                releaseBlock(block);
                continue;
            }
            final long header = block + nextPacketOffset;
            final int snapLength = ring.getInt(header + TPACKET3_SNAPLEN_OFFSET);
            final int wireLength = ring.getInt(header + TPACKET3_LEN_OFFSET);
            final int macOffset = ring.getShort(header + TPACKET3_MAC_OFFSET) & 0xFFFF;
            final long timestampNs = (ring.getInt(header + TPACKET3_SEC_OFFSET) & 0xFFFF_FFFFL) * 1_000_000_000L +
                ring.getInt(header + TPACKET3_NSEC_OFFSET);
            nextPacketOffset += ring.getInt(header + TPACKET3_NEXT_OFFSET);
            packetsLeftInBlock--;
            if (snapLength != wireLength)
            {
                truncatedFrames++;
                continue;
            }
            delivered++;
            consumer.onFrame((int)(header + macOffset), snapLength, timestampNs);
        }
        if (holdingBlock && packetsLeftInBlock == 0)
        {
            releaseBlock((long)blockIndex * blockSize); // hand it back now rather than on the next call
        }
        return delivered;
    }

    private void releaseBlock(final long block)
    {
        VarHandle.releaseFence(); // all reads of the block happen before the kernel may overwrite it
        ring.putInt(block + BLOCK_DESC_STATUS_OFFSET, TP_STATUS_KERNEL);
        holdingBlock = false;
        blockIndex = blockIndex + 1 == blockCount ? 0 : blockIndex + 1;
    }

    /**
     * Sends one frame from native memory out of the interface without blocking.
     *
     * @return bytes sent, or {@code -errno}: EAGAIN/ENOBUFS when the device queue is full, ENETDOWN when it is down.
     */
    public int send(final long address, final int length)
    {
        ensureOpen();
        return (int)LibC.sendOrErrno(fd, address, length, MSG_DONTWAIT);
    }

    /**
     * Reads (and so resets) the kernel's PACKET_STATISTICS into the running totals.
     */
    public void updateStatistics() throws NativeIoException
    {
        ensureOpen();
        LibC.getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, statistics, TPACKET_STATS_V3_SIZE,
            "PACKET_STATISTICS, " + ifName);
        kernelPackets += statistics.getInt(TPACKET_STATS_PACKETS_OFFSET) & 0xFFFF_FFFFL;
        kernelDrops += statistics.getInt(TPACKET_STATS_DROPS_OFFSET) & 0xFFFF_FFFFL;
    }

    /** @return frames the kernel queued for this socket, as of the last {@link #updateStatistics()}. */
    public long kernelPackets()
    {
        return kernelPackets;
    }

    /** @return frames the kernel dropped because the ring was full, as of the last {@link #updateStatistics()}. */
    public long kernelDrops()
    {
        return kernelDrops;
    }

    /** @return frames dropped because they did not fit a ring block (never delivered cut short). */
    public long truncatedFrames()
    {
        return truncatedFrames;
    }

    /** @return the interface name. */
    public String interfaceName()
    {
        return ifName;
    }

    /** @return the interface index in the socket's namespace. */
    public int interfaceIndex()
    {
        return ifIndex;
    }

    /** @return whether PACKET_IGNORE_OUTGOING is in effect (false on kernels before 4.20 or when not asked for). */
    public boolean isIgnoringOutgoing()
    {
        return ignoringOutgoing;
    }

    /** @return the address of the mapped ring, valid until {@link #close()}. */
    public long ringAddress()
    {
        return ringAddress;
    }

    /** @return the length of the mapped ring in bytes (below 2 GiB, so offsets fit an int). */
    public int ringLength()
    {
        return (int)ringLength;
    }

    /** @return true until {@link #close()}. */
    public boolean isOpen()
    {
        return fd >= 0;
    }

    private void ensureOpen()
    {
        if (fd < 0)
        {
            throw new IllegalStateException("AF_PACKET ring of " + ifName + " is closed");
        }
    }

    /**
     * Unmaps the ring and closes the socket; idempotent. No offset handed out before may be used afterwards.
     */
    @Override
    public void close() throws NativeIoException
    {
        if (fd < 0)
        {
            return;
        }
        final int closing = fd;
        fd = -1;
        try
        {
            LibC.munmap(ringAddress, ringLength, "RX ring of " + ifName);
        }
        finally
        {
            LibC.close(closing, "AF_PACKET ring for " + ifName);
        }
    }

    @Override
    public String toString()
    {
        return "PacketSocket{" + ifName + "#" + ifIndex + ", " + blockCount + " x " + blockSize + " B ring" +
            (ignoringOutgoing ? ", ignoring outgoing" : "") + (fd < 0 ? ", closed" : "") + "}";
    }
}
