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

    private final BatchSender sender;
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

    private static boolean isTransient(final int errno)
    {
        return errno == EAGAIN || errno == ENOBUFS || errno == ENOMEM || errno == EINTR;
    }

    private void advance(final int frames)
    {
        size -= frames;
        head += frames;
        if (head == capacity || size == 0)
        {
            head = 0; // an empty queue restarts at slot 0: the next flush is one contiguous batch
        }
    }

    /** @return the address of slot 0; slot i starts {@code i * slotBytes()} after it. */
    public long slotsAddress()
    {
        return address;
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
        LibC.munmap(address, lengthBytes, "TX arena of " + what);
    }

    @Override
    public String toString()
    {
        return "TxQueue{" + what + ", " + size + "/" + capacity + " x " + slotBytes + " B" + (open ? "" : ", unmapped") +
            "}";
    }
}
