package org.inlinetls.handshake.cert;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.inlinetls.handshake.cert.ServerCredential.KeyType;
import org.inlinetls.handshake.cert.TestCertificates.Issued;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CertificateStoreTest
{
    private static Issued ca;
    private static KeyPair rsa2048;
    private static KeyPair p256;
    private static KeyPair p384;

    @TempDir
    Path dir;

    @BeforeAll
    static void createPki()
    {
        ca = TestCertificates.ca("Test Root CA");
        rsa2048 = TestCertificates.rsaKeyPair(2048);
        p256 = TestCertificates.ecKeyPair("secp256r1");
        p384 = TestCertificates.ecKeyPair("secp384r1");
    }

    @Test
    void shouldLoadRsa2048Pkcs8Credential() throws Exception
    {
        final Issued leaf = TestCertificates.leaf(ca, rsa2048, "rsa.example.com");
        final CertificateStore store = CertificateStore.open(
            List.of(TestCertificates.writeSpec(dir, "rsa", leaf, ca, true)));

        final ServerCredential credential = store.select("rsa.example.com");
        assertEquals(KeyType.RSA, credential.keyType());
        assertEquals(List.of("rsa.example.com"), credential.serverNames());
        assertEquals(2, credential.certificateChain().size());
        assertArrayEquals(leaf.certificate().getEncoded(), credential.certificateChain().get(0));
        assertArrayEquals(ca.certificate().getEncoded(), credential.certificateChain().get(1));
        assertEquals(rsa2048.getPrivate(), credential.privateKey());
        assertEquals(dir.resolve("rsa.crt").toString(), credential.name());
        assertEquals(1, store.generation());
    }

    @Test
    void shouldLoadTraditionalRsaKey() throws Exception
    {
        final Issued leaf = TestCertificates.leaf(ca, rsa2048, "rsa.example.com");
        final Path chain = TestCertificates.writeChain(dir.resolve("rsa.crt"), leaf.certificate(), ca.certificate());
        final Path key = TestCertificates.writeTraditionalKey(dir.resolve("rsa.key"), leaf.privateKey());
        assertTrue(Files.readString(key).startsWith("-----BEGIN RSA PRIVATE KEY-----"));

        final CertificateStore store = CertificateStore.open(List.of(CertificateSpec.of(chain, key, true)));

        assertEquals(KeyType.RSA, store.defaultCredential().keyType());
        assertEquals(rsa2048.getPrivate(), store.defaultCredential().privateKey());
    }

    @Test
    void shouldLoadEcP256TraditionalKey() throws Exception
    {
        final Issued leaf = TestCertificates.leaf(ca, p256, "ec.example.com");
        final Path chain = TestCertificates.writeChain(dir.resolve("ec.crt"), leaf.certificate(), ca.certificate());
        final Path key = TestCertificates.writeTraditionalKey(dir.resolve("ec.key"), leaf.privateKey());
        assertTrue(Files.readString(key).startsWith("-----BEGIN EC PRIVATE KEY-----"));

        final CertificateStore store = CertificateStore.open(List.of(CertificateSpec.of(chain, key, true)));

        assertEquals(KeyType.EC_P256, store.select("ec.example.com").keyType());
    }

    @Test
    void shouldLoadEcP256Pkcs8AndP384Credentials() throws Exception
    {
        final CertificateStore store = CertificateStore.open(List.of(
            TestCertificates.writeSpec(dir, "p256", TestCertificates.leaf(ca, p256, "p256.example.com"), ca, true),
            TestCertificates.writeSpec(dir, "p384", TestCertificates.leaf(ca, p384, "p384.example.com"), ca, false)));

        assertEquals(KeyType.EC_P256, store.select("p256.example.com").keyType());
        assertEquals(KeyType.EC_P384, store.select("p384.example.com").keyType());
        assertEquals(2, store.credentials().size());
    }

    @Test
    void shouldLoadLeafAloneAndThreeLevelChain() throws Exception
    {
        final Issued intermediate = TestCertificates.intermediate(ca, "Test Intermediate");
        final Issued leaf = TestCertificates.leaf(intermediate, p256, "deep.example.com");
        final Path chain = TestCertificates.writeChain(
            dir.resolve("deep.crt"), leaf.certificate(), intermediate.certificate(), ca.certificate());
        final Path key = TestCertificates.writePkcs8Key(dir.resolve("deep.key"), leaf.privateKey());
        final Path alone = TestCertificates.writeChain(dir.resolve("alone.crt"), leaf.certificate());

        assertEquals(3, CertificateStore.open(List.of(CertificateSpec.of(chain, key, true)))
            .defaultCredential().certificateChain().size());
        assertEquals(1, CertificateStore.open(List.of(CertificateSpec.of(alone, key, true)))
            .defaultCredential().certificateChain().size());
    }

    @Test
    void shouldAcceptKeyAndChainInOneFile() throws Exception
    {
        final Issued leaf = TestCertificates.leaf(ca, p256, "combined.example.com");
        final Path file = dir.resolve("combined.pem");
        TestCertificates.writeText(file, TestCertificates.KEY_MODE,
            Files.readString(TestCertificates.writeChain(dir.resolve("c.crt"), leaf.certificate())) +
            Files.readString(TestCertificates.writePkcs8Key(dir.resolve("c.key"), leaf.privateKey())));

        final CertificateStore store = CertificateStore.open(List.of(CertificateSpec.of(file, file, true)));

        assertEquals(List.of("combined.example.com"), store.defaultCredential().serverNames());
    }

    @Test
    void shouldTakeNamesFromSubjectAltNameNotCommonName() throws Exception
    {
        final Issued leaf = TestCertificates.builder("CN=ignored.example.com", p256).issuer(ca)
            .dnsNames("A.Example.com", "*.api.example.com", "b.example.com.").build();

        final CertificateStore store = CertificateStore.open(
            List.of(TestCertificates.writeSpec(dir, "san", leaf, ca, true)));

        assertEquals(List.of("a.example.com", "*.api.example.com", "b.example.com"),
            store.defaultCredential().serverNames());
    }

    @Test
    void shouldFallBackToCommonNameWithoutSubjectAltName() throws Exception
    {
        final Issued leaf = TestCertificates.builder("CN=cn-only.example.com,O=Test", p256).issuer(ca).build();

        final CertificateStore store = CertificateStore.open(
            List.of(TestCertificates.writeSpec(dir, "cn", leaf, ca, true)));

        assertEquals(List.of("cn-only.example.com"), store.defaultCredential().serverNames());
    }

    @Test
    void shouldIgnoreCertificateNamesThatAreNotDnsNamesWithWarning() throws Exception
    {
        final Issued leaf = TestCertificates.builder("CN=x", p256).issuer(ca)
            .dnsNames("ok.example.com", "f*.example.com").build();

        final CertificateStore store = CertificateStore.open(
            List.of(TestCertificates.writeSpec(dir, "odd", leaf, ca, true)));

        assertEquals(List.of("ok.example.com"), store.defaultCredential().serverNames());
        assertTrue(store.warnings().stream().anyMatch(w -> w.contains("'f*.example.com'")),
            store.warnings()::toString);
    }

    @Test
    void shouldUseConfiguredNamesInsteadOfCertificateNames() throws Exception
    {
        final Issued leaf = TestCertificates.leaf(ca, p256, "*.example.com");
        final CertificateSpec written = TestCertificates.writeSpec(dir, "cfg", leaf, ca, true);
        final CertificateSpec spec = new CertificateSpec(
            written.chainPem(), written.keyPem(), List.of("Shop.Example.com", "other.example.org"), true);

        final CertificateStore store = CertificateStore.open(List.of(spec));

        assertEquals(List.of("shop.example.com", "other.example.org"), store.defaultCredential().serverNames());
        assertTrue(store.warnings().stream().anyMatch(w -> w.contains("other.example.org")));
        assertFalse(store.warnings().stream().anyMatch(w -> w.contains("server name shop.example.com")));
    }

    @Test
    void shouldSelectExactNameIgnoringCaseAndTrailingDot() throws Exception
    {
        final CertificateStore store = twoCredentialStore();
        final ServerCredential www = store.select("www.example.com");

        assertEquals(List.of("www.example.com"), www.serverNames());
        assertSame(www, store.select("WWW.Example.COM"));
        assertSame(www, store.select("www.example.com."));
    }

    @Test
    void shouldSelectWildcardForExactlyOneLabel() throws Exception
    {
        final CertificateStore store = twoCredentialStore();
        final ServerCredential wildcard = store.select("a.api.example.com");

        assertEquals(List.of("*.api.example.com"), wildcard.serverNames());
        assertSame(wildcard, store.select("B.API.example.com"));
        assertSame(store.defaultCredential(), store.select("api.example.com"));
        assertSame(store.defaultCredential(), store.select("x.y.api.example.com"));
        assertSame(store.defaultCredential(), store.select(".api.example.com"));
    }

    @Test
    void shouldPreferExactNameOverWildcard() throws Exception
    {
        final Issued wildcard = TestCertificates.leaf(ca, p256, "*.example.com");
        final Issued exact = TestCertificates.leaf(ca, p384, "special.example.com");
        final CertificateStore store = CertificateStore.open(List.of(
            TestCertificates.writeSpec(dir, "wild", wildcard, ca, true),
            TestCertificates.writeSpec(dir, "exact", exact, ca, false)));

        assertEquals(KeyType.EC_P384, store.select("special.example.com").keyType());
        assertEquals(KeyType.EC_P256, store.select("other.example.com").keyType());
    }

    @Test
    void shouldServeDefaultWithoutSniOrForUnknownName() throws Exception
    {
        final CertificateStore store = twoCredentialStore();
        final ServerCredential fallback = store.defaultCredential();

        assertEquals(List.of("default.example.net"), fallback.serverNames());
        assertSame(fallback, store.select(null));
        assertSame(fallback, store.select(""));
        assertSame(fallback, store.select("."));
        assertSame(fallback, store.select("unknown.example.org"));
    }

    @Test
    void shouldUseFirstSpecAsDefaultWhenNoneMarked() throws Exception
    {
        final CertificateStore store = CertificateStore.open(List.of(
            TestCertificates.writeSpec(dir, "one", TestCertificates.leaf(ca, p256, "one.example.com"), ca, false),
            TestCertificates.writeSpec(dir, "two", TestCertificates.leaf(ca, p384, "two.example.com"), ca, false)));

        assertEquals(List.of("one.example.com"), store.select(null).serverNames());
    }

    @Test
    void shouldWarnWhenCertificateExpiresWithin30Days() throws Exception
    {
        final Instant now = Instant.parse("2030-01-01T00:00:00Z");
        final Issued leaf = TestCertificates.builder("CN=soon.example.com", p256).issuer(ca)
            .validity(now.minus(Duration.ofDays(60)), now.plus(Duration.ofDays(10))).build();

        final CertificateStore store = CertificateStore.open(
            List.of(TestCertificates.writeSpec(dir, "soon", leaf, ca, true)), Clock.fixed(now, ZoneOffset.UTC));

        assertEquals(1, store.warnings().size(), store.warnings()::toString);
        assertTrue(store.warnings().get(0).contains("expires on 2030-01-11T00:00:00Z, in 10 days"));
        assertTrue(store.warnings().get(0).contains(dir.resolve("soon.crt").toString()));
    }

    @Test
    void shouldWarnNotRefuseWhenIntermediateExpired() throws Exception
    {
        final Instant now = Instant.now();
        final KeyPair crossSignKey = TestCertificates.ecKeyPair("secp256r1");
        final Issued oldCrossSign = TestCertificates.builder("CN=Old Cross Sign", crossSignKey).issuer(ca).ca(true)
            .validity(now.minus(Duration.ofDays(900)), now.minus(Duration.ofDays(1))).build();
        final Issued leaf = TestCertificates.leaf(oldCrossSign, p256, "cross.example.com");

        final CertificateStore store = CertificateStore.open(
            List.of(TestCertificates.writeSpec(dir, "cross", leaf, oldCrossSign, true)));

        assertTrue(store.warnings().stream().anyMatch(w -> w.contains("certificate 2 (CN=Old Cross Sign) expired")));
    }

    @Test
    void shouldHideKeyInToStringAndCredentialList() throws Exception
    {
        final CertificateStore store = twoCredentialStore();
        final String encodedKey = Base64.getEncoder().encodeToString(p256.getPrivate().getEncoded());
        final String text = store.toString() + store.defaultCredential() + store.warnings();

        assertTrue(store.defaultCredential().toString().contains("key hidden"));
        assertFalse(text.contains(encodedKey.substring(40, 80)));
    }

    @Test
    void shouldSelectWithoutAllocating() throws Exception
    {
        final CertificateStore store = twoCredentialStore();
        final String[] names = { "www.example.com", "WWW.EXAMPLE.COM", "a.api.example.com", "nope.example.org", null };
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        long sink = 0;
        for (int i = 0; i < 200_000; i++)
        {
            sink += store.select(names[i % names.length]).serverNames().size();
        }

        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100_000; i++)
        {
            sink += store.select(names[i % names.length]).serverNames().size();
        }
        final long allocatedBytes = threads.getCurrentThreadAllocatedBytes() - before;

        assertTrue(sink > 0);
        assertTrue(allocatedBytes < 4096, () -> allocatedBytes + " bytes allocated by 100,000 selections");
    }

    @Test
    void shouldSwapInReloadedFilesForNewSelections() throws Exception
    {
        final CertificateSpec spec =
            TestCertificates.writeSpec(dir, "site", TestCertificates.leaf(ca, p256, "site.example.com"), ca, true);
        final CertificateStore store = CertificateStore.open(List.of(spec));
        final ServerCredential inFlight = store.select("site.example.com");

        TestCertificates.writeSpec(dir, "site", TestCertificates.leaf(ca, p384, "site.example.com", "new.example.com"),
            ca, true);
        store.reload();

        final ServerCredential current = store.select("site.example.com");
        assertEquals(2, store.generation());
        assertEquals(KeyType.EC_P384, current.keyType());
        assertSame(current, store.select("new.example.com"));
        assertEquals(KeyType.EC_P256, inFlight.keyType());
        assertEquals(p256.getPrivate(), inFlight.privateKey());
    }

    @Test
    void shouldKeepOldStoreWhenReloadFails() throws Exception
    {
        final CertificateSpec spec =
            TestCertificates.writeSpec(dir, "site", TestCertificates.leaf(ca, p256, "site.example.com"), ca, true);
        final CertificateStore store = CertificateStore.open(List.of(spec));
        final ServerCredential before = store.select("site.example.com");

        // a renewal where the operator installed the new certificate but forgot the new key
        TestCertificates.writeChain(spec.chainPem(),
            TestCertificates.leaf(ca, p384, "site.example.com").certificate(), ca.certificate());
        final CertificateStoreException ex = assertThrows(CertificateStoreException.class, store::reload);

        assertTrue(ex.getMessage().contains("does not match"), ex.getMessage());
        assertEquals(1, store.generation());
        assertSame(before, store.select("site.example.com"));
        assertSame(before, store.select(null));
    }

    @Test
    void shouldReloadNewSpecsAndKeepOldSpecsOnFailure() throws Exception
    {
        final CertificateSpec first =
            TestCertificates.writeSpec(dir, "first", TestCertificates.leaf(ca, p256, "first.example.com"), ca, true);
        final CertificateSpec second =
            TestCertificates.writeSpec(dir, "second", TestCertificates.leaf(ca, p384, "second.example.com"), ca, true);
        final CertificateStore store = CertificateStore.open(List.of(first));

        assertThrows(CertificateStoreException.class, () -> store.reload(
            List.of(CertificateSpec.of(dir.resolve("missing.crt"), second.keyPem(), true))));
        assertEquals(List.of(first), store.specs());

        store.reload(List.of(second));
        assertEquals(List.of("second.example.com"), store.select("first.example.com").serverNames());
        assertEquals(List.of(second), store.specs());
        assertEquals(2, store.generation());
    }

    @Test
    void shouldServeOneWholeGenerationOrTheOtherWhileReloading() throws Exception
    {
        final CertificateSpec a =
            TestCertificates.writeSpec(dir, "a", TestCertificates.leaf(ca, p256, "a.example.com"), ca, true);
        final CertificateSpec b =
            TestCertificates.writeSpec(dir, "b", TestCertificates.leaf(ca, p384, "b.example.com"), ca, true);
        final CertificateStore store = CertificateStore.open(List.of(a));
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicReference<String> failure = new AtomicReference<>();
        final Thread reader = new Thread(() ->
        {
            while (running.get())
            {
                // a.example.com is served by a's credential, or by b's as the default, never by nothing
                final ServerCredential credential = store.select("a.example.com");
                if (credential == null || credential.privateKey() == null)
                {
                    failure.set("selected " + credential);
                }
            }
        }, "select");
        reader.start();
        try
        {
            for (int i = 0; i < 20; i++)
            {
                store.reload(List.of(i % 2 == 0 ? b : a));
            }
        }
        finally
        {
            running.set(false);
            reader.join();
        }

        assertNull(failure.get());
        assertEquals(21, store.generation());
        assertEquals(List.of("a.example.com"), store.select("anything").serverNames());
    }

    private CertificateStore twoCredentialStore() throws CertificateStoreException
    {
        return CertificateStore.open(List.of(
            TestCertificates.writeSpec(dir, "www", TestCertificates.leaf(ca, p256, "www.example.com"), ca, false),
            TestCertificates.writeSpec(dir, "api", TestCertificates.leaf(ca, p384, "*.api.example.com"), ca, false),
            TestCertificates.writeSpec(dir, "dflt", TestCertificates.leaf(ca, rsa2048, "default.example.net"), ca,
                true)));
    }
}
