package org.inlinetls.shim;

import static org.inlinetls.shim.LinuxConstants.EAGAIN;
import static org.inlinetls.shim.LinuxConstants.EINTR;
import static org.inlinetls.shim.LinuxConstants.ENOBUFS;
import static org.inlinetls.shim.LinuxConstants.ENOMEM;
import static org.inlinetls.shim.StructLayout.IOVEC_BASE_OFFSET;
import static org.inlinetls.shim.StructLayout.IOVEC_LEN_OFFSET;
import static org.inlinetls.shim.StructLayout.IOVEC_SIZE;
import static org.inlinetls.shim.StructLayout.MMSGHDR_HDR_OFFSET;
import static org.inlinetls.shim.StructLayout.MMSGHDR_SIZE;
import static org.inlinetls.shim.StructLayout.MSGHDR_IOVLEN_OFFSET;
import static org.inlinetls.shim.StructLayout.MSGHDR_IOV_OFFSET;

import java.lang.invoke.VarHandle;

import jnr.ffi.Pointer;

/**
 * A FIFO of frames waiting to be transmitted, held in one anonymous mapping and sent in batches of
 * {@code sendmmsg(2)}: a frame queued is either sent once, in order, or dropped for a hard error and counted.
 *
 * <pre>
 * arena (mmap MAP_PRIVATE|MAP_ANONYMOUS, unmapped by close()):
 *   slot[0] .. slot[N-1]        N x slotBytes   frame bytes, written by the owner between claim and commit
 *   struct iovec[N]             N x 16          iov_base = slot[i] (fixed), iov_len = frame length (per commit)
 *   struct mmsghdr[N]           N x 64          msg_iov = &amp;iovec[i], msg_iovlen = 1, no name (bound socket)
 * </pre>
 *
 * The kernel only ever sees this mapping, never memory the GC could move or free. The queue is circular over the
 * slots; it restarts at slot 0 whenever it empties, so a queue that is flushed every duty cycle always goes out
 * in one call, and at most two calls (the wrap) otherwise.
 *
 * <p>{@link #flush()} semantics, per {@code sendmmsg(2)}'s return:
 * <ul>
 * <li>{@code n == batch}: all sent; go on with the rest (after a wrap).</li>
 * <li>{@code 0 < n < batch}: the first {@code n} sent; the kernel stopped at a full queue or an error it does not
 * report. The rest stays queued and the next flush starts with it (a hard error then shows as {@code -errno}).</li>
 * <li>EAGAIN, ENOBUFS, ENOMEM, EINTR: nothing sent; everything stays queued (device or qdisc queue full).</li>
 * <li>any other errno (ENETDOWN, EMSGSIZE, ENXIO, ...): the first frame is dropped, counted in
 * {@link #framesDropped()} with {@link #lastErrno()}, and the flush goes on with the next one.</li>
 * </ul>
 * <p>Over a socket's PACKET_TX_RING ({@link PacketSocket.Config#txRing}) the slots are the ring's frames (data at
 * {@code TPACKET3_HDRLEN - sizeof(sockaddr_ll)} of each, {@link #slotStride()} apart) and the queue keeps ring
 * order without restarting at slot 0, since the kernel walks the ring from its own head; {@link #commit} marks the
 * frame TP_STATUS_SEND_REQUEST and {@link #flush()} is one {@code send(2)}, then the frames back to AVAILABLE leave
 * the queue (see {@code flushRing} for the error rules). The socket owns and unmaps that mapping.
 * One owning thread; not thread-safe. No allocation after {@link #allocate}.
 */
public final class TxQueue implements AutoCloseable
{
    /** UIO_MAXIOV (linux/uio.h): sendmmsg(2) takes at most this many messages per call. */
    public static final int MAX_SLOTS = 1024;

    /** The system call the queue's batches go to: {@code sendmmsg} on a socket, or a test double. */
    @FunctionalInterface
    public interface BatchSender
    {
        /**
         * @param msgvecAddress of {@code count} consecutive {@code struct mmsghdr}.
         * @param count         messages, at least 1.
         * @return messages taken (from the first), or {@code -errno} when none was.
         */
        int sendBatch(long msgvecAddress, int count);
    }

    /** Starts the kernel on the frames marked TP_STATUS_SEND_REQUEST in a PACKET_TX_RING. */
    @FunctionalInterface
    public interface RingKick
    {
        /** @return bytes the kernel took, or {@code -errno}. */
        long kick();
    }

