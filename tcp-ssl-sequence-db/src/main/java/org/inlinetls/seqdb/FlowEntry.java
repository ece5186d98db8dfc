package org.inlinetls.seqdb;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

import static org.inlinetls.seqdb.FlowEntryLayout.*;

/**
 * Flyweight over one flow's journal entry ({@link FlowEntryLayout}), read and updated in place, including the
 * per-direction ring of checkpoints.
 * <p>
 * From {@link FlowJournal#acquire(FlowKey)} the flyweight points into the map's memory while the entry's segment
 * is locked; {@link #close()} releases it, after which it must not be used. It can also be wrapped over any buffer
 * (tests, tools). Not thread-safe. Ring positions are ordinals, 0 the oldest checkpoint and {@code count - 1} the
 * newest, valid until the ring next changes. Sequence numbers compare in serial arithmetic (RFC 1982), so the rings
 * work across TCP sequence wrap-around. {@link #toString()} never shows key material.
 */
public final class FlowEntry implements AutoCloseable
{
    private static final ByteOrder ORDER = ByteOrder.BIG_ENDIAN;

    private final UnsafeBuffer buffer = new UnsafeBuffer(0, 0);
    private final int ringCapacity;
    private final int checkpointLength;
    private final int slotLength;
    private final int entryLength;
    private final FlowJournal journal;

    /**
     * A flyweight for entries of one layout, not bound to a journal.
     *
     * @param ringCapacity     checkpoint slots per direction.
     * @param checkpointLength bytes of a checkpoint blob.
     */
    public FlowEntry(final int ringCapacity, final int checkpointLength)
    {
        this(ringCapacity, checkpointLength, null);
    }

    FlowEntry(final int ringCapacity, final int checkpointLength, final FlowJournal journal)
    {
        this.entryLength = FlowEntryLayout.entryLength(ringCapacity, checkpointLength);
        this.ringCapacity = ringCapacity;
        this.checkpointLength = checkpointLength;
        this.slotLength = FlowEntryLayout.slotLength(checkpointLength);
        this.journal = journal;
    }

    /**
     * Point this flyweight at an entry in a buffer.
     *
     * @param buffer holding the entry.
     * @param offset of the entry in the buffer.
     * @return this flyweight.
     */
    public FlowEntry wrap(final DirectBuffer buffer, final int offset)
    {
        this.buffer.wrap(buffer, offset, entryLength);
        return this;
    }

    FlowEntry wrap(final long address)
    {
        buffer.wrap(address, entryLength);
        return this;
    }

    void unwrap()
    {
        buffer.wrap(0, 0);
    }

    /** The buffer this flyweight is over, for zero-copy access to a checkpoint blob. */
    public UnsafeBuffer buffer()
    {
        return buffer;
    }

    /** Release the entry's lock if it came from a journal; otherwise nothing. */
    public void close()
    {
        if (journal != null)
        {
            journal.release(this);
        }
    }

    public int entryLength()
    {
        return entryLength;
    }

    public int ringCapacity()
    {
        return ringCapacity;
    }

    public int checkpointLength()
    {
        return checkpointLength;
    }

    /** Zero the whole entry. */
    public void clear()
    {
        buffer.setMemory(0, entryLength, (byte)0);
    }

    /**
     * Write the flow's tuple, the key given to insert naming the client as source.
     *
     * @param key client to server.
     */
    public void key(final FlowKey key)
    {
        buffer.putByte(IP_VERSION_OFFSET, (byte)key.ipVersion());
        buffer.putShort(CLIENT_PORT_OFFSET, (short)key.sourcePort(), ORDER);
        buffer.putShort(SERVER_PORT_OFFSET, (short)key.destinationPort(), ORDER);
        buffer.putLong(CLIENT_ADDRESS_OFFSET, key.sourceHigh(), ORDER);
        buffer.putLong(CLIENT_ADDRESS_OFFSET + 8, key.sourceLow(), ORDER);
        buffer.putLong(SERVER_ADDRESS_OFFSET, key.destinationHigh(), ORDER);
        buffer.putLong(SERVER_ADDRESS_OFFSET + 8, key.destinationLow(), ORDER);
    }

