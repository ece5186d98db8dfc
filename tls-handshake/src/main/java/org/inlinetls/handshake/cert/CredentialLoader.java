package org.inlinetls.handshake.cert;

import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.util.io.pem.PemObject;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.inlinetls.handshake.cert.ServerCredential.KeyType;

/**
 * Turns one {@link CertificateSpec} into a checked {@link ServerCredential}: chain order and validity, key file
 * permissions, key type, key-certificate match, and the names it answers for.
 */
final class CredentialLoader
{
    static final Duration EXPIRY_WARNING = Duration.ofDays(30);

    private static final String ROLE = "certificate chain file";
    private static final int SAN_DNS_NAME = 2;
    private static final byte[] PROBE =
        "inline-tls certificate store key match probe".getBytes(StandardCharsets.US_ASCII);

    private final Clock clock;
    private final List<String> warnings;

    /**
     * @param clock    what "now" is for validity checks.
     * @param warnings where non-fatal findings (expiry soon, skipped names, unchecked permissions) are added.
     */
    CredentialLoader(final Clock clock, final List<String> warnings)
    {
        this.clock = clock;
        this.warnings = warnings;
    }

    ServerCredential load(final CertificateSpec spec) throws CertificateStoreException
    {
        final Path chainFile = spec.chainPem();
        final List<X509Certificate> chain = readChain(chainFile, spec.keyPem());
        checkValidity(chainFile, chain);
        checkOrder(chainFile, chain);

        if (!PrivateKeyFile.checkPermissions(spec.keyPem()))
        {
            warnings.add("key file " + spec.keyPem() + " is on a file system without POSIX permissions; " +
                "its permissions were not checked");
        }
        final PrivateKeyFile.Loaded key = PrivateKeyFile.load(spec.keyPem());
        final X509Certificate leaf = chain.get(0);
        checkKeyMatches(spec, key, leaf);

        final List<byte[]> ders = new ArrayList<>(chain.size());
        for (final X509Certificate certificate : chain)
        {
            ders.add(encoded(chainFile, certificate));
        }

        return new ServerCredential(
            chainFile.toString(), List.copyOf(ders), key.privateKey(), key.keyType(), names(spec, leaf));
    }

    private static List<X509Certificate> readChain(final Path file, final Path keyFile)
        throws CertificateStoreException
    {
        final List<PemObject> blocks = PemFile.read(file, ROLE);
        final List<X509Certificate> chain = new ArrayList<>(blocks.size());
        try
        {
            final CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (final PemObject block : blocks)
            {
                if ("EC PARAMETERS".equals(block.getType()))
                {
                    continue;
                }
                if (PemFile.isPrivateKeyType(block.getType()))
                {
                    if (!file.equals(keyFile))
                    {
                        throw new CertificateStoreException(ROLE + " " + file + " holds a private key (" +
                            block.getType() + "); keep the key only in the key file, readable by its owner alone");
                    }
                    continue;
                }
                if (!"CERTIFICATE".equals(block.getType()))
                {
                    throw new CertificateStoreException(ROLE + " " + file + " holds an unexpected '" +
                        block.getType() + "' block (expected CERTIFICATE)");
                }
                try
                {
                    chain.add((X509Certificate)factory.generateCertificate(
                        new ByteArrayInputStream(block.getContent())));
                }
                catch (final GeneralSecurityException | RuntimeException ex)
                {
                    throw new CertificateStoreException(
                        ROLE + " " + file + ": certificate " + (chain.size() + 1) + " is not a valid X.509 " +
                        "certificate (" + ex.getMessage() + ")", ex);
                }
            }
        }
        catch (final GeneralSecurityException ex)
        {
            throw new CertificateStoreException("no X.509 CertificateFactory in this JVM", ex);
        }
        finally
        {
            // the file may double as the key file
            PemFile.zero(blocks);
        }

        if (chain.isEmpty())
        {
            throw new CertificateStoreException(ROLE + " " + file + " holds no certificate");
        }

        return chain;
    }

    private void checkValidity(final Path file, final List<X509Certificate> chain) throws CertificateStoreException
    {
        final Instant now = clock.instant();
        for (int i = 0; i < chain.size(); i++)
        {
            final X509Certificate certificate = chain.get(i);
            final String which = describe(i, certificate);
            final Instant notAfter = certificate.getNotAfter().toInstant();
            final Instant notBefore = certificate.getNotBefore().toInstant();
            if (i == 0 && notAfter.isBefore(now))
            {
                throw new CertificateStoreException(
                    ROLE + " " + file + ": the " + which + " expired on " + notAfter + "; renew it");
            }
            if (i == 0 && notBefore.isAfter(now))
            {
                throw new CertificateStoreException(
                    ROLE + " " + file + ": the " + which + " is not valid before " + notBefore);
            }
            if (notAfter.isBefore(now))
            {
                // an expired cross-sign kept for old clients is normal; clients with a newer path ignore it
                warnings.add(ROLE + " " + file + ": the " + which + " expired on " + notAfter);
            }
            else if (notAfter.isBefore(now.plus(EXPIRY_WARNING)))
            {
                warnings.add(ROLE + " " + file + ": the " + which + " expires on " + notAfter + ", in " +
                    Duration.between(now, notAfter).toDays() + " days");
            }
        }
    }

