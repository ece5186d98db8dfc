package org.inlinetls.crypto.aead;

/**
 * An AEAD (AES-GCM or ChaCha20-Poly1305, RFC 5116 interface) that processes one record's content in pieces of any
 * size, so a record can be decrypted segment by segment as its TCP segments arrive, with the tag checked at the
 * end. Its state between two pieces can be saved into a fixed-size byte layout and restored (a checkpoint), so a
 * retransmitted segment can be processed again from its position.
 * <p>
 * Use per record: {@link #begin}, then any number of {@link #decrypt} or {@link #encrypt} calls (not mixed), then
 * {@link #finish} or {@link #finishAndVerify}. One instance serves one direction of a flow and is reused for every
 * record under the same key; {@link #init} again after a key change (KeyUpdate). Not thread-safe. Nothing is
 * allocated per call once initialised.
 * <p>
 * Checkpoint layout ({@link #STATE_LENGTH} bytes, little-endian where numeric, opaque to callers):
 * <pre>
 *   0       8        10        11    12                  28                          48
 *   +-------+--------+---------+-----+-------------------+----------------------------+
 *   |content| AAD    | partial |  0  | partial block     | authenticator accumulator  |
 *   |bytes  | length | length  |     | (16)              | (GHASH Y: 16, Poly1305: 17)|
 *   +-------+--------+---------+-----+-------------------+----------------------------+
 * </pre>
 * The nonce is not part of the state: the caller knows it (it follows from the record sequence number) and passes
 * it to {@link #restoreState}.
 */
public interface StreamingAead
{
    int NONCE_LENGTH = 12;
    int TAG_LENGTH = 16;
    int STATE_LENGTH = 48;

    /** Installs a key (16 or 32 bytes for AES, 32 for ChaCha20); may allocate. */
    void init(byte[] key);

    /**
     * Starts a record.
     *
     * @param nonce the record's 12-byte nonce.
     * @param aad   the record's additional data (TLS 1.2: 13 bytes; TLS 1.3: the 5-byte record header).
     */
    void begin(byte[] nonce, int nonceOffset, byte[] aad, int aadOffset, int aadLength);

    /** Decrypts the next {@code length} bytes of the record's ciphertext; {@code dst} may be {@code src}. */
    void decrypt(byte[] src, int srcOffset, int length, byte[] dst, int dstOffset);

    /** Encrypts the next {@code length} bytes of the record's plaintext; {@code dst} may be {@code src}. */
    void encrypt(byte[] src, int srcOffset, int length, byte[] dst, int dstOffset);

    /** Ends the record and writes its {@link #TAG_LENGTH}-byte tag. */
    void finish(byte[] tag, int tagOffset);

    /** Ends the record and compares its tag with {@code expected} in constant time. */
    boolean finishAndVerify(byte[] expected, int expectedOffset);

    /** Content bytes processed since {@link #begin}. */
    long position();

    /** Writes the state of the record in progress ({@link #STATE_LENGTH} bytes). */
    void saveState(byte[] dst, int dstOffset);

    /**
     * Continues a record from a saved state: the keystream resumes at the saved position and the authenticator
     * (which already holds the AAD and the content before that position) continues from there.
     *
     * @param nonce the nonce of the record the state was saved in.
     */
    void restoreState(byte[] nonce, int nonceOffset, byte[] state, int stateOffset);

    /** Overwrites key material held by this object; it cannot be used until {@link #init} again. */
    void destroy();
}
