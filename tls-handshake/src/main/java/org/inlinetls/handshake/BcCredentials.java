package org.inlinetls.handshake;

import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateEntry;
import org.bouncycastle.tls.NamedGroup;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.SignatureScheme;
import org.bouncycastle.tls.TlsContext;
import org.bouncycastle.tls.TlsCredentialedSigner;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCertificate;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.impl.bc.BcDefaultTlsCredentialedSigner;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCertificate;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.inlinetls.handshake.cert.ServerCredential;

import java.io.IOException;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Vector;
import java.util.WeakHashMap;

/**
 * Turns a {@link ServerCredential} (JCA key, DER chain) into BouncyCastle's lightweight signer, parsing each
 * credential once, and picks the signature scheme from what the client accepts (RFC 8446 §4.2.3, RFC 5246 §7.4.1.4.1).
 */
final class BcCredentials
{
    /** TLS 1.3: schemes bound to the key (RSA only as PSS with the rsaEncryption key, RFC 8446 §4.2.3). */
    private static final int[] TLS13_RSA = {
        SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_rsae_sha512};
    private static final int[] TLS13_P256 = {SignatureScheme.ecdsa_secp256r1_sha256};
    private static final int[] TLS13_P384 = {SignatureScheme.ecdsa_secp384r1_sha384};
    /** TLS 1.2: the hash is free, so accept what the client lists, strongest fitting first; SHA-1 last. */
    private static final int[] TLS12_RSA = {
        SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pkcs1_sha256, SignatureScheme.rsa_pss_rsae_sha384,
        SignatureScheme.rsa_pkcs1_sha384, SignatureScheme.rsa_pss_rsae_sha512, SignatureScheme.rsa_pkcs1_sha512,
        SignatureScheme.rsa_pkcs1_sha1};
    private static final int[] TLS12_P256 = {
        SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.ecdsa_secp384r1_sha384,
        SignatureScheme.ecdsa_secp521r1_sha512, SignatureScheme.ecdsa_sha1};
    private static final int[] TLS12_P384 = {
        SignatureScheme.ecdsa_secp384r1_sha384, SignatureScheme.ecdsa_secp256r1_sha256,
        SignatureScheme.ecdsa_secp521r1_sha512, SignatureScheme.ecdsa_sha1};

    private static final BcTlsCrypto PARSING_CRYPTO = new BcTlsCrypto();
    private static final Map<ServerCredential, Parsed> CACHE = Collections.synchronizedMap(new WeakHashMap<>());

    private record Parsed(AsymmetricKeyParameter privateKey, TlsCertificate[] chain)
    {
        @Override
        public String toString()
        {
            return "Parsed{key hidden, chain=" + chain.length + "}";
        }
    }

    private BcCredentials()
    {
    }

    /**
     * True when the credential's key can sign for a suite of this key exchange; for TLS 1.2 ECDSA the key's curve
     * must also be one the client lists in supported_groups (RFC 8422 §5.1.1), or the client refuses the signature.
     */
    static boolean signsFor(final ServerCredential credential, final int keyExchangeAlgorithm, final int[] clientGroups)
    {
        switch (keyExchangeAlgorithm)
        {
            case org.bouncycastle.tls.KeyExchangeAlgorithm.ECDHE_ECDSA:
                return credential.keyType() != ServerCredential.KeyType.RSA && (null == clientGroups ||
                    contains(clientGroups, credential.keyType() == ServerCredential.KeyType.EC_P256 ?
                        NamedGroup.secp256r1 : NamedGroup.secp384r1));
            case org.bouncycastle.tls.KeyExchangeAlgorithm.ECDHE_RSA:
                return credential.keyType() == ServerCredential.KeyType.RSA;
            case org.bouncycastle.tls.KeyExchangeAlgorithm.NULL:
                return true;
            default:
                return false;
        }
    }

    /** The signer for this handshake, with the scheme chosen from the client's signature_algorithms. */
    static TlsCredentialedSigner signer(
        final TlsContext context, final BcTlsCrypto crypto, final ServerCredential credential) throws IOException
    {
        final boolean tls13 = TlsUtils.isTLSv13(context);
        final SignatureAndHashAlgorithm algorithm = chooseScheme(
            candidates(credential.keyType(), tls13), context.getSecurityParametersHandshake().getClientSigAlgs(), tls13);
        final Parsed parsed = parse(credential);
        final CertificateEntry[] entries = new CertificateEntry[parsed.chain().length];
        for (int i = 0; i < entries.length; i++)
        {
            entries[i] = new CertificateEntry(parsed.chain()[i], null);
        }
        final Certificate certificate = new Certificate(tls13 ? TlsUtils.EMPTY_BYTES : null, entries);
        return new BcDefaultTlsCredentialedSigner(
            new TlsCryptoParameters(context), crypto, parsed.privateKey(), certificate, algorithm);
    }

    private static boolean contains(final int[] values, final int value)
    {
        for (final int v : values)
        {
            if (v == value)
            {
                return true;
            }
        }
        return false;
    }

    private static int[] candidates(final ServerCredential.KeyType keyType, final boolean tls13)
    {
        switch (keyType)
        {
            case RSA:
                return tls13 ? TLS13_RSA : TLS12_RSA;
            case EC_P256:
                return tls13 ? TLS13_P256 : TLS12_P256;
            default:
                return tls13 ? TLS13_P384 : TLS12_P384;
        }
    }

    private static SignatureAndHashAlgorithm chooseScheme(
        final int[] candidates, final Vector<?> clientSigAlgs, final boolean tls13) throws IOException
    {
        if (null == clientSigAlgs)
        {
            if (tls13)
            {
                throw new TlsFatalAlert(AlertDescription.missing_extension, "no signature_algorithms");
            }
            // RFC 5246 §7.4.1.4.1: a TLS 1.2 client that sends none accepts SHA-1 with the key's algorithm
            return SignatureScheme.getSignatureAndHashAlgorithm(candidates[candidates.length - 1]);
        }
        for (final int scheme : candidates)
        {
            final SignatureAndHashAlgorithm algorithm = SignatureScheme.getSignatureAndHashAlgorithm(scheme);
            if (clientSigAlgs.contains(algorithm))
            {
                return algorithm;
            }
        }
        throw new TlsFatalAlert(AlertDescription.handshake_failure, "no signature scheme in common with the client");
    }

    private static Parsed parse(final ServerCredential credential) throws IOException
    {
        Parsed parsed = CACHE.get(credential);
        if (null == parsed)
        {
            final List<byte[]> der = credential.certificateChain();
            final TlsCertificate[] chain = new TlsCertificate[der.size()];
            for (int i = 0; i < chain.length; i++)
            {
                chain[i] = new BcTlsCertificate(PARSING_CRYPTO, der.get(i));
            }
            parsed = new Parsed(PrivateKeyFactory.createKey(credential.privateKey().getEncoded()), chain);
            CACHE.put(credential, parsed);
        }
        return parsed;
    }
}