    /**
     * Read the flow's tuple into a key, client as source.
     *
     * @param key to fill.
     * @return the key.
     */
    public FlowKey readKey(final FlowKey key)
    {
        return key.set(ipVersion(), clientAddressHigh(), clientAddressLow(), clientPort(),
            serverAddressHigh(), serverAddressLow(), serverPort());
    }

    /**
     * The direction of a packet whose key is given, or null if the key is not this flow's.
     *
     * @param key as seen on the packet.
     * @return the packet's direction.
     */
    public Direction directionOf(final FlowKey key)
    {
        if (key.ipVersion() != ipVersion())
        {
            return null;
        }
        if (key.sourcePort() == clientPort() && key.destinationPort() == serverPort() &&
            key.sourceHigh() == clientAddressHigh() && key.sourceLow() == clientAddressLow() &&
            key.destinationHigh() == serverAddressHigh() && key.destinationLow() == serverAddressLow())
        {
            return Direction.CLIENT_TO_SERVER;
        }
        if (key.sourcePort() == serverPort() && key.destinationPort() == clientPort() &&
            key.sourceHigh() == serverAddressHigh() && key.sourceLow() == serverAddressLow() &&
            key.destinationHigh() == clientAddressHigh() && key.destinationLow() == clientAddressLow())
        {
            return Direction.SERVER_TO_CLIENT;
        }
        return null;
    }

    public int ipVersion()
    {
        return buffer.getByte(IP_VERSION_OFFSET) & 0xFF;
    }

    public int clientPort()
    {
        return buffer.getShort(CLIENT_PORT_OFFSET, ORDER) & 0xFFFF;
    }

    public int serverPort()
    {
        return buffer.getShort(SERVER_PORT_OFFSET, ORDER) & 0xFFFF;
    }

    public long clientAddressHigh()
    {
        return buffer.getLong(CLIENT_ADDRESS_OFFSET, ORDER);
    }

    public long clientAddressLow()
    {
        return buffer.getLong(CLIENT_ADDRESS_OFFSET + 8, ORDER);
    }

    public long serverAddressHigh()
    {
        return buffer.getLong(SERVER_ADDRESS_OFFSET, ORDER);
    }

    public long serverAddressLow()
    {
        return buffer.getLong(SERVER_ADDRESS_OFFSET + 8, ORDER);
    }

    /** The flow's mode code (owned by the modes module). */
    public int mode()
    {
        return buffer.getByte(MODE_OFFSET) & 0xFF;
    }

    public FlowEntry mode(final int mode)
    {
        buffer.putByte(MODE_OFFSET, (byte)mode);
        return this;
    }

    /** The flow's state code (owned by the mode handler). */
    public int state()
    {
        return buffer.getByte(STATE_OFFSET) & 0xFF;
    }

    public FlowEntry state(final int state)
    {
        buffer.putByte(STATE_OFFSET, (byte)state);
        return this;
    }

    public int flags()
    {
        return buffer.getByte(FLAGS_OFFSET) & 0xFF;
    }

    public FlowEntry flags(final int flags)
    {
        buffer.putByte(FLAGS_OFFSET, (byte)flags);
        return this;
    }

    public long createdNs()
    {
        return buffer.getLong(CREATED_NS_OFFSET, ORDER);
    }

    public FlowEntry createdNs(final long nowNs)
    {
        buffer.putLong(CREATED_NS_OFFSET, nowNs, ORDER);
        return this;
    }

    public long lastActivityNs()
    {
        return buffer.getLong(LAST_ACTIVITY_NS_OFFSET, ORDER);
    }

    public FlowEntry lastActivityNs(final long nowNs)
    {
        buffer.putLong(LAST_ACTIVITY_NS_OFFSET, nowNs, ORDER);
        return this;
    }

