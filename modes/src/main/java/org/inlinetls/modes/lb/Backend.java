package org.inlinetls.modes.lb;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One server of a pool, as configured: where the plaintext goes, its share of new flows and its persistence cookie.
 *
 * @param address     the backend's IP address and plain-HTTP port.
 * @param weight      relative share of new flows for {@link BalancingAlgorithm#WEIGHTED}, and the divisor of its
 *                    connection count for {@link BalancingAlgorithm#LEAST_CONNECTIONS}; 1..{@link #MAX_WEIGHT}.
 * @param cookieValue the value of the persistence cookie that names this backend (the backend sets it itself,
 *                    see {@link CookieScanner}).
 */
public record Backend(InetSocketAddress address, int weight, String cookieValue)
{
    /** The largest weight, so that weighted sums of a full pool stay far from overflowing an int. */
    public static final int MAX_WEIGHT = 1_000;

    public Backend
    {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(cookieValue, "cookieValue");
        if (address.isUnresolved())
        {
            throw new IllegalArgumentException("backend address must be an IP literal: " + address);
        }
        if (weight < 1 || weight > MAX_WEIGHT)
        {
            throw new IllegalArgumentException("weight must be within 1.." + MAX_WEIGHT + ": " + weight);
        }
    }

    /** A backend of weight 1 whose cookie value is its address text. */
    public Backend(final InetSocketAddress address)
    {
        this(address, 1, addressText(address));
    }

    /** {@code 10.0.0.2:80} or {@code [2001:db8::2]:80}: the default cookie value and the name in logs. */
    public static String addressText(final InetSocketAddress address)
    {
        final String host = address.getAddress().getHostAddress();
        return (address.getAddress() instanceof Inet4Address ? host : "[" + host + "]") + ":" + address.getPort();
    }
}
