package org.inlinetls.handshake.cert;

import org.bouncycastle.util.io.pem.PemObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

import org.inlinetls.handshake.cert.TestCertificates.Issued;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CertificateStoreRefusalTest
{
    private static Issued ca;
    private static KeyPair p256;

    @TempDir
    Path dir;

    @BeforeAll
    static void createPki()
    {
        ca = TestCertificates.ca("Test Root CA");
        p256 = TestCertificates.ecKeyPair("secp256r1");
    }

    @Test
    void shouldRefuseMissingChainFile()
    {
        final CertificateSpec spec = validSpec();
        final Path missing = dir.resolve("nope.crt");

        assertProblem(List.of(CertificateSpec.of(missing, spec.keyPem(), true)),
            "certificate chain file " + missing + " does not exist");
    }

    @Test
    void shouldRefuseMissingKeyFile()
    {
        final CertificateSpec spec = validSpec();
        final Path missing = dir.resolve("nope.key");

        assertProblem(List.of(CertificateSpec.of(spec.chainPem(), missing, true)),
            "key file " + missing + " does not exist");
    }

    @Test
    void shouldRefuseKeyReadableByOthers()
    {
        final CertificateSpec spec = validSpec();
        TestCertificates.setMode(spec.keyPem(), "rw-r--r--");

        final String key = spec.keyPem().toString();
        assertEquals(List.of("key file " + key + " is readable by others (mode 0644): chmod 600 " + key),
            refuse(List.of(spec)).problems());
    }

    @Test
    void shouldRefuseKeyReadableOrWritableByGroup()
    {
        final CertificateSpec spec = validSpec();
        TestCertificates.setMode(spec.keyPem(), "rw-r-----");
        assertProblem(List.of(spec), "is readable by others (mode 0640)");

        TestCertificates.setMode(spec.keyPem(), "rw--w----");
        assertProblem(List.of(spec), "is accessible by others (mode 0620)");
    }

    @Test
    void shouldAcceptReadOnlyKey() throws Exception
    {
        final CertificateSpec spec = validSpec();
        TestCertificates.setMode(spec.keyPem(), "r--------");

        assertEquals(1, CertificateStore.open(List.of(spec)).credentials().size());
    }

    @Test
    void shouldRefuseKeyThatDoesNotMatchCertificate()
    {
        final CertificateSpec spec = validSpec();
        TestCertificates.writePkcs8Key(spec.keyPem(), TestCertificates.ecKeyPair("secp256r1").getPrivate());

        assertProblem(List.of(spec), "key file " + spec.keyPem() + " does not match the leaf certificate in " +
            spec.chainPem());
    }

    @Test
    void shouldRefuseKeyOfOtherAlgorithmThanCertificate()
    {
        final CertificateSpec spec = validSpec();
        TestCertificates.writePkcs8Key(spec.keyPem(), TestCertificates.rsaKeyPair(2048).getPrivate());

        assertProblem(List.of(spec), "holds an RSA key but the leaf certificate in " + spec.chainPem() +
            " has an EC public key");
    }

    @Test
    void shouldRefuseEncryptedPkcs8Key()
    {
        final CertificateSpec spec = validSpec();
        TestCertificates.writeEncryptedPkcs8Key(spec.keyPem(), p256.getPrivate(), "secret");

        assertProblem(List.of(spec), "key file " + spec.keyPem() + " is encrypted (ENCRYPTED PRIVATE KEY)");
    }

    @Test
    void shouldRefuseLegacyEncryptedTraditionalKey()
    {
        final CertificateSpec spec = validSpec();
        TestCertificates.writeLegacyEncryptedKey(spec.keyPem(), p256.getPrivate(), "secret");

        assertProblem(List.of(spec), "key file " + spec.keyPem() + " is encrypted (EC PRIVATE KEY)");
    }

    @Test
    void shouldRefuseRsa1024()
    {
        final KeyPair rsa1024 = TestCertificates.rsaKeyPair(1024);
        final CertificateSpec spec =
            TestCertificates.writeSpec(dir, "small", TestCertificates.leaf(ca, rsa1024, "s.example.com"), ca, true);

        assertProblem(List.of(spec), "key file " + spec.keyPem() +
            " holds a 1024-bit RSA key: at least 2048 bits are required");
    }

    @Test
    void shouldRefuseP521()
    {
        final KeyPair p521 = TestCertificates.ecKeyPair("secp521r1");
        final CertificateSpec spec =
            TestCertificates.writeSpec(dir, "p521", TestCertificates.leaf(ca, p521, "p.example.com"), ca, true);

        assertProblem(List.of(spec), "key file " + spec.keyPem() +
            " holds an EC key on curve secp521r1 (1.3.132.0.35), which is not supported");
    }

    @Test
    void shouldRefuseEd25519()
    {
        final KeyPair ed25519 = TestCertificates.ed25519KeyPair();
        final CertificateSpec spec =
            TestCertificates.writeSpec(dir, "ed", TestCertificates.leaf(ca, ed25519, "ed.example.com"), ca, true);

        assertProblem(List.of(spec), "key file " + spec.keyPem() +
            " holds a key of type Ed25519, which is not supported: use RSA (2048 bits or more) or ECDSA on P-256" +
            " or P-384");
    }

    @Test
    void shouldRefuseExpiredLeaf()
    {
        final Instant now = Instant.now();
        final Issued leaf = TestCertificates.builder("CN=old.example.com", p256).issuer(ca)
            .validity(now.minus(Duration.ofDays(400)), now.minus(Duration.ofDays(2))).build();
        final CertificateSpec spec = TestCertificates.writeSpec(dir, "old", leaf, ca, true);

        assertProblem(List.of(spec), "certificate chain file " + spec.chainPem() +
            ": the leaf certificate (CN=old.example.com) expired on ");
    }

    @Test
    void shouldRefuseLeafNotYetValid()
    {
        final Instant now = Instant.now();
        final Issued leaf = TestCertificates.builder("CN=future.example.com", p256).issuer(ca)
            .validity(now.plus(Duration.ofDays(2)), now.plus(Duration.ofDays(400))).build();

        assertProblem(List.of(TestCertificates.writeSpec(dir, "future", leaf, ca, true)), "is not valid before");
    }

    @Test
    void shouldRefuseGarbageChainFile()
    {
        final CertificateSpec spec = validSpec();
        TestCertificates.writeText(spec.chainPem(), TestCertificates.CHAIN_MODE, "this is not a certificate\n");

        assertProblem(List.of(spec), "certificate chain file " + spec.chainPem() + " contains no PEM block");
    }

    @Test
    void shouldRefuseCertificateBlockWithGarbageContent()
    {
        final CertificateSpec spec = validSpec();
        TestCertificates.writePem(spec.chainPem(), TestCertificates.CHAIN_MODE,
            new PemObject("CERTIFICATE", new byte[] { 0x30, 0x03, 0x02, 0x01, 0x01 }));

        assertProblem(List.of(spec), "certificate chain file " + spec.chainPem() +
            ": certificate 1 is not a valid X.509 certificate");
    }

    @Test
    void shouldRefuseTruncatedPem() throws Exception
    {
        final CertificateSpec spec = validSpec();
        final String text = Files.readString(spec.chainPem());
        TestCertificates.writeText(spec.chainPem(), TestCertificates.CHAIN_MODE, text.substring(0, text.length() / 3));

        assertProblem(List.of(spec), "certificate chain file " + spec.chainPem() + " is not valid PEM");
    }

    @Test
    void shouldRefuseGarbageKeyWithoutQuotingIt()
    {
        final CertificateSpec spec = validSpec();
        final byte[] almostKey = p256.getPrivate().getEncoded().clone();
        almostKey[1] = (byte)0x7F;
        TestCertificates.writePem(spec.keyPem(), TestCertificates.KEY_MODE, new PemObject("PRIVATE KEY", almostKey));

        final CertificateStoreException ex = refuse(List.of(spec));
        assertTrue(ex.getMessage().contains("key file " + spec.keyPem() + " holds a malformed PRIVATE KEY block"),
            ex.getMessage());
        assertNull(ex.getCause());
        assertFalse(ex.getMessage().contains(Base64.getEncoder().encodeToString(almostKey).substring(20, 40)));
    }

    @Test
    void shouldRefuseKeyFileWithoutKey()
    {
        final CertificateSpec spec = validSpec();
        TestCertificates.writeChain(spec.keyPem(), ca.certificate());
        TestCertificates.setMode(spec.keyPem(), TestCertificates.KEY_MODE);

        assertProblem(List.of(spec), "key file " + spec.keyPem() + " holds no private key");
    }

    @Test
    void shouldRefuseChainInWrongOrder()
    {
        final Issued leaf = TestCertificates.leaf(ca, p256, "order.example.com");
        final Path chain = TestCertificates.writeChain(dir.resolve("order.crt"), ca.certificate(), leaf.certificate());
        final Path key = TestCertificates.writePkcs8Key(dir.resolve("order.key"), leaf.privateKey());

        assertProblem(List.of(CertificateSpec.of(chain, key, true)), "certificate chain file " + chain +
            " is not in order: certificate 2 (CN=order.example.com) did not issue leaf certificate (CN=Test Root CA)");
    }

    @Test
    void shouldRefuseChainWithWrongIssuerKey()
    {
        final Issued impostor = TestCertificates.ca("Test Root CA");
        final Issued leaf = TestCertificates.leaf(ca, p256, "key.example.com");

        assertProblem(List.of(TestCertificates.writeSpec(dir, "imp", leaf, impostor, true)),
            "did not sign (same name, different key) leaf certificate (CN=key.example.com)");
    }

    @Test
    void shouldRefusePrivateKeyInsideChainFile() throws Exception
    {
        final CertificateSpec spec = validSpec();
        TestCertificates.writeText(spec.chainPem(), TestCertificates.CHAIN_MODE,
            Files.readString(spec.chainPem()) + Files.readString(spec.keyPem()));

        assertProblem(List.of(spec), "certificate chain file " + spec.chainPem() + " holds a private key");
    }

    @Test
    void shouldRefuseTwoDefaults()
    {
        final CertificateSpec one =
            TestCertificates.writeSpec(dir, "one", TestCertificates.leaf(ca, p256, "one.example.com"), ca, true);
        final CertificateSpec two =
            TestCertificates.writeSpec(dir, "two", TestCertificates.leaf(ca, p256, "two.example.com"), ca, true);

        assertProblem(List.of(one, two), "more than one default certificate");
    }

    @Test
    void shouldRefuseSameNameForTwoCredentials()
    {
        final CertificateSpec one =
            TestCertificates.writeSpec(dir, "one", TestCertificates.leaf(ca, p256, "same.example.com"), ca, true);
        final CertificateSpec two =
            TestCertificates.writeSpec(dir, "two", TestCertificates.leaf(ca, p256, "same.example.com"), ca, false);

        assertProblem(List.of(one, two), "server name same.example.com is claimed by both " + one.chainPem() +
            " and " + two.chainPem());
    }

    @Test
    void shouldRefuseInvalidConfiguredName()
    {
        final CertificateSpec spec = validSpec();

        assertProblem(List.of(new CertificateSpec(spec.chainPem(), spec.keyPem(), List.of("bad name"), true)),
            "server name 'bad name' given for " + spec.chainPem() + " is not a DNS name");
    }

    @Test
    void shouldRefuseEmptySpecList()
    {
        assertProblem(List.of(), "no certificates configured");
    }

    @Test
    void shouldReportEveryFailingSpec()
    {
        final CertificateSpec spec = validSpec();
        final Path missingChain = dir.resolve("a.crt");
        final Path missingKey = dir.resolve("b.key");

        final CertificateStoreException ex = refuse(List.of(
            CertificateSpec.of(missingChain, spec.keyPem(), true),
            CertificateSpec.of(spec.chainPem(), missingKey, false)));

        assertEquals(2, ex.problems().size(), ex.getMessage());
        assertTrue(ex.problems().get(0).contains(missingChain.toString()));
        assertTrue(ex.problems().get(1).contains(missingKey.toString()));
    }

    private CertificateSpec validSpec()
    {
        return TestCertificates.writeSpec(dir, "site", TestCertificates.leaf(ca, p256, "site.example.com"), ca, true);
    }

    private static CertificateStoreException refuse(final List<CertificateSpec> specs)
    {
        return assertThrows(CertificateStoreException.class, () -> CertificateStore.open(specs));
    }

    private static void assertProblem(final List<CertificateSpec> specs, final String expected)
    {
        final CertificateStoreException ex = refuse(specs);
        assertTrue(ex.getMessage().contains(expected), () -> "expected '" + expected + "' in: " + ex.getMessage());
    }
}
