package org.inlinetls.modes.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.inlinetls.modes.lb.ProxyProtocolV2;
import org.inlinetls.packet.tcp.AbortReason;
import org.junit.jupiter.api.Test;

/**
 * Load-balanced services with delayed binding on the full-proxy engine ({@link Balancing}): the backend is chosen
 * after the TLS handshake from the persistence cookie in the first request (else the pool's algorithm, round robin
 * here, which would alternate), the PROXY protocol v2 header goes ahead of the plaintext, and a flow whose backend the
 * health checks take out is reset on both legs.
 */
class BalancedProxyTest
{
    private static final String NO_COOKIE = "GET /whoami.txt HTTP/1.1\r\nHost: shop\r\n\r\n";

    private static String withCookie(final String value)
    {
        return "GET /whoami.txt HTTP/1.1\r\nHost: shop\r\nCookie: lang=en; SERVERID=" + value + "; x=1\r\n\r\n";
    }

    @Test
    void shouldSendEveryConnectionWithTheCookieToTheBackendItNames() throws Exception
    {
        final BalancedProxyHarness lab = new BalancedProxyHarness("SERVERID", false);
        final BalancedProxyHarness.Connection first = lab.connection(NO_COOKIE).run();
        assertEquals("web1", first.backendName(), "no cookie: round robin's first pick");
        assertTrue(first.response().contains("Set-Cookie: SERVERID=web1"), first.response());
        assertTrue(first.response().endsWith("\r\n\r\nweb1"), first.response());
        for (int i = 0; i < 50; i++)
        {
            final BalancedProxyHarness.Connection c = lab.connection(withCookie("web2")).run();
            assertEquals("web2", c.backendName(), "connection " + i);
            assertTrue(c.response().endsWith("\r\n\r\nweb2"), c.response());
            assertEquals(withCookie("web2"), new String(c.backendBytes(), StandardCharsets.US_ASCII),
                "the backend gets the request as the client sent it");
        }
        assertEquals(50, lab.engine.counter(ProxyCounter.LB_BY_COOKIE));
        assertEquals(1, lab.engine.counter(ProxyCounter.LB_NO_COOKIE));
        assertEquals(51, lab.engine.counter(ProxyCounter.LB_FLOWS_BOUND));
        assertEquals(51, lab.engine.counter(ProxyCounter.FLOWS_CLOSED));
        assertEquals(0, lab.engine.counter(ProxyCounter.FLOWS_RESET));
        assertEquals(0, lab.engine.flowCount());
        assertEquals(0, lab.pool.openFlows(0) + lab.pool.openFlows(1), "every bound flow's count given back");
    }

    @Test
    void shouldLeaveARequestWithoutACookieOrWithAnUnknownOneToTheAlgorithm() throws Exception
    {
        final BalancedProxyHarness lab = new BalancedProxyHarness("SERVERID", false);
        final String[] requests = {NO_COOKIE, withCookie("web9"), "GET / HTTP/1.1\r\nCookie: OTHER=web2\r\n\r\n",
            NO_COOKIE};
        final String[] expected = {"web1", "web2", "web1", "web2"};
        for (int i = 0; i < requests.length; i++)
        {
            assertEquals(expected[i], lab.connection(requests[i]).run().backendName(), "connection " + i);
        }
        assertEquals(4, lab.engine.counter(ProxyCounter.LB_NO_COOKIE));
        assertEquals(0, lab.engine.counter(ProxyCounter.LB_BY_COOKIE));
    }

    @Test
    void shouldLeaveACookieNamingABackendThatIsDownToTheAlgorithm() throws Exception
    {
        final BalancedProxyHarness lab = new BalancedProxyHarness("SERVERID", false);
        lab.health.publish(1, false);
        for (int i = 0; i < 3; i++)
        {
            assertEquals("web1", lab.connection(withCookie("web2")).run().backendName(), "web2 is down");
        }
        assertEquals(3, lab.engine.counter(ProxyCounter.LB_COOKIE_BACKEND_DOWN));
        lab.health.publish(1, true);
        assertEquals("web2", lab.connection(withCookie("web2")).run().backendName(), "web2 is back");
        assertEquals(1, lab.engine.counter(ProxyCounter.LB_BY_COOKIE));
    }

