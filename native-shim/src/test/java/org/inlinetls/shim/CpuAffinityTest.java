package org.inlinetls.shim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.BitSet;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

class CpuAffinityTest
{
    @Test
    void shouldLayOutTheMaskAsGlibcCpuSet()
    {
        final BitSet cpus = new BitSet();
        cpus.set(0);
        cpus.set(9);
        cpus.set(1023);
        final byte[] mask = CpuAffinity.toMask(cpus);
        assertEquals(CpuAffinity.CPU_SET_SIZE_BYTES, mask.length);
        final byte[] expected = new byte[CpuAffinity.CPU_SET_SIZE_BYTES];
        expected[0] = 0x01;
        expected[1] = 0x02;
        expected[127] = (byte)0x80;
        assertArrayEquals(expected, mask);
    }

    @Test
    void shouldDescribeSetsInTheKernelListFormat()
    {
        final BitSet cpus = new BitSet();
        cpus.set(0, 4);
        cpus.set(8);
        cpus.set(10, 12);
        assertEquals("0-3,8,10-11", CpuAffinity.describe(cpus));
    }

    @Test
    void shouldPinTheCallingThreadToCpuZeroAndReadItBack() throws Exception
    {
        assumeTrue(CpuAffinity.isAvailable(), () -> "affinity unavailable: " + CpuAffinity.unavailabilityCause());
        assumeTrue(CpuAffinity.allowedCpus().get(0), "CPU 0 is not in this process's allowed set");
        final AtomicReference<Object> result = new AtomicReference<>();
        // a thread of its own, so the test runner's thread keeps its affinity
        final Thread thread = new Thread(() ->
        {
            try
            {
                CpuAffinity.pinCurrentThread(0);
                result.set(CpuAffinity.allowedCpus());
            }
            catch (final Throwable t)
            {
                result.set(t);
            }
        }, "pin-test");
        thread.start();
        thread.join();
        final BitSet expected = new BitSet();
        expected.set(0);
        assertEquals(expected, result.get());
    }

    @Test
    void shouldExplainWhyACpuOutsideTheAllowedSetIsRefused() throws Exception
    {
        assumeTrue(CpuAffinity.isAvailable(), () -> "affinity unavailable: " + CpuAffinity.unavailabilityCause());
        final BitSet allowed = CpuAffinity.allowedCpus();
        final int notAllowed = CpuAffinity.MAX_CPUS - 1;
        assumeTrue(!allowed.get(notAllowed), "every CPU is allowed here");
        final Thread thread = Thread.currentThread();
        final NativeIoException ex =
            assertThrows(NativeIoException.class, () -> CpuAffinity.pinCurrentThread(notAllowed));
        assertEquals(22, ex.errno());
        assertTrue(ex.getMessage().startsWith("sched_setaffinity(cpus 1023; allowed " + CpuAffinity.describe(allowed)),
            ex.getMessage());
        assertTrue(ex.getMessage().contains("EINVAL"), ex.getMessage());
        assertEquals(allowed, CpuAffinity.allowedCpus(), "a refused call leaves the affinity of " + thread.getName());
    }

    @Test
    void shouldRejectCpuNumbersACpuSetCannotHold()
    {
        assertThrows(IllegalArgumentException.class, () -> CpuAffinity.pinCurrentThread(-1));
        assertThrows(IllegalArgumentException.class, () -> CpuAffinity.pinCurrentThread(CpuAffinity.MAX_CPUS));
        assertThrows(IllegalArgumentException.class, () -> CpuAffinity.pinCurrentThread(new BitSet()));
    }
}
