package org.inlinetls.modes.lb;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * What one health check of a backend does once its TCP connection is established.
 */
public enum HealthCheckType
{
    /** The connection being accepted is the success; it is closed at once without a byte sent. */
    TCP
    {
        @Override
        byte[] request(final HealthCheckSettings settings, final InetSocketAddress backend)
        {
            return NO_BYTES;
        }

        @Override
        String judge(final HealthCheckSettings settings, final ByteBuffer response, final boolean ended)
        {
            return PASSED;
        }
    },

    /** {@code GET path HTTP/1.1}; the check passes when the status line carries the expected status. */
    HTTP
    {
        @Override
        byte[] request(final HealthCheckSettings settings, final InetSocketAddress backend)
        {
            return ("GET " + settings.path() + " HTTP/1.1\r\n" +
                "Host: " + Backend.addressText(backend) + "\r\n" +
                "User-Agent: inline-tls-health-check\r\n" +
                "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        }

        @Override
        String judge(final HealthCheckSettings settings, final ByteBuffer response, final boolean ended)
        {
            // "HTTP/1.1 200": enough bytes to judge; the reason phrase and body are not read
            final int position = response.position();
            if (position < STATUS_LINE_PREFIX_BYTES)
            {
                if (ended || !response.hasRemaining())
                {
                    return "no HTTP status line (" + position + " bytes before the connection closed)";
                }
                return null;
            }
            final byte[] bytes = response.array();
            if (bytes[0] != 'H' || bytes[1] != 'T' || bytes[2] != 'T' || bytes[3] != 'P' || bytes[4] != '/' ||
                bytes[8] != ' ')
            {
                return "not an HTTP status line";
            }
            int status = 0;
            for (int i = 9; i < 12; i++)
            {
                if (bytes[i] < '0' || bytes[i] > '9')
                {
                    return "not an HTTP status line";
                }
                status = status * 10 + (bytes[i] - '0');
            }
            return status == settings.expectStatus() ? PASSED :
                "status " + status + " (expected " + settings.expectStatus() + ")";
        }
    };

    /** {@link #judge}'s verdict for a check that passed. */
    static final String PASSED = "";
    /** {@code HTTP/1.1 200}. */
    static final int STATUS_LINE_PREFIX_BYTES = 12;
    private static final byte[] NO_BYTES = new byte[0];

    /** The bytes sent once connected; none for a plain TCP check. */
    abstract byte[] request(HealthCheckSettings settings, InetSocketAddress backend);

    /**
     * The verdict on the response read so far (from position 0 to the buffer's position).
     *
     * @param ended whether the backend closed its side.
     * @return {@link #PASSED}, a failure reason, or null to read more.
     */
    abstract String judge(HealthCheckSettings settings, ByteBuffer response, boolean ended);
}
