package org.inlinetls.handshake;

import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SecurityParameters;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCipher;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.TlsDecodeResult;
import org.bouncycastle.tls.crypto.TlsEncodeResult;
import org.bouncycastle.tls.crypto.impl.TlsImplUtils;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.inlinetls.crypto.keys.Secrets;

import java.io.IOException;
import java.security.SecureRandom;

/**
 * BouncyCastle's lightweight crypto with a hook on record-cipher creation: it wraps every cipher to learn the record
 * sequence numbers BC has used, and captures the TLS 1.2 key block while BC's handshake parameters still hold the
 * master secret (DESIGN §7, STYLE "BouncyCastle"). One instance per connection.
 */
final class CapturingTlsCrypto extends BcTlsCrypto
{
    private SequenceTrackingCipher lastCipher;
    private byte[] tls12KeyBlock;
    private final boolean keyLog;
    private byte[] clientRandom;
    private byte[] masterSecret;
    private byte[] clientHandshakeSecret;
    private byte[] serverHandshakeSecret;

    CapturingTlsCrypto(final SecureRandom random)
    {
        this(random, false);
    }

    /**
     * @param keyLog also keep copies of the secrets the key log export writes: the TLS 1.2 master secret, the TLS 1.3
     *               handshake traffic secrets, and the client random.
     */
    CapturingTlsCrypto(final SecureRandom random, final boolean keyLog)
    {
        super(random);
        this.keyLog = keyLog;
    }

    @Override
    public TlsCipher createCipher(
        final TlsCryptoParameters params, final int encryptionAlgorithm, final int macAlgorithm) throws IOException
    {
        final TlsCipher cipher = super.createCipher(params, encryptionAlgorithm, macAlgorithm);
        final SecurityParameters sp = params.getSecurityParametersHandshake();
        final int keyBlockLength = null == sp ? 0 : NegotiatedKeys.tls12KeyBlockLength(sp.getCipherSuite());
        if (keyBlockLength > 0 && !TlsUtils.isTLSv13(sp.getNegotiatedVersion()))
        {
            Secrets.zero(tls12KeyBlock);
            tls12KeyBlock = TlsImplUtils.calculateKeyBlock(params, keyBlockLength);
        }
        if (keyLog && null != sp)
        {
            captureForKeyLog(sp);
        }
        lastCipher = new SequenceTrackingCipher(cipher);
        return lastCipher;
    }

    /**
     * TLS 1.3: the first cipher is made from the handshake traffic secrets (BC replaces them with the application
     * ones before the second); TLS 1.2: the master secret. Copies, through {@code adoptSecret}: {@code extract()}
     * wipes the object it is called on, and BC still owns its own.
     */
    private void captureForKeyLog(final SecurityParameters sp)
    {
        if (null == clientRandom && null != sp.getClientRandom())
        {
            clientRandom = sp.getClientRandom().clone();
        }
        if (TlsUtils.isTLSv13(sp.getNegotiatedVersion()))
        {
            if (null == clientHandshakeSecret && null != sp.getTrafficSecretClient() &&
                null != sp.getTrafficSecretServer())
            {
                clientHandshakeSecret = adoptSecret(sp.getTrafficSecretClient()).extract();
                serverHandshakeSecret = adoptSecret(sp.getTrafficSecretServer()).extract();
            }
        }
        else if (null != sp.getMasterSecret())
        {
            Secrets.zero(masterSecret);
            masterSecret = adoptSecret(sp.getMasterSecret()).extract();
        }
    }

    /** The client random, when captured for the key log (public; a copy is fine), or null. */
    byte[] clientRandom()
    {
        return null == clientRandom ? null : clientRandom.clone();
    }

    /** The TLS 1.2 master secret captured for the key log, once (the caller owns it), or null. */
    byte[] takeMasterSecret()
    {
        final byte[] secret = masterSecret;
        masterSecret = null;
        return secret;
    }

