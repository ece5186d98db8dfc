package org.inlinetls.handshake.cert;

import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.EncryptionScheme;
import org.bouncycastle.asn1.pkcs.KeyDerivationFunc;
import org.bouncycastle.asn1.pkcs.PBES2Parameters;
import org.bouncycastle.asn1.pkcs.PBKDF2Params;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.asn1.x509.V3TBSCertificateGenerator;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.util.encoders.Hex;
import org.bouncycastle.util.io.pem.PemHeader;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

import javax.crypto.Cipher;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Test PKI for any test that needs certificates: key pairs, a CA, leaf certificates with DNS names, and PEM chain
 * and key files (PKCS#8, traditional, encrypted) written with chosen POSIX modes; built on bcprov's ASN.1 classes
 * since bcpkix (X509v3CertificateBuilder, PEMParser) is not a dependency.
 * <p>
 * Typical use: {@code Issued ca = TestCertificates.ca("Test CA");
 * Issued leaf = TestCertificates.leaf(ca, TestCertificates.ecKeyPair("secp256r1"), "www.example.com");
 * CertificateSpec spec = TestCertificates.writeSpec(dir, "www", leaf, ca, true);}
 */
public final class TestCertificates
{
    /** Mode the store accepts for key files. */
    public static final String KEY_MODE = "rw-------";
    /** Mode used for chain files (world-readable is fine for certificates). */
    public static final String CHAIN_MODE = "rw-r--r--";

    private static final AtomicLong SERIAL = new AtomicLong(System.nanoTime() & 0xFFFF_FFFFL);
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * A certificate and the key pair it certifies (the issuer side of a chain, or a leaf to present).
     *
     * @param certificate the certificate.
     * @param keyPair     its key pair.
     */
    public record Issued(X509Certificate certificate, KeyPair keyPair)
    {
        /** @return the private key. */
        public PrivateKey privateKey()
        {
            return keyPair.getPrivate();
        }
    }

    private TestCertificates()
    {
    }

    /** @return a fresh RSA key pair of {@code bits} bits. */
    public static KeyPair rsaKeyPair(final int bits)
    {
        return generate("RSA", generator -> generator.initialize(bits, RANDOM));
    }

    /** @return a fresh EC key pair on the named curve ("secp256r1", "secp384r1", "secp521r1"). */
    public static KeyPair ecKeyPair(final String curve)
    {
        return generate("EC", generator -> generator.initialize(new ECGenParameterSpec(curve), RANDOM));
    }

    /** @return a fresh Ed25519 key pair. */
    public static KeyPair ed25519KeyPair()
    {
        return generate("Ed25519", generator -> { });
    }

    /** @return a self-signed ECDSA P-256 CA valid from a day ago for ten years. */
    public static Issued ca(final String commonName)
    {
        return builder("CN=" + commonName, ecKeyPair("secp256r1")).ca(true).build();
    }

    /** @return an intermediate CA issued by {@code issuer}. */
    public static Issued intermediate(final Issued issuer, final String commonName)
    {
        return builder("CN=" + commonName, ecKeyPair("secp256r1")).issuer(issuer).ca(true).build();
    }

    /** @return a leaf issued by {@code issuer} with CN = the first name and every name as a DNS subjectAltName. */
    public static Issued leaf(final Issued issuer, final KeyPair keyPair, final String... dnsNames)
    {
        return builder("CN=" + dnsNames[0], keyPair).issuer(issuer).dnsNames(dnsNames).build();
    }

    /** @return a builder for anything else (validity, no SAN, odd subjects). */
    public static Builder builder(final String subject, final KeyPair keyPair)
    {
        return new Builder(subject, keyPair);
    }

    /**
     * Write {@code <name>.crt} (leaf then issuers) and {@code <name>.key} (PKCS#8, mode 0600) into {@code dir}.
     *
     * @return a spec for the two files with names taken from the certificate.
     */
    public static CertificateSpec writeSpec(
        final Path dir, final String name, final Issued leaf, final Issued issuer, final boolean isDefault)
    {
        final Path chain = writeChain(dir.resolve(name + ".crt"), leaf.certificate(), issuer.certificate());
        final Path key = writePkcs8Key(dir.resolve(name + ".key"), leaf.privateKey());
        return CertificateSpec.of(chain, key, isDefault);
    }

    /** @return {@code file}, holding the certificates as CERTIFICATE blocks in the given order, mode 0644. */
    public static Path writeChain(final Path file, final X509Certificate... chain)
    {
        final List<PemObject> blocks = new ArrayList<>();
        for (final X509Certificate certificate : chain)
        {
            try
            {
                blocks.add(new PemObject("CERTIFICATE", certificate.getEncoded()));
            }
            catch (final GeneralSecurityException ex)
            {
                throw new IllegalStateException(ex);
            }
        }
        return writePem(file, CHAIN_MODE, blocks.toArray(new PemObject[0]));
    }

    /** @return {@code file}, holding the key as -----BEGIN PRIVATE KEY----- (PKCS#8), mode 0600. */
    public static Path writePkcs8Key(final Path file, final PrivateKey key)
    {
        return writePem(file, KEY_MODE, new PemObject("PRIVATE KEY", key.getEncoded()));
    }

    /** @return {@code file}, holding an RSA or EC key in OpenSSL's traditional form (RSA/EC PRIVATE KEY), 0600. */
    public static Path writeTraditionalKey(final Path file, final PrivateKey key)
    {
        return writePem(file, KEY_MODE, traditional(key));
    }

    /**
     * @return {@code file}, holding the key as ENCRYPTED PRIVATE KEY the way {@code openssl pkcs8 -topk8} writes it
     * (PBES2: PBKDF2 with HMAC-SHA256, AES-128-CBC), mode 0600.
     */
    public static Path writeEncryptedPkcs8Key(final Path file, final PrivateKey key, final String password)
    {
        try
        {
            final int iterations = 2048;
            final byte[] salt = new byte[16];
            final byte[] iv = new byte[16];
            RANDOM.nextBytes(salt);
            RANDOM.nextBytes(iv);
            final byte[] aesKey = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                .generateSecret(new PBEKeySpec(password.toCharArray(), salt, iterations, 128)).getEncoded();
            final Cipher cipher = Cipher.getInstance("AES/CBC/PKCS5Padding");
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(aesKey, "AES"), new IvParameterSpec(iv));

            final PBES2Parameters pbes2 = new PBES2Parameters(
                new KeyDerivationFunc(PKCSObjectIdentifiers.id_PBKDF2, new PBKDF2Params(salt, iterations, 16,
                    new AlgorithmIdentifier(PKCSObjectIdentifiers.id_hmacWithSHA256, DERNull.INSTANCE))),
                new EncryptionScheme(NISTObjectIdentifiers.id_aes128_CBC, new DEROctetString(iv)));
            final byte[] der = new org.bouncycastle.asn1.pkcs.EncryptedPrivateKeyInfo(
                new AlgorithmIdentifier(PKCSObjectIdentifiers.id_PBES2, pbes2),
                cipher.doFinal(key.getEncoded())).getEncoded(ASN1Encoding.DER);
            return writePem(file, KEY_MODE, new PemObject("ENCRYPTED PRIVATE KEY", der));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(ex);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * @return {@code file}, holding the key in the legacy OpenSSL encrypted traditional form
     * (Proc-Type: 4,ENCRYPTED; DEK-Info: AES-128-CBC, key from EVP_BytesToKey with MD5), mode 0600.
     */
    public static Path writeLegacyEncryptedKey(final Path file, final PrivateKey key, final String password)
    {
        try
        {
            final PemObject plain = traditional(key);
            final byte[] iv = new byte[16];
            RANDOM.nextBytes(iv);
            final MessageDigest md5 = MessageDigest.getInstance("MD5");
            md5.update(password.getBytes(StandardCharsets.UTF_8));
            md5.update(iv, 0, 8);
            final Cipher cipher = Cipher.getInstance("AES/CBC/PKCS5Padding");
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(md5.digest(), "AES"), new IvParameterSpec(iv));
            final List<PemHeader> headers = List.of(
                new PemHeader("Proc-Type", "4,ENCRYPTED"),
                new PemHeader("DEK-Info", "AES-128-CBC," + Hex.toHexString(iv).toUpperCase()));
            return writePem(file, KEY_MODE,
                new PemObject(plain.getType(), headers, cipher.doFinal(plain.getContent())));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** @return {@code file}, holding the blocks in order, with the POSIX mode given as "rw-------". */
    public static Path writePem(final Path file, final String mode, final PemObject... blocks)
    {
        final StringWriter text = new StringWriter();
        try (PemWriter writer = new PemWriter(text))
        {
            for (final PemObject block : blocks)
            {
                writer.writeObject(block);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return writeText(file, mode, text.toString());
    }

    /** @return {@code file}, holding {@code text}, with the POSIX mode given as "rw-------". */
    public static Path writeText(final Path file, final String mode, final String text)
    {
        try
        {
            Files.writeString(file, text, StandardCharsets.US_ASCII);
            setMode(file, mode);
            return file;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** Set a file's POSIX mode, given as "rw-r--r--". */
    public static void setMode(final Path file, final String mode)
    {
        try
        {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static PemObject traditional(final PrivateKey key)
    {
        try
        {
            final PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getEncoded());
            final ASN1ObjectIdentifier algorithm = info.getPrivateKeyAlgorithm().getAlgorithm();
            if (PKCSObjectIdentifiers.rsaEncryption.equals(algorithm))
            {
                return new PemObject("RSA PRIVATE KEY", info.parsePrivateKey().toASN1Primitive().getEncoded());
            }
            if (X9ObjectIdentifiers.id_ecPublicKey.equals(algorithm))
            {
                // the PKCS#8 inner key may omit the curve; the traditional form must carry it
                final ECPrivateKey inner = ECPrivateKey.getInstance(info.parsePrivateKey());
                final ASN1ObjectIdentifier curve = (ASN1ObjectIdentifier)info.getPrivateKeyAlgorithm().getParameters();
                final int orderBits = ((java.security.interfaces.ECPrivateKey)key).getParams().getOrder().bitLength();
                return new PemObject("EC PRIVATE KEY",
                    new ECPrivateKey(orderBits, inner.getKey(), inner.getPublicKey(), curve).getEncoded());
            }
            throw new IllegalArgumentException("no traditional PEM form for " + key.getAlgorithm());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private interface GeneratorSetup
    {
        void apply(KeyPairGenerator generator) throws GeneralSecurityException;
    }

    private static KeyPair generate(final String algorithm, final GeneratorSetup setup)
    {
        try
        {
            final KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
            setup.apply(generator);
            return generator.generateKeyPair();
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** Builds one certificate; defaults: self-signed, not a CA, valid from a day ago for ten years, no SAN. */
    public static final class Builder
    {
        private final String subject;
        private final KeyPair keyPair;
        private Issued issuer;
        private boolean ca;
        private String[] dnsNames = new String[0];
        private Instant notBefore = Instant.now().minus(Duration.ofDays(1));
        private Instant notAfter = Instant.now().plus(Duration.ofDays(3650));

        private Builder(final String subject, final KeyPair keyPair)
        {
            this.subject = subject;
            this.keyPair = keyPair;
        }

        /** Signed by this issuer instead of self-signed. */
        public Builder issuer(final Issued issuer)
        {
            this.issuer = issuer;
            return this;
        }

        /** Mark as a CA (basicConstraints cA=true, keyCertSign). */
        public Builder ca(final boolean ca)
        {
            this.ca = ca;
            return this;
        }

        /** DNS subjectAltNames (none by default). */
        public Builder dnsNames(final String... dnsNames)
        {
            this.dnsNames = dnsNames.clone();
            return this;
        }

        /** Validity period. */
        public Builder validity(final Instant notBefore, final Instant notAfter)
        {
            this.notBefore = notBefore;
            this.notAfter = notAfter;
            return this;
        }

        /** @return the signed certificate with its key pair. */
        public Issued build()
        {
            try
            {
                final X500Name subjectName = new X500Name(subject);
                final PrivateKey signingKey = issuer != null ? issuer.privateKey() : keyPair.getPrivate();
                final AlgorithmIdentifier signatureAlgorithm = signatureAlgorithm(signingKey);

                final V3TBSCertificateGenerator tbs = new V3TBSCertificateGenerator();
                tbs.setSerialNumber(new ASN1Integer(BigInteger.valueOf(SERIAL.incrementAndGet())));
                tbs.setIssuer(issuer != null ?
                    X500Name.getInstance(issuer.certificate().getSubjectX500Principal().getEncoded()) : subjectName);
                tbs.setSubject(subjectName);
                tbs.setStartDate(new Time(Date.from(notBefore)));
                tbs.setEndDate(new Time(Date.from(notAfter)));
                tbs.setSubjectPublicKeyInfo(SubjectPublicKeyInfo.getInstance(keyPair.getPublic().getEncoded()));
                tbs.setSignature(signatureAlgorithm);

                final ExtensionsGenerator extensions = new ExtensionsGenerator();
                extensions.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
                extensions.addExtension(Extension.keyUsage, true, new KeyUsage(ca ?
                    KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
                if (dnsNames.length > 0)
                {
                    final GeneralName[] names = new GeneralName[dnsNames.length];
                    for (int i = 0; i < names.length; i++)
                    {
                        names[i] = new GeneralName(GeneralName.dNSName, dnsNames[i]);
                    }
                    extensions.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
                }
                tbs.setExtensions(extensions.generate());
                final TBSCertificate tbsCertificate = tbs.generateTBSCertificate();

                final Signature signer = Signature.getInstance(jcaSignatureName(signingKey));
                signer.initSign(signingKey);
                signer.update(tbsCertificate.getEncoded(ASN1Encoding.DER));

                final ASN1EncodableVector certificate = new ASN1EncodableVector();
                certificate.add(tbsCertificate);
                certificate.add(signatureAlgorithm);
                certificate.add(new DERBitString(signer.sign()));
                final byte[] der = new DERSequence(certificate).getEncoded(ASN1Encoding.DER);

                return new Issued((X509Certificate)CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der)), keyPair);
            }
            catch (final GeneralSecurityException ex)
            {
                throw new IllegalStateException(ex);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }

        private static AlgorithmIdentifier signatureAlgorithm(final PrivateKey key)
        {
            switch (key.getAlgorithm())
            {
                case "RSA":
                    return new AlgorithmIdentifier(PKCSObjectIdentifiers.sha256WithRSAEncryption, DERNull.INSTANCE);
                case "EC":
                    return new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256);
                case "Ed25519":
                case "EdDSA":
                    return new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519);
                default:
                    throw new IllegalArgumentException("cannot sign with " + key.getAlgorithm());
            }
        }

        private static String jcaSignatureName(final PrivateKey key)
        {
            switch (key.getAlgorithm())
            {
                case "RSA":
                    return "SHA256withRSA";
                case "EC":
                    return "SHA256withECDSA";
                default:
                    return "Ed25519";
            }
        }
    }
}