    /** Offset of the frame data in a TPACKET_V3 TX ring frame: TPACKET3_HDRLEN - sizeof(struct sockaddr_ll). */
    static final int RING_DATA_OFFSET = StructLayout.TPACKET3_HDRLEN - StructLayout.SOCKADDR_LL_SIZE;
    /** tp_status of a TX ring frame the kernel is done with (linux/if_packet.h). */
    static final int TP_STATUS_AVAILABLE = 0;
    /** tp_status of a TX ring frame handed to the kernel (linux/if_packet.h). */
    static final int TP_STATUS_SEND_REQUEST = 1;
    /** tp_status of a TX ring frame the kernel has taken and the device still holds (linux/if_packet.h). */
    static final int TP_STATUS_SENDING = 2;

    private final BatchSender sender;
    private final RingKick kick;
    /** Bytes from one slot to the next: slotBytes for the arena, the ring's frame size for a TX ring. */
    private final int slotStride;
    /** TX ring: frames marked SEND_REQUEST since the last kick the kernel finished, and their bytes. */
    private int unkicked;
    private long unkickedBytes;
    /** TX ring: false after a kick that failed part-way, when the bytes the next kick must return are unknown. */
    private boolean unkickedBytesExact = true;
    private final String what;
    private final int capacity;
    private final int slotBytes;
    private final long address;
    private final long lengthBytes;
    private final long iovecAddress;
    private final long mmsgAddress;
    private final Pointer arena;
    private boolean open = true;
    private int head;
    private int size;
    private long framesSent;
    private long framesDropped;
    private long sendCalls;
    private long stalls;
    private int lastErrno;
    private int lastStallErrno;

    private TxQueue(final BatchSender sender, final String what, final int capacity, final int slotBytes,
        final long address, final long lengthBytes)
    {
        this.sender = sender;
        this.kick = null;
        this.slotStride = slotBytes;
        this.what = what;
        this.capacity = capacity;
        this.slotBytes = slotBytes;
        this.address = address;
        this.lengthBytes = lengthBytes;
        this.iovecAddress = address + (long)capacity * slotBytes;
        this.mmsgAddress = iovecAddress + (long)capacity * IOVEC_SIZE;
        this.arena = Pointer.wrap(LibC.runtime(), address, lengthBytes);
        for (int i = 0; i < capacity; i++)
        {
            final long iov = iovecAddress - address + (long)i * IOVEC_SIZE;
            final long msg = mmsgAddress - address + (long)i * MMSGHDR_SIZE + MMSGHDR_HDR_OFFSET;
            arena.putLong(iov + IOVEC_BASE_OFFSET, address + (long)i * slotBytes);
            arena.putLong(msg + MSGHDR_IOV_OFFSET, iovecAddress + (long)i * IOVEC_SIZE);
            arena.putLong(msg + MSGHDR_IOVLEN_OFFSET, 1L);
        }
    }

    /**
     * Maps an arena for {@code slots} frames of up to {@code slotBytes} each.
     *
     * @param what names the queue in errors, e.g. the interface.
     */
    public static TxQueue allocate(final int slots, final int slotBytes, final BatchSender sender, final String what)
        throws NativeIoException
    {
        if (slots < 1 || slots > MAX_SLOTS)
        {
            throw new IllegalArgumentException("TX slots must be in [1, " + MAX_SLOTS + "]: " + slots);
        }
        if (slotBytes < 64 || slotBytes % 64 != 0 || slotBytes > 1 << 16)
        {
            throw new IllegalArgumentException("TX slot size must be a multiple of 64 in [64, 65536]: " + slotBytes);
        }
        final long length = (long)slots * (slotBytes + IOVEC_SIZE + MMSGHDR_SIZE);
        final long address = LibC.mmapAnonymous(length, length + " B TX arena of " + what);
        return new TxQueue(sender, what, slots, slotBytes, address, length);
    }

    private TxQueue(final RingKick kick, final String what, final int frames, final int frameBytes,
        final int slotBytes, final long ringAddress)
    {
        this.sender = null;
        this.kick = kick;
        this.slotStride = frameBytes;
        this.what = what;
        this.capacity = frames;
        this.slotBytes = slotBytes;
        this.address = ringAddress;
        this.lengthBytes = 0; // the socket's mapping: unmapped by the socket
        this.iovecAddress = 0;
        this.mmsgAddress = 0;
        this.arena = Pointer.wrap(LibC.runtime(), ringAddress, (long)frames * frameBytes);
    }