    /** The client's initial sequence number, u32 as an int. */
    public int clientIsn()
    {
        return buffer.getInt(CLIENT_ISN_OFFSET, ORDER);
    }

    public FlowEntry clientIsn(final int isn)
    {
        buffer.putInt(CLIENT_ISN_OFFSET, isn, ORDER);
        return this;
    }

    /** The server's initial sequence number, u32 as an int. */
    public int serverIsn()
    {
        return buffer.getInt(SERVER_ISN_OFFSET, ORDER);
    }

    public FlowEntry serverIsn(final int isn)
    {
        buffer.putInt(SERVER_ISN_OFFSET, isn, ORDER);
        return this;
    }

    /** The sequence delta (translated minus original, mod 2^32) applied to a direction's segments. */
    public int seqDelta(final Direction direction)
    {
        return buffer.getInt(SEQ_DELTA_OFFSET + 4 * direction.ordinal(), ORDER);
    }

    public FlowEntry seqDelta(final Direction direction, final int delta)
    {
        buffer.putInt(SEQ_DELTA_OFFSET + 4 * direction.ordinal(), delta, ORDER);
        return this;
    }

    /** The negotiated cipher suite's IANA code, 0 before the handshake ends. */
    public int cipherSuite()
    {
        return buffer.getShort(CIPHER_SUITE_OFFSET, ORDER) & 0xFFFF;
    }

    public FlowEntry cipherSuite(final int suite)
    {
        buffer.putShort(CIPHER_SUITE_OFFSET, (short)suite, ORDER);
        return this;
    }

    /** The negotiated protocol version code (0x0303 TLS 1.2, 0x0304 TLS 1.3), 0 before the handshake ends. */
    public int tlsVersion()
    {
        return buffer.getShort(TLS_VERSION_OFFSET, ORDER) & 0xFFFF;
    }

    public FlowEntry tlsVersion(final int version)
    {
        buffer.putShort(TLS_VERSION_OFFSET, (short)version, ORDER);
        return this;
    }

    /** The next TLS record sequence number of a direction. */
    /** The TCP options word (window scales, timestamps) as the owning mode packed it. */
    public int tcpOptions()
    {
        return buffer.getInt(TCP_OPTIONS_OFFSET, ORDER);
    }

    public FlowEntry tcpOptions(final int options)
    {
        buffer.putInt(TCP_OPTIONS_OFFSET, options, ORDER);
        return this;
    }

    /** The MSS the sender of a direction announced in its SYN, 0 if unknown. */
    public int mss(final Direction direction)
    {
        return buffer.getShort(directionOffset(direction) + MSS_OFFSET, ORDER) & 0xFFFF;
    }

    public FlowEntry mss(final Direction direction, final int mss)
    {
        buffer.putShort(directionOffset(direction) + MSS_OFFSET, (short)mss, ORDER);
        return this;
    }

    public long recordSequence(final Direction direction)
    {
        return buffer.getLong(directionOffset(direction) + RECORD_SEQUENCE_OFFSET, ORDER);
    }

    public FlowEntry recordSequence(final Direction direction, final long sequence)
    {
        buffer.putLong(directionOffset(direction) + RECORD_SEQUENCE_OFFSET, sequence, ORDER);
        return this;
    }

    /**
     * Store a secret of a direction, replacing (and zeroing the rest of) the previous one.
     *
     * @param direction it protects.
     * @param kind      of secret.
     * @param src       holding it.
     * @param offset    in src.
     * @param length    of the secret, at most {@link KeyMaterial#maxLength()}.
     */
    public void putKeyMaterial(
        final Direction direction, final KeyMaterial kind, final byte[] src, final int offset, final int length)
    {
        if (length < 0 || length > kind.maxLength())
        {
            throw new IllegalArgumentException(kind + " length must be in [0, " + kind.maxLength() + "]: " + length);
        }
        final int block = directionOffset(direction);
        buffer.setMemory(block + kind.offset(), kind.maxLength(), (byte)0);
        buffer.putBytes(block + kind.offset(), src, offset, length);
        buffer.putByte(block + kind.lengthOffset(), (byte)length);
    }