    @Test
    void shouldFindTheCookieSplitAcrossRecordsAndSegments() throws Exception
    {
        final BalancedProxyHarness lab = new BalancedProxyHarness("SERVERID", false);
        final String[] pieces = {"GET /whoami.txt HTTP/1.1\r\nHo", "st: shop\r\nCookie: a=b; SERV", "ERID=we",
            "b2; c=d\r\nAccept: */*\r", "\n\r\n"};
        final BalancedProxyHarness.Connection c = lab.connection(pieces).run();
        assertEquals("web2", c.backendName(), "round robin would have picked web1");
        assertEquals(String.join("", pieces), new String(c.backendBytes(), StandardCharsets.US_ASCII));
        assertEquals(1, lab.engine.counter(ProxyCounter.LB_BY_COOKIE));
    }

    @Test
    void shouldKeepLaterRequestsOfAConnectionOnItsBackend() throws Exception
    {
        final BalancedProxyHarness lab = new BalancedProxyHarness("SERVERID", false);
        final BalancedProxyHarness.Connection c = lab.connection(withCookie("web2"), withCookie("web1")).run();
        assertEquals("web2", c.backendName());
        assertEquals(2, BalancedProxyHarness.count(c.response(), "\r\n\r\nweb2"), c.response());
    }

    @Test
    void shouldGiveUpTheScanAfterItsLimitAndUseTheAlgorithm() throws Exception
    {
        final BalancedProxyHarness lab = new BalancedProxyHarness("SERVERID", false);
        final String big = "GET / HTTP/1.1\r\nX-Pad: " + "p".repeat(Balancing.COOKIE_SCAN_MAX_BYTES) +
            "\r\nCookie: SERVERID=web2\r\n\r\n";
        final BalancedProxyHarness.Connection c = lab.connection(big.substring(0, 8000), big.substring(8000)).run();
        assertEquals("web1", c.backendName(), "the cookie came after the limit: round robin");
        assertEquals(big, new String(c.backendBytes(), StandardCharsets.US_ASCII), "every byte still forwarded");
        assertEquals(1, lab.engine.counter(ProxyCounter.LB_HEADER_LIMIT));
    }

