package org.inlinetls.modes.lb;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.agrona.DirectBuffer;

/**
 * Finds the persistence cookie in the header block of an HTTP/1.x request as its plaintext arrives, piece by piece,
 * and names the backend it points to.
 * <p>
 * The scheme (HAProxy's passive {@code cookie} mode): each backend sets the cookie itself, with a value configured
 * per backend, e.g. {@code Set-Cookie: SERVERID=web1; Path=/}; the appliance never rewrites responses. A request that
 * carries {@code SERVERID=web1} goes to the backend whose {@link Backend#cookieValue()} is {@code web1}. A hash of
 * some session cookie would be simpler to configure but wrong: the first request has no cookie, goes wherever the
 * algorithm sends it, and the hash of the session id the backend then sets would name another backend.
 * <p>
 * A small fixed state machine, fed with {@link #scan}; the cookie, its name or its value may straddle pieces.
 * Header names match case-insensitively, the cookie name case-sensitively (RFC 6265 §5.4); several {@code Cookie}
 * lines, several pairs per line and a quoted value are handled; the first value naming a backend wins. The scan
 * ends at the empty line closing the header block, or after {@code maxHeaderBytes}. Nothing is allocated after
 * construction; one scanner per flow in set-up, {@link #reset()} for the next.
 * <p>
 * HTTP/2 (ALPN h2) sends HPACK-compressed headers: the scanner finds no cookie there and such flows fall back to
 * the algorithm.
 * <p>
 * For the data path: with cookie persistence the backend is known only once the first request's headers are
 * decrypted, after the TLS handshake, whereas the algorithms and source persistence choose at the client's SYN. So
 * such a flow cannot pass its TCP handshake through to a backend: the full-proxy engine
 * ({@code org.inlinetls.modes.proxy.ProxyEngine}, delayed binding) completes the client's handshake itself, feeds the
 * first request's plaintext here as it is decrypted, and opens the backend leg when the scan ends. Later requests
 * on the same connection stay on that backend.
 */
public final class CookieScanner
{
    /** {@link #scan} result: the header block has not ended yet; feed more. */
    public static final int NEED_MORE = -2;
    /** The longest cookie value compared; a longer value names no backend. */
    public static final int MAX_VALUE_BYTES = 128;

    private static final byte[] COOKIE = "cookie".getBytes(StandardCharsets.US_ASCII);

    private static final int REQUEST_LINE = 0;
    private static final int LINE_START = 1;
    private static final int END_CR = 2;
    private static final int HEADER_NAME = 3;
    private static final int SKIP_LINE = 4;
    private static final int PAIR_START = 5;
    private static final int PAIR_NAME = 6;
    private static final int SKIP_PAIR = 7;
    private static final int VALUE = 8;
    private static final int DONE = 9;

    private final byte[] cookieName;
    private final byte[][] values;
    private final int maxHeaderBytes;
    private final byte[] value = new byte[MAX_VALUE_BYTES];

    private int state;
    private int matched;
    private boolean matching;
    private int valueLength;
    private boolean valueTooLong;
    private long scannedBytes;
    private int result;
    private boolean limitReached;

    /**
     * @param cookieName     the persistence cookie's name.
     * @param backends       the pool's backends in id order; each one's {@link Backend#cookieValue()} names it.
     * @param maxHeaderBytes how far into the request to look before giving up.
     */
    public CookieScanner(final String cookieName, final List<Backend> backends, final int maxHeaderBytes)
    {
        if (cookieName.isEmpty())
        {
            throw new IllegalArgumentException("empty cookie name");
        }
        this.cookieName = cookieName.getBytes(StandardCharsets.US_ASCII);
        values = new byte[backends.size()][];
        for (int id = 0; id < values.length; id++)
        {
            values[id] = backends.get(id).cookieValue().getBytes(StandardCharsets.US_ASCII);
        }
        this.maxHeaderBytes = maxHeaderBytes;
        reset();
    }

    /** Ready for the next request. */
    public void reset()
    {
        state = REQUEST_LINE;
        matched = 0;
        matching = false;
        valueLength = 0;
        valueTooLong = false;
        scannedBytes = 0;
        result = BackendPool.NONE;
        limitReached = false;
    }

    /** Whether the scan gave up because the header block grew past {@code maxHeaderBytes} (then no backend). */
    public boolean limitReached()
    {
        return limitReached;
    }

    /** Whether the scan has a result (later pieces are ignored). */
    public boolean isDone()
    {
        return state == DONE;
    }

