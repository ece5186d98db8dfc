package org.inlinetls.crypto.record;

/**
 * Receives what a {@link RecordDecoder} produces from a segment; buffers are valid only during the call.
 */
public interface RecordListener
{
    /** Application data to forward, in stream order. */
    void onPlaintext(byte[] buffer, int offset, int length);

    /** A whole, authenticated record that is not application data (alert, handshake such as KeyUpdate). */
    void onRecord(int contentType, byte[] buffer, int offset, int length);

    /** A record ended and its tag verified; everything it held has been delivered. */
    void onRecordAuthenticated(long sequence, int contentType);
}
