package org.inlinetls.packet.tcp;

import static org.inlinetls.packet.tcp.TcpEndpoint.NO_DEADLINE;

/**
 * The state of one connection (RFC 9293 §3.3.1's TCB): sequence variables, agreed options, what the next poll owes
 * and the timers; shared by {@link TcpEndpoint}, its {@link TcpReceiver} and its {@link TcpSender}, all on one thread.
 */
final class TcpControlBlock
{
    static final int MAX_WINDOW_FIELD = 0xFFFF;
    /** Ranges the sender's SACK scoreboard keeps. */
    static final int MAX_SACK_RANGES = 32;
    /** Cap of {@link #reorderingSegments}, as Linux caps tp->reordering (lower: our windows are small). */
    static final int MAX_REORDERING = 64;
    private static final long NS_PER_MS = 1_000_000L;

    final TcpConfig config;
    final SendBuffer sendBuffer;
    final ReceiveBuffer receiveBuffer;
    final RtoEstimator rto;
    final NewRenoCongestionControl congestion = new NewRenoCongestionControl();
    final TcpCounters counters = new TcpCounters();
    final SackScoreboard scoreboard = new SackScoreboard(MAX_SACK_RANGES);
    final SackBlockReporter sackReporter = new SackBlockReporter();
    final TcpLossDetector lossDetector = new TcpLossDetector(this);
    /** The window scale shift this side offers: the least that lets the field cover the receive buffer. */
    final int offeredShift;
    final int iss;
    final int timestampOffset;

    TcpState state = TcpState.CLOSED;
    AbortReason abortReason = AbortReason.NONE;

    // send sequence space, RFC 9293 §3.3.1, plus SND.MAX, the highest sequence number sent
    int sndUna;
    int sndNxt;
    int sndMax;
    long sndWnd;
    int sndWl1;
    int sndWl2;
    int sndShift;
    int sendMss;
    boolean closeRequested;

    // receive sequence space
    int irs;
    int rcvNxt;
    int rcvShift;
    boolean peerFinKnown;
    boolean peerFinConsumed;
    int peerFinSeq;
    boolean peerSackPermitted;
    /** SACK agreed: both SYNs carried SACK-permitted and this side was configured to offer it. */
    boolean sackOn;
    /** RFC 6675 HighRxt: the end of the highest range retransmitted in the current SACK recovery. */
    int highRxt;

    boolean windowScaleOn;
    boolean timestampsOn;
    int tsRecent;
    int lastAckSent;
    long lastWindowAdvertised;

    // what poll owes
    boolean ackNow;
    int dupAcksOwed;
    boolean retransmitHead;
    boolean probePending;
    boolean rstPending;
    int rstSeq;
    int rstAck;
    int rstFlags;

    // RACK-TLP (RFC 8985) and reordering: see TcpLossDetector
    /** DupThresh in segments: 3, raised (up to {@link #MAX_REORDERING}) when never-resent data arrives late. */
    int reorderingSegments = SackScoreboard.DUP_THRESH;
    /** End of the highest sequence ever retransmitted: SACKs at or above it are of original transmissions. */
    int retransmittedHighSeq;
    /** Unsacked bytes below this are lost: set when the RACK timer expires, RFC 8985 §6.2. */
    int rackLostEnd;
    /** The highest SACKed end when the RACK timer was armed: what it marks lost on expiry. */
    int rackPendingEnd;
    long rackDeadlineNs = NO_DEADLINE;
    /** RFC 8985 §6.2.4 reo_wnd multiplier, raised on D-SACK. */
    int reoWndMultiplier = 1;
    long tlpDeadlineNs = NO_DEADLINE;
    boolean tlpPending;
    /** In SACK recovery: the head hole's retransmission and SND.MAX when it was sent, to see it lost. */
    boolean headRxtPending;
    int headRxtSeq;
    int headRxtMark;

