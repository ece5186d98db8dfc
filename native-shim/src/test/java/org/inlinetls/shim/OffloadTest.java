package org.inlinetls.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class OffloadTest
{
    @Test
    void shouldCarryTheEthtoolCommandCodes()
    {
        assertEquals(0x2b, Offload.GRO.getCommand());
        assertEquals(0x2c, Offload.GRO.setCommand());
        assertEquals(0x23, Offload.GSO.getCommand());
        assertEquals(0x24, Offload.GSO.setCommand());
        assertEquals(0x1e, Offload.TSO.getCommand());
        assertEquals(0x1f, Offload.TSO.setCommand());
        assertEquals(0x25, Offload.LRO.getCommand());
        assertEquals(0x26, Offload.LRO.setCommand());
        assertEquals(0x16, Offload.TX_CHECKSUM.getCommand());
        assertEquals(0x17, Offload.TX_CHECKSUM.setCommand());
    }

    @Test
    void shouldReadAndWriteLroAsOneBitOfTheFlagsWord()
    {
        final int lro = 1 << 15;
        final int rxhash = 1 << 28;
        assertTrue(Offload.LRO.isOn(lro | rxhash));
        assertFalse(Offload.LRO.isOn(rxhash));
        assertEquals(rxhash, Offload.LRO.withState(lro | rxhash, false));
        assertEquals(lro | rxhash, Offload.LRO.withState(rxhash, true));
    }

    @Test
    void shouldWriteOtherOffloadsAsZeroOrOne()
    {
        assertEquals(0, Offload.GRO.withState(1, false));
        assertEquals(1, Offload.TSO.withState(0, true));
        assertTrue(Offload.TX_CHECKSUM.isOn(1));
    }

    @Test
    void shouldGroupKernelFeatureNamesLikeEthtool()
    {
        assertTrue(Offload.GRO.ownsFeature("rx-gro"));
        assertFalse(Offload.GRO.ownsFeature("rx-gro-hw"));
        assertTrue(Offload.LRO.ownsFeature("rx-lro"));
        assertTrue(Offload.GSO.ownsFeature("tx-generic-segmentation"));
        for (final String tso : List.of("tx-tcp-segmentation", "tx-tcp-ecn-segmentation",
            "tx-tcp-mangleid-segmentation", "tx-tcp6-segmentation", "tx-tcp-accecn-segmentation"))
        {
            assertTrue(Offload.TSO.ownsFeature(tso), tso);
        }
        assertFalse(Offload.TSO.ownsFeature("tx-udp-segmentation"));
        assertTrue(Offload.TX_CHECKSUM.ownsFeature("tx-checksum-ip-generic"));
        assertFalse(Offload.TX_CHECKSUM.ownsFeature("rx-checksum"));
    }

    @Test
    void shouldReportWhatWasNotApplied()
    {
        final OffloadReport report = new OffloadReport("veth0", List.of(
            new OffloadReport.Entry(Offload.GRO, false, true, false, OffloadReport.Outcome.CHANGED, ""),
            new OffloadReport.Entry(Offload.LRO, false, true, true, OffloadReport.Outcome.NOT_SUPPORTED, "fixed")));
        assertFalse(report.allApplied());
        assertEquals(java.util.Set.of(Offload.LRO), report.notApplied());
        assertEquals("veth0: [GRO=CHANGED, LRO=NOT_SUPPORTED (fixed)]", report.toString());
    }
}
