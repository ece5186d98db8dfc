package org.inlinetls.seqdb;

/**
 * A TCP flow's 5-tuple as seen on one packet (source and destination endpoint, IPv4 or IPv6), reusable per packet,
 * with a direction-independent 64-bit id so both directions of a flow meet in one journal entry and one shard.
 * <p>
 * IPv4 addresses are held as IPv4-mapped IPv6 addresses ({@code ::ffff:a.b.c.d}) so both families share one
 * representation; the IP version is kept separately and is part of the identity. The id orders the two endpoints
 * before mixing, so {@code key.id(seed) == key.reverse().id(seed)}. The mix is keyed by a seed (the journal keeps
 * a random one) so that remote peers, who choose addresses and ports, cannot aim colliding or clustering ids at the
 * table; it is a fast non-cryptographic mix, and the journal still compares the full tuple on every lookup.
 */
public final class FlowKey
{
    /** Id never produced by {@link #id(long)}: the journal keeps its own header under it. */
    public static final long RESERVED_ID = 0L;
    /** Upper 64 bits of every IPv4-mapped address. */
    public static final long IPV4_MAPPED_HIGH = 0L;
    /** Lower 64 bits of an IPv4-mapped address, less the IPv4 address itself. */
    public static final long IPV4_MAPPED_LOW_PREFIX = 0x0000_FFFF_0000_0000L;

    private static final long K0 = 0x9E37_79B9_7F4A_7C15L;
    private static final long K1 = 0xBF58_476D_1CE4_E5B9L;
    private static final long K2 = 0x94D0_49BB_1331_11EBL;

    private int ipVersion;
    private long sourceHigh;
    private long sourceLow;
    private int sourcePort;
    private long destinationHigh;
    private long destinationLow;
    private int destinationPort;

    /**
     * Set this key to an IPv4 flow.
     *
     * @param sourceAddress      source IPv4 address, network byte order read as a big-endian int.
     * @param sourcePort         source TCP port.
     * @param destinationAddress destination IPv4 address.
     * @param destinationPort    destination TCP port.
     * @return this key.
     */
    public FlowKey ipv4(final int sourceAddress, final int sourcePort, final int destinationAddress,
        final int destinationPort)
    {
        return set(4, IPV4_MAPPED_HIGH, ipv4MappedLow(sourceAddress), sourcePort,
            IPV4_MAPPED_HIGH, ipv4MappedLow(destinationAddress), destinationPort);
    }

    /**
     * Set this key to an IPv6 flow, each address given as two big-endian halves.
     *
     * @param sourceHigh      upper 64 bits of the source address.
     * @param sourceLow       lower 64 bits of the source address.
     * @param sourcePort      source TCP port.
     * @param destinationHigh upper 64 bits of the destination address.
     * @param destinationLow  lower 64 bits of the destination address.
     * @param destinationPort destination TCP port.
     * @return this key.
     */
    public FlowKey ipv6(
        final long sourceHigh,
        final long sourceLow,
        final int sourcePort,
        final long destinationHigh,
        final long destinationLow,
        final int destinationPort)
    {
        return set(6, sourceHigh, sourceLow, sourcePort, destinationHigh, destinationLow, destinationPort);
    }

    /**
     * Set every field at once; IPv4 addresses must already be IPv4-mapped.
     *
     * @return this key.
     */
    public FlowKey set(
        final int ipVersion,
        final long sourceHigh,
        final long sourceLow,
        final int sourcePort,
        final long destinationHigh,
        final long destinationLow,
        final int destinationPort)
    {
        if (ipVersion != 4 && ipVersion != 6)
        {
            throw new IllegalArgumentException("IP version must be 4 or 6: " + ipVersion);
        }
        this.ipVersion = ipVersion;
        this.sourceHigh = sourceHigh;
        this.sourceLow = sourceLow;
        this.sourcePort = sourcePort & 0xFFFF;
        this.destinationHigh = destinationHigh;
        this.destinationLow = destinationLow;
        this.destinationPort = destinationPort & 0xFFFF;
        return this;
    }

    /**
     * Copy another key into this one.
     *
     * @param other to copy.
     * @return this key.
     */
    public FlowKey set(final FlowKey other)
    {
        return set(other.ipVersion, other.sourceHigh, other.sourceLow, other.sourcePort,
            other.destinationHigh, other.destinationLow, other.destinationPort);
    }

    /**
     * Swap source and destination in place.
     *
     * @return this key.
     */
    public FlowKey reverse()
    {
        return set(ipVersion, destinationHigh, destinationLow, destinationPort, sourceHigh, sourceLow, sourcePort);
    }

    public int ipVersion()
    {
        return ipVersion;
    }

    public long sourceHigh()
    {
        return sourceHigh;
    }

    public long sourceLow()
    {
        return sourceLow;
    }

    public int sourcePort()
    {
        return sourcePort;
    }

    public long destinationHigh()
    {
        return destinationHigh;
    }

    public long destinationLow()
    {
        return destinationLow;
    }

    public int destinationPort()
    {
        return destinationPort;
    }

    /**
     * The direction-independent id of this flow under a seed; never {@link #RESERVED_ID}.
     *
     * @param seed keying the mix; the journal's is random per file.
     * @return the same value for this key and its reverse.
     */
    public long id(final long seed)
    {
        return id(seed, ipVersion, sourceHigh, sourceLow, sourcePort, destinationHigh, destinationLow, destinationPort);
    }

