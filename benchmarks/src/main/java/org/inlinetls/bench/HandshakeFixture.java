package org.inlinetls.bench;

import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.asn1.x509.V3TBSCertificateGenerator;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.DefaultTlsClient;
import org.bouncycastle.tls.NamedGroup;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.inlinetls.handshake.cert.ServerCredential;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Date;
import java.util.List;
import java.util.Vector;

/**
 * Self-signed credentials and a BouncyCastle non-blocking TLS 1.3 client (AES-128-GCM, X25519, any certificate
 * accepted) for the handshake benchmarks.
 */
final class HandshakeFixture
{
    private HandshakeFixture()
    {
    }

    static ServerCredential credential(final ServerCredential.KeyType type) throws GeneralSecurityException,
        IOException
    {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance(type == ServerCredential.KeyType.RSA ?
            "RSA" : "EC");
        if (type == ServerCredential.KeyType.RSA)
        {
            generator.initialize(2048, new SecureRandom());
        }
        else
        {
            generator.initialize(new ECGenParameterSpec(type == ServerCredential.KeyType.EC_P256 ?
                "secp256r1" : "secp384r1"), new SecureRandom());
        }
        final KeyPair key = generator.generateKeyPair();
        final boolean rsa = type == ServerCredential.KeyType.RSA;
        final AlgorithmIdentifier algorithm = new AlgorithmIdentifier(new ASN1ObjectIdentifier(rsa ?
            "1.2.840.113549.1.1.11" : "1.2.840.10045.4.3.2"));
        final V3TBSCertificateGenerator tbs = new V3TBSCertificateGenerator();
        tbs.setSerialNumber(new ASN1Integer(1));
        tbs.setSignature(algorithm);
        tbs.setIssuer(new X500Name("CN=bench.test"));
        tbs.setSubject(new X500Name("CN=bench.test"));
        tbs.setStartDate(new Time(new Date(System.currentTimeMillis() - 86_400_000L)));
        tbs.setEndDate(new Time(new Date(System.currentTimeMillis() + 86_400_000L)));
        tbs.setSubjectPublicKeyInfo(SubjectPublicKeyInfo.getInstance(key.getPublic().getEncoded()));
        final Signature signer = Signature.getInstance(rsa ? "SHA256withRSA" : "SHA256withECDSA");
        signer.initSign(key.getPrivate());
        signer.update(tbs.generateTBSCertificate().getEncoded());
        final ASN1EncodableVector certificate = new ASN1EncodableVector();
        certificate.add(tbs.generateTBSCertificate());
        certificate.add(algorithm);
        certificate.add(new DERBitString(signer.sign()));
        return new ServerCredential("bench-" + type, List.of(new DERSequence(certificate).getEncoded()),
            key.getPrivate(), type, List.of("bench.test"));
    }

    /** A TLS 1.3 client offering AES-128-GCM and an X25519 key share only. */
    static final class Client extends DefaultTlsClient
    {
        final TlsClientProtocol protocol = new TlsClientProtocol();

        Client(final BcTlsCrypto crypto) throws IOException
        {
            super(crypto);
            protocol.connect(this);
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions()
        {
            return ProtocolVersion.TLSv13.only();
        }

        @Override
        protected int[] getSupportedCipherSuites()
        {
            return new int[]{org.bouncycastle.tls.CipherSuite.TLS_AES_128_GCM_SHA256};
        }

        @Override
        @SuppressWarnings({"rawtypes", "unchecked"})
        protected Vector getSupportedGroups(final Vector namedGroupRoles)
        {
            final Vector groups = new Vector();
            groups.add(NamedGroup.x25519);
            return groups;
        }

        @Override
        public TlsAuthentication getAuthentication()
        {
            return new TlsAuthentication()
            {
                @Override
                public void notifyServerCertificate(final TlsServerCertificate serverCertificate)
                {
                }

                @Override
                public TlsCredentials getClientCredentials(final CertificateRequest certificateRequest)
                {
                    return null;
                }
            };
        }
    }
}