    /** The TLS 1.3 client handshake traffic secret captured for the key log, once (the caller owns it), or null. */
    byte[] takeClientHandshakeSecret()
    {
        final byte[] secret = clientHandshakeSecret;
        clientHandshakeSecret = null;
        return secret;
    }

    /** The TLS 1.3 server handshake traffic secret captured for the key log, once (the caller owns it), or null. */
    byte[] takeServerHandshakeSecret()
    {
        final byte[] secret = serverHandshakeSecret;
        serverHandshakeSecret = null;
        return secret;
    }

    /** The TLS 1.2 key block captured at cipher creation (the caller zeroes it), or null; clears the reference. */
    byte[] takeKeyBlock()
    {
        final byte[] keyBlock = tls12KeyBlock;
        tls12KeyBlock = null;
        return keyBlock;
    }

    /** The cipher BC created last: the one the connection's application records use after the handshake. */
    SequenceTrackingCipher lastCipher()
    {
        return lastCipher;
    }

    void destroy()
    {
        Secrets.zero(tls12KeyBlock, masterSecret, clientHandshakeSecret, serverHandshakeSecret);
        tls12KeyBlock = null;
        masterSecret = null;
        clientHandshakeSecret = null;
        serverHandshakeSecret = null;
    }

    /** Forwards to BC's cipher and remembers the next sequence number of each direction. */
    static final class SequenceTrackingCipher implements TlsCipher
    {
        private final TlsCipher delegate;
        private long nextReadSequence;
        private long nextWriteSequence;

        SequenceTrackingCipher(final TlsCipher delegate)
        {
            this.delegate = delegate;
        }

        /** Sequence number of the next record from the client under this cipher's keys. */
        long nextReadSequence()
        {
            return nextReadSequence;
        }

        /** Sequence number of the next record to the client under this cipher's keys. */
        long nextWriteSequence()
        {
            return nextWriteSequence;
        }

        @Override
        public int getCiphertextDecodeLimit(final int plaintextLimit)
        {
            return delegate.getCiphertextDecodeLimit(plaintextLimit);
        }

        @Override
        public int getCiphertextEncodeLimit(final int plaintextLimit)
        {
            return delegate.getCiphertextEncodeLimit(plaintextLimit);
        }

        @Override
        public int getPlaintextDecodeLimit(final int ciphertextLimit)
        {
            return delegate.getPlaintextDecodeLimit(ciphertextLimit);
        }

        @Override
        public int getPlaintextEncodeLimit(final int ciphertextLimit)
        {
            return delegate.getPlaintextEncodeLimit(ciphertextLimit);
        }

        @Override
        public TlsEncodeResult encodePlaintext(
            final long seqNo,
            final short contentType,
            final ProtocolVersion recordVersion,
            final int headerAllocation,
            final byte[] plaintext,
            final int offset,
            final int len) throws IOException
        {
            final TlsEncodeResult result =
                delegate.encodePlaintext(seqNo, contentType, recordVersion, headerAllocation, plaintext, offset, len);
            nextWriteSequence = seqNo + 1;
            return result;
        }

        @Override
        public TlsDecodeResult decodeCiphertext(
            final long seqNo,
            final short recordType,
            final ProtocolVersion recordVersion,
            final byte[] ciphertext,
            final int offset,
            final int len) throws IOException
        {
            final TlsDecodeResult result =
                delegate.decodeCiphertext(seqNo, recordType, recordVersion, ciphertext, offset, len);
            nextReadSequence = seqNo + 1;
            return result;
        }

        @Override
        public void rekeyDecoder() throws IOException
        {
            delegate.rekeyDecoder();
            nextReadSequence = 0;
        }

        @Override
        public void rekeyEncoder() throws IOException
        {
            delegate.rekeyEncoder();
            nextWriteSequence = 0;
        }

        @Override
        public boolean usesOpaqueRecordTypeDecode()
        {
            return delegate.usesOpaqueRecordTypeDecode();
        }

        @Override
        public boolean usesOpaqueRecordTypeEncode()
        {
            return delegate.usesOpaqueRecordTypeEncode();
        }
    }
}
