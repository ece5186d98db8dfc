package org.inlinetls.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;

import org.junit.jupiter.api.Test;

class PrivilegesTest
{
    /** Trimmed /proc/self/status of a non-root service granted CAP_NET_RAW only (bit 13 = 0x2000). */
    private static final String STATUS = """
        Name:\tjava
        Umask:\t0022
        State:\tS (sleeping)
        Uid:\t998\t999\t998\t998
        Gid:\t998\t998\t998\t998
        CapInh:\t0000000000000000
        CapPrm:\t0000000000002000
        CapEff:\t0000000000002000
        CapBnd:\t000001ffffffffff
        CapAmb:\t0000000000002000
        NoNewPrivs:\t0
        """;

    @Test
    void shouldParseTheEffectiveCapabilityMask()
    {
        final long mask = Privileges.parseCapabilityMask(STATUS, "CapEff");
        assertEquals(0x2000L, mask);
        assertTrue(Privileges.hasCapability(mask, Capability.NET_RAW));
        assertFalse(Privileges.hasCapability(mask, Capability.NET_ADMIN));
        assertEquals(0x1ffffffffffL, Privileges.parseCapabilityMask(STATUS, "CapBnd"));
    }

    @Test
    void shouldParseTheEffectiveUid()
    {
        assertEquals(999, Privileges.parseEffectiveUid(STATUS));
    }

    @Test
    void shouldRejectStatusWithoutTheField()
    {
        assertThrows(IllegalArgumentException.class, () -> Privileges.parseCapabilityMask("Name:\tx\n", "CapEff"));
        assertThrows(IllegalArgumentException.class, () -> Privileges.parseCapabilityMask("CapEff:\tzz\n", "CapEff"));
    }

    @Test
    void shouldTellTheOperatorHowToGrantWhatIsMissing()
    {
        final String message = Privileges.message("put eth1 in promiscuous mode",
            EnumSet.of(Capability.NET_ADMIN, Capability.NET_RAW), EnumSet.of(Capability.NET_ADMIN));
        assertEquals("need CAP_NET_ADMIN and CAP_NET_RAW to put eth1 in promiscuous mode: run as root or grant the "
            + "capabilities (setcap 'cap_net_admin,cap_net_raw+ep' on the java binary, or systemd "
            + "AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW); missing: CAP_NET_ADMIN", message);
    }

    @Test
    void shouldReadThisProcessWithoutFailing() throws InsufficientPrivilegesException
    {
        final boolean admin = Privileges.hasCapability(Capability.NET_ADMIN);
        final boolean raw = Privileges.hasCapability(Capability.NET_RAW);
        if (admin && raw)
        {
            Privileges.requireNetAdmin("test");
        }
        else
        {
            final InsufficientPrivilegesException ex =
                assertThrows(InsufficientPrivilegesException.class, () -> Privileges.requireNetAdmin("test"));
            assertFalse(ex.missing().isEmpty());
        }
        assertEquals(Privileges.isRoot(), LibC.geteuid() == 0);
    }
}
