package org.inlinetls.modes.lb;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the data path calls per flow or per segment allocates nothing: the cookie scan, the persistence table, the
 * PROXY header (pool picks: {@link BackendPoolTest}).
 */
class LoadBalancingAllocationTest
{
    private static final int ROUNDS = 20_000;
    private static final long NOISE_BYTES = 64;

    private final UnsafeBuffer request = new UnsafeBuffer(("GET / HTTP/1.1\r\nHost: a\r\nCookie: x=1; SERVERID=web2" +
        "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    private final UnsafeBuffer out = new UnsafeBuffer(new byte[256]);
    private final byte[] alpn = "http/1.1".getBytes(StandardCharsets.US_ASCII);
    private final byte[] sni = "www.example.com".getBytes(StandardCharsets.US_ASCII);
    private final byte[] cipher = "TLS_AES_128_GCM_SHA256".getBytes(StandardCharsets.US_ASCII);
    private final CookieScanner scanner = new CookieScanner("SERVERID", BackendPoolTest.backends(1, 1, 1), 8192);
    private final SourcePersistenceTable table = new SourcePersistenceTable(1024, 1_000_000_000L);
    private final ProxyProtocolV2 header = new ProxyProtocolV2();

    @Test
    void shouldNotAllocatePerFlowOrSegment()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long threadId = Thread.currentThread().getId();
        long checksum = run(ROUNDS);
        long fewestAllocatedBytes = Long.MAX_VALUE;
        for (int w = 0; w < 3; w++)
        {
            final long before = threads.getThreadAllocatedBytes(threadId);
            checksum += run(ROUNDS);
            fewestAllocatedBytes = Math.min(fewestAllocatedBytes, threads.getThreadAllocatedBytes(threadId) - before);
        }
        assertTrue(fewestAllocatedBytes <= NOISE_BYTES, "allocated " + fewestAllocatedBytes + " bytes");
        assertEquals(4L * ROUNDS * (2 + 2 + 100), checksum);
    }

    private long run(final int rounds)
    {
        long checksum = 0;
        for (int r = 0; r < rounds; r++)
        {
            scanner.reset();
            // in two pieces, split inside the cookie's value
            final int split = request.capacity() - 7;
            final int first = scanner.scan(request, 0, split);
            checksum += first == CookieScanner.NEED_MORE ? scanner.scan(request, split, request.capacity() - split) :
                -1_000;
            table.remember(r & 511, 2, r);
            checksum += table.lookup(r & 511, r);
            checksum += header.reset().tcp4(0xC000_0201, 40_000 + (r & 0xFF), 0x0A00_0002, 80).alpn(alpn)
                .authority(sni).ssl(ProxyProtocolV2.TLS_1_3, cipher).encode(out, 0, out.capacity());
        }
        return checksum;
    }
}
