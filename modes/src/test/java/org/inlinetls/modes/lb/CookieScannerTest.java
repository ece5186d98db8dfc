package org.inlinetls.modes.lb;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CookieScannerTest
{
    private static final List<Backend> BACKENDS = BackendPoolTest.backends(1, 1, 1);
    private static final String REQUEST = "GET /cart HTTP/1.1\r\n" +
        "Host: shop.example\r\n" +
        "X-Cookie: SERVERID=web0\r\n" +
        "Cookie: lang=en; SERVERIDX=web0; session=\"abc;def\"\r\n" +
        "cOOkie: theme=dark;SERVERID=web2; other=1\r\n" +
        "Accept: */*\r\n" +
        "\r\n" +
        "body SERVERID=web1";

    private final CookieScanner scanner = new CookieScanner("SERVERID", BACKENDS, 16 * 1024);

    private static UnsafeBuffer bytes(final String text)
    {
        return new UnsafeBuffer(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void shouldFindTheCookieWhateverByteBoundaryTheRequestIsSplitAt()
    {
        final UnsafeBuffer request = bytes(REQUEST);
        final int headerEnd = REQUEST.indexOf("\r\n\r\n") + 4;
        for (int split = 0; split <= request.capacity(); split++)
        {
            scanner.reset();
            final int firstResult = scanner.scan(request, 0, split);
            final int result = firstResult != CookieScanner.NEED_MORE ? firstResult :
                scanner.scan(request, split, request.capacity() - split);
            assertEquals(2, result, "split at " + split);
            final int cookieEnd = REQUEST.indexOf("web2") + 5;
            assertEquals(split >= cookieEnd ? 2 : CookieScanner.NEED_MORE, firstResult, "split at " + split);
            assertTrue(split < headerEnd || firstResult == 2);
        }
    }

    @Test
    void shouldFindTheCookieWhenEveryByteArrivesAlone()
    {
        final UnsafeBuffer request = bytes(REQUEST);
        int result = CookieScanner.NEED_MORE;
        for (int i = 0; i < request.capacity() && result == CookieScanner.NEED_MORE; i++)
        {
            result = scanner.scan(request, i, 1);
        }
        assertEquals(2, result);
        assertTrue(scanner.isDone());
        assertEquals(2, scanner.scan(bytes("Cookie: SERVERID=web1\r\n\r\n"), 0, 5), "done stays done");
    }

    @Test
    void shouldFindTheCookieSplitAtEveryPairOfBoundaries()
    {
        final String request = "GET / HTTP/1.1\r\nCookie: a=1; SERVERID=\"web1\"\r\n\r\n";
        final UnsafeBuffer buffer = bytes(request);
        for (int first = 0; first <= buffer.capacity(); first++)
        {
            for (int second = first; second <= buffer.capacity(); second++)
            {
                scanner.reset();
                int result = scanner.scan(buffer, 0, first);
                if (result == CookieScanner.NEED_MORE)
                {
                    result = scanner.scan(buffer, first, second - first);
                }
                if (result == CookieScanner.NEED_MORE)
                {
                    result = scanner.scan(buffer, second, buffer.capacity() - second);
                }
                assertEquals(1, result, "split at " + first + ", " + second);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "no cookie header                 | GET / HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n                              | -1",
        "unknown value                    | GET / HTTP/1.1\\r\\nCookie: SERVERID=web9\\r\\n\\r\\n                 | -1",
        "longer value                     | GET / HTTP/1.1\\r\\nCookie: SERVERID=web10\\r\\n\\r\\n                | -1",
        "name differs in case             | GET / HTTP/1.1\\r\\nCookie: serverid=web1\\r\\n\\r\\n                 | -1",
        "only in a Set-Cookie line        | GET / HTTP/1.1\\r\\nSet-Cookie: SERVERID=web1\\r\\n\\r\\n             | -1",
        "only in the body                 | POST / HTTP/1.1\\r\\nHost: a\\r\\n\\r\\nCookie: SERVERID=web1\\r\\n    | -1",
        "headers not ended                | GET / HTTP/1.1\\r\\nHost: a\\r\\n                                    | -2",
        "bare LF line ends                | GET / HTTP/1.1\\nCookie: x=1;SERVERID=web1\\n\\n                      | 1",
        "last pair of the line            | GET / HTTP/1.1\\r\\nCookie: a=b; SERVERID=web0\\r\\n\\r\\n            | 0",
        "first known value wins           | GET / HTTP/1.1\\r\\nCookie: SERVERID=old; SERVERID=web2; SERVERID=web1\\r\\n\\r\\n | 2",
        "value without name match         | GET / HTTP/1.1\\r\\nCookie: A=SERVERID; B=web1\\r\\n\\r\\n             | -1",
        "empty value                      | GET / HTTP/1.1\\r\\nCookie: SERVERID=; x=web1\\r\\n\\r\\n               | -1",
        "header name with tab before value| GET / HTTP/1.1\\r\\nCOOKIE:\\tSERVERID=web1\\r\\n\\r\\n                  | 1",
    })
    void shouldScanRequestShapes(final String name, final String request, final int expected)
    {
        final String text = request.replace("\\r", "\r").replace("\\n", "\n").replace("\\t", "\t");
        assertEquals(expected, scanner.scan(bytes(text), 0, text.length()));
    }

    @Test
    void shouldKeepAClientOnTheBackendItsCookieNamesAcross50RequestsThenMoveWhenThatBackendIsDown()
    {
        final BackendPool pool = new BackendPool(BACKENDS, BalancingAlgorithm.ROUND_ROBIN, new BackendHealth(3));
        final long client = BackendPool.clientKey(0xC000_0207);
        // the first request carries no cookie: the algorithm places it, and that backend sets its cookie
        final int first = route(pool, "GET / HTTP/1.1\r\nHost: shop.example\r\n\r\n", client);
        final String cookie = BACKENDS.get(first).cookieValue();
        for (int request = 0; request < 50; request++)
        {
            // other clients keep the round robin turning in between
            pool.pick(request);
            assertEquals(first, route(pool, "GET /item/" + request + " HTTP/1.1\r\nHost: shop.example\r\n" +
                "Cookie: cart=" + request + "; SERVERID=" + cookie + "\r\n\r\n", client), "request " + request);
        }
        pool.health().publish(first, false);
        final int moved = route(pool, "GET / HTTP/1.1\r\nCookie: SERVERID=" + cookie + "\r\n\r\n", client);
        assertTrue(moved != first && moved != BackendPool.NONE);
    }

    /** What the data path does with a new flow's first request: scan it, then prefer the backend it names. */
    private int route(final BackendPool pool, final String request, final long client)
    {
        scanner.reset();
        final int named = scanner.scan(bytes(request), 0, request.length());
        assertTrue(named != CookieScanner.NEED_MORE);
        return pool.pickPreferring(named, client);
    }

    @Test
    void shouldGiveUpAfterMaxHeaderBytes()
    {
        final CookieScanner small = new CookieScanner("SERVERID", BACKENDS, 40);
        final String request = "GET / HTTP/1.1\r\nX-Padding: " + "p".repeat(30) + "\r\nCookie: SERVERID=web1\r\n\r\n";
        assertEquals(BackendPool.NONE, small.scan(bytes(request), 0, request.length()));
        assertTrue(small.isDone());
        assertTrue(small.limitReached(), "given up, not ended");
        small.reset();
        assertFalse(small.limitReached());
        final String shortOne = "GET / HTTP/1.1\r\n\r\n";
        assertEquals(BackendPool.NONE, small.scan(bytes(shortOne), 0, shortOne.length()));
        assertFalse(small.limitReached(), "the header block ended without a cookie");
    }

    @Test
    void shouldScanAnArrayAsItScansABuffer()
    {
        final byte[] request = REQUEST.getBytes(StandardCharsets.ISO_8859_1);
        for (int split = 0; split <= request.length; split += 7)
        {
            scanner.reset();
            final int first = scanner.scan(request, 0, split);
            assertEquals(2, first != CookieScanner.NEED_MORE ? first :
                scanner.scan(request, split, request.length - split), "split at " + split);
        }
    }

    @Test
    void shouldIgnoreValuesLongerThanTheLimit()
    {
        final String request = "GET / HTTP/1.1\r\nCookie: SERVERID=" + "w".repeat(300) + "; SERVERID=web0\r\n\r\n";
        assertEquals(0, scanner.scan(bytes(request), 0, request.length()));
    }

    @Test
    void shouldStartAfreshAfterReset()
    {
        assertEquals(1, scanner.scan(bytes("GET / HTTP/1.1\r\nCookie: SERVERID=web1\r\n"), 0, 39));
        scanner.reset();
        assertFalse(scanner.isDone());
        final String next = "GET / HTTP/1.1\r\nCookie: SERVERID=web0\r\n\r\n";
        assertEquals(0, scanner.scan(bytes(next), 0, next.length()));
    }
}
