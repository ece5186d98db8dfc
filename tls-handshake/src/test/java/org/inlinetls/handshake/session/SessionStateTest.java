package org.inlinetls.handshake.session;

import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The session state's encoding and the ticket keys' sealing, rotation and secrecy. */
class SessionStateTest
{
    private static final byte[] MASTER_SECRET = HexFormat.of().parseHex("00112233445566778899aabbccddeeff".repeat(3));

    @Test
    void shouldRoundTripTheEncodingWithoutShowingTheSecret()
    {
        final SessionState state = new SessionState(0x0303, 0xC02B, true, 1234L, MASTER_SECRET.clone(), "http/1.1",
            "ec.test", List.of(new byte[]{1, 2, 3}));
        final SessionState decoded = SessionState.decode(state.encode());
        assertArrayEquals(state.encode(), decoded.encode());
        assertEquals(0xC02B, decoded.cipherSuite());
        assertEquals("ec.test", decoded.serverName());
        assertEquals("http/1.1", decoded.applicationProtocol());
        assertTrue(decoded.extendedMasterSecret());
        assertTrue(decoded.hasPeerCertificate());
        assertFalse(decoded.toString().toLowerCase().contains("00112233"));
        assertThrows(IllegalArgumentException.class, () -> SessionState.decode(new byte[]{1, 3, 3}));
        final byte[] trailing = java.util.Arrays.copyOf(state.encode(), state.encode().length + 1);
        assertThrows(IllegalArgumentException.class, () -> SessionState.decode(trailing));
    }

    @Test
    void shouldOpenWithCurrentAndPreviousKeyOnly()
    {
        final AtomicLong clockMs = new AtomicLong(0);
        final TicketKeys keys = new TicketKeys(16, 1000, clockMs::get, new SecureRandom());
        final byte[] state = "state".getBytes();
        final byte[] ticket = keys.seal(state);
        assertEquals(TicketKeys.OVERHEAD + state.length, ticket.length);
        assertArrayEquals(state, keys.open(ticket));
        clockMs.set(1500);
        assertArrayEquals(state, keys.open(ticket), "previous key");
        final byte[] newer = keys.seal(state);
        assertFalse(java.util.Arrays.equals(java.util.Arrays.copyOf(ticket, 16), java.util.Arrays.copyOf(newer, 16)),
            "a new key name after rotation");
        clockMs.set(2500);
        assertNull(keys.open(ticket), "two rotations old");
        assertNotNull(keys.open(newer));
        clockMs.set(10_000);
        assertNull(keys.open(newer), "a long gap drops both keys");
        assertFalse(keys.toString().contains("secret="));
    }

    @Test
    void shouldRefuseAlteredOrForeignTickets()
    {
        final AtomicLong clockMs = new AtomicLong(0);
        final TicketKeys keys = new TicketKeys(32, 1000, clockMs::get, new SecureRandom());
        final TicketKeys other = new TicketKeys(32, 1000, clockMs::get, new SecureRandom());
        final byte[] ticket = keys.seal(new byte[40]);
        assertNull(other.open(ticket));
        for (final int at : new int[]{0, 16, 30, ticket.length - 1})
        {
            final byte[] altered = ticket.clone();
            altered[at] ^= 0x40;
            assertNull(keys.open(altered), "byte " + at);
        }
        assertNull(keys.open(new byte[10]));
        assertThrows(IllegalArgumentException.class, () -> new TicketKeys(24, 1000, clockMs::get, new SecureRandom()));
    }
}