    private static void checkOrder(final Path file, final List<X509Certificate> chain) throws CertificateStoreException
    {
        for (int i = 1; i < chain.size(); i++)
        {
            final X509Certificate subject = chain.get(i - 1);
            final X509Certificate issuer = chain.get(i);
            final boolean namesMatch = subject.getIssuerX500Principal().equals(issuer.getSubjectX500Principal());
            if (!namesMatch || !verifies(subject, issuer.getPublicKey()))
            {
                throw new CertificateStoreException(
                    ROLE + " " + file + " is not in order: " + describe(i, issuer) + " did not " +
                    (namesMatch ? "sign (same name, different key) " : "issue ") + describe(i - 1, subject) +
                    " (issued by " + subject.getIssuerX500Principal().getName() + "); put the leaf first, then " +
                    "each certificate's issuer");
            }
        }
    }

    private void checkKeyMatches(final CertificateSpec spec, final PrivateKeyFile.Loaded key,
        final X509Certificate leaf) throws CertificateStoreException
    {
        final PublicKey publicKey = leaf.getPublicKey();
        final String keyAlgorithm = key.keyType() == KeyType.RSA ? "RSA" : "EC";
        if (!keyAlgorithm.equals(publicKey.getAlgorithm()))
        {
            throw new CertificateStoreException("key file " + spec.keyPem() + " holds an " + keyAlgorithm +
                " key but the leaf certificate in " + spec.chainPem() + " has an " + publicKey.getAlgorithm() +
                " public key: they do not belong together");
        }

        final String algorithm = key.keyType() == KeyType.RSA ? "SHA256withRSA" : "SHA256withECDSA";
        boolean matches;
        try
        {
            final Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key.privateKey());
            signer.update(PROBE);
            final byte[] signature = signer.sign();
            final Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(PROBE);
            matches = verifier.verify(signature);
        }
        catch (final GeneralSecurityException | RuntimeException ex)
        {
            matches = false;
        }

        if (!matches)
        {
            throw new CertificateStoreException("key file " + spec.keyPem() +
                " does not match the leaf certificate in " + spec.chainPem() + " (" +
                leaf.getSubjectX500Principal().getName() + "): a test signature did not verify");
        }
    }

    private List<String> names(final CertificateSpec spec, final X509Certificate leaf)
        throws CertificateStoreException
    {
        final Set<String> names = new LinkedHashSet<>();
        if (!spec.serverNames().isEmpty())
        {
            final List<String> certificateNames = certificateNames(spec.chainPem(), leaf, false);
            for (final String configured : spec.serverNames())
            {
                final String name = ServerNames.normalise(configured);
                if (name == null)
                {
                    throw new CertificateStoreException("server name '" + configured + "' given for " +
                        spec.chainPem() + " is not a DNS name (letters, digits, '-', '.', optional leading '*.')");
                }
                if (!ServerNames.coveredBy(name, certificateNames))
                {
                    warnings.add("server name " + name + " given for " + spec.chainPem() +
                        " is not among its certificate's names " + certificateNames + "; clients will reject it");
                }
                names.add(name);
            }
        }
        else
        {
            names.addAll(certificateNames(spec.chainPem(), leaf, true));
        }

        if (names.isEmpty() && !spec.isDefault())
        {
            throw new CertificateStoreException(ROLE + " " + spec.chainPem() + ": the leaf certificate has no DNS " +
                "name (subjectAltName or CN) and no server names are configured, so it could never be selected; " +
                "configure server names or make it the default");
        }

        return List.copyOf(names);
    }

    /** RFC 6125 §6.4.4: the CN counts only when the certificate has no DNS subjectAltName. */
    private List<String> certificateNames(final Path file, final X509Certificate leaf, final boolean warn)
        throws CertificateStoreException
    {
        final List<String> raw = new ArrayList<>();
        try
        {
            final Collection<List<?>> alternativeNames = leaf.getSubjectAlternativeNames();
            if (alternativeNames != null)
            {
                for (final List<?> entry : alternativeNames)
                {
                    if (entry.size() >= 2 && Integer.valueOf(SAN_DNS_NAME).equals(entry.get(0)))
                    {
                        raw.add(String.valueOf(entry.get(1)));
                    }
                }
            }
        }
        catch (final CertificateParsingException ex)
        {
            throw new CertificateStoreException(
                ROLE + " " + file + ": the leaf's subjectAltName cannot be parsed (" + ex.getMessage() + ")", ex);
        }

        if (raw.isEmpty())
        {
            final X500Name subject = X500Name.getInstance(leaf.getSubjectX500Principal().getEncoded());
            for (final RDN rdn : subject.getRDNs(BCStyle.CN))
            {
                raw.add(IETFUtils.valueToString(rdn.getFirst().getValue()));
            }
        }

        final List<String> names = new ArrayList<>(raw.size());
        for (final String candidate : raw)
        {
            final String name = ServerNames.normalise(candidate);
            if (name != null)
            {
                names.add(name);
            }
            else if (warn)
            {
                warnings.add(ROLE + " " + file + ": certificate name '" + candidate +
                    "' is not a DNS name this store can match; ignored");
            }
        }

        return names;
    }

    private static boolean verifies(final X509Certificate certificate, final PublicKey issuerKey)
    {
        try
        {
            certificate.verify(issuerKey);
            return true;
        }
        catch (final GeneralSecurityException | RuntimeException ex)
        {
            return false;
        }
    }

    private static byte[] encoded(final Path file, final X509Certificate certificate)
        throws CertificateStoreException
    {
        try
        {
            return certificate.getEncoded();
        }
        catch (final GeneralSecurityException ex)
        {
            throw new CertificateStoreException(ROLE + " " + file + ": cannot encode " +
                certificate.getSubjectX500Principal().getName(), ex);
        }
    }

    private static String describe(final int index, final X509Certificate certificate)
    {
        return (index == 0 ? "leaf certificate" : "certificate " + (index + 1)) + " (" +
            certificate.getSubjectX500Principal().getName() + ")";
    }
}
