package org.inlinetls.packet.tcp;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Addressing and tunables of one {@link TcpEndpoint}; fluent setters, checked by {@link #validate()} when the endpoint
 * is built. Addresses are 4 (IPv4) or 16 (IPv6) bytes in network order; MACs are the low 48 bits of a long, as
 * {@code EthernetFlyweight} takes them.
 */
public final class TcpConfig
{
    /** RFC 9293 §3.7.1 default send MSS when the peer's SYN has no MSS option (IPv4). */
    public static final int DEFAULT_PEER_MSS_IPV4 = 536;
    /** RFC 8200 §5: 1280 - 40 - 20. */
    public static final int DEFAULT_PEER_MSS_IPV6 = 1220;

    long localMac;
    long remoteMac;
    byte[] localAddress;
    byte[] remoteAddress;
    int localPort;
    int remotePort;
    int mss = 1460;
    int sendBufferBytes = 64 * 1024;
    int receiveBufferBytes = 64 * 1024;
    boolean timestamps = true;
    boolean windowScale = true;
    boolean sackPermitted;
    boolean sackKeptOnTimeout;
    boolean retransmitWithinWindow;
    int windowShift = -1;
    boolean windowGrowsOnStaleAck;
    long initialRtoNs = TimeUnit.SECONDS.toNanos(1);
    long minRtoNs = TimeUnit.MILLISECONDS.toNanos(200);
    long maxRtoNs = TimeUnit.SECONDS.toNanos(60);
    int maxRetransmissions = 15;
    long timeWaitNs = TimeUnit.SECONDS.toNanos(60);
    long isnSeed;
    long isnClockNs;
    BufferPool bufferPool;
    int maxOutOfOrderRanges = 64;

    public TcpConfig localMac(final long mac)
    {
        this.localMac = mac;
        return this;
    }

    public TcpConfig remoteMac(final long mac)
    {
        this.remoteMac = mac;
        return this;
    }

    /** Local IP address, 4 or 16 bytes; both addresses must be of the same family. */
    public TcpConfig localAddress(final byte[] address)
    {
        this.localAddress = address.clone();
        return this;
    }

    public TcpConfig remoteAddress(final byte[] address)
    {
        this.remoteAddress = address.clone();
        return this;
    }

    public TcpConfig localPort(final int port)
    {
        this.localPort = port;
        return this;
    }

    public TcpConfig remotePort(final int port)
    {
        this.remotePort = port;
        return this;
    }

    /** The MSS this side advertises in its SYN and the largest payload it sends (RFC 9293 §3.7.1). */
    public TcpConfig mss(final int mss)
    {
        this.mss = mss;
        return this;
    }

    /** Bound of the bytes written but not yet acknowledged by the peer. */
    public TcpConfig sendBufferBytes(final int bytes)
    {
        this.sendBufferBytes = bytes;
        return this;
    }

    /** Bound of the bytes received but not yet read; the advertised window is what is free of it. */
    public TcpConfig receiveBufferBytes(final int bytes)
    {
        this.receiveBufferBytes = bytes;
        return this;
    }

    /** Offer the RFC 7323 timestamps option; used when both SYNs carry it. */
    public TcpConfig timestamps(final boolean enabled)
    {
        this.timestamps = enabled;
        return this;
    }

    /** Offer the RFC 7323 window scale option; used when both SYNs carry it. */
    public TcpConfig windowScale(final boolean enabled)
    {
        this.windowScale = enabled;
        return this;
    }

    /**
     * Offer SACK-permitted (RFC 2018) in the SYN; when both SYNs carry it, ACKs carry SACK blocks (and D-SACK,
     * RFC 2883) and loss recovery uses the peer's blocks (RFC 6675).
     */
    public TcpConfig sackPermitted(final boolean enabled)
    {
        this.sackPermitted = enabled;
        return this;
    }

    /**
     * Keep the SACK scoreboard across a retransmission timeout and resend only unSACKed bytes after it, as Linux does
     * (it forgets SACK information only when the peer visibly reneged), instead of RFC 2018 §8's reset. Off by
     * default; simulations of a middlebox that translates SACK turn it on, so a block claiming bytes that never
     * arrived stalls the transfer instead of being repaired by the timeout.
     */
    public TcpConfig sackKeptOnTimeout(final boolean enabled)
    {
        this.sackKeptOnTimeout = enabled;
        return this;
    }

    /**
     * End every retransmission at the right edge of the peer's current window, as Linux does (since 2022)
     * ({@code __tcp_retransmit_skb} cuts the segment to {@code snd_una + snd_wnd - seq}; at SND.UNA with no room at
     * all it sends a whole segment, the zero-window probe): a peer that offered less since the first transmission
     * gets the head of a segment resent, not all of it. Off by default (the whole segment goes again); simulations
     * of a middlebox whose window toward the sender follows a smaller one turn it on.
     */
    public TcpConfig retransmitWithinWindow(final boolean enabled)
    {
        this.retransmitWithinWindow = enabled;
        return this;
    }

    /**
     * Take the window of a segment that advances neither the peer's sequence number nor its ACK only when it is
     * larger, as Linux does ({@code tcp_may_update_window}): a reordered older ACK then cannot take back a window a
     * newer one offered. Off by default (RFC 9293 §3.10.7.4: such a segment's window is taken whatever it is).
     */
    public TcpConfig windowGrowsOnStaleAck(final boolean enabled)
    {
        this.windowGrowsOnStaleAck = enabled;
        return this;
    }

    /**
     * The window scale this side offers in its SYN, 0 to 14, or -1 (the default) for the smallest that lets the
     * receive buffer be advertised whole. Linux picks it from the system's largest buffer ({@code tcp_rmem[2]}), so a
     * socket with a tiny receive buffer still offers 7 and advertises its window in steps of 128 bytes.
     */
    public TcpConfig windowShift(final int shift)
    {
        this.windowShift = shift;
        return this;
    }

    /** RTO before any RTT sample, RFC 6298 §2.1 (1 s). */
    public TcpConfig initialRtoNs(final long ns)
    {
        this.initialRtoNs = ns;
        return this;
    }

    public TcpConfig minRtoNs(final long ns)
    {
        this.minRtoNs = ns;
        return this;
    }

    public TcpConfig maxRtoNs(final long ns)
    {
        this.maxRtoNs = ns;
        return this;
    }

    /** Consecutive retransmission timeouts without a word from the peer before the endpoint gives up. */
    public TcpConfig maxRetransmissions(final int count)
    {
        this.maxRetransmissions = count;
        return this;
    }

    /** How long TIME-WAIT lasts (2 MSL in RFC 9293; shorten it in tests). */
    public TcpConfig timeWaitNs(final long ns)
    {
        this.timeWaitNs = ns;
        return this;
    }

    /**
     * The secret the initial sequence number and the timestamp offset are derived from (RFC 6528, RFC 7323 §5.4):
     * random in production, fixed so a simulated run is reproducible. Endpoints of one engine share it: the ISN is a
     * keyed hash of the connection's four addresses and ports plus {@link #isnClockNs} in 4-microsecond ticks, the
     * timestamp offset a keyed hash of the two addresses, so a new connection on a four-tuple whose last one the peer
     * still holds in TIME-WAIT sends a higher ISN and newer timestamps than that one did, and the peer accepts its SYN
     * (Linux answers an older one with an ACK of the old connection and the connect waits a retransmission timeout).
     */
    public TcpConfig isnSeed(final long seed)
    {
        this.isnSeed = seed;
        return this;
    }

    /**
     * Where the send and receive buffers borrow their arrays while they hold bytes (shared by an engine's endpoints,
     * with its memory budget); without one each endpoint has a pool of its own, without a budget.
     */
    public TcpConfig bufferPool(final BufferPool pool)
    {
        this.bufferPool = pool;
        return this;
    }

    /** The clock part of the initial sequence number (RFC 6528's M): the time the connection is created. */
    public TcpConfig isnClockNs(final long nowNs)
    {
        this.isnClockNs = nowNs;
        return this;
    }

    /** How many disjoint out-of-order ranges the reassembly keeps; segments that would need more are dropped. */
    public TcpConfig maxOutOfOrderRanges(final int count)
    {
        this.maxOutOfOrderRanges = count;
        return this;
    }

    public boolean isIpv6()
    {
        return localAddress != null && localAddress.length == 16;
    }

    /** Throws {@link IllegalArgumentException} naming the first bad field. */
    public TcpConfig validate()
    {
        check(localAddress != null && (localAddress.length == 4 || localAddress.length == 16), "localAddress");
        check(remoteAddress != null && remoteAddress.length == localAddress.length, "remoteAddress");
        check(!Arrays.equals(localAddress, remoteAddress) || localPort != remotePort, "remotePort");
        check(localPort > 0 && localPort <= 0xFFFF, "localPort");
        check(remotePort > 0 && remotePort <= 0xFFFF, "remotePort");
        check(mss >= 64 && mss <= 9000, "mss");
        check(sendBufferBytes >= 1 && sendBufferBytes <= 1 << 30, "sendBufferBytes");
        check(receiveBufferBytes >= 1 && receiveBufferBytes <= 1 << 30, "receiveBufferBytes");
        check(minRtoNs > 0 && initialRtoNs >= minRtoNs && maxRtoNs >= initialRtoNs, "minRtoNs/initialRtoNs/maxRtoNs");
        check(maxRetransmissions >= 1, "maxRetransmissions");
        check(timeWaitNs >= 0, "timeWaitNs");
        check(maxOutOfOrderRanges >= 1, "maxOutOfOrderRanges");
        check(windowShift >= -1 && windowShift <= 14, "windowShift");
        return this;
    }

    private static void check(final boolean ok, final String field)
    {
        if (!ok)
        {
            throw new IllegalArgumentException("invalid TcpConfig." + field);
        }
    }
}
