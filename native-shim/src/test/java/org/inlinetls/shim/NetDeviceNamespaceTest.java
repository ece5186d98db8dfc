package org.inlinetls.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.EnumSet;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Root-only: each test builds its own namespace with a veth pair, enters it on the test thread, and deletes it
 * afterwards whatever happened. Skipped (not failed) only when not root.
 */
@SuppressWarnings("try") // namespace handles are held for their scope, not referenced
class NetDeviceNamespaceTest
{
    private NetnsLab lab;
    private String hostNamespace;
    /** A thread started before any test enters a namespace, so it stays in the host's. */
    private ExecutorService startedBefore;

    @BeforeEach
    void createLab() throws IOException
    {
        startedBefore = Executors.newSingleThreadExecutor();
        try
        {
            startedBefore.submit(() -> { }).get(); // the executor starts its thread on the first task: start it here
        }
        catch (final InterruptedException | java.util.concurrent.ExecutionException ex)
        {
            throw new IllegalStateException(ex);
        }
        assumeTrue(NativeShim.isAvailable() && Privileges.isRoot(), "needs root on Linux");
        assertTrue(NetnsLab.toolsPresent(), "root tests need iproute2 and ethtool installed");
        hostNamespace = NetNamespace.currentId();
        lab = NetnsLab.create();
    }

    @AfterEach
    void deleteLab() throws IOException
    {
        startedBefore.shutdownNow();
        if (lab != null)
        {
            lab.close();
        }
        if (hostNamespace != null)
        {
            assertEquals(hostNamespace, NetNamespace.currentId(), "test thread must be back in its namespace");
        }
    }

    @Test
    void shouldMoveOnlyTheCallingThreadAndComeBack() throws Exception
    {
        try (NetNamespace.Entered entered = NetNamespace.enter(lab.name))
        {
            assertEquals(lab.name, entered.name());
            assertNotEquals(hostNamespace, NetNamespace.currentId());

            assertEquals(hostNamespace, startedBefore.submit(NetNamespace::currentId).get(10, TimeUnit.SECONDS));

            final CompletableFuture<String> bornInside = new CompletableFuture<>();
            final Thread child = new Thread(() -> bornInside.complete(currentIdUnchecked()));
            child.start();
            assertEquals(NetNamespace.currentId(), bornInside.get(10, TimeUnit.SECONDS), "threads inherit it");
        }
        assertEquals(hostNamespace, NetNamespace.currentId());
    }

    @Test
    void shouldRefuseToLeaveFromAnotherThread() throws Exception
    {
        try (NetNamespace.Entered entered = NetNamespace.enter(lab.name))
        {
            final CompletableFuture<Throwable> failure = new CompletableFuture<>();
            startedBefore.execute(() ->
            {
                try
                {
                    entered.close();
                    failure.complete(null);
                }
                catch (final Throwable t)
                {
                    failure.complete(t);
                }
            });
            assertTrue(failure.get(10, TimeUnit.SECONDS) instanceof IllegalStateException);
        }
    }

