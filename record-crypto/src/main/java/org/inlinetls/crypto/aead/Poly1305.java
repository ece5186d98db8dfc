package org.inlinetls.crypto.aead;

/**
 * The Poly1305 one-time authenticator (RFC 8439 §2.5) with a state that can be saved and restored between updates.
 * <p>
 * The state is the 130-bit accumulator, written as {@link #ACCUMULATOR_LENGTH} little-endian bytes fully reduced
 * modulo 2<sup>130</sup> - 5 (so every implementation writes the same bytes), plus the up to 15 buffered bytes of an
 * incomplete block. Implementations allocate nothing after construction unless their javadoc says otherwise.
 */
interface Poly1305
{
    int KEY_LENGTH = 32;
    int BLOCK_LENGTH = 16;
    int TAG_LENGTH = 16;
    int ACCUMULATOR_LENGTH = 17;

    /** Starts a message under a one-time key ({@code r || s}, {@link #KEY_LENGTH} bytes); the key is copied. */
    void init(byte[] key, int keyOffset);

    /** Adds message bytes. */
    void update(byte[] src, int srcOffset, int length);

    /** Writes the tag of the message; {@link #init} is needed before the next message. */
    void finish(byte[] tag, int tagOffset);

    /**
     * Writes the accumulator ({@link #ACCUMULATOR_LENGTH} bytes) and the buffered bytes of an incomplete block.
     *
     * @return the number of buffered bytes written to {@code partial} (0 to 15).
     */
    int saveState(byte[] accumulator, int accumulatorOffset, byte[] partial, int partialOffset);

    /** Replaces the accumulator and the buffered bytes, keeping the key given to {@link #init}. */
    void restoreState(byte[] accumulator, int accumulatorOffset, byte[] partial, int partialOffset, int partialLength);

    /** Overwrites the key and the state. */
    void destroy();

    /** Short name for logs. */
    String name();
}
