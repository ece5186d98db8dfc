package org.inlinetls.packet.flyweight;

/**
 * TCP option kinds and lengths, from the IANA "TCP Option Kind Numbers" registry.
 * <p>
 * Every kind other than EOL and NOP is a TLV whose length byte counts the kind and length bytes (RFC 9293 §3.1).
 */
public final class TcpOption
{
    /** End of Option List, RFC 9293 §3.1; also the padding value. */
    public static final int EOL = 0;
    /** No-Operation, RFC 9293 §3.1. */
    public static final int NOP = 1;
    /** Maximum Segment Size, RFC 9293 §3.7.1; SYN only. */
    public static final int MSS = 2;
    /** Window Scale, RFC 7323 §2.2; SYN only. */
    public static final int WINDOW_SCALE = 3;
    /** SACK-Permitted, RFC 2018 §2; SYN only. */
    public static final int SACK_PERMITTED = 4;
    /** SACK blocks, RFC 2018 §3. */
    public static final int SACK = 5;
    /** Timestamps (TSval, TSecr), RFC 7323 §3.2. */
    public static final int TIMESTAMPS = 8;

    public static final int MSS_LENGTH = 4;
    public static final int WINDOW_SCALE_LENGTH = 3;
    public static final int SACK_PERMITTED_LENGTH = 2;
    public static final int TIMESTAMPS_LENGTH = 10;
    /** Kind and length bytes of a SACK option; each block then adds {@link #SACK_BLOCK_LENGTH}. */
    public static final int SACK_BASE_LENGTH = 2;
    public static final int SACK_BLOCK_LENGTH = 8;
    /** 4 blocks fill the 40 option bytes without timestamps; 3 fit with them, RFC 2018 §3. */
    public static final int MAX_SACK_BLOCKS = 4;
    /** Largest shift count, RFC 7323 §2.3. */
    public static final int MAX_WINDOW_SCALE = 14;
    /** Most option bytes a header can carry: data offset 15 gives 60 bytes, 20 of them fixed. */
    public static final int MAX_OPTIONS_LENGTH = 40;

    private TcpOption()
    {
    }

    /** Length of a SACK option carrying {@code blockCount} blocks. */
    public static int sackLength(final int blockCount)
    {
        return SACK_BASE_LENGTH + blockCount * SACK_BLOCK_LENGTH;
    }
}
