package org.inlinetls.seqdb;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.HexFormat;

import static org.inlinetls.seqdb.Direction.CLIENT_TO_SERVER;
import static org.inlinetls.seqdb.Direction.SERVER_TO_CLIENT;
import static org.junit.jupiter.api.Assertions.*;

class FlowEntryTest
{
    private static final int OFFSET = 24;

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[OFFSET + 40_000]);
    private final FlowEntry entry = new FlowEntry(32, 128).wrap(buffer, OFFSET);

    @Test
    void shouldStateThePerFlowBudget()
    {
        // AEAD checkpoints carry a small record held whole (RecordCheckpoint.LENGTH, 304 bytes): 320-byte slots
        assertEquals(304, JournalConfig.AEAD_CHECKPOINT_LENGTH);
        assertEquals(320, FlowEntryLayout.slotLength(JournalConfig.AEAD_CHECKPOINT_LENGTH));
        assertEquals(20_864, FlowEntryLayout.entryLength(32, JournalConfig.AEAD_CHECKPOINT_LENGTH));
        assertEquals(20_864, new JournalConfig().entryLength());
        assertEquals(9_600, FlowEntryLayout.entryLength(32, 128));
        assertEquals(37_248, FlowEntryLayout.entryLength(32, JournalConfig.CBC_CHECKPOINT_LENGTH));
        assertEquals(384, FlowEntryLayout.RINGS_OFFSET);
        assertEquals(144, FlowEntryLayout.slotLength(128));
        // a parked flow's entry: one checkpoint a direction; a journal's own rings need two slots at least
        assertEquals(672, FlowEntryLayout.entryLength(FlowEntryLayout.PARKED_RING_CAPACITY, 128));
        // the budget of a parked flow: at most 1 KiB
        assertEquals(1_024, new JournalConfig().parkedEntryLength());
        assertThrows(IllegalArgumentException.class, () -> FlowEntryLayout.entryLength(0, 128));
        assertThrows(IllegalArgumentException.class,
            () -> new JournalConfig().path(java.nio.file.Path.of("/dev/shm/x.dat")).ringCapacity(1).validate());
        assertThrows(IllegalArgumentException.class, () -> FlowEntryLayout.entryLength(32, 0));
    }

    @Test
    void shouldRoundTripEveryField()
    {
        final FlowKey key = new FlowKey().ipv6(0x20010DB8_00000000L, 7, 51000, 0x20010DB8_00000000L, 9, 443);
        entry.key(key);
        entry.mode(2).state(5).flags(0x81).createdNs(-1L).lastActivityNs(Long.MAX_VALUE)
            .clientIsn(0xFFFF_FFF0).serverIsn(0x8000_0000).seqDelta(CLIENT_TO_SERVER, -1234)
            .seqDelta(SERVER_TO_CLIENT, 987_654).cipherSuite(0x1301).tlsVersion(0x0304)
            .recordSequence(CLIENT_TO_SERVER, 0xFFFF_FFFF_FFFFL).recordSequence(SERVER_TO_CLIENT, 3);

        assertEquals(key, entry.readKey(new FlowKey()));
        assertEquals(6, entry.ipVersion());
        assertEquals(51000, entry.clientPort());
        assertEquals(443, entry.serverPort());
        assertEquals(2, entry.mode());
        assertEquals(5, entry.state());
        assertEquals(0x81, entry.flags());
        assertEquals(-1L, entry.createdNs());
        assertEquals(Long.MAX_VALUE, entry.lastActivityNs());
        assertEquals(0xFFFF_FFF0, entry.clientIsn());
        assertEquals(0x8000_0000, entry.serverIsn());
        assertEquals(-1234, entry.seqDelta(CLIENT_TO_SERVER));
        assertEquals(987_654, entry.seqDelta(SERVER_TO_CLIENT));
        assertEquals(0x1301, entry.cipherSuite());
        assertEquals(0x0304, entry.tlsVersion());
        assertEquals(0xFFFF_FFFF_FFFFL, entry.recordSequence(CLIENT_TO_SERVER));
        assertEquals(3, entry.recordSequence(SERVER_TO_CLIENT));

        // big-endian at the documented offsets
        assertEquals((byte)0xC7, buffer.getByte(OFFSET + FlowEntryLayout.CLIENT_PORT_OFFSET));
        assertEquals((byte)0x38, buffer.getByte(OFFSET + FlowEntryLayout.CLIENT_PORT_OFFSET + 1));
        assertEquals((byte)0x13, buffer.getByte(OFFSET + FlowEntryLayout.CIPHER_SUITE_OFFSET));
        assertEquals((byte)0x20, buffer.getByte(OFFSET + FlowEntryLayout.CLIENT_ADDRESS_OFFSET));
        assertEquals(0, buffer.getByte(OFFSET - 1));
        assertEquals(0, buffer.getByte(OFFSET + entry.entryLength()));
    }

    @Test
    void shouldTellThePacketDirection()
    {
        final FlowKey key = new FlowKey().ipv4(0x0A000001, 51000, 0xC0A80001, 443);
        entry.key(key);
        assertEquals(CLIENT_TO_SERVER, entry.directionOf(key));
        assertEquals(SERVER_TO_CLIENT, entry.directionOf(new FlowKey().set(key).reverse()));
        assertNull(entry.directionOf(new FlowKey().ipv4(0x0A000001, 51001, 0xC0A80001, 443)));
        assertEquals(FlowKey.ipv4MappedLow(0x0A000001), entry.clientAddressLow());
    }

    @Test
    void shouldStoreAndWipeKeyMaterialPerDirection()
    {
        final byte[] key = filled(32, 0x11);
        final byte[] iv = filled(12, 0x22);
        final byte[] mac = filled(20, 0x33);
        final byte[] secret = filled(48, 0x44);
        entry.putKeyMaterial(CLIENT_TO_SERVER, KeyMaterial.KEY, key, 0, 32);
        entry.putKeyMaterial(CLIENT_TO_SERVER, KeyMaterial.IV, iv, 0, 12);
        entry.putKeyMaterial(CLIENT_TO_SERVER, KeyMaterial.MAC_KEY, mac, 0, 20);
        entry.putKeyMaterial(CLIENT_TO_SERVER, KeyMaterial.TRAFFIC_SECRET, secret, 0, 48);
        entry.putKeyMaterial(SERVER_TO_CLIENT, KeyMaterial.KEY, filled(16, 0x55), 0, 16);

        final byte[] out = new byte[48];
        assertEquals(32, entry.getKeyMaterial(CLIENT_TO_SERVER, KeyMaterial.KEY, out, 0));
        assertArrayEquals(key, Arrays.copyOf(out, 32));
        assertEquals(12, entry.getKeyMaterial(CLIENT_TO_SERVER, KeyMaterial.IV, out, 0));
        assertArrayEquals(iv, Arrays.copyOf(out, 12));
        assertEquals(20, entry.getKeyMaterial(CLIENT_TO_SERVER, KeyMaterial.MAC_KEY, out, 0));
        assertEquals(48, entry.getKeyMaterial(CLIENT_TO_SERVER, KeyMaterial.TRAFFIC_SECRET, out, 0));
        assertArrayEquals(secret, out);
        assertEquals(16, entry.keyMaterialLength(SERVER_TO_CLIENT, KeyMaterial.KEY));

        // a shorter replacement leaves none of the old bytes behind
        entry.putKeyMaterial(CLIENT_TO_SERVER, KeyMaterial.KEY, filled(16, 0x66), 0, 16);
        assertEquals(0, buffer.getByte(OFFSET + FlowEntryLayout.directionOffset(CLIENT_TO_SERVER) +
            FlowEntryLayout.KEY_OFFSET + 16));
        assertThrows(IllegalArgumentException.class,
            () -> entry.putKeyMaterial(CLIENT_TO_SERVER, KeyMaterial.IV, new byte[13], 0, 13));

        entry.wipeKeyMaterial(CLIENT_TO_SERVER);
        for (final KeyMaterial kind : KeyMaterial.values())
        {
            assertEquals(0, entry.keyMaterialLength(CLIENT_TO_SERVER, kind));
        }
        final int block = OFFSET + FlowEntryLayout.directionOffset(CLIENT_TO_SERVER);
        for (int i = FlowEntryLayout.KEY_OFFSET; i < FlowEntryLayout.DIRECTION_BLOCK_LENGTH; i++)
        {
            assertEquals(0, buffer.getByte(block + i), "byte " + i);
        }
        assertEquals(16, entry.keyMaterialLength(SERVER_TO_CLIENT, KeyMaterial.KEY));
    }

    @Test
    void shouldNeverShowKeyMaterial() throws Exception
    {
        entry.key(new FlowKey().ipv4(0x0A000001, 51000, 0xC0A80001, 443));
        entry.cipherSuite(0x1302).tlsVersion(0x0304);
        final byte[] key = HexFormat.of().parseHex("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        entry.putKeyMaterial(CLIENT_TO_SERVER, KeyMaterial.KEY, key, 0, 32);
        entry.putKeyMaterial(SERVER_TO_CLIENT, KeyMaterial.TRAFFIC_SECRET, key, 0, 32);
        final String text = entry.toString();
        assertTrue(text.contains("10.0.0.1:51000 -> 192.168.0.1:443"), text);
        assertFalse(text.toLowerCase().contains("0123456789abcdef"), text);
        assertFalse(text.toLowerCase().contains("key"), text);
        for (final Field field : FlowSummary.class.getDeclaredFields())
        {
            final String name = field.getName().toLowerCase();
            assertFalse(name.contains("key") || name.contains("secret") || name.equals("iv") ||
                name.endsWith("iv") || name.contains("mac") || name.contains("blob") || field.getType().isArray(),
                field.getName());
        }
    }

    static byte[] filled(final int length, final int value)
    {
        final byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte)value);
        return bytes;
    }
}
