package org.inlinetls.crypto.suite;

import org.inlinetls.crypto.aead.AesGcmStream;
import org.inlinetls.crypto.aead.ChaCha20Poly1305Stream;
import org.inlinetls.crypto.aead.StreamingAead;

/**
 * The AEAD algorithms the appliance protects records with (RFC 5116 names), each making its streaming engine.
 */
public enum AeadAlgorithm
{
    AES_128_GCM(16)
    {
        @Override
        public StreamingAead newStream()
        {
            return new AesGcmStream();
        }
    },
    AES_256_GCM(32)
    {
        @Override
        public StreamingAead newStream()
        {
            return new AesGcmStream();
        }
    },
    CHACHA20_POLY1305(32)
    {
        @Override
        public StreamingAead newStream()
        {
            return new ChaCha20Poly1305Stream();
        }
    };

    private final int keyLength;

    AeadAlgorithm(final int keyLength)
    {
        this.keyLength = keyLength;
    }

    public int keyLength()
    {
        return keyLength;
    }

    /** A new, uninitialised streaming engine for this algorithm. */
    public abstract StreamingAead newStream();
}