    /**
     * The direction-independent id of an IPv4 flow, from primitive fields, without a {@link FlowKey}.
     *
     * @return the same value as {@code new FlowKey().ipv4(...).id(seed)}.
     */
    public static long ipv4Id(
        final long seed, final int sourceAddress, final int sourcePort, final int destinationAddress,
        final int destinationPort)
    {
        return id(seed, 4, IPV4_MAPPED_HIGH, ipv4MappedLow(sourceAddress), sourcePort,
            IPV4_MAPPED_HIGH, ipv4MappedLow(destinationAddress), destinationPort);
    }

    /**
     * The direction-independent id of a flow from primitive fields, addresses as big-endian halves.
     *
     * @return the same value whichever endpoint is given first.
     */
    public static long id(
        final long seed,
        final int ipVersion,
        final long aHigh,
        final long aLow,
        final int aPort,
        final long bHigh,
        final long bLow,
        final int bPort)
    {
        final boolean aFirst = compareEndpoints(aHigh, aLow, aPort & 0xFFFF, bHigh, bLow, bPort & 0xFFFF) <= 0;
        final long firstHigh = aFirst ? aHigh : bHigh;
        final long firstLow = aFirst ? aLow : bLow;
        final long secondHigh = aFirst ? bHigh : aHigh;
        final long secondLow = aFirst ? bLow : aLow;
        final long ports = aFirst ?
            ((long)(aPort & 0xFFFF) << 16) | (bPort & 0xFFFF) : ((long)(bPort & 0xFFFF) << 16) | (aPort & 0xFFFF);

        long h = mix(seed ^ K0);
        h = round(h, firstHigh);
        h = round(h, firstLow);
        h = round(h, secondHigh);
        h = round(h, secondLow);
        h = round(h, ((long)ipVersion << 32) | ports);
        h = mix(h);
        return h == RESERVED_ID ? K0 : h;
    }

    /**
     * Whether another key names the same flow, in either direction.
     *
     * @param other key to compare.
     * @return true if equal or equal once reversed.
     */
    public boolean sameFlow(final FlowKey other)
    {
        return equals(other) || (ipVersion == other.ipVersion &&
            sourceHigh == other.destinationHigh && sourceLow == other.destinationLow &&
            sourcePort == other.destinationPort && destinationHigh == other.sourceHigh &&
            destinationLow == other.sourceLow && destinationPort == other.sourcePort);
    }

    /**
     * The lower 64 bits of the IPv4-mapped form of an IPv4 address.
     *
     * @param address IPv4 address.
     * @return {@code 0x0000_FFFF_aabb_ccdd}.
     */
    public static long ipv4MappedLow(final int address)
    {
        return IPV4_MAPPED_LOW_PREFIX | (address & 0xFFFF_FFFFL);
    }

    public boolean equals(final Object o)
    {
        if (this == o)
        {
            return true;
        }
        if (!(o instanceof FlowKey))
        {
            return false;
        }
        final FlowKey k = (FlowKey)o;
        return ipVersion == k.ipVersion && sourceHigh == k.sourceHigh && sourceLow == k.sourceLow &&
            sourcePort == k.sourcePort && destinationHigh == k.destinationHigh &&
            destinationLow == k.destinationLow && destinationPort == k.destinationPort;
    }

    public int hashCode()
    {
        return Long.hashCode(id(0));
    }

    public String toString()
    {
        final StringBuilder sb = new StringBuilder(96);
        appendEndpoint(sb, ipVersion, sourceHigh, sourceLow, sourcePort);
        sb.append(" -> ");
        appendEndpoint(sb, ipVersion, destinationHigh, destinationLow, destinationPort);
        return sb.toString();
    }

    static void appendEndpoint(
        final StringBuilder sb, final int ipVersion, final long high, final long low, final int port)
    {
        if (ipVersion == 4)
        {
            sb.append((low >>> 24) & 0xFF).append('.').append((low >>> 16) & 0xFF).append('.')
                .append((low >>> 8) & 0xFF).append('.').append(low & 0xFF).append(':').append(port);
        }
        else
        {
            sb.append('[');
            for (int i = 0; i < 8; i++)
            {
                final long word = i < 4 ? high : low;
                sb.append(Integer.toHexString((int)(word >>> (48 - 16 * (i & 3))) & 0xFFFF));
                if (i < 7)
                {
                    sb.append(':');
                }
            }
            sb.append("]:").append(port);
        }
    }

    private static int compareEndpoints(
        final long aHigh, final long aLow, final int aPort, final long bHigh, final long bLow, final int bPort)
    {
        int c = Long.compareUnsigned(aHigh, bHigh);
        if (c == 0)
        {
            c = Long.compareUnsigned(aLow, bLow);
        }
        return c != 0 ? c : Integer.compare(aPort, bPort);
    }

    private static long round(final long h, final long value)
    {
        return Long.rotateLeft(h ^ mix(value + K0), 27) * K1 + K2;
    }

    private static long mix(final long value)
    {
        long z = value;
        z = (z ^ (z >>> 30)) * K1;
        z = (z ^ (z >>> 27)) * K2;
        return z ^ (z >>> 31);
    }
}
