package org.inlinetls.handshake.cert;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Object;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.RSAPrivateKey;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.util.io.pem.PemHeader;
import org.bouncycastle.util.io.pem.PemObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.interfaces.RSAKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import org.inlinetls.handshake.cert.ServerCredential.KeyType;

/**
 * Loads and classifies the leaf's private key from a PEM file: PKCS#8 {@code PRIVATE KEY}, or the traditional
 * OpenSSL {@code RSA PRIVATE KEY} / {@code EC PRIVATE KEY}, unencrypted, RSA 2048+ or ECDSA P-256/P-384 only.
 */
final class PrivateKeyFile
{
    static final int MIN_RSA_BITS = 2048;

    private static final String ROLE = "key file";
    private static final String SUPPORTED = "use RSA (2048 bits or more) or ECDSA on P-256 or P-384";
    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = Set.of(
        PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
        PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    /**
     * The loaded key and what it is.
     *
     * @param privateKey the key, through the JDK's KeyFactory.
     * @param keyType    its kind.
     * @param bits       RSA modulus or EC field size, for logs.
     */
    record Loaded(PrivateKey privateKey, KeyType keyType, int bits)
    {
        @Override
        public String toString()
        {
            return keyType + "/" + bits + " (key hidden)";
        }
    }

    private PrivateKeyFile()
    {
    }

    /**
     * Refuse a key file that group or others may read, write or execute: the key must be mode 0600 or 0400
     * (any owner). On a file system without POSIX permissions the check cannot be made and is skipped.
     *
     * @param file the key file.
     * @return false when the check could not be made (not a POSIX file system), true when it passed.
     * @throws CertificateStoreException when the file is missing or too open.
     */
    static boolean checkPermissions(final Path file) throws CertificateStoreException
    {
        final Set<PosixFilePermission> permissions;
        try
        {
            permissions = Files.getPosixFilePermissions(file);
        }
        catch (final UnsupportedOperationException ex)
        {
            return false;
        }
        catch (final NoSuchFileException ex)
        {
            throw new CertificateStoreException(ROLE + " " + file + " does not exist");
        }
        catch (final IOException ex)
        {
            throw new CertificateStoreException(
                "cannot read the permissions of " + ROLE + " " + file + ": " + ex.getClass().getSimpleName());
        }

        if (permissions.stream().anyMatch(GROUP_OR_OTHERS::contains))
        {
            final boolean readable = permissions.contains(PosixFilePermission.GROUP_READ) ||
                permissions.contains(PosixFilePermission.OTHERS_READ);
            throw new CertificateStoreException(
                ROLE + " " + file + " is " + (readable ? "readable" : "accessible") + " by others (mode " +
                mode(permissions) + "): chmod 600 " + file);
        }

        return true;
    }

    /**
     * @param file the key file (permissions already checked).
     * @return the key, classified.
     * @throws CertificateStoreException when the file holds no usable key; the message says why and names the file.
     */
    static Loaded load(final Path file) throws CertificateStoreException
    {
        final List<PemObject> blocks = PemFile.read(file, ROLE);
        byte[] pkcs8 = null;
        try
        {
            for (final PemObject block : blocks)
            {
                final byte[] next = toPkcs8(file, block);
                if (next != null && pkcs8 != null)
                {
                    Arrays.fill(next, (byte)0);
                    throw new CertificateStoreException(ROLE + " " + file + " holds more than one private key");
                }
                pkcs8 = next != null ? next : pkcs8;
            }
            if (pkcs8 == null)
            {
                throw new CertificateStoreException(
                    ROLE + " " + file + " holds no private key (expected -----BEGIN PRIVATE KEY-----)");
            }

            return classify(file, pkcs8);
        }
        finally
        {
            PemFile.zero(blocks);
            if (pkcs8 != null)
            {
                Arrays.fill(pkcs8, (byte)0);
            }
        }
    }

    /** @return the PKCS#8 encoding of a key block, or null for a block to skip. */
    private static byte[] toPkcs8(final Path file, final PemObject block) throws CertificateStoreException
    {
        final String type = block.getType();
        switch (type)
        {
            case "PRIVATE KEY":
                return block.getContent().clone();

            case "RSA PRIVATE KEY":
                refuseLegacyEncryption(file, block);
                return wrap(file, type, new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE),
                    rsaPrivateKey(file, block));

            case "EC PRIVATE KEY":
                refuseLegacyEncryption(file, block);
                final ECPrivateKey ecKey = ecPrivateKey(file, block);
                final ASN1Object parameters = ecKey.getParametersObject();
                if (!(parameters instanceof ASN1ObjectIdentifier))
                {
                    throw new CertificateStoreException(ROLE + " " + file + ": the EC PRIVATE KEY " +
                        (parameters == null ? "does not name its curve" : "uses explicit curve parameters") +
                        "; convert it with: openssl pkcs8 -topk8 -nocrypt -in " + file);
                }
                return wrap(file, type, new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, parameters), ecKey);

            case "ENCRYPTED PRIVATE KEY":
                throw encrypted(file, type);

            case "EC PARAMETERS":
            case "CERTIFICATE":
                return null;

            default:
                throw new CertificateStoreException(
                    ROLE + " " + file + " holds an unsupported '" + type + "' block (expected PRIVATE KEY)");
        }
    }

    private static RSAPrivateKey rsaPrivateKey(final Path file, final PemObject block) throws CertificateStoreException
    {
        try
        {
            return RSAPrivateKey.getInstance(block.getContent());
        }
        catch (final RuntimeException ex)
        {
            throw malformed(file, block.getType(), ex);
        }
    }

    private static ECPrivateKey ecPrivateKey(final Path file, final PemObject block) throws CertificateStoreException
    {
        try
        {
            return ECPrivateKey.getInstance(block.getContent());
        }
        catch (final RuntimeException ex)
        {
            throw malformed(file, block.getType(), ex);
        }
    }

    private static byte[] wrap(
        final Path file, final String type, final AlgorithmIdentifier algorithm, final ASN1Encodable key)
        throws CertificateStoreException
    {
        try
        {
            return new PrivateKeyInfo(algorithm, key).getEncoded(ASN1Encoding.DER);
        }
        catch (final IOException | RuntimeException ex)
        {
            throw malformed(file, type, ex);
        }
    }

    private static void refuseLegacyEncryption(final Path file, final PemObject block) throws CertificateStoreException
    {
        for (final Object header : block.getHeaders())
        {
            final PemHeader pemHeader = (PemHeader)header;
            if ("Proc-Type".equalsIgnoreCase(pemHeader.getName()) && pemHeader.getValue().contains("ENCRYPTED"))
            {
                throw encrypted(file, block.getType());
            }
        }
    }

    private static Loaded classify(final Path file, final byte[] pkcs8) throws CertificateStoreException
    {
        final PrivateKeyInfo info;
        try
        {
            info = PrivateKeyInfo.getInstance(pkcs8);
        }
        catch (final RuntimeException ex)
        {
            throw malformed(file, "PRIVATE KEY", ex);
        }

        final ASN1ObjectIdentifier algorithm = info.getPrivateKeyAlgorithm().getAlgorithm();
        if (PKCSObjectIdentifiers.rsaEncryption.equals(algorithm))
        {
            final PrivateKey key = generate(file, "RSA", pkcs8);
            final int bits = ((RSAKey)key).getModulus().bitLength();
            if (bits < MIN_RSA_BITS)
            {
                throw new CertificateStoreException(ROLE + " " + file + " holds a " + bits +
                    "-bit RSA key: at least " + MIN_RSA_BITS + " bits are required");
            }
            return new Loaded(key, KeyType.RSA, bits);
        }

        if (X9ObjectIdentifiers.id_ecPublicKey.equals(algorithm))
        {
            final ASN1Encodable parameters = info.getPrivateKeyAlgorithm().getParameters();
            if (!(parameters instanceof ASN1ObjectIdentifier))
            {
                throw new CertificateStoreException(ROLE + " " + file +
                    " holds an EC key with explicit curve parameters: " + SUPPORTED + " (named curve)");
            }
            final ASN1ObjectIdentifier curve = (ASN1ObjectIdentifier)parameters;
            if (SECObjectIdentifiers.secp256r1.equals(curve))
            {
                return new Loaded(generate(file, "EC", pkcs8), KeyType.EC_P256, 256);
            }
            if (SECObjectIdentifiers.secp384r1.equals(curve))
            {
                return new Loaded(generate(file, "EC", pkcs8), KeyType.EC_P384, 384);
            }
            final String name = ECNamedCurveTable.getName(curve);
            throw new CertificateStoreException(ROLE + " " + file + " holds an EC key on curve " +
                (name != null ? name + " (" + curve + ")" : curve.getId()) + ", which is not supported: " + SUPPORTED);
        }

        throw new CertificateStoreException(ROLE + " " + file + " holds a key of type " + algorithmName(algorithm) +
            ", which is not supported: " + SUPPORTED);
    }

    private static PrivateKey generate(final Path file, final String algorithm, final byte[] pkcs8)
        throws CertificateStoreException
    {
        try
        {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        }
        catch (final GeneralSecurityException | RuntimeException ex)
        {
            throw malformed(file, algorithm + " PRIVATE KEY", ex);
        }
    }

    private static String algorithmName(final ASN1ObjectIdentifier algorithm)
    {
        if (EdECObjectIdentifiers.id_Ed25519.equals(algorithm))
        {
            return "Ed25519";
        }
        if (EdECObjectIdentifiers.id_Ed448.equals(algorithm))
        {
            return "Ed448";
        }
        if (PKCSObjectIdentifiers.id_RSASSA_PSS.equals(algorithm))
        {
            return "RSASSA-PSS (restricted)";
        }
        if (X9ObjectIdentifiers.id_dsa.equals(algorithm))
        {
            return "DSA";
        }
        return "algorithm " + algorithm.getId();
    }

    private static CertificateStoreException encrypted(final Path file, final String type)
    {
        return new CertificateStoreException(ROLE + " " + file + " is encrypted (" + type +
            "): the appliance needs an unencrypted key; decrypt it with: openssl pkey -in " + file +
            " -out <new file>, then chmod 600 <new file>");
    }

    /** Deliberately drops the cause: parser messages may quote the bytes they failed on, which are key bytes. */
    private static CertificateStoreException malformed(final Path file, final String type, final Exception ex)
    {
        return new CertificateStoreException(ROLE + " " + file + " holds a malformed " + type + " block (" +
            ex.getClass().getSimpleName() + ")");
    }

    private static String mode(final Set<PosixFilePermission> permissions)
    {
        int mode = 0;
        for (final PosixFilePermission permission : permissions)
        {
            // PosixFilePermission is declared OWNER_READ .. OTHERS_EXECUTE, i.e. from bit 8 down to bit 0
            mode |= 1 << (8 - permission.ordinal());
        }
        return String.format("0%03o", mode);
    }
}
