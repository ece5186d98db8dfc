package org.inlinetls.crypto.keys;

import static org.inlinetls.crypto.keys.KeysTestSupport.bcExpandLabel;
import static org.inlinetls.crypto.keys.KeysTestSupport.bcHkdfExpand;
import static org.inlinetls.crypto.keys.KeysTestSupport.bcHkdfExtract;
import static org.inlinetls.crypto.keys.KeysTestSupport.hex;
import static org.inlinetls.crypto.keys.KeysTestSupport.randomBytes;
import static org.inlinetls.crypto.keys.KeysTestSupport.seedMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class Tls13KeyScheduleTest
{
    private static final byte[] EMPTY = new byte[0];
    private static final String[] LABELS = {
        "derived", "c hs traffic", "s hs traffic", "c ap traffic", "s ap traffic", "exp master", "res master",
        "key", "iv", "finished", "traffic upd", "resumption", "ext binder", "res binder", "c e traffic" };

    @Test
    void shouldMatchRfc5869TestCase1()
    {
        final byte[] ikm = hex("0b".repeat(22));
        final byte[] prk = Tls13KeySchedule.hkdfExtract(hex("000102030405060708090a0b0c"), ikm, HashAlgorithm.SHA256);
        assertArrayEquals(hex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"), prk);
        assertArrayEquals(
            hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"),
            Tls13KeySchedule.hkdfExpand(prk, hex("f0f1f2f3f4f5f6f7f8f9"), 42, HashAlgorithm.SHA256));
    }

    @Test
    void shouldMatchRfc5869TestCase3WithEmptySaltAndInfo()
    {
        final byte[] ikm = hex("0b".repeat(22));
        final byte[] prk = Tls13KeySchedule.hkdfExtract(EMPTY, ikm, HashAlgorithm.SHA256);
        assertArrayEquals(hex("19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04"), prk);
        assertArrayEquals(prk, Tls13KeySchedule.hkdfExtract(null, ikm, HashAlgorithm.SHA256));
        assertArrayEquals(prk, Tls13KeySchedule.hkdfExtract(new byte[32], ikm, HashAlgorithm.SHA256));
        assertArrayEquals(
            hex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"),
            Tls13KeySchedule.hkdfExpand(prk, EMPTY, 42, HashAlgorithm.SHA256));
    }

    @ParameterizedTest
    @EnumSource(HashAlgorithm.class)
    void shouldEqualBouncyCastleHkdfForRandomInputs(final HashAlgorithm hash)
    {
        final Random random = KeysTestSupport.random(1000 + hash.ordinal());
        for (int i = 0; i < 100; i++)
        {
            final byte[] salt = randomBytes(random, 1 + random.nextInt(100));
            final byte[] ikm = randomBytes(random, random.nextInt(100));
            final byte[] prk = Tls13KeySchedule.hkdfExtract(salt, ikm, hash);
            assertArrayEquals(bcHkdfExtract(salt, ikm, hash), prk, hash + " extract " + i + " " + seedMessage());

            final byte[] info = randomBytes(random, random.nextInt(300));
            final int length = 1 + random.nextInt(20 * hash.outputLength());
            assertArrayEquals(bcHkdfExpand(prk, info, length, hash),
                Tls13KeySchedule.hkdfExpand(prk, info, length, hash), hash + " expand " + i + " " + seedMessage());
        }
    }

    @ParameterizedTest
    @EnumSource(HashAlgorithm.class)
    void shouldEqualBouncyCastleExpandLabelForRandomInputs(final HashAlgorithm hash)
    {
        final Random random = KeysTestSupport.random(2000 + hash.ordinal());
        for (int i = 0; i < 300; i++)
        {
            final byte[] secret = randomBytes(random, hash.outputLength());
            final String label = LABELS[random.nextInt(LABELS.length)];
            final byte[] context = randomBytes(random, random.nextInt(2) == 0 ? 0 : random.nextInt(256));
            final int length = 1 + random.nextInt(100);

            assertArrayEquals(
                bcExpandLabel(secret, label, context, length, hash),
                Tls13KeySchedule.hkdfExpandLabel(secret, label, context, length, hash),
                hash + " '" + label + "' iteration " + i + " " + seedMessage());
        }
    }

    @ParameterizedTest
    @EnumSource(HashAlgorithm.class)
    void shouldEqualBouncyCastleForTrafficKeysOfEveryKeyLength(final HashAlgorithm hash)
    {
        final Random random = KeysTestSupport.random(3000 + hash.ordinal());
        for (final int keyLength : new int[]{ 16, 32 })
        {
            final byte[] secret = randomBytes(random, hash.outputLength());
            final TrafficKeys keys = Tls13KeySchedule.trafficKeys(secret, keyLength, hash);
            assertArrayEquals(bcExpandLabel(secret, "key", EMPTY, keyLength, hash), keys.key(), seedMessage());
            assertArrayEquals(bcExpandLabel(secret, "iv", EMPTY, 12, hash), keys.iv(), seedMessage());
        }
    }

    @ParameterizedTest
    @EnumSource(HashAlgorithm.class)
    void shouldUpdateTrafficSecretLikeBouncyCastleOverSuccessiveKeyUpdates(final HashAlgorithm hash)
    {
        final Random random = KeysTestSupport.random(4000 + hash.ordinal());
        byte[] ours = randomBytes(random, hash.outputLength());
        byte[] theirs = ours.clone();

        for (int generation = 1; generation <= 5; generation++)
        {
            final byte[] next = Tls13KeySchedule.nextTrafficSecret(ours, hash);
            theirs = bcExpandLabel(theirs, "traffic upd", EMPTY, hash.outputLength(), hash);

            assertEquals(hash.outputLength(), next.length);
            assertArrayEquals(theirs, next, hash + " generation " + generation + " " + seedMessage());
            assertFalse(Arrays.equals(ours, next));
            Secrets.zero(ours);
            ours = next;
        }
    }

    @Test
    void shouldUpdateRfc8448ApplicationSecretLikeBouncyCastle()
    {
        final byte[] secret = Tls13Rfc8448Test.CLIENT_AP_TRAFFIC;
        final byte[] next = Tls13KeySchedule.nextTrafficSecret(secret, HashAlgorithm.SHA256);
        assertArrayEquals(
            bcExpandLabel(secret, "traffic upd", EMPTY, 32, HashAlgorithm.SHA256), next);
    }

    @Test
    void shouldWalkSha384ScheduleLikeBouncyCastle()
    {
        final HashAlgorithm hash = HashAlgorithm.SHA384;
        final Random random = KeysTestSupport.random(5000);
        final byte[] psk = randomBytes(random, 48);
        final byte[] shared = randomBytes(random, 32);
        final byte[] helloHash = randomBytes(random, 48);
        final byte[] serverFinishedHash = randomBytes(random, 48);
        final byte[] clientFinishedHash = randomBytes(random, 48);

        final Tls13Secrets secrets = Tls13Secrets.withPsk(hash, psk, true);
        secrets.deriveHandshakeSecrets(shared, helloHash);
        secrets.deriveApplicationSecrets(serverFinishedHash);
        secrets.deriveResumptionMasterSecret(clientFinishedHash);

        final byte[] early = bcHkdfExtract(null, psk, hash);
        assertArrayEquals(early, secrets.earlySecret(), seedMessage());
        assertArrayEquals(bcExpandLabel(early, "ext binder", hash.emptyHash(), 48, hash), secrets.binderKey());
        final byte[] derivedEarly = bcExpandLabel(early, "derived", hash.emptyHash(), 48, hash);
        final byte[] handshake = bcHkdfExtract(derivedEarly, shared, hash);
        assertArrayEquals(handshake, secrets.handshakeSecret(), seedMessage());
        assertArrayEquals(bcExpandLabel(handshake, "c hs traffic", helloHash, 48, hash),
            secrets.clientHandshakeTrafficSecret(), seedMessage());
        assertArrayEquals(bcExpandLabel(handshake, "s hs traffic", helloHash, 48, hash),
            secrets.serverHandshakeTrafficSecret(), seedMessage());
        final byte[] derivedHandshake = bcExpandLabel(handshake, "derived", hash.emptyHash(), 48, hash);
        final byte[] master = bcHkdfExtract(derivedHandshake, null, hash);
        assertArrayEquals(master, secrets.masterSecret(), seedMessage());
        assertArrayEquals(bcExpandLabel(master, "c ap traffic", serverFinishedHash, 48, hash),
            secrets.clientApplicationTrafficSecret(), seedMessage());
        assertArrayEquals(bcExpandLabel(master, "s ap traffic", serverFinishedHash, 48, hash),
            secrets.serverApplicationTrafficSecret(), seedMessage());
        assertArrayEquals(bcExpandLabel(master, "exp master", serverFinishedHash, 48, hash),
            secrets.exporterMasterSecret(), seedMessage());
        assertArrayEquals(bcExpandLabel(master, "res master", clientFinishedHash, 48, hash),
            secrets.resumptionMasterSecret(), seedMessage());
        assertArrayEquals(bcExpandLabel(early, "c e traffic", helloHash, 48, hash),
            secrets.clientEarlyTrafficSecret(helloHash), seedMessage());
    }

    @Test
    void shouldComputeFinishedAsHmacOfTranscriptHashUnderFinishedKey()
    {
        final HashAlgorithm hash = HashAlgorithm.SHA256;
        final byte[] transcriptHash = hash.hash("transcript".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        final byte[] finishedKey = bcExpandLabel(Tls13Rfc8448Test.SERVER_HS_TRAFFIC, "finished", EMPTY, 32, hash);
        final byte[] expected = hash.newMac(finishedKey).doFinal(transcriptHash);

        assertArrayEquals(expected,
            Tls13KeySchedule.finishedVerifyData(Tls13Rfc8448Test.SERVER_HS_TRAFFIC, transcriptHash, hash));
    }

    @Test
    void shouldRejectOutOfRangeArguments()
    {
        final byte[] secret = new byte[32];
        assertThrows(IllegalArgumentException.class,
            () -> Tls13KeySchedule.hkdfExpand(secret, EMPTY, 255 * 32 + 1, HashAlgorithm.SHA256));
        assertThrows(IllegalArgumentException.class,
            () -> Tls13KeySchedule.hkdfExpand(secret, EMPTY, 0, HashAlgorithm.SHA256));
        assertThrows(IllegalArgumentException.class,
            () -> Tls13KeySchedule.hkdfExpandLabel(secret, "x", new byte[256], 16, HashAlgorithm.SHA256));
        assertThrows(IllegalArgumentException.class,
            () -> Tls13KeySchedule.hkdfExpandLabel(secret, "x".repeat(250), EMPTY, 16, HashAlgorithm.SHA256));
        assertThrows(IllegalArgumentException.class,
            () -> Tls13KeySchedule.deriveSecret(secret, "derived", new byte[48], HashAlgorithm.SHA256));
        assertThrows(IllegalArgumentException.class,
            () -> Tls13KeySchedule.hkdfExpand(new byte[31], EMPTY, 16, HashAlgorithm.SHA256));
    }
}