    /**
     * Copy a secret of a direction out.
     *
     * @param direction it protects.
     * @param kind      of secret.
     * @param dst       to copy into, with room for {@link KeyMaterial#maxLength()} bytes at offset.
     * @param offset    in dst.
     * @return the secret's length, 0 if none is set.
     */
    public int getKeyMaterial(final Direction direction, final KeyMaterial kind, final byte[] dst, final int offset)
    {
        final int block = directionOffset(direction);
        final int length = keyMaterialLength(direction, kind);
        buffer.getBytes(block + kind.offset(), dst, offset, length);
        return length;
    }

    public int keyMaterialLength(final Direction direction, final KeyMaterial kind)
    {
        return buffer.getByte(directionOffset(direction) + kind.lengthOffset()) & 0xFF;
    }

    /**
     * Zero every secret of a direction (e.g. after a KeyUpdate installs new ones, or at close).
     *
     * @param direction whose secrets go.
     */
    public void wipeKeyMaterial(final Direction direction)
    {
        final int block = directionOffset(direction);
        buffer.setMemory(block + KEY_OFFSET, DIRECTION_BLOCK_LENGTH - KEY_OFFSET, (byte)0);
        buffer.putInt(block + KEY_LENGTH_OFFSET, 0, ORDER);
    }

    /** Checkpoints held for a direction. */
    public int ringCount(final Direction direction)
    {
        return buffer.getShort(directionOffset(direction) + RING_COUNT_OFFSET, ORDER) & 0xFFFF;
    }

    /** Free checkpoint slots of a direction: the records the peer may still be allowed to put in flight. */
    public int ringFree(final Direction direction)
    {
        return ringCapacity - ringCount(direction);
    }

    /**
     * Append the checkpoint at a segment boundary as the newest of a direction's ring.
     *
     * @param direction   of the stream.
     * @param cipherSeq   TCP sequence of the boundary on the client leg (cipher stream).
     * @param plainSeq    TCP sequence of the boundary on the server leg (plain stream).
     * @param expectedAck the ACK that acknowledges the segment starting at the boundary.
     * @param blob        the decoder/encoder checkpoint.
     * @param offset      of the checkpoint in blob.
     * @param length      of the checkpoint, at most {@link #checkpointLength()}.
     * @return APPENDED, or FULL / OUT_OF_ORDER with nothing written.
     */
    public AppendResult appendCheckpoint(
        final Direction direction,
        final int cipherSeq,
        final int plainSeq,
        final int expectedAck,
        final byte[] blob,
        final int offset,
        final int length)
    {
        if (length < 0 || length > checkpointLength)
        {
            throw new IllegalArgumentException("checkpoint length must be in [0, " + checkpointLength + "]: " + length);
        }
        final int block = directionOffset(direction);
        final int count = buffer.getShort(block + RING_COUNT_OFFSET, ORDER) & 0xFFFF;
        if (count == ringCapacity)
        {
            return AppendResult.FULL;
        }
        if (count > 0 && cipherSeq - checkpointCipherSeq(direction, count - 1) <= 0)
        {
            return AppendResult.OUT_OF_ORDER;
        }
        final int tail = buffer.getShort(block + RING_TAIL_OFFSET, ORDER) & 0xFFFF;
        final int slot = slotOffset(direction, tail);
        buffer.putInt(slot + SLOT_CIPHER_SEQ_OFFSET, cipherSeq, ORDER);
        buffer.putInt(slot + SLOT_PLAIN_SEQ_OFFSET, plainSeq, ORDER);
        buffer.putInt(slot + SLOT_EXPECTED_ACK_OFFSET, expectedAck, ORDER);
        buffer.putInt(slot + SLOT_BLOB_LENGTH_OFFSET, length, ORDER);
        buffer.putBytes(slot + SLOT_BLOB_OFFSET, blob, offset, length);
        if (length < checkpointLength)
        {
            buffer.setMemory(slot + SLOT_BLOB_OFFSET + length, checkpointLength - length, (byte)0);
        }
        buffer.putShort(block + RING_TAIL_OFFSET, (short)next(tail), ORDER);
        buffer.putShort(block + RING_COUNT_OFFSET, (short)(count + 1), ORDER);
        return AppendResult.APPENDED;
    }