    long rtoDeadlineNs = NO_DEADLINE;
    long persistDeadlineNs = NO_DEADLINE;
    long timeWaitDeadlineNs = NO_DEADLINE;
    int consecutiveTimeouts;
    int persistBackoff;
    boolean rttTiming;
    int rttSeq;
    long rttStartNs;


    /** RFC 6528's clock: the ISN's clock part advances once every 4 microseconds. */
    private static final long ISN_CLOCK_TICK_NS = 4_000L;

    TcpControlBlock(final TcpConfig config)
    {
        this.config = config;
        final BufferPool pool = null == config.bufferPool ? BufferPool.unbounded() : config.bufferPool;
        this.sendBuffer = new SendBuffer(config.sendBufferBytes, pool);
        this.receiveBuffer = new ReceiveBuffer(config.receiveBufferBytes, config.maxOutOfOrderRanges, pool);
        this.rto = new RtoEstimator(config.initialRtoNs, config.minRtoNs, config.maxRtoNs);
        int shift = 0;
        while (shift < 14 && (config.receiveBufferBytes >> shift) > MAX_WINDOW_FIELD)
        {
            shift++;
        }
        this.offeredShift = config.windowShift >= 0 ? config.windowShift : shift;
        // RFC 6528: ISN = M + F(four-tuple, secret), M a 4-microsecond clock; RFC 7323 §5.4: the timestamp offset a
        // keyed hash of the address pair, so it never moves back between incarnations of a four-tuple
        final long secret = mix(config.isnSeed);
        final long addressPair = mix(secret ^ hash(config.localAddress) ^ mix(hash(config.remoteAddress)));
        this.iss = (int)mix(addressPair ^ ((long)config.localPort << 16 | config.remotePort)) +
            (int)(config.isnClockNs / ISN_CLOCK_TICK_NS);
        this.timestampOffset = (int)(addressPair >>> 32);
    }

    private static long hash(final byte[] address)
    {
        long h = 0;
        for (final byte b : address)
        {
            h = h * 31 + (b & 0xFF);
        }
        return h;
    }

    void queueReset(final int seq, final int ack, final int flags)
    {
        rstPending = true;
        rstSeq = seq;
        rstAck = ack;
        rstFlags = flags;
    }

    void enterTimeWait(final long nowNs)
    {
        rackDeadlineNs = NO_DEADLINE;
        tlpDeadlineNs = NO_DEADLINE;
        tlpPending = false;
        state = TcpState.TIME_WAIT;
        rtoDeadlineNs = NO_DEADLINE;
        persistDeadlineNs = NO_DEADLINE;
        timeWaitDeadlineNs = nowNs + config.timeWaitNs;
    }

    void enterClosed()
    {
        rackDeadlineNs = NO_DEADLINE;
        tlpDeadlineNs = NO_DEADLINE;
        tlpPending = false;
        state = TcpState.CLOSED;
        rtoDeadlineNs = NO_DEADLINE;
        persistDeadlineNs = NO_DEADLINE;
        timeWaitDeadlineNs = NO_DEADLINE;
        retransmitHead = false;
        probePending = false;
        ackNow = false;
        dupAcksOwed = 0;
    }

    void enterAborted(final AbortReason reason)
    {
        abortReason = reason;
        enterClosed();
    }

    /** The free receive space as the window field can say it: scaled down, capped, scaled back up. */
    long advertisableWindowBytes()
    {
        return Math.min(receiveBuffer.windowBytes() >> rcvShift, MAX_WINDOW_FIELD) << rcvShift;
    }

    int dataEndSeq()
    {
        return iss + 1 + (int)sendBuffer.tailOffset();
    }

    int tsValue(final long nowNs)
    {
        return (int)(nowNs / NS_PER_MS) + timestampOffset;
    }

    /** SplitMix64 finaliser: a seeded, well-spread ISN (RFC 9293 §3.4.1 wants it unpredictable, tests replayable). */
    private static long mix(final long seed)
    {
        long z = seed + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