    /**
     * Feeds the next piece of the request's plaintext.
     *
     * @return the backend id the cookie names, {@link BackendPool#NONE} when the header block ended (or grew past
     * the limit) without one, or {@link #NEED_MORE}.
     */
    public int scan(final DirectBuffer buffer, final int offset, final int length)
    {
        for (int i = 0; i < length && state != DONE; i++)
        {
            onScannedByte(buffer.getByte(offset + i));
        }
        return state == DONE ? result : NEED_MORE;
    }

    /** As {@link #scan(DirectBuffer, int, int)} over an array (the full-proxy engine's plaintext). */
    public int scan(final byte[] src, final int offset, final int length)
    {
        for (int i = 0; i < length && state != DONE; i++)
        {
            onScannedByte(src[offset + i]);
        }
        return state == DONE ? result : NEED_MORE;
    }

    private void onScannedByte(final byte b)
    {
        onByte(b);
        if (state != DONE && ++scannedBytes >= maxHeaderBytes)
        {
            limitReached = true;
            finish(BackendPool.NONE);
        }
    }

    private void onByte(final byte b)
    {
        switch (state)
        {
            case REQUEST_LINE:
            case SKIP_LINE:
            case SKIP_PAIR:
                onSkipped(b);
                break;
            case LINE_START:
                onLineStart(b);
                break;
            case END_CR:
                finish(BackendPool.NONE);
                break;
            case HEADER_NAME:
                onHeaderName(b);
                break;
            case PAIR_START:
                onPairStart(b);
                break;
            case PAIR_NAME:
                onPairName(b);
                break;
            case VALUE:
                onValue(b);
                break;
            default:
                break;
        }
    }

    private void onSkipped(final byte b)
    {
        if (b == '\n')
        {
            state = LINE_START;
        }
        else if (b == ';' && state == SKIP_PAIR)
        {
            state = PAIR_START;
        }
    }

    private void onLineStart(final byte b)
    {
        if (b == '\r')
        {
            state = END_CR;
        }
        else if (b == '\n')
        {
            finish(BackendPool.NONE);
        }
        else
        {
            state = HEADER_NAME;
            matched = 0;
            matching = true;
            onHeaderName(b);
        }
    }

    private void onHeaderName(final byte b)
    {
        if (b == ':')
        {
            state = matching && matched == COOKIE.length ? PAIR_START : SKIP_LINE;
        }
        else if (b == '\n')
        {
            state = LINE_START;
        }
        else
        {
            matching &= matched < COOKIE.length && (b | 0x20) == COOKIE[matched];
            matched++;
        }
    }

    private void onPairStart(final byte b)
    {
        if (b == ' ' || b == '\t' || b == ';' || b == '\r')
        {
            return;
        }
        if (b == '\n')
        {
            state = LINE_START;
            return;
        }
        state = PAIR_NAME;
        matched = 0;
        matching = true;
        onPairName(b);
    }

    private void onPairName(final byte b)
    {
        switch (b)
        {
            case '=':
                if (matching && matched == cookieName.length)
                {
                    state = VALUE;
                    valueLength = 0;
                    valueTooLong = false;
                }
                else
                {
                    state = SKIP_PAIR;
                }
                break;
            case ';':
                state = PAIR_START;
                break;
            case '\n':
                state = LINE_START;
                break;
            default:
                matching &= matched < cookieName.length && b == cookieName[matched];
                matched++;
                break;
        }
    }

    private void onValue(final byte b)
    {
        if (b == ';' || b == '\n' || b == '\r' || b == ' ' || b == '\t' || b == ',')
        {
            final int id = backendNamed();
            if (id != BackendPool.NONE)
            {
                finish(id);
                return;
            }
            state = b == ';' ? PAIR_START : b == '\n' ? LINE_START : b == '\r' ? SKIP_LINE : SKIP_PAIR;
            return;
        }
        if (valueLength < MAX_VALUE_BYTES)
        {
            value[valueLength++] = b;
        }
        else
        {
            valueTooLong = true;
        }
    }

    private int backendNamed()
    {
        if (valueTooLong)
        {
            return BackendPool.NONE;
        }
        int from = 0;
        int to = valueLength;
        if (to - from >= 2 && value[from] == '"' && value[to - 1] == '"')
        {
            from++;
            to--;
        }
        for (int id = 0; id < values.length; id++)
        {
            if (equalsRange(values[id], from, to))
            {
                return id;
            }
        }
        return BackendPool.NONE;
    }

    private boolean equalsRange(final byte[] candidate, final int from, final int to)
    {
        if (candidate.length != to - from)
        {
            return false;
        }
        for (int i = 0; i < candidate.length; i++)
        {
            if (candidate[i] != value[from + i])
            {
                return false;
            }
        }
        return true;
    }

    private void finish(final int backendId)
    {
        result = backendId;
        state = DONE;
    }
}