    /**
     * Append a checkpoint whose blob fills {@link #checkpointLength()} bytes of an array.
     *
     * @return as {@link #appendCheckpoint(Direction, int, int, int, byte[], int, int)}.
     */
    public AppendResult appendCheckpoint(
        final Direction direction, final int cipherSeq, final int plainSeq, final int expectedAck, final byte[] blob)
    {
        return appendCheckpoint(direction, cipherSeq, plainSeq, expectedAck, blob, 0, checkpointLength);
    }

    /**
     * Drop the checkpoints an acknowledgement makes useless: every one older than the newest checkpoint at or before
     * the acknowledged position, which stays as the base from which a retransmission starting at the ACK is
     * processed again.
     *
     * @param direction       of the stream.
     * @param ackedCipherSeq  acknowledged position in the cipher stream.
     * @return the number of checkpoints dropped.
     */
    public int dropCheckpointsUpTo(final Direction direction, final int ackedCipherSeq)
    {
        final int block = directionOffset(direction);
        int count = buffer.getShort(block + RING_COUNT_OFFSET, ORDER) & 0xFFFF;
        int head = buffer.getShort(block + RING_HEAD_OFFSET, ORDER) & 0xFFFF;
        int dropped = 0;
        while (count > 1 && ackedCipherSeq - cipherSeqAt(direction, next(head)) >= 0)
        {
            buffer.setMemory(slotOffset(direction, head), slotLength, (byte)0);
            head = next(head);
            count--;
            dropped++;
        }
        if (dropped > 0)
        {
            buffer.putShort(block + RING_HEAD_OFFSET, (short)head, ORDER);
            buffer.putShort(block + RING_COUNT_OFFSET, (short)count, ORDER);
        }
        return dropped;
    }

    /**
     * Drop every checkpoint of a direction (rollback to a fresh base, or flow close).
     *
     * @param direction of the stream.
     */
    public void clearCheckpoints(final Direction direction)
    {
        final int block = directionOffset(direction);
        buffer.setMemory(slotOffset(direction, 0), ringCapacity * slotLength, (byte)0);
        buffer.putShort(block + RING_HEAD_OFFSET, (short)0, ORDER);
        buffer.putShort(block + RING_TAIL_OFFSET, (short)0, ORDER);
        buffer.putShort(block + RING_COUNT_OFFSET, (short)0, ORDER);
    }

    /**
     * The newest checkpoint at or before a position of the cipher stream: where to restart processing a segment
     * that begins there.
     *
     * @param direction of the stream.
     * @param cipherSeq position in the cipher stream.
     * @return its ordinal, or -1 if the position precedes every checkpoint held.
     */
    public int findCheckpointAtOrBefore(final Direction direction, final int cipherSeq)
    {
        for (int i = ringCount(direction) - 1; i >= 0; i--)
        {
            if (cipherSeq - checkpointCipherSeq(direction, i) >= 0)
            {
                return i;
            }
        }
        return -1;
    }

    public int checkpointCipherSeq(final Direction direction, final int ordinal)
    {
        return buffer.getInt(checkpointOffset(direction, ordinal) + SLOT_CIPHER_SEQ_OFFSET, ORDER);
    }

    public int checkpointPlainSeq(final Direction direction, final int ordinal)
    {
        return buffer.getInt(checkpointOffset(direction, ordinal) + SLOT_PLAIN_SEQ_OFFSET, ORDER);
    }