    private static String currentIdUnchecked()
    {
        try
        {
            return NetNamespace.currentId();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    @Test
    void shouldTakePromiscuousMembershipAndDropItOnClose() throws IOException
    {
        try (NetNamespace.Entered ignored = NetNamespace.enter(lab.name); NetDevice device = NetDevice.open("a"))
        {
            assertEquals(0, device.promiscuity());
            assertFalse(device.isPromiscuous());

            device.enablePromiscuous();
            device.enablePromiscuous(); // idempotent: still one membership

            assertTrue(device.holdsPromiscuousMembership());
            assertEquals(1, device.promiscuity());
            assertEquals(1, lab.promiscuity("a"));
            assertTrue(device.isPromiscuous());
            // a membership is invisible to SIOCGIFFLAGS / `ip link`, visible in sysfs' real device flags
            assertFalse(device.isPromiscFlagSet());
            assertFalse(lab.exec(NetnsLab.IP, "link", "show", "dev", "a").contains("PROMISC"));
            assertEquals(LinuxConstants.IFF_PROMISC, lab.sysfsFlags("a") & LinuxConstants.IFF_PROMISC);
        }
        assertEquals(0, lab.promiscuity("a"));
    }

    @Test
    void shouldDisableOffloadsAndRestoreThem() throws IOException
    {
        lab.exec(NetnsLab.ETHTOOL, "-K", "a", "gro", "on"); // veth starts with GRO off; give it something to change
        final Map<Offload, Boolean> original = lab.ethtoolOffloads("a");
        assertTrue(original.get(Offload.GRO));

        try (NetNamespace.Entered ignored = NetNamespace.enter(lab.name); NetDevice device = NetDevice.open("a"))
        {
            assertTrue(device.usesNamedFeatures());
            assertEquals(original, device.offloads());

            final OffloadReport report = device.disableOffloads(EnumSet.allOf(Offload.class));

            assertTrue(report.allApplied(), report.toString());
            assertEquals(Offload.values().length, report.entries().size());
            for (final OffloadReport.Entry e : report.entries())
            {
                assertEquals(original.get(e.offload()) ? OffloadReport.Outcome.CHANGED : OffloadReport.Outcome.UNCHANGED,
                    e.outcome(), e.toString());
            }
            final Map<Offload, Boolean> off = lab.ethtoolOffloads("a");
            assertTrue(off.values().stream().noneMatch(on -> on), "ethtool -k after disabling: " + off);
            assertEquals(off, device.offloads());

            final OffloadReport restored = device.restore();

            assertTrue(restored.allApplied(), restored.toString());
            assertEquals(original, lab.ethtoolOffloads("a"));
            assertTrue(device.restore().entries().isEmpty(), "nothing left to restore");

            device.disableOffloads(EnumSet.of(Offload.GRO, Offload.TSO));
            assertFalse(lab.ethtoolOffloads("a").get(Offload.GRO));
        }
        assertEquals(original, lab.ethtoolOffloads("a"), "close() restores");
    }

    @Test
    void shouldReportAnOffloadTheDriverCannotChangeAndStillChangeTheOthers() throws IOException
    {
        // the namespace's own loopback: its TX checksumming is fixed on, its GRO can change
        try (NetNamespace.Entered ignored = NetNamespace.enter(lab.name); NetDevice lo = NetDevice.open("lo"))
        {
            final OffloadReport report = lo.disableOffloads(EnumSet.of(Offload.GRO, Offload.TX_CHECKSUM));

            assertFalse(report.allApplied());
            assertEquals(EnumSet.of(Offload.TX_CHECKSUM), report.notApplied());
            final OffloadReport.Entry csum = report.entries().get(1);
            assertEquals(OffloadReport.Outcome.NOT_SUPPORTED, csum.outcome());
            assertTrue(csum.detail().contains("tx-checksum-ip-generic [fixed]"), csum.detail());
            assertEquals(OffloadReport.Outcome.CHANGED, report.entries().get(0).outcome());
            assertFalse(lab.ethtoolOffloads("lo").get(Offload.GRO));
        }
        assertTrue(lab.ethtoolOffloads("lo").get(Offload.GRO), "close() restores");
    }

    @Test
    void shouldFallBackToLegacyCommandsWhichMissNewerTsoFeatures() throws IOException
    {
        lab.exec(NetnsLab.ETHTOOL, "-K", "a", "gro", "on");
        final Map<Offload, Boolean> original = lab.ethtoolOffloads("a");
        try (NetNamespace.Entered ignored = NetNamespace.enter(lab.name); NetDevice device = NetDevice.open("a", false))
        {
            assertFalse(device.usesNamedFeatures());
            final OffloadReport report = device.disableOffloads(EnumSet.allOf(Offload.class));

            assertTrue(report.allApplied(), report.toString());
            assertTrue(device.offloads().values().stream().noneMatch(on -> on));
            final String k = lab.exec(NetnsLab.ETHTOOL, "-k", "a");
            for (final String feature : new String[] {"generic-receive-offload", "generic-segmentation-offload",
                "\ttx-tcp-segmentation", "\ttx-tcp6-segmentation", "\ttx-checksum-ip-generic"})
            {
                assertTrue(k.contains(feature + ": off"), feature + " in\n" + k);
            }
            // the legacy TSO mask stops at tx-tcp6-segmentation; Linux 6.18 added tx-tcp-accecn-segmentation
            assertEquals(original.get(Offload.GRO), device.restore().entries().stream()
                .anyMatch(e -> e.offload() == Offload.GRO && e.outcome() == OffloadReport.Outcome.CHANGED));
        }
        assertEquals(original, lab.ethtoolOffloads("a"), "close() restores");
    }

    @Test
    void shouldKeepActingOnItsNamespaceAfterTheThreadLeaves() throws IOException
    {
        final NetDevice device;
        try (NetNamespace.Entered ignored = NetNamespace.enter(lab.name))
        {
            device = NetDevice.open("b");
        }
        try (device)
        {
            assertEquals(lab.ethtoolOffloads("b"), device.offloads());
            assertEquals(0, device.promiscuity());
            final IllegalStateException ex = assertThrows(IllegalStateException.class, device::enablePromiscuous);
            assertTrue(ex.getMessage().contains("call from a thread in that namespace"), ex.getMessage());
        }
    }

    @Test
    void shouldNameAMissingInterface() throws IOException
    {
        try (NetNamespace.Entered ignored = NetNamespace.enter(lab.name))
        {
            final IOException ex = assertThrows(IOException.class, () -> NetDevice.open("itls-nope0"));
            assertTrue(ex.getMessage().startsWith("no network interface 'itls-nope0' in network namespace net:["),
                ex.getMessage());
            assertTrue(ex.getCause() instanceof NativeIoException);
            assertEquals(LinuxConstants.ENODEV, ((NativeIoException)ex.getCause()).errno());
        }
    }

    @Test
    void shouldNameAMissingNamespace() throws IOException
    {
        final IOException ex = assertThrows(IOException.class, () -> NetNamespace.enter(lab.name + "-missing"));
        assertTrue(ex.getMessage().contains("ip netns add " + lab.name + "-missing"), ex.getMessage());
        assertEquals(hostNamespace, NetNamespace.currentId());
    }
}
