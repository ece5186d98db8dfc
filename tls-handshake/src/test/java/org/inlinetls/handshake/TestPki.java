package org.inlinetls.handshake;

import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.asn1.x509.V3TBSCertificateGenerator;
import org.inlinetls.handshake.cert.CredentialSelector;
import org.inlinetls.handshake.cert.ServerCredential;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;

/**
 * Test certificates made in memory with BouncyCastle's ASN.1 classes and the JCA: an EC P-256 test CA and leaves
 * rsa.test (RSA-2048), ec.test (P-256) and p384.test (P-384), each with its name in the SAN; generated once per JVM.
 */
public final class TestPki
{
    public static final String RSA_HOST = "rsa.test";
    public static final String EC_HOST = "ec.test";
    public static final String P384_HOST = "p384.test";

    private static final ASN1ObjectIdentifier ECDSA_WITH_SHA256 = new ASN1ObjectIdentifier("1.2.840.10045.4.3.2");
    private static TestPki instance;

    public final byte[] caDer;
    public final ServerCredential rsa;
    public final ServerCredential ec;
    public final ServerCredential p384;
    private final Map<String, ServerCredential> byName;

    private TestPki() throws GeneralSecurityException, IOException
    {
        final KeyPair ca = ecKeyPair("secp256r1");
        final X500Name caName = new X500Name("CN=inline-tls test CA");
        caDer = sign(caName, caName, ca, ca.getPublic().getEncoded(), null, true, 1);
        rsa = leaf(ca, caName, rsaKeyPair(), RSA_HOST, ServerCredential.KeyType.RSA, 2);
        ec = leaf(ca, caName, ecKeyPair("secp256r1"), EC_HOST, ServerCredential.KeyType.EC_P256, 3);
        p384 = leaf(ca, caName, ecKeyPair("secp384r1"), P384_HOST, ServerCredential.KeyType.EC_P384, 4);
        byName = Map.of(RSA_HOST, rsa, EC_HOST, ec, P384_HOST, p384);
    }

    public static synchronized TestPki get()
    {
        if (null == instance)
        {
            try
            {
                instance = new TestPki();
            }
            catch (final GeneralSecurityException | IOException ex)
            {
                throw new IllegalStateException(ex);
            }
        }
        return instance;
    }

    /** Chooses by SNI; ec.test when the name is unknown or absent. */
    public CredentialSelector selector()
    {
        return (name) -> null == name ? ec : byName.getOrDefault(name, ec);
    }

    /** Writes the CA certificate as PEM into {@code dir} and returns its path. */
    public Path writeCaPem(final Path dir) throws IOException
    {
        final Path file = dir.resolve("ca.pem");
        Files.writeString(file, pem(caDer), StandardCharsets.US_ASCII);
        return file;
    }

    public static String pem(final byte[] der)
    {
        return "-----BEGIN CERTIFICATE-----\n" +
            Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(der) + "\n-----END CERTIFICATE-----\n";
    }

    private static ServerCredential leaf(
        final KeyPair ca,
        final X500Name caName,
        final KeyPair key,
        final String host,
        final ServerCredential.KeyType type,
        final int serial) throws GeneralSecurityException, IOException
    {
        final byte[] der = sign(caName, new X500Name("CN=" + host), ca, key.getPublic().getEncoded(), host, false,
            serial);
        return new ServerCredential(host + ".pem", List.of(der), key.getPrivate(), type, List.of(host));
    }

    private static byte[] sign(
        final X500Name issuer,
        final X500Name subject,
        final KeyPair issuerKey,
        final byte[] subjectPublicKey,
        final String dnsName,
        final boolean ca,
        final int serial) throws GeneralSecurityException, IOException
    {
        final AlgorithmIdentifier algorithm = new AlgorithmIdentifier(ECDSA_WITH_SHA256);
        final V3TBSCertificateGenerator tbs = new V3TBSCertificateGenerator();
        tbs.setSerialNumber(new ASN1Integer(serial));
        tbs.setSignature(algorithm);
        tbs.setIssuer(issuer);
        tbs.setSubject(subject);
        final long now = System.currentTimeMillis();
        tbs.setStartDate(new Time(new Date(now - 86_400_000L)));
        tbs.setEndDate(new Time(new Date(now + 30 * 86_400_000L)));
        tbs.setSubjectPublicKeyInfo(SubjectPublicKeyInfo.getInstance(subjectPublicKey));
        final Extension[] extensions = ca ?
            new Extension[]{
                new Extension(Extension.basicConstraints, true, new BasicConstraints(true).getEncoded()),
                new Extension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign).getEncoded())} :
            new Extension[]{
                new Extension(Extension.basicConstraints, true, new BasicConstraints(false).getEncoded()),
                new Extension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment).getEncoded()),
                new Extension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth).getEncoded()),
                new Extension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.dNSName, dnsName)).getEncoded())};
        tbs.setExtensions(new Extensions(extensions));
        final byte[] tbsDer = tbs.generateTBSCertificate().getEncoded();
        final Signature signer = Signature.getInstance("SHA256withECDSA");
        signer.initSign(issuerKey.getPrivate());
        signer.update(tbsDer);
        final ASN1EncodableVector certificate = new ASN1EncodableVector();
        certificate.add(tbs.generateTBSCertificate());
        certificate.add(algorithm);
        certificate.add(new DERBitString(signer.sign()));
        return new DERSequence(certificate).getEncoded();
    }

    private static KeyPair ecKeyPair(final String curve) throws GeneralSecurityException
    {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec(curve), new SecureRandom());
        return generator.generateKeyPair();
    }

    private static KeyPair rsaKeyPair() throws GeneralSecurityException
    {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048, new SecureRandom());
        return generator.generateKeyPair();
    }

}