    /**
     * A queue over a socket's mapped PACKET_TX_RING (TPACKET_V3, one frame per slot, in ring order).
     */
    static TxQueue overRing(final long ringAddress, final int frames, final int frameBytes, final int slotBytes,
        final RingKick kick, final String what)
    {
        return new TxQueue(kick, what, frames, frameBytes, slotBytes, ringAddress);
    }

    /** @return the slot the next frame goes to, or -1 when the queue is full. */
    public int claim()
    {
        ensureOpen();
        if (size == capacity)
        {
            return -1;
        }
        final int tail = head + size;
        return tail < capacity ? tail : tail - capacity;
    }

    /**
     * Queues the frame written into the slot {@link #claim()} returned.
     *
     * @param length bytes of the frame, in [1, {@link #slotBytes()}].
     */
    public void commit(final int length)
    {
        final int slot = claim();
        if (slot < 0 || length < 1 || length > slotBytes)
        {
            throw new IllegalStateException("commit of " + length + " B with " + size + "/" + capacity + " queued");
        }
        if (kick != null)
        {
            final long frame = (long)slot * slotStride;
            arena.putInt(frame + StructLayout.TPACKET3_LEN_OFFSET, length);
            arena.putInt(frame + StructLayout.TPACKET3_SNAPLEN_OFFSET, length);
            VarHandle.releaseFence(); // the frame is written before the kernel may see SEND_REQUEST
            arena.putInt(frame + StructLayout.TPACKET3_STATUS_OFFSET, TP_STATUS_SEND_REQUEST);
            unkicked++;
            unkickedBytes += length;
            size++;
            return;
        }
        arena.putLong(iovecAddress - address + (long)slot * IOVEC_SIZE + IOVEC_LEN_OFFSET, length);
        size++;
    }

    /**
     * Sends what is queued with as few {@code sendmmsg} calls as the kernel allows.
     *
     * @return frames that left the queue (sent or dropped); 0 when it was empty or the device is congested.
     */
    public int flush()
    {
        ensureOpen();
        if (kick != null)
        {
            return flushRing();
        }
        int done = 0;
        while (size > 0)
        {
            final int batch = Math.min(size, capacity - head);
            final int sent = sender.sendBatch(mmsgAddress + (long)head * MMSGHDR_SIZE, batch);
            sendCalls++;
            if (sent > 0)
            {
                final int taken = Math.min(sent, batch);
                advance(taken);
                framesSent += taken;
                done += taken;
                if (taken < batch)
                {
                    stalls++;
                    break;
                }
            }
            else if (sent == 0 || isTransient(-sent))
            {
                stalls++;
                lastStallErrno = -sent;
                break;
            }
            else
            {
                lastErrno = -sent;
                framesDropped++;
                advance(1);
                done++;
            }
        }
        return done;
    }

    /**
     * TX ring: one {@code send(2)} has the kernel transmit every frame marked SEND_REQUEST, in ring order from its own
     * head (which is this queue's first frame not yet taken); then the frames the kernel is done with (AVAILABLE
     * again) leave the queue, in order. A transient errno leaves the rest marked for the next flush. A hard errno
     * drops every frame the kernel has not taken (marked AVAILABLE again, counted), so that the next frame queued
     * lands on the kernel's head: the ring cannot skip one frame and keep the ones behind it. The kernel skips a frame
     * it refuses for its length (PACKET_LOSS): the kick then returns fewer bytes than were marked, counted as one
     * dropped frame with EMSGSIZE.
     */
    private int flushRing()
    {
        int done = 0;
        if (unkicked > 0)
        {
            final long sent = kick.kick();
            sendCalls++;
            if (sent >= 0)
            {
                if (unkickedBytesExact && sent < unkickedBytes)
                {
                    framesDropped++;
                    lastErrno = LinuxConstants.EMSGSIZE;
                }
                kicked();
            }
            else if (isTransient((int)-sent))
            {
                stalls++;
                lastStallErrno = (int)-sent;
                unkickedBytesExact = false;
            }
            else
            {
                lastErrno = (int)-sent;
                done += dropNotTaken();
                kicked();
            }
        }
        while (size > 0)
        {
            final int status = arena.getInt((long)head * slotStride + StructLayout.TPACKET3_STATUS_OFFSET);
            if (status != TP_STATUS_AVAILABLE)
            {
                break; // in flight (the device still holds it) or not taken yet: stays queued
            }
            VarHandle.acquireFence(); // the slot is written again only after the kernel is done with it
            size--;
            head = head + 1 == capacity ? 0 : head + 1;
            framesSent++;
            done++;
        }
        return done;
    }

