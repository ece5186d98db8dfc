package org.inlinetls.crypto.aead;

/**
 * The GHASH function of NIST SP 800-38D §6.4 over whole 16-byte blocks, with its accumulator readable and writable
 * so a hash in progress can be checkpointed and continued.
 * <p>
 * Callers pad partial blocks themselves. The accumulator is exchanged as the 16-byte block Y of the specification
 * (its first bit is the coefficient of x^0, i.e. the most significant bit of byte 0). Not thread-safe; nothing is
 * allocated after {@link #init}.
 */
public interface Ghash
{
    int BLOCK_LENGTH = 16;

    /**
     * Installs the hash subkey H = AES_K(0^128) and zeroes the accumulator; may allocate.
     *
     * @param subkeyH 16 bytes, not retained.
     */
    void init(byte[] subkeyH);

    /**
     * Absorbs whole blocks.
     *
     * @param lengthBytes a multiple of {@link #BLOCK_LENGTH}.
     */
    void update(byte[] src, int srcOffset, int lengthBytes);

    /** Zeroes the accumulator. */
    void reset();

    /** Writes the accumulator Y (16 bytes). */
    void getState(byte[] dst, int dstOffset);

    /** Replaces the accumulator Y with 16 bytes from {@code src}. */
    void setState(byte[] src, int srcOffset);

    /** Writes the accumulator Y (16 bytes) and zeroes it. */
    void digest(byte[] dst, int dstOffset);

    /** Overwrites the subkey and accumulator; {@link #init} is needed again before use. */
    void destroy();
}