    public int checkpointExpectedAck(final Direction direction, final int ordinal)
    {
        return buffer.getInt(checkpointOffset(direction, ordinal) + SLOT_EXPECTED_ACK_OFFSET, ORDER);
    }

    public int checkpointBlobLength(final Direction direction, final int ordinal)
    {
        return buffer.getInt(checkpointOffset(direction, ordinal) + SLOT_BLOB_LENGTH_OFFSET, ORDER);
    }

    /**
     * Copy a checkpoint's blob out.
     *
     * @param direction of the stream.
     * @param ordinal   0 the oldest.
     * @param dst       with room for {@link #checkpointLength()} bytes at offset.
     * @param offset    in dst.
     * @return the blob's length.
     */
    public int getCheckpointBlob(final Direction direction, final int ordinal, final byte[] dst, final int offset)
    {
        final int slot = checkpointOffset(direction, ordinal);
        final int length = buffer.getInt(slot + SLOT_BLOB_LENGTH_OFFSET, ORDER);
        buffer.getBytes(slot + SLOT_BLOB_OFFSET, dst, offset, length);
        return length;
    }

    /** Offset in {@link #buffer()} of a checkpoint's blob, for reading it without a copy. */
    public int checkpointBlobOffset(final Direction direction, final int ordinal)
    {
        return checkpointOffset(direction, ordinal) + SLOT_BLOB_OFFSET;
    }

    /** Describes the flow without any key material. */
    public String toString()
    {
        if (buffer.capacity() == 0)
        {
            return "FlowEntry{unwrapped}";
        }
        return new FlowSummary().fill(0, this).toString();
    }

    private int checkpointOffset(final Direction direction, final int ordinal)
    {
        final int block = directionOffset(direction);
        final int count = buffer.getShort(block + RING_COUNT_OFFSET, ORDER) & 0xFFFF;
        if (ordinal < 0 || ordinal >= count)
        {
            throw new IndexOutOfBoundsException("checkpoint ordinal " + ordinal + " of " + count);
        }
        final int head = buffer.getShort(block + RING_HEAD_OFFSET, ORDER) & 0xFFFF;
        final int index = head + ordinal;
        return slotOffset(direction, index >= ringCapacity ? index - ringCapacity : index);
    }

    private int cipherSeqAt(final Direction direction, final int index)
    {
        return buffer.getInt(slotOffset(direction, index) + SLOT_CIPHER_SEQ_OFFSET, ORDER);
    }

    /**
     * Copies this entry into another of any ring capacity: the fixed part and both direction blocks as they are, and
     * of each ring only its newest checkpoint, which becomes the target ring's only one. Parking a quiet flow (its
     * rings hold just their frontiers then) and bringing it back use it; the caller knows nothing older is needed.
     *
     * @param target entry to overwrite; its other ring slots are left as they are (never read: the count says one).
     */
    public void copyNewestTo(final FlowEntry target)
    {
        final UnsafeBuffer to = target.buffer;
        to.putBytes(0, buffer, 0, RINGS_OFFSET);
        for (int d = 0; d < 2; d++)
        {
            final Direction direction = Direction.get(d);
            final int block = directionOffset(direction);
            final int count = ringCount(direction);
            if (count > 0)
            {
                to.putBytes(target.slotOffset(direction, 0), buffer, checkpointOffset(direction, count - 1),
                    slotLength);
            }
            to.putShort(block + RING_HEAD_OFFSET, (short)0, ORDER);
            to.putShort(block + RING_TAIL_OFFSET, (short)(count > 0 ? target.next(0) : 0), ORDER);
            to.putShort(block + RING_COUNT_OFFSET, (short)Math.min(count, 1), ORDER);
        }
    }

    private int slotOffset(final Direction direction, final int index)
    {
        return RINGS_OFFSET + (direction.ordinal() * ringCapacity + index) * slotLength;
    }

    private int next(final int index)
    {
        final int next = index + 1;
        return next == ringCapacity ? 0 : next;
    }
}
