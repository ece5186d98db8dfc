package org.inlinetls.packet.flyweight;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EthernetFlyweightTest
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[128]);
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final VlanTagFlyweight tag = new VlanTagFlyweight();

    @Test
    void shouldReadAndWriteMacsAsLongs()
    {
        ethernet.wrap(buffer, 3).destinationMac(0xFFFF_FFFF_FFFFL).sourceMac(0x0011_2233_4455L);

        assertEquals(0xFFFF_FFFF_FFFFL, ethernet.destinationMac());
        assertEquals(0x0011_2233_4455L, ethernet.sourceMac());
        assertEquals((byte)0x00, buffer.getByte(3 + 6));
        assertEquals((byte)0x55, buffer.getByte(3 + 11));
    }

    @Test
    void shouldCopyMacsInAndOut()
    {
        final byte[] mac = {(byte)0xAA, (byte)0xBB, (byte)0xCC, (byte)0xDD, (byte)0xEE, (byte)0xF0};
        final byte[] out = new byte[8];
        ethernet.wrap(buffer, 0).putDestinationMac(mac, 0).putSourceMac(mac, 0);

        ethernet.getDestinationMac(out, 1);
        final byte[] expected = {0, (byte)0xAA, (byte)0xBB, (byte)0xCC, (byte)0xDD, (byte)0xEE, (byte)0xF0, 0};
        assertArrayEquals(expected, out);
        ethernet.getSourceMac(out, 2);
        assertEquals(0xAABB_CCDD_EEF0L, ethernet.sourceMac());
        assertEquals(0xAABB_CCDD_EEF0L, ethernet.destinationMac());
    }

    @Test
    void shouldReadAndWriteEtherType()
    {
        ethernet.wrap(buffer, 0).etherType(EtherType.IPV6);

        assertEquals(EtherType.IPV6, ethernet.etherType());
        assertEquals((byte)0x86, buffer.getByte(12));
        assertEquals((byte)0xDD, buffer.getByte(13));
    }

    @Test
    void shouldFindL3WithoutTags()
    {
        ethernet.wrap(buffer, 0, 14).etherType(EtherType.IPV4);

        assertEquals(0, ethernet.tagCount());
        assertEquals(EtherType.IPV4, ethernet.innerEtherType());
        assertEquals(14, ethernet.l3Offset());
    }

    @Test
    void shouldFindL3AfterQinQTags()
    {
        ethernet.wrap(buffer, 2, 60);
        tag.wrap(buffer, ethernet.tagOffset(0)).tpid(EtherType.QINQ).tci(10).encapsulatedType(EtherType.VLAN);
        tag.wrap(buffer, ethernet.tagOffset(1)).tci(20).encapsulatedType(EtherType.IPV6);

        assertEquals(EtherType.QINQ, ethernet.etherType());
        assertEquals(2, ethernet.tagCount());
        assertEquals(EtherType.IPV6, ethernet.innerEtherType());
        assertEquals(2 + 22, ethernet.l3Offset());
    }

    @Test
    void shouldStopAfterTwoTags()
    {
        ethernet.wrap(buffer, 0, 60);
        tag.wrap(buffer, ethernet.tagOffset(0)).tpid(EtherType.VLAN).encapsulatedType(EtherType.VLAN);
        tag.wrap(buffer, ethernet.tagOffset(1)).encapsulatedType(EtherType.VLAN);

        assertEquals(2, ethernet.tagCount());
        assertEquals(EtherType.VLAN, ethernet.innerEtherType());
    }

    @Test
    void shouldReportTruncationInsideTags()
    {
        ethernet.wrap(buffer, 0, 60).etherType(EtherType.VLAN);
        ethernet.wrap(buffer, 0, 17);
        assertEquals(EthernetFlyweight.TRUNCATED, ethernet.tagCount());
        assertEquals(EthernetFlyweight.TRUNCATED, ethernet.innerEtherType());
        assertEquals(EthernetFlyweight.TRUNCATED, ethernet.l3Offset());
        ethernet.wrap(buffer, 0, 13);
        assertEquals(EthernetFlyweight.TRUNCATED, ethernet.tagCount());
        ethernet.wrap(buffer, 0, 18);
        assertEquals(1, ethernet.tagCount());
    }

    @Test
    void shouldReadAndWriteTagFields()
    {
        tag.wrap(buffer, 12).tpid(EtherType.VLAN).tci(0).pcp(5).dei(true).vlanId(0xABC);

        assertEquals(EtherType.VLAN, tag.tpid());
        assertEquals(5, tag.pcp());
        assertTrue(tag.dei());
        assertEquals(0xABC, tag.vlanId());
        assertEquals(0xBABC, tag.tci());

        tag.vlanId(0x1FFF).pcp(9).dei(false);
        assertEquals(0xFFF, tag.vlanId());
        assertEquals(1, tag.pcp());
        assertFalse(tag.dei());
        tag.encapsulatedType(EtherType.ARP);
        assertEquals(EtherType.ARP, tag.encapsulatedType());
        assertEquals(EtherType.ARP, buffer.getShort(16, AbstractFlyweight.NETWORK_ORDER));
    }

    @Test
    void shouldRefuseWritesToReadOnlyBuffer()
    {
        final UnsafeBuffer backing = new UnsafeBuffer(new byte[20]);
        final DirectBuffer readOnly = (DirectBuffer)Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[]{DirectBuffer.class}, (proxy, method, args) -> method.invoke(backing, args));

        ethernet.wrap(readOnly, 0);
        assertEquals(0, ethernet.etherType());
        assertThrows(IllegalStateException.class, () -> ethernet.etherType(1));
    }

    @Test
    void shouldClassifyTagTypes()
    {
        assertTrue(EtherType.isVlanTag(EtherType.VLAN));
        assertTrue(EtherType.isVlanTag(EtherType.QINQ));
        assertFalse(EtherType.isVlanTag(EtherType.QINQ_LEGACY));
        assertFalse(EtherType.isVlanTag(EtherType.IPV4));
    }
}
