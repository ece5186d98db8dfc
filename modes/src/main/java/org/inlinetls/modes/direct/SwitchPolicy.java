package org.inlinetls.modes.direct;

/**
 * When a cut-through flow switches its server→client direction to proxy handling and back (DESIGN §1, §6; the
 * patent's Fig. 9b): cut-through encrypts each server segment into records that must fit the client's window as
 * they are, so a client whose window stays smaller than a segment plus the record overhead gets tiny records, and one
 * whose window is smaller than the overhead gets none at all. In proxy handling the appliance acknowledges the server
 * itself, stages its plaintext, cuts records independent of the server's segments and sends them as a small TCP
 * sender would, in whatever pieces the client's window takes, retransmitting them itself. Once the staged bytes are
 * sent and acknowledged and the client's window has grown again, the flow goes back to cut-through.
 * <p>
 * The client→server direction switches the same way for a client that sends a run of tiny segments (interactive
 * traffic, a middlebox re-segmenting): each would otherwise cost a plaintext frame to the server and a checkpoint; in
 * proxy handling the appliance acknowledges them itself and sends their plaintext on in full segments.
 *
 * @param enabled           whether flows may switch at all.
 * @param smallWindowBytes  a client window below this is small; 0 means the client's MSS (a full segment plus its
 *                          record overhead no longer fits).
 * @param smallWindowAcks   consecutive client segments with a small window before the switch (a single small window is
 *                          a receive buffer momentarily full, not a small client).
 * @param resumeWindowBytes a client window at or above this allows the switch back; 0 means 4 × the client's MSS.
 * @param maxProxiedFlows   flows in proxy handling at once per engine thread (each holds {@code stageBytes} plus its
 *                          sender's ring); a flow that would exceed it stays in cut-through, counted.
 * @param stageBytes        plaintext a flow in proxy handling takes from the server ahead of the client: the window it
 *                          offers the server.
 * @param tinySegmentBytes  a client segment with at most this much payload is tiny (0: the client→server direction
 *                          never switches).
 * @param tinySegmentRun    tiny client segments in a row before that direction switches to proxy handling, and
 *                          segments that are not tiny in a row before it switches back.
 */
public record SwitchPolicy(
    boolean enabled,
    int smallWindowBytes,
    int smallWindowAcks,
    int resumeWindowBytes,
    int maxProxiedFlows,
    int stageBytes,
    int tinySegmentBytes,
    int tinySegmentRun)
{
    /**
     * Switching on: window thresholds from the client's MSS, 4 small windows in a row, 1,024 flows, 16 KiB staged;
     * 8 client segments in a row of at most 64 bytes.
     */
    public static final SwitchPolicy DEFAULT = new SwitchPolicy(true, 0, 4, 0, 1024, 16 * 1024, 64, 8);
    /** Flows never switch: cut-through only, small windows get small records, tiny segments tiny plaintext ones. */
    public static final SwitchPolicy DISABLED = new SwitchPolicy(false, 0, 4, 0, 0, 16 * 1024, 64, 8);

    /** Checks the ranges. */
    public SwitchPolicy
    {
        if (smallWindowBytes < 0 || resumeWindowBytes < 0 || maxProxiedFlows < 0)
        {
            throw new IllegalArgumentException("switching thresholds must not be negative");
        }
        if (tinySegmentBytes < 0 || tinySegmentRun < 1)
        {
            throw new IllegalArgumentException("tinySegmentBytes must not be negative and tinySegmentRun at least 1");
        }
        if (smallWindowAcks < 1)
        {
            throw new IllegalArgumentException("smallWindowAcks must be at least 1, got " + smallWindowAcks);
        }
        if (stageBytes < 1024 || stageBytes > 1 << 20)
        {
            throw new IllegalArgumentException("stageBytes must be in [1024, 1048576], got " + stageBytes);
        }
        if (resumeWindowBytes > 0 && resumeWindowBytes < smallWindowBytes)
        {
            throw new IllegalArgumentException("resumeWindowBytes (" + resumeWindowBytes +
                ") must not be below smallWindowBytes (" + smallWindowBytes + ")");
        }
    }

    /** The small-window threshold for a client with this MSS. */
    int smallWindowBytes(final int clientMss)
    {
        return smallWindowBytes > 0 ? smallWindowBytes : clientMss;
    }

    /** The window at which a flow in proxy handling may go back, for a client with this MSS. */
    int resumeWindowBytes(final int clientMss)
    {
        return resumeWindowBytes > 0 ? resumeWindowBytes : Math.max(4 * clientMss, smallWindowBytes(clientMss));
    }
}