    @Test
    void shouldWriteTheProxyProtocolV2HeaderAheadOfThePlaintext() throws Exception
    {
        final BalancedProxyHarness lab = new BalancedProxyHarness(null, true);
        final BalancedProxyHarness.Connection c = lab.connection(NO_COOKIE).run();
        assertEquals("web1", c.backendName());
        final ByteBuffer got = ByteBuffer.wrap(c.backendBytes());
        final byte[] signature = new byte[12];
        got.get(signature);
        assertArrayEquals(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A},
            signature, "the v2 signature (proxy-protocol.txt 2.2)");
        assertEquals(0x21, got.get() & 0xFF, "version 2, command PROXY");
        assertEquals(0x11, got.get() & 0xFF, "TCP over IPv4");
        final int length = got.getShort() & 0xFFFF;
        final int end = 16 + length;
        assertEquals(BalancedProxyHarness.CLIENT_ADDRESS, got.getInt(), "source: the client's address");
        assertEquals(BalancedProxyHarness.VIP, got.getInt(), "destination: the virtual address");
        assertEquals(c.port, got.getShort() & 0xFFFF, "the client's port");
        assertEquals(443, got.getShort() & 0xFFFF);
        String alpn = null;
        String authority = null;
        String version = null;
        String cipher = null;
        int client = -1;
        int verify = -1;
        while (got.position() < end)
        {
            final int type = got.get() & 0xFF;
            final byte[] value = new byte[got.getShort() & 0xFFFF];
            got.get(value);
            if (type == ProxyProtocolV2.PP2_TYPE_ALPN)
            {
                alpn = new String(value, StandardCharsets.US_ASCII);
            }
            else if (type == ProxyProtocolV2.PP2_TYPE_AUTHORITY)
            {
                authority = new String(value, StandardCharsets.UTF_8);
            }
            else if (type == ProxyProtocolV2.PP2_TYPE_SSL)
            {
                final ByteBuffer ssl = ByteBuffer.wrap(value);
                client = ssl.get() & 0xFF;
                verify = ssl.getInt();
                while (ssl.hasRemaining())
                {
                    final int subtype = ssl.get() & 0xFF;
                    final byte[] sub = new byte[ssl.getShort() & 0xFFFF];
                    ssl.get(sub);
                    if (subtype == ProxyProtocolV2.PP2_SUBTYPE_SSL_VERSION)
                    {
                        version = new String(sub, StandardCharsets.US_ASCII);
                    }
                    else if (subtype == ProxyProtocolV2.PP2_SUBTYPE_SSL_CIPHER)
                    {
                        cipher = new String(sub, StandardCharsets.US_ASCII);
                    }
                }
            }
        }
        assertEquals(end, got.position(), "the TLVs fill the length exactly");
        assertEquals("http/1.1", alpn);
        assertEquals("ec.test", authority, "the SNI");
        assertEquals(ProxyProtocolV2.PP2_CLIENT_SSL, client);
        assertEquals(1, verify, "no client certificate verified");
        assertEquals("TLSv1.3", version);
        assertEquals("TLS_AES_128_GCM_SHA256", cipher);
        final byte[] rest = Arrays.copyOfRange(c.backendBytes(), end, c.backendBytes().length);
        assertEquals(NO_COOKIE, new String(rest, StandardCharsets.US_ASCII), "then the plaintext, unchanged");
        assertEquals(1, lab.engine.counter(ProxyCounter.LB_PROXY_HEADERS));
        assertEquals(0, lab.engine.counter(ProxyCounter.LB_NO_COOKIE), "no cookie persistence: nothing scanned");
        assertEquals("web2", lab.connection(NO_COOKIE).run().backendName(), "bound at once, by the algorithm");
    }

    @Test
    void shouldNotAllocatePerFrameOnceABalancedFlowIsBound() throws Exception
    {
        final BalancedProxyHarness lab = new BalancedProxyHarness("SERVERID", true);
        lab.bodyPaddingBytes = 3_000_000;
        lab.connection(withCookie("web2")).run(); // warm up (class loading, JIT of the paths)
        lab.steadyAllocatedBytes = 0;
        lab.steadyCalls = 0;
        final BalancedProxyHarness.Connection c = lab.connection(withCookie("web2")).run();
        assertTrue(c.response().endsWith("-".repeat(100)), "the download arrived");
        assertTrue(lab.steadyCalls > 1_000, "calls " + lab.steadyCalls);
        // an allocation per frame would be at least 16 bytes a call; JIT and safepoint noise is a few KiB at most
        assertTrue(lab.steadyAllocatedBytes < 8 * 1024, lab.steadyAllocatedBytes + " bytes in " + lab.steadyCalls +
            " calls");
    }

    @Test
    void shouldResetBothLegsWhenTheHealthChecksTakeTheBackendOut() throws Exception
    {
        final BalancedProxyHarness lab = new BalancedProxyHarness("SERVERID", false);
        final BalancedProxyHarness.Connection c = lab.connection(withCookie("web2"));
        c.backendAnswers = false;
        c.run(withCookie("web2").length());
        assertEquals("web2", c.backendName());
        assertEquals(1, lab.engine.flowCount());
        lab.health.publish(1, false);
        c.run();
        assertEquals(AbortReason.RESET_RECEIVED, c.client.abortReason(), "the client was reset");
        assertEquals(AbortReason.RESET_RECEIVED, c.server.abortReason(), "the backend was reset");
        assertEquals(1, lab.engine.counter(ProxyCounter.LB_RESET_BACKEND_DOWN));
        assertEquals(0, lab.engine.flowCount());
        assertEquals(0, lab.pool.openFlows(1));

        lab.health.publish(0, false);
        final BalancedProxyHarness.Connection none = lab.connection(NO_COOKIE).run();
        assertNull(none.backendName(), "no backend up: no backend leg");
        assertEquals(AbortReason.RESET_RECEIVED, none.client.abortReason(), "the client was reset");
        assertEquals(1, lab.engine.counter(ProxyCounter.LB_NO_BACKEND));
        assertEquals(0, lab.engine.flowCount());
    }
}
