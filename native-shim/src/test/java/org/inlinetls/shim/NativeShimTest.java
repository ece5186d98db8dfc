package org.inlinetls.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

class NativeShimTest
{
    @Test
    void shouldAcceptOnlyLinuxOnX86AndArm64()
    {
        assertNull(NativeShim.platformCause("Linux", "amd64"));
        assertNull(NativeShim.platformCause("Linux", "aarch64"));
        assertTrue(NativeShim.platformCause("Mac OS X", "aarch64").getMessage().contains("needs Linux"));
        assertTrue(NativeShim.platformCause("Linux", "s390x").getMessage().contains("s390x"));
    }

    @Test
    void shouldBeAvailableOnLinux()
    {
        assumeTrue(System.getProperty("os.name").startsWith("Linux"));
        assertNull(NativeShim.unavailabilityCause(), () -> String.valueOf(NativeShim.unavailabilityCause()));
        NativeShim.ensureAvailability();
        assertTrue(NativeShim.describe().startsWith("native-shim: available"), NativeShim.describe());
    }

    @Test
    void shouldNameTheCallAndErrnoOfAFailure()
    {
        assumeTrue(NativeShim.isAvailable());
        final NativeIoException ex = assertThrows(NativeIoException.class, () -> LibC.close(-1, "nothing"));
        assertEquals(9, ex.errno());
        assertEquals("close(nothing)", ex.call());
        assertEquals("close(nothing) failed: EBADF (Bad file descriptor, errno 9)", ex.getMessage());
    }

    @Test
    void shouldRejectNamesThatCannotBeInterfaces()
    {
        assertThrows(IllegalArgumentException.class, () -> NetDevice.open("this-name-is-too-long"));
        assertThrows(IllegalArgumentException.class, () -> NetDevice.open("a/b"));
        assertThrows(IllegalArgumentException.class, () -> NetDevice.open(""));
        assertThrows(IllegalArgumentException.class, () -> NetNamespace.enter("../etc"));
    }
}
