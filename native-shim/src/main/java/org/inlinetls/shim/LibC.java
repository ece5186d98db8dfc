package org.inlinetls.shim;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The one facade over the C library: each wrapper turns a failure return and errno into {@link NativeIoException}.
 *
 * <p>Loading is lazy and never throws from class initialisation: {@link #isAvailable()} and
 * {@link #unavailabilityCause()} say whether libc could be bound. Every call runs on the calling thread, which
 * matters for {@link #setns(int, int, String)} (per-thread) and for errno (saved per thread by JNR right after
 * the call, read with {@link Runtime#getLastError()}).
 */
public final class LibC
{
    private static final class Holder
    {
        /**
         * The raw binding, reachable only through {@link LibC}'s wrappers so that no caller can forget the errno
         * check. Signatures follow glibc's prototypes (sys/socket.h, sys/ioctl.h, net/if.h, sched.h, fcntl.h,
         * unistd.h). It must be {@code public} for the JVM because JNR-FFI implements it in a class of its own
         * class loader; nesting it in this private class keeps it private in the language.
         */
        public interface Native
        {
            @SaveError int socket(int domain, int type, int protocol);

            @SaveError int ioctl(int fd, long request, Pointer arg);

            @SaveError int setsockopt(int fd, int level, int optname, @In Pointer optval, int optlen);

            @SaveError int close(int fd);

            @SaveError int if_nametoindex(String ifName);

            @SaveError int setns(int fd, int nstype);

            @SaveError int open(String path, int flags);

            int geteuid();

            @SaveError @ssize_t long send(int fd, @In Pointer buf, @size_t long len, int flags);

            @SaveError @ssize_t long recv(int fd, Pointer buf, @size_t long len, int flags);

            String strerror(int errnum);

            @SaveError int bind(int fd, @In Pointer addr, int addrLen);

            @SaveError int getsockopt(int fd, int level, int optname, Pointer optval, Pointer optlen);

            /*
             * JNR 2.2.17 on x86_64 mis-passes the sixth argument when every argument is a plain integer (mmap with
             * six Java longs/ints failed in glibc with EINVAL and no system call): mmap keeps a Pointer first
             * argument, and the data path uses send(2) (4 arguments, raw address) instead of sendto(2) with a NULL
             * destination, which is the same call on a bound packet socket.
             */
            @SaveError @ssize_t long send(int fd, long buf, long len, int flags);

            /* Four arguments, the message vector as a raw address into the caller's own mapping. */
            @SaveError int sendmmsg(int fd, long msgvec, int vlen, int flags);

            @SaveError Pointer mmap(Pointer addr, @size_t long length, int prot, int flags, int fd, @off_t long offset);

            @SaveError int munmap(long addr, long length);

            /* Four arguments, a raw address (or 0 with a zero length: an AF_XDP wake-up), like send above. */
            @SaveError @ssize_t long recv(int fd, long buf, long len, int flags);

            @SaveError int sched_setaffinity(int pid, @size_t long cpuSetSize, @In byte[] mask);

            @SaveError int sched_getaffinity(int pid, @size_t long cpuSetSize, @Out byte[] mask);
        }

        static final Native LIB;
        static final Runtime RUNTIME;
        static final Throwable CAUSE;

        static
        {
            Native lib = null;
            Runtime runtime = null;
            Throwable cause = null;
            try
            {
                lib = LibraryLoader.create(Native.class).failImmediately().load("c");
                runtime = Runtime.getRuntime(lib);
                lib.geteuid(); // proves the binding really links, not only that the loader returned a proxy
            }
            catch (final Throwable t)
            {
                lib = null;
                runtime = null;
                cause = t;
            }
            LIB = lib;
            RUNTIME = runtime;
            CAUSE = cause;
        }
    }

    /** {@code MAP_FAILED} (sys/mman.h): {@code (void *)-1}. */
    private static final long MAP_FAILED = -1L;

    private LibC()
    {
    }

    /**
     * @return true when libc was loaded and bound.
     */
    public static boolean isAvailable()
    {
        return Holder.CAUSE == null;
    }

    /**
     * @return why libc could not be bound, or null when {@link #isAvailable()}.
     */
    public static Throwable unavailabilityCause()
    {
        return Holder.CAUSE;
    }

    private static Holder.Native lib()
    {
        if (Holder.CAUSE != null)
        {
            throw new IllegalStateException("libc is not available through JNR-FFI", Holder.CAUSE);
        }
        return Holder.LIB;
    }

    static Runtime runtime()
    {
        lib();
        return Holder.RUNTIME;
    }

    /**
     * Allocates zeroed native memory for a struct of the given size; freed by the GC when unreachable.
     */
    public static Pointer allocate(final int sizeBytes)
    {
        return Memory.allocateDirect(runtime(), sizeBytes, true);
    }

    /**
     * @return the errno the last call on this thread left (saved by JNR right after the call).
     */
    public static int lastErrno()
    {
        return runtime().getLastError();
    }

    /**
     * @return the symbolic name of an errno the shim is likely to meet, e.g. {@code EPERM}, else {@code "errno N"}.
     */
    public static String errnoName(final int errno)
    {
        return LinuxConstants.errnoName(errno);
    }

    /**
     * @return strerror's text for an errno.
     */
    public static String strerror(final int errno)
    {
        if (!isAvailable())
        {
            return errnoName(errno);
        }
        final String text = Holder.LIB.strerror(errno);
        return text == null ? errnoName(errno) : text;
    }

    private static NativeIoException failure(final String call)
    {
        final int errno = lastErrno();
        return new NativeIoException(call, errno, strerror(errno));
    }

    /**
     * {@code socket(2)}; {@code what} names the purpose for the error message.
     */
    public static int socket(final int domain, final int type, final int protocol, final String what)
        throws NativeIoException
    {
        final int fd = lib().socket(domain, type, protocol);
        if (fd < 0)
        {
            throw failure("socket(" + what + ")");
        }
        return fd;
    }

    /**
     * {@code ioctl(2)} with a pointer argument; {@code what} names the request and the interface.
     */
    public static int ioctl(final int fd, final long request, final Pointer arg, final String what)
        throws NativeIoException
    {
        final int rc = lib().ioctl(fd, request, arg);
        if (rc < 0)
        {
            throw failure("ioctl(" + what + ")");
        }
        return rc;
    }

    /**
     * Like {@link #ioctl(int, long, Pointer, String)} but returns {@code -errno} instead of throwing, for callers
     * that treat some errnos (EOPNOTSUPP) as an answer rather than a failure.
     */
    public static int ioctlOrErrno(final int fd, final long request, final Pointer arg)
    {
        final int rc = lib().ioctl(fd, request, arg);
        return rc < 0 ? -lastErrno() : rc;
    }

    /**
     * {@code setsockopt(2)}; {@code what} names the option.
     */
    public static void setsockopt(
        final int fd, final int level, final int optName, final Pointer optVal, final int optLen, final String what)
        throws NativeIoException
    {
        if (lib().setsockopt(fd, level, optName, optVal, optLen) < 0)
        {
            throw failure("setsockopt(" + what + ")");
        }
    }

    /**
     * {@code close(2)}; EINTR is not retried (Linux releases the descriptor even then).
     */
    public static void close(final int fd, final String what) throws NativeIoException
    {
        if (lib().close(fd) < 0)
        {
            throw failure("close(" + what + ")");
        }
    }

    /**
     * {@code if_nametoindex(3)}; fails with ENODEV when the interface does not exist in this thread's namespace.
     */
    public static int ifNameToIndex(final String ifName) throws NativeIoException
    {
        final int index = lib().if_nametoindex(ifName);
        if (index == 0)
        {
            throw failure("if_nametoindex(" + ifName + ")");
        }
        return index;
    }

    /**
     * {@code setns(2)} of the calling thread; {@code what} names the namespace.
     */
    public static void setns(final int fd, final int nsType, final String what) throws NativeIoException
    {
        if (lib().setns(fd, nsType) < 0)
        {
            throw failure("setns(" + what + ")");
        }
    }

    /**
     * {@code open(2)} without O_CREAT (so no mode argument is passed).
     */
    public static int open(final String path, final int flags) throws NativeIoException
    {
        final int fd = lib().open(path, flags);
        if (fd < 0)
        {
            throw failure("open(" + path + ")");
        }
        return fd;
    }

    /**
     * {@code geteuid(2)}; cannot fail.
     */
    public static int geteuid()
    {
        return lib().geteuid();
    }

    static long send(final int fd, final Pointer buf, final long lengthBytes, final String what)
        throws NativeIoException
    {
        final long n = lib().send(fd, buf, lengthBytes, 0);
        if (n < 0)
        {
            throw failure("send(" + what + ")");
        }
        return n;
    }

    static long recv(final int fd, final Pointer buf, final long lengthBytes, final String what)
        throws NativeIoException
    {
        final long n = lib().recv(fd, buf, lengthBytes, 0);
        if (n < 0)
        {
            throw failure("recv(" + what + ")");
        }
        return n;
    }

    /**
     * {@code bind(2)} with a prepared socket address; {@code what} names the socket and the address.
     */
    public static void bind(final int fd, final Pointer addr, final int addrLen, final String what)
        throws NativeIoException
    {
        if (lib().bind(fd, addr, addrLen) < 0)
        {
            throw failure("bind(" + what + ")");
        }
    }

    /**
     * {@code getsockopt(2)} into {@code optVal} of {@code optLen} bytes.
     *
     * @return the length the kernel wrote.
     */
    public static int getsockopt(
        final int fd, final int level, final int optName, final Pointer optVal, final int optLen, final String what)
        throws NativeIoException
    {
        final Pointer len = allocate(Integer.BYTES);
        len.putInt(0, optLen);
        if (lib().getsockopt(fd, level, optName, optVal, len) < 0)
        {
            throw failure("getsockopt(" + what + ")");
        }
        return len.getInt(0);
    }

    /**
     * {@code send(2)} of raw memory to the socket's bound destination: the data path, so no exception.
     *
     * @return bytes sent, or {@code -errno} (EAGAIN/ENOBUFS when the device queue is full).
     */
    public static long sendOrErrno(final int fd, final long address, final long lengthBytes, final int flags)
    {
        final long n = lib().send(fd, address, lengthBytes, flags);
        return n < 0 ? -lastErrno() : n;
    }

    /**
     * Like {@link #getsockopt(int, int, int, Pointer, int, String)} with a caller-owned {@code socklen_t}, so that a
     * periodic read (packet statistics) allocates nothing.
     */
    public static void getsockopt(final int fd, final int level, final int optName, final Pointer optVal,
        final Pointer optLen, final int optLenBytes, final String what) throws NativeIoException
    {
        optLen.putInt(0, optLenBytes);
        if (lib().getsockopt(fd, level, optName, optVal, optLen) < 0)
        {
            throw failure("getsockopt(" + what + ")");
        }
    }

    /**
     * {@code sendmmsg(2)} of {@code count} prepared {@code struct mmsghdr} at {@code msgvecAddress}: the data path, so
     * no exception.
     *
     * @return messages the kernel took (from the first, possibly fewer than {@code count}), or {@code -errno} when
     *         it took none.
     */
    static int sendmmsgOrErrno(final int fd, final long msgvecAddress, final int count, final int flags)
    {
        final int n = lib().sendmmsg(fd, msgvecAddress, count, flags);
        return n < 0 ? -lastErrno() : n;
    }

    /**
     * An anonymous private read-write mapping (zero-filled): native memory whose lifetime is this process's to
     * decide, released only by {@link #munmap}.
     *
     * @return the address of the mapping.
     */
    public static long mmapAnonymous(final long lengthBytes, final String what) throws NativeIoException
    {
        return mmap(lengthBytes, LinuxConstants.PROT_READ | LinuxConstants.PROT_WRITE,
            LinuxConstants.MAP_PRIVATE | LinuxConstants.MAP_ANONYMOUS, -1, what);
    }

    /**
     * {@code mmap(2)} of a descriptor (a packet ring) at offset 0.
     *
     * @return the address of the mapping.
     */
    static long mmap(final long lengthBytes, final int prot, final int flags, final int fd, final String what)
        throws NativeIoException
    {
        final Pointer mapping = lib().mmap(null, lengthBytes, prot, flags, fd, 0L);
        final long address = mapping == null ? 0 : mapping.address();
        if (address == MAP_FAILED || address == 0)
        {
            throw failure("mmap(" + what + ")");
        }
        return address;
    }

    /**
     * {@code mmap(2)} of a descriptor, shared and read-write, at a byte offset (the AF_XDP rings live at fixed
     * page offsets of their socket).
     *
     * @return the address of the mapping.
     */
    public static long mmapShared(final long lengthBytes, final int fd, final long offsetBytes, final String what)
        throws NativeIoException
    {
        final Pointer mapping = lib().mmap(null, lengthBytes, LinuxConstants.PROT_READ | LinuxConstants.PROT_WRITE,
            LinuxConstants.MAP_SHARED, fd, offsetBytes);
        final long address = mapping == null ? 0 : mapping.address();
        if (address == MAP_FAILED || address == 0)
        {
            throw failure("mmap(" + what + ")");
        }
        return address;
    }

    /**
     * {@code recv(2)} into raw memory: the data path, so no exception.
     *
     * @return bytes received, or {@code -errno}.
     */
    public static long recvOrErrno(final int fd, final long address, final long lengthBytes, final int flags)
    {
        final long n = lib().recv(fd, address, lengthBytes, flags);
        return n < 0 ? -lastErrno() : n;
    }

    /**
     * {@code munmap(2)}.
     */
    public static void munmap(final long address, final long lengthBytes, final String what) throws NativeIoException
    {
        if (lib().munmap(address, lengthBytes) < 0)
        {
            throw failure("munmap(" + what + ")");
        }
    }

    /**
     * {@code sched_setaffinity(2)} with a {@code cpu_set_t} of {@code mask.length} bytes. Returns {@code -errno}
     * instead of throwing so that {@link CpuAffinity} can name the allowed set in its message, read only after a
     * failure.
     *
     * @return 0, or {@code -errno} when the kernel refused the set.
     */
    static int schedSetaffinityOrErrno(final int pid, final byte[] mask)
    {
        return lib().sched_setaffinity(pid, mask.length, mask) != 0 ? -lastErrno() : 0;
    }

    /**
     * {@code sched_getaffinity(2)} into a {@code cpu_set_t} of {@code mask.length} bytes.
     */
    static void schedGetaffinity(final int pid, final byte[] mask) throws NativeIoException
    {
        if (lib().sched_getaffinity(pid, mask.length, mask) != 0)
        {
            throw failure("sched_getaffinity");
        }
    }
}
