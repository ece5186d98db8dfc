package org.inlinetls.appliance.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.appliance.config.ConfigLoader;
import org.inlinetls.packet.engine.Side;
import org.inlinetls.shim.xdp.InterceptMatch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The XDP intercept keys of each mode's services, the bridge check and what XDP refuses (no kernel needed). */
class XdpInterceptsTest
{
    private static final String HEAD = "interfaces: {outside: out0, inside: in0}\nio: {driver: xdp}\n" +
        "certificates:\n  - {chain: a.chain.pem, key: a.key.pem}\n";

    @TempDir
    static Path dir;

    @BeforeAll
    static void writeCertificate() throws Exception
    {
        TestCertificates.write(dir, "a");
    }

    private static ApplianceConfig parse(final String yaml) throws Exception
    {
        return ConfigLoader.parse(dir.resolve("test.yaml"), yaml);
    }

    private static XdpIntercepts.Key key(final Side side, final InterceptMatch match, final String address,
        final int port) throws Exception
    {
        return new XdpIntercepts.Key(side, match, InetAddress.getByName(address), port);
    }

    @Test
    void shouldInterceptEachModesAddressesOnEachSide() throws Exception
    {
        final ApplianceConfig config = parse(HEAD + "services:\n" +
            "  - {name: web, listen: 192.0.2.10:443, backendPort: 80}\n" +
            "  - {name: proxied, mode: full-proxy, listen: 192.0.2.12, backendPort: 8080}\n" +
            "  - {name: pool, mode: load-balancing, listen: 192.0.2.20:8443,\n" +
            "     backends: [{address: 192.0.2.4}, {address: 192.0.2.5, port: 8081}]}\n" +
            "  - {name: six, listen: '[2001:db8::10]:443', backendPort: 80}\n");
        assertEquals(List.of(
            key(Side.OUTSIDE, InterceptMatch.DESTINATION, "192.0.2.10", 443),
            key(Side.INSIDE, InterceptMatch.SOURCE, "192.0.2.10", 80),
            key(Side.INSIDE, InterceptMatch.SOURCE, "192.0.2.10", 443),
            key(Side.OUTSIDE, InterceptMatch.DESTINATION, "192.0.2.10", 80),
            key(Side.OUTSIDE, InterceptMatch.DESTINATION, "192.0.2.12", 443),
            key(Side.INSIDE, InterceptMatch.SOURCE, "192.0.2.12", 8080),
            key(Side.INSIDE, InterceptMatch.SOURCE, "192.0.2.12", 443),
            key(Side.OUTSIDE, InterceptMatch.DESTINATION, "192.0.2.20", 8443),
            key(Side.INSIDE, InterceptMatch.SOURCE, "192.0.2.4", 80),
            key(Side.INSIDE, InterceptMatch.SOURCE, "192.0.2.5", 8081),
            key(Side.OUTSIDE, InterceptMatch.DESTINATION, "2001:db8::10", 443),
            key(Side.INSIDE, InterceptMatch.SOURCE, "2001:db8::10", 80),
            key(Side.INSIDE, InterceptMatch.SOURCE, "2001:db8::10", 443),
            key(Side.OUTSIDE, InterceptMatch.DESTINATION, "2001:db8::10", 80)),
            List.copyOf(XdpIntercepts.keysOf(config)));
        assertEquals("outside to 192.0.2.10:443", key(Side.OUTSIDE, InterceptMatch.DESTINATION, "192.0.2.10", 443)
            .toString());
        assertEquals("inside from 192.0.2.10:80", key(Side.INSIDE, InterceptMatch.SOURCE, "192.0.2.10", 80)
            .toString());
    }

    @Test
    void shouldHaveNoKeysWithoutServices() throws Exception
    {
        assertTrue(XdpIntercepts.keysOf(parse(HEAD)).isEmpty());
    }

    @Test
    void shouldRefuseLoadBalancedServicesOnly() throws Exception
    {
        assertNull(XdpIntercepts.refusal(parse(HEAD + "services:\n" +
            "  - {name: web, listen: 192.0.2.10}\n  - {name: p, mode: full-proxy, listen: 192.0.2.12}\n")));
        final String refusal = XdpIntercepts.refusal(parse(HEAD + "services:\n" +
            "  - {name: web, listen: 192.0.2.10}\n" +
            "  - {name: pool, mode: load-balancing, listen: 192.0.2.20, backends: [{address: 192.0.2.4}]}\n"));
        assertTrue(refusal.startsWith("service 'pool' is load-balanced: "), refusal);
    }

    @Test
    void shouldNeedBothNicsInOneBridge()
    {
        final String port = "5: out0@if4: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master %s " +
            "state UP mode DEFAULT group default qlen 1000\\    link/ether 02:00:c6:12:00:a0 brd ff:ff:ff:ff:ff:ff " +
            "link-netns c promiscuity 1 veth bridge_slave state forwarding priority 32 cost 2 ";
        final String alone = "6: in0@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP " +
            "mode DEFAULT group default qlen 1000\\    link/ether 02:00:c6:12:00:a1 veth ";
        assertNull(XdpIntercepts.bridgeProblem("out0", "in0",
            Map.of("out0", String.format(port, "br0"), "in0", String.format(port, "br0"))::get));
        final String apart = XdpIntercepts.bridgeProblem("out0", "in0",
            Map.of("out0", String.format(port, "br0"), "in0", String.format(port, "br1"))::get);
        assertTrue(apart.contains("out0 and in0 must be ports of one Linux bridge, but out0 is in bridge br0 and " +
            "in0 in bridge br1"), apart);
        final String none = XdpIntercepts.bridgeProblem("out0", "in0",
            Map.of("out0", String.format(port, "br0"), "in0", alone)::get);
        assertTrue(none.contains("out0 is in bridge br0 and in0 in no bridge"), none);
        // a bond's port has a master too, but is no bridge port; an interface ip cannot show counts as in no bridge
        final String bond = XdpIntercepts.bridgeProblem("out0", "in0", name -> name.equals("out0") ?
            alone.replace("state UP", "master bond0 state UP") : null);
        assertTrue(bond.contains("out0 is in no bridge and in0 in no bridge"), bond);
    }
}
