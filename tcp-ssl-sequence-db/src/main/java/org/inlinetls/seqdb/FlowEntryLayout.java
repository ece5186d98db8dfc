package org.inlinetls.seqdb;

/**
 * The fixed-size byte layout of one flow's journal entry (DESIGN §5); all numbers big-endian.
 * <pre>
 * Fixed part, 80 bytes:
 *   0       1       2       3       4               6               8
 *   +-------+-------+-------+-------+---------------+---------------+
 *   |IP ver | mode  | state | flags | client port   | server port   |
 *   +-------+-------+-------+-------+---------------+---------------+
 *   8                                                               24
 *   | client address (16; IPv4 as ::ffff:a.b.c.d)                   |
 *   24                                                              40
 *   | server address (16)                                           |
 *   40                              48                              56
 *   | created ns (u64)              | last activity ns (u64)        |
 *   56              60              64              68              72
 *   | client ISN    | server ISN    | seq delta c-&gt;s | seq delta s-&gt;c |
 *   72              74              76                              80
 *   | cipher suite  | TLS version   | TCP options (u32)             |
 *   +---------------+---------------+-------------------------------+
 *
 * (TCP options: the window scales and timestamps the SYN and SYN-ACK agreed, as the mode that owns the flow packs
 * them.)
 *
 * Direction block, 152 bytes, client-&gt;server at 80, server-&gt;client at 232:
 *   +0                              +8   +9   +10  +11  +12    +14    +16    +18    +20      +24
 *   | TLS record sequence (u64)     |key#|iv# |mac#|sec#| head | tail |count | MSS  | reserved |
 *   +24           +56          +68  +72           +104                  +152
 *   | key (32)    | IV (12)    |pad | MAC key (32)| traffic secret (48) |
 *   (key#, iv#, mac#, sec#: the lengths in use; MAC key for CBC suites, traffic secret for TLS 1.3 KeyUpdate;
 *   MSS: the one the sender of this direction announced in its SYN)
 *
 * Checkpoint rings at 384: client-&gt;server ring, then server-&gt;client ring, each capacity x slot, where
 *   +0           +4           +8             +12            +16                       +16+checkpointLength
 *   | cipher seq | plain seq  | expected ACK | blob length  | checkpoint blob         | pad to a multiple of 8 |
 *   (all u32, TCP sequence space; the blob is a record decoder/encoder checkpoint, 304 bytes for AEAD suites)
 * </pre>
 * Entry length = {@code 384 + 2 * ringCapacity * align8(16 + checkpointLength)}: 20,864 bytes for the default
 * (32 slots of 304-byte checkpoints per direction), 37,248 for 32 slots of the 560-byte CBC checkpoints. A parked
 * flow's entry has rings of {@link #PARKED_RING_CAPACITY}: 1,024 bytes for AEAD suites.
 */
public final class FlowEntryLayout
{
    public static final int IP_VERSION_OFFSET = 0;
    public static final int MODE_OFFSET = 1;
    public static final int STATE_OFFSET = 2;
    public static final int FLAGS_OFFSET = 3;
    public static final int CLIENT_PORT_OFFSET = 4;
    public static final int SERVER_PORT_OFFSET = 6;
    public static final int CLIENT_ADDRESS_OFFSET = 8;
    public static final int SERVER_ADDRESS_OFFSET = 24;
    public static final int ADDRESS_LENGTH = 16;
    public static final int CREATED_NS_OFFSET = 40;
    public static final int LAST_ACTIVITY_NS_OFFSET = 48;
    public static final int CLIENT_ISN_OFFSET = 56;
    public static final int SERVER_ISN_OFFSET = 60;
    public static final int SEQ_DELTA_OFFSET = 64;
    public static final int CIPHER_SUITE_OFFSET = 72;
    public static final int TLS_VERSION_OFFSET = 74;
    public static final int TCP_OPTIONS_OFFSET = 76;
    public static final int FIXED_LENGTH = 80;

