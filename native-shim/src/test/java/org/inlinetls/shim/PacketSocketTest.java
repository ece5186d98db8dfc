package org.inlinetls.shim;

import static org.inlinetls.shim.NetnsLab.isMapped;
import static org.inlinetls.shim.NetnsLab.openSockets;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;

import org.junit.jupiter.api.Test;

/**
 * The ring's geometry checks (pure) and, as root in a namespace of its own, opening and closing a ring on a veth.
 * Frame delivery is exercised end to end by packet-engine's RingPortTest.
 */
@SuppressWarnings("try") // namespace handles are held for their scope, not referenced
class PacketSocketTest
{
    @Test
    void shouldRejectARingTheKernelWouldRefuse()
    {
        assertThrows(IllegalArgumentException.class, () -> PacketSocket.Config.defaults().blockSize(3000).validate());
        assertThrows(IllegalArgumentException.class, () -> PacketSocket.Config.defaults().frameSize(2050).validate());
        assertThrows(IllegalArgumentException.class,
            () -> PacketSocket.Config.defaults().blockSize(1 << 30).blockCount(2).validate());
        assertThrows(IllegalArgumentException.class,
            () -> PacketSocket.Config.defaults().retireTimeoutMs(0).validate());
        assertThrows(IllegalArgumentException.class, () -> PacketSocket.Config.defaults().txSlots(31).validate());
        assertThrows(IllegalArgumentException.class,
            () -> PacketSocket.Config.defaults().txSlots(TxQueue.MAX_SLOTS + 1).validate());
        PacketSocket.Config.defaults().validate();
    }

    @Test
    void shouldOpenMapAndReleaseARing() throws IOException
    {
        NetnsLab.assumeRootWithTools();
        assertNull(PacketSocket.unavailabilityCause());
        try (NetnsLab lab = NetnsLab.create())
        {
            final long fdsBefore = openSockets();
            final PacketSocket socket =
                lab.openInside(() -> PacketSocket.open("a", PacketSocket.Config.defaults().blockCount(2)));
            assertEquals(fdsBefore + 1, openSockets());
            assertTrue(socket.isIgnoringOutgoing());
            assertEquals(2 << 20, socket.ringLength());
            assertEquals(1, lab.promiscuity("a"), "promiscuous membership held by the ring socket");
            final TxQueue tx = socket.txQueue();
            assertEquals(256, tx.capacity());
            assertEquals(PacketSocket.TX_SLOT_BYTES, tx.slotBytes());
            assertTrue(isMapped(socket.ringAddress()));
            assertTrue(isMapped(tx.slotsAddress()));
            // the peer's own IPv6 ND/MLD frames may already be there: only the walk itself is checked here
            assertTrue(socket.receive((offset, length, ts) -> assertTrue(length >= 14), 64) >= 0);

            socket.close();
            socket.close();

            assertFalse(socket.isOpen());
            assertFalse(tx.isOpen());
            assertFalse(isMapped(socket.ringAddress()), "RX ring unmapped");
            assertFalse(isMapped(tx.slotsAddress()), "TX arena unmapped");
            assertEquals(fdsBefore, openSockets());
            assertEquals(0, lab.promiscuity("a"));
            assertThrows(IllegalStateException.class, () -> socket.receive((offset, length, ts) -> { }, 1));
        }
    }

    @Test
    void shouldNameAMissingInterface() throws IOException
    {
        assumeTrue(NativeShim.isAvailable() && Privileges.isRoot(), "needs root on Linux");
        try (NetnsLab lab = NetnsLab.create(); NetNamespace.Entered ignored = NetNamespace.enter(lab.name))
        {
            final IOException ex = assertThrows(IOException.class,
                () -> PacketSocket.open("itls-nope0", PacketSocket.Config.defaults()));
            assertTrue(ex.getMessage().startsWith("no network interface 'itls-nope0' in network namespace net:["),
                ex.getMessage());
            assertEquals(LinuxConstants.ENODEV, ((NativeIoException)ex.getCause()).errno());
        }
    }
}