    private void kicked()
    {
        unkicked = 0;
        unkickedBytes = 0;
        unkickedBytesExact = true;
    }

    /** TX ring, after a hard error: drops the queue's tail of frames still marked for the kernel; returns them. */
    private int dropNotTaken()
    {
        int firstNotTaken = 0;
        while (firstNotTaken < size)
        {
            final int slot = head + firstNotTaken < capacity ? head + firstNotTaken : head + firstNotTaken - capacity;
            final int status = arena.getInt((long)slot * slotStride + StructLayout.TPACKET3_STATUS_OFFSET);
            if (status != TP_STATUS_AVAILABLE && status != TP_STATUS_SENDING)
            {
                break;
            }
            firstNotTaken++;
        }
        final int dropped = size - firstNotTaken;
        for (int i = firstNotTaken; i < size; i++)
        {
            final int slot = head + i < capacity ? head + i : head + i - capacity;
            arena.putInt((long)slot * slotStride + StructLayout.TPACKET3_STATUS_OFFSET, TP_STATUS_AVAILABLE);
        }
        size = firstNotTaken;
        framesDropped += dropped;
        return dropped;
    }

    private static boolean isTransient(final int errno)
    {
        return errno == EAGAIN || errno == ENOBUFS || errno == ENOMEM || errno == EINTR;
    }

    private void advance(final int frames)
    {
        size -= frames;
        head += frames;
        if (head == capacity || (size == 0 && kick == null))
        {
            head = 0; // an empty queue restarts at slot 0: the next flush is one contiguous batch
        }
    }

    /** @return the address of slot 0; slot i starts {@code i * slotBytes()} after it. */
    public long slotsAddress()
    {
        return kick == null ? address : address + RING_DATA_OFFSET;
    }

    /** @return bytes from the start of one slot to the next (slot i starts {@code i * slotStride()} after slot 0). */
    public int slotStride()
    {
        return slotStride;
    }

    /** @return bytes per slot: the largest frame the queue takes. */
    public int slotBytes()
    {
        return slotBytes;
    }

    /** @return slots in the arena. */
    public int capacity()
    {
        return capacity;
    }

    /** @return frames queued and not yet sent. */
    public int size()
    {
        return size;
    }

    /** @return frames that can be queued before a flush. */
    public int room()
    {
        return capacity - size;
    }

    /** @return frames the kernel took. */
    public long framesSent()
    {
        return framesSent;
    }

    /** @return frames dropped for a hard error (never for a full device queue). */
    public long framesDropped()
    {
        return framesDropped;
    }

    /** @return the errno of the last hard error, 0 if none. */
    public int lastErrno()
    {
        return lastErrno;
    }

    /** @return the errno of the last flush that stopped on a full queue (0 for a partial batch). */
    public int lastStallErrno()
    {
        return lastStallErrno;
    }

    /** @return {@code sendmmsg} calls made. */
    public long sendCalls()
    {
        return sendCalls;
    }

    /** @return flushes that stopped with frames left queued (congestion). */
    public long stalls()
    {
        return stalls;
    }

    /** @return true until {@link #close()}. */
    public boolean isOpen()
    {
        return open;
    }

    private void ensureOpen()
    {
        if (!open)
        {
            throw new IllegalStateException("TX arena of " + what + " is unmapped");
        }
    }

    /** Unmaps the arena, dropping whatever is still queued; idempotent. */
    @Override
    public void close() throws NativeIoException
    {
        if (!open)
        {
            return;
        }
        open = false;
        size = 0;
        if (kick == null)
        {
            LibC.munmap(address, lengthBytes, "TX arena of " + what);
        }
    }

    @Override
    public String toString()
    {
        return "TxQueue{" + what + ", " + size + "/" + capacity + " x " + slotBytes + " B" + (open ? "" : ", unmapped") +
            "}";
    }
}
