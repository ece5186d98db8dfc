package org.inlinetls.crypto.keys;

import static org.inlinetls.crypto.keys.KeysTestSupport.bcPrf;
import static org.inlinetls.crypto.keys.KeysTestSupport.hex;
import static org.inlinetls.crypto.keys.KeysTestSupport.randomBytes;
import static org.inlinetls.crypto.keys.KeysTestSupport.seedMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class Tls12PrfTest
{
    // The TLS 1.2 PRF test vectors circulated on the IETF TLS WG list (also in mbed TLS's self test).
    private static final byte[] SHA256_SECRET = hex("9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35");
    private static final byte[] SHA256_SEED = hex("a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c");
    private static final byte[] SHA256_OUTPUT = hex(
        "e3 f2 29 ba 72 7b e1 7b 8d 12 26 20 55 7c d4 53 c2 aa b2 1d 07 c3 d4 95 32 9b 52 d4 e6 1e db 5a" +
        "6b 30 17 91 e9 0d 35 c9 c9 a4 6b 4e 14 ba f9 af 0f a0 22 f7 07 7d ef 17 ab fd 37 97 c0 56 4b ab" +
        "4f bc 91 66 6e 9d ef 9b 97 fc e3 4f 79 67 89 ba a4 80 82 d1 22 ee 42 c5 a7 2e 5a 51 10 ff f7 01" +
        "87 34 7b 66");

    private static final byte[] SHA384_SECRET = hex("b8 0b 73 3d 6c ee fc dc 71 56 6e a4 8e 55 67 df");
    private static final byte[] SHA384_SEED = hex("cd 66 5c f6 a8 44 7d d6 ff 8b 27 55 5e db 74 65");
    private static final byte[] SHA384_OUTPUT = hex(
        "7b 0c 18 e9 ce d4 10 ed 18 04 f2 cf a3 4a 33 6a 1c 14 df fb 49 00 bb 5f d7 94 21 07 e8 1c 83 cd" +
        "e9 ca 0f aa 60 be 9f e3 4f 82 b1 23 3c 91 46 a0 e5 34 cb 40 0f ed 27 00 88 4f 9d c2 36 f8 0e dd" +
        "8b fa 96 11 44 c9 e8 d7 92 ec a7 22 a7 b3 2f c3 d4 16 d4 73 eb c2 c5 fd 4a bf da d0 5d 91 84 25" +
        "9b 5b f8 cd 4d 90 fa 0d 31 e2 de c4 79 e4 f1 a2 60 66 f2 ee a9 a6 92 36 a3 e5 26 55 c9 e9 ae e6" +
        "91 c8 f3 a2 68 54 30 8d 5e aa 3b e8 5e 09 90 70 3d 73 e5 6f");

    // https://tls12.xargs.org (TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, SHA-256 PRF).
    static final byte[] XARGS_PRE_MASTER =
        hex("df4a291baa1eb7cfa6934b29b474baad2697e29f1f920dcc77c8a0a088447624");
    static final byte[] XARGS_CLIENT_RANDOM =
        hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    static final byte[] XARGS_SERVER_RANDOM =
        hex("707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f");
    static final byte[] XARGS_MASTER = hex(
        "916abf9da55973e13614ae0a3f5d3f37b023ba129aee02cc9134338127cd7049781c8e19fc1eb2a7387ac06ae237344c");
    private static final byte[] XARGS_HASH_TO_CLIENT_KEY_EXCHANGE =
        hex("061dda04b3c2217ff73bd79b9cf88a2bb6ec505404aac8722db03ef417b54cb4");
    private static final byte[] XARGS_CLIENT_VERIFY_DATA = hex("cf 91 96 26 f1 36 0c 53 6a aa d7 3a");

    @Test
    void shouldMatchIetfVectorForPSha256()
    {
        assertArrayEquals(SHA256_OUTPUT, Tls12Prf.prf(SHA256_SECRET, "test label", SHA256_SEED, 100,
            HashAlgorithm.SHA256));
        assertArrayEquals(SHA256_OUTPUT, bcPrf(SHA256_SECRET, "test label", SHA256_SEED, 100, HashAlgorithm.SHA256));
    }

    @Test
    void shouldMatchIetfVectorForPSha384()
    {
        assertArrayEquals(SHA384_OUTPUT, Tls12Prf.prf(SHA384_SECRET, "test label", SHA384_SEED, 148,
            HashAlgorithm.SHA384));
        assertArrayEquals(SHA384_OUTPUT, bcPrf(SHA384_SECRET, "test label", SHA384_SEED, 148, HashAlgorithm.SHA384));
    }

    @Test
    void shouldTruncateToAnyLengthAsPrefixOfLongerOutput()
    {
        for (int length = 1; length <= 100; length++)
        {
            final byte[] out = Tls12Prf.prf(SHA256_SECRET, "test label", SHA256_SEED, length, HashAlgorithm.SHA256);
            assertArrayEquals(java.util.Arrays.copyOf(SHA256_OUTPUT, length), out, "length " + length);
        }
    }

    @Test
    void shouldDeriveMasterSecretOfIllustratedTls12Connection()
    {
        assertArrayEquals(XARGS_MASTER, Tls12Prf.masterSecret(
            XARGS_PRE_MASTER, XARGS_CLIENT_RANDOM, XARGS_SERVER_RANDOM, HashAlgorithm.SHA256));
    }

    @Test
    void shouldDeriveClientFinishedOfIllustratedTls12Connection()
    {
        assertArrayEquals(XARGS_CLIENT_VERIFY_DATA, Tls12Prf.verifyData(
            XARGS_MASTER, Tls12Prf.CLIENT_FINISHED_LABEL, XARGS_HASH_TO_CLIENT_KEY_EXCHANGE, HashAlgorithm.SHA256));
    }

    @ParameterizedTest
    @EnumSource(HashAlgorithm.class)
    void shouldEqualBouncyCastlePrfForRandomInputs(final HashAlgorithm hash)
    {
        final Random random = KeysTestSupport.random(hash.ordinal());
        for (int i = 0; i < 200; i++)
        {
            final byte[] secret = randomBytes(random, 1 + random.nextInt(80));
            final byte[] seed = randomBytes(random, random.nextInt(100));
            final String label = "label " + random.nextInt(1000);
            final int length = 1 + random.nextInt(300);

            assertArrayEquals(
                bcPrf(secret, label, seed, length, hash),
                Tls12Prf.prf(secret, label, seed, length, hash),
                hash + " iteration " + i + " " + seedMessage());
        }
    }

    @ParameterizedTest
    @EnumSource(HashAlgorithm.class)
    void shouldEqualBouncyCastleForMasterAndExtendedMasterSecret(final HashAlgorithm hash)
    {
        final Random random = KeysTestSupport.random(100 + hash.ordinal());
        for (int i = 0; i < 20; i++)
        {
            final byte[] preMaster = randomBytes(random, 32 + random.nextInt(100));
            final byte[] clientRandom = randomBytes(random, 32);
            final byte[] serverRandom = randomBytes(random, 32);
            final byte[] sessionHash = randomBytes(random, hash.outputLength());

            final byte[] master = Tls12Prf.masterSecret(preMaster, clientRandom, serverRandom, hash);
            assertArrayEquals(
                bcPrf(preMaster, "master secret", Secrets.concat(clientRandom, serverRandom), 48, hash),
                master, seedMessage());

            final byte[] extended = Tls12Prf.extendedMasterSecret(preMaster, sessionHash, hash);
            assertEquals(Tls12Prf.MASTER_SECRET_LENGTH, extended.length);
            assertArrayEquals(bcPrf(preMaster, "extended master secret", sessionHash, 48, hash),
                extended, seedMessage());
            assertFalse(java.util.Arrays.equals(master, extended));
        }
    }

    @Test
    void shouldRejectBadInputLengthsWithoutPrintingSecrets()
    {
        final byte[] secret = hex("0102030405060708");
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> Tls12Prf.masterSecret(secret, new byte[31], new byte[32], HashAlgorithm.SHA256));
        assertFalse(ex.getMessage().contains("0102"));

        assertThrows(IllegalArgumentException.class,
            () -> Tls12Prf.extendedMasterSecret(secret, new byte[32], HashAlgorithm.SHA384));
        assertThrows(IllegalArgumentException.class,
            () -> Tls12Prf.keyBlock(new byte[47], new byte[32], new byte[32], HashAlgorithm.SHA256, 40));
        assertThrows(IllegalArgumentException.class,
            () -> Tls12Prf.prf(secret, "x", new byte[0], 0, HashAlgorithm.SHA256));
        assertThrows(IllegalArgumentException.class,
            () -> Tls12Prf.verifyData(new byte[48], "finished", new byte[32], HashAlgorithm.SHA256));
    }

    @Test
    void shouldAcceptEmptySecretLikeBouncyCastle()
    {
        final byte[] seed = hex("00112233");
        assertArrayEquals(bcPrf(new byte[0], "l", seed, 64, HashAlgorithm.SHA256),
            Tls12Prf.prf(new byte[0], "l", seed, 64, HashAlgorithm.SHA256));
    }
}
