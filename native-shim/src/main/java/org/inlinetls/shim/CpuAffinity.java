package org.inlinetls.shim;

import java.util.BitSet;

/**
 * Pins threads to CPUs with glibc's {@code sched_setaffinity(2)} and reads the allowed set with
 * {@code sched_getaffinity(2)}, so the dedicated threading mode can give the I/O thread and each worker a core.
 *
 * <p>Both calls act on the calling thread (pid 0 means "this thread" for these calls on Linux). The CPU set is
 * glibc's {@code cpu_set_t}: a {@value #CPU_SET_SIZE_BYTES}-byte bitmask of {@value #MAX_CPUS} CPUs, CPU {@code n}
 * in bit {@code n % 8} of byte {@code n / 8} (sched.h {@code __CPU_SETSIZE} = 1024). The calls are bound in
 * {@link LibC}; the first use probes them once and never throws from class initialisation: {@link #isAvailable()}
 * and {@link #unavailabilityCause()} say whether they work here; the fallback is to run unpinned (or under
 * {@code taskset}).
 */
public final class CpuAffinity
{
    /** Bytes of glibc's {@code cpu_set_t} (sched.h: {@code __CPU_SETSIZE / 8}). */
    public static final int CPU_SET_SIZE_BYTES = 128;
    /** CPUs a {@code cpu_set_t} can name. */
    public static final int MAX_CPUS = CPU_SET_SIZE_BYTES * Byte.SIZE;

    /** {@code pid} argument meaning the calling thread. */
    private static final int CALLING_THREAD = 0;

    private static final class Probe
    {
        static final Throwable CAUSE = probe();

        /** Proves the calls really link and work, not only that libc was bound. */
        private static Throwable probe()
        {
            if (!LibC.isAvailable())
            {
                return LibC.unavailabilityCause();
            }
            try
            {
                LibC.schedGetaffinity(CALLING_THREAD, new byte[CPU_SET_SIZE_BYTES]);
                return null;
            }
            catch (final Throwable t)
            {
                return t;
            }
        }
    }

    private CpuAffinity()
    {
    }

    /**
     * @return true when the affinity calls were bound.
     */
    public static boolean isAvailable()
    {
        return Probe.CAUSE == null;
    }

    /**
     * @return why the affinity calls could not be bound, or null when {@link #isAvailable()}.
     */
    public static Throwable unavailabilityCause()
    {
        return Probe.CAUSE;
    }

    /**
     * Pins the calling thread to one CPU.
     *
     * @throws NativeIoException when the kernel refuses, e.g. EINVAL for a CPU outside the allowed set (cgroup
     *                           cpuset, taskset) or not online.
     */
    public static void pinCurrentThread(final int cpu) throws NativeIoException
    {
        final BitSet cpus = new BitSet();
        cpus.set(checkCpu(cpu));
        pinCurrentThread(cpus);
    }

    /**
     * Restricts the calling thread to a set of CPUs.
     *
     * @param cpus CPU numbers, each below {@link #MAX_CPUS}; not empty.
     * @throws NativeIoException when the kernel refuses the set.
     */
    public static void pinCurrentThread(final BitSet cpus) throws NativeIoException
    {
        if (cpus.isEmpty())
        {
            throw new IllegalArgumentException("empty CPU set: a thread needs at least one CPU");
        }
        checkCpu(cpus.length() - 1);
        checkAvailable();
        final int rc = LibC.schedSetaffinityOrErrno(CALLING_THREAD, toMask(cpus));
        if (rc < 0)
        {
            final int errno = -rc;
            throw new NativeIoException(
                "sched_setaffinity(cpus " + describe(cpus) + "; allowed " + describeAllowed() + ")",
                errno, LibC.strerror(errno));
        }
    }

    /**
     * @return the CPUs the calling thread may run on now.
     * @throws NativeIoException when the kernel refuses the query.
     */
    public static BitSet allowedCpus() throws NativeIoException
    {
        checkAvailable();
        final byte[] mask = new byte[CPU_SET_SIZE_BYTES];
        LibC.schedGetaffinity(CALLING_THREAD, mask);
        return BitSet.valueOf(mask);
    }

    /**
     * @return a CPU set in the kernel's list format, e.g. {@code 0-3,8}.
     */
    public static String describe(final BitSet cpus)
    {
        final StringBuilder text = new StringBuilder();
        int start = cpus.nextSetBit(0);
        while (start >= 0)
        {
            final int end = cpus.nextClearBit(start) - 1;
            if (text.length() > 0)
            {
                text.append(',');
            }
            text.append(start);
            if (end > start)
            {
                text.append('-').append(end);
            }
            start = cpus.nextSetBit(end + 1);
        }
        return text.toString();
    }

    /** The {@code cpu_set_t} bytes of a set; little-endian bit order within each byte, as glibc's CPU_SET. */
    static byte[] toMask(final BitSet cpus)
    {
        final byte[] mask = new byte[CPU_SET_SIZE_BYTES];
        final byte[] bits = cpus.toByteArray();
        System.arraycopy(bits, 0, mask, 0, Math.min(bits.length, CPU_SET_SIZE_BYTES));
        return mask;
    }

    private static int checkCpu(final int cpu)
    {
        if (cpu < 0 || cpu >= MAX_CPUS)
        {
            throw new IllegalArgumentException("CPU " + cpu + " is outside 0.." + (MAX_CPUS - 1));
        }
        return cpu;
    }

    private static String describeAllowed()
    {
        try
        {
            return describe(allowedCpus());
        }
        catch (final NativeIoException ex)
        {
            return "unknown";
        }
    }

    private static void checkAvailable()
    {
        if (Probe.CAUSE != null)
        {
            throw new IllegalStateException("sched_setaffinity is not available through JNR-FFI", Probe.CAUSE);
        }
    }
}
