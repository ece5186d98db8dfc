package org.inlinetls.appliance.daemon;

import java.util.BitSet;
import java.util.concurrent.ThreadFactory;

import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.shim.CpuAffinity;
import org.inlinetls.shim.NativeIoException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes an agent's thread: the thread pins itself to its configured CPU first thing, so not one duty cycle of the
 * agent runs elsewhere. Pinning that fails (no libc binding, the kernel refuses) is logged and the thread runs
 * unpinned.
 */
final class PinnedThreadFactory implements ThreadFactory
{
    private static final Logger LOG = LoggerFactory.getLogger(PinnedThreadFactory.class);

    private final String threadName;
    private final int cpu;

    /**
     * @param threadName e.g. {@code worker-1}; the daemon gives the agent the same role name, which
     *                   {@code AgentRunner.startOnThread} sets as the thread's name.
     * @param cpu        to pin to, or {@link ApplianceConfig.Cpus#UNPINNED}.
     */
    PinnedThreadFactory(final String threadName, final int cpu)
    {
        this.threadName = threadName;
        this.cpu = cpu;
    }

    @Override
    public Thread newThread(final Runnable agentRunner)
    {
        return new Thread(() ->
        {
            pin();
            agentRunner.run();
        }, threadName);
    }

    String threadName()
    {
        return threadName;
    }

    private void pin()
    {
        if (cpu == ApplianceConfig.Cpus.UNPINNED)
        {
            return;
        }
        if (!CpuAffinity.isAvailable())
        {
            LOG.warn("{} runs unpinned: CPU pinning unavailable: {}", threadName, CpuAffinity.unavailabilityCause());
            return;
        }
        try
        {
            CpuAffinity.pinCurrentThread(cpu);
            LOG.info("{} pinned to CPU {}", threadName, cpu);
        }
        catch (final NativeIoException | RuntimeException ex)
        {
            LOG.warn("{} runs unpinned: pinning to CPU {} failed: {}", threadName, cpu, ex.getMessage());
        }
    }

    /**
     * Fails start-up when a configured CPU is outside the process's allowed set (taskset, cgroup cpuset, offline);
     * when pinning is unavailable here, says so once and lets the threads run unpinned.
     *
     * @throws IllegalStateException naming the CPU and the allowed set.
     */
    static void checkAllowed(final ApplianceConfig.Cpus cpus)
    {
        if (cpus.isEmpty())
        {
            return;
        }
        if (!CpuAffinity.isAvailable())
        {
            LOG.warn("threading.cpus is set but CPU pinning is unavailable here ({}); threads run unpinned",
                CpuAffinity.unavailabilityCause().toString());
            return;
        }
        final BitSet allowed;
        try
        {
            allowed = CpuAffinity.allowedCpus();
        }
        catch (final NativeIoException ex)
        {
            LOG.warn("threading.cpus not checked: {}", ex.getMessage());
            return;
        }
        check("dispatcher", cpus.dispatcher(), allowed);
        check("conductor", cpus.conductor(), allowed);
        for (int i = 0; i < cpus.workers().size(); i++)
        {
            check("workers[" + i + "]", cpus.workers().get(i), allowed);
        }
    }

    private static void check(final String field, final int cpu, final BitSet allowed)
    {
        if (cpu != ApplianceConfig.Cpus.UNPINNED && !allowed.get(cpu))
        {
            throw new IllegalStateException("threading.cpus." + field + ": CPU " + cpu +
                " is not among the CPUs this process may run on (" + CpuAffinity.describe(allowed) +
                "; see taskset, the cgroup cpuset and /sys/devices/system/cpu/online)");
        }
    }
}