    public static final int RECORD_SEQUENCE_OFFSET = 0;
    public static final int KEY_LENGTH_OFFSET = 8;
    public static final int IV_LENGTH_OFFSET = 9;
    public static final int MAC_KEY_LENGTH_OFFSET = 10;
    public static final int TRAFFIC_SECRET_LENGTH_OFFSET = 11;
    public static final int RING_HEAD_OFFSET = 12;
    public static final int RING_TAIL_OFFSET = 14;
    public static final int RING_COUNT_OFFSET = 16;
    public static final int MSS_OFFSET = 18;
    public static final int KEY_OFFSET = 24;
    public static final int KEY_MAX_LENGTH = 32;
    public static final int IV_OFFSET = 56;
    public static final int IV_MAX_LENGTH = 12;
    public static final int MAC_KEY_OFFSET = 72;
    public static final int MAC_KEY_MAX_LENGTH = 32;
    public static final int TRAFFIC_SECRET_OFFSET = 104;
    public static final int TRAFFIC_SECRET_MAX_LENGTH = 48;
    public static final int DIRECTION_BLOCK_LENGTH = 152;
    public static final int DIRECTION_BLOCK_OFFSET = FIXED_LENGTH;

    public static final int RINGS_OFFSET = FIXED_LENGTH + 2 * DIRECTION_BLOCK_LENGTH;

    public static final int SLOT_CIPHER_SEQ_OFFSET = 0;
    public static final int SLOT_PLAIN_SEQ_OFFSET = 4;
    public static final int SLOT_EXPECTED_ACK_OFFSET = 8;
    public static final int SLOT_BLOB_LENGTH_OFFSET = 12;
    public static final int SLOT_BLOB_OFFSET = 16;

    /** Ring capacity of a parked flow's entry: each ring holds only its newest checkpoint. */
    public static final int PARKED_RING_CAPACITY = 1;
    /** Largest ring capacity: head, tail and count are u16. */
    public static final int MAX_RING_CAPACITY = 4096;
    /** Largest checkpoint blob; a legacy CBC checkpoint is 560 bytes. */
    public static final int MAX_CHECKPOINT_LENGTH = 4096;

    private FlowEntryLayout()
    {
    }

    /**
     * Bytes of one ring slot for a checkpoint blob size.
     *
     * @param checkpointLength blob size in bytes.
     * @return slot size, a multiple of 8.
     */
    public static int slotLength(final int checkpointLength)
    {
        return (SLOT_BLOB_OFFSET + checkpointLength + 7) & ~7;
    }

    /**
     * Bytes of one entry: the per-flow budget of the journal.
     *
     * @param ringCapacity     checkpoint slots per direction.
     * @param checkpointLength blob size in bytes.
     * @return entry size in bytes.
     */
    public static int entryLength(final int ringCapacity, final int checkpointLength)
    {
        validate(ringCapacity, checkpointLength);
        return RINGS_OFFSET + 2 * ringCapacity * slotLength(checkpointLength);
    }

    /**
     * Offset of a direction's block within an entry.
     *
     * @param direction of the block.
     * @return its offset.
     */
    public static int directionOffset(final Direction direction)
    {
        return DIRECTION_BLOCK_OFFSET + direction.ordinal() * DIRECTION_BLOCK_LENGTH;
    }

    static void validate(final int ringCapacity, final int checkpointLength)
    {
        if (ringCapacity < 1 || ringCapacity > MAX_RING_CAPACITY)
        {
            throw new IllegalArgumentException(
                "ring capacity must be in [1, " + MAX_RING_CAPACITY + "]: " + ringCapacity);
        }
        if (checkpointLength < 1 || checkpointLength > MAX_CHECKPOINT_LENGTH)
        {
            throw new IllegalArgumentException(
                "checkpoint length must be in [1, " + MAX_CHECKPOINT_LENGTH + "]: " + checkpointLength);
        }
    }
}
