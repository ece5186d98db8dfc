package org.inlinetls.crypto.keys;

import static org.inlinetls.crypto.keys.KeysTestSupport.bcPrf;
import static org.inlinetls.crypto.keys.KeysTestSupport.hex;
import static org.inlinetls.crypto.keys.KeysTestSupport.randomBytes;
import static org.inlinetls.crypto.keys.KeysTestSupport.seedMessage;
import static org.inlinetls.crypto.keys.KeysTestSupport.toHex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

class Tls12KeyBlockTest
{
    @Test
    void shouldSplitCbcKeyBlockOfIllustratedTls12Connection()
    {
        // https://tls12.xargs.org, "Client Encryption Keys Calculation": AES-128-CBC with HMAC-SHA1.
        final Tls12KeyBlock keys = Tls12KeyBlock.cbc(
            Tls12PrfTest.XARGS_MASTER,
            Tls12PrfTest.XARGS_SERVER_RANDOM,
            Tls12PrfTest.XARGS_CLIENT_RANDOM,
            HashAlgorithm.SHA256,
            20,
            16);

        assertArrayEquals(hex("1b7d117c7d5f690bc263cae8ef60af0f1878acc2"), keys.clientMacKey());
        assertArrayEquals(hex("2ad8bdd8c601a617126f63540eb20906f781fad2"), keys.serverMacKey());
        assertArrayEquals(hex("f656d037b173ef3e11169f27231a84b6"), keys.clientKey());
        assertArrayEquals(hex("752a18e7a9fcb7cbcdd8f98dd8f769eb"), keys.serverKey());
        assertEquals(0, keys.clientIv().length);
        assertEquals(0, keys.serverIv().length);
    }

    @Test
    void shouldDeriveWholeChainFromPreMasterSecret()
    {
        final byte[] master = Tls12Prf.masterSecret(
            Tls12PrfTest.XARGS_PRE_MASTER,
            Tls12PrfTest.XARGS_CLIENT_RANDOM,
            Tls12PrfTest.XARGS_SERVER_RANDOM,
            HashAlgorithm.SHA256);
        final Tls12KeyBlock keys = Tls12KeyBlock.cbc(
            master, Tls12PrfTest.XARGS_SERVER_RANDOM, Tls12PrfTest.XARGS_CLIENT_RANDOM, HashAlgorithm.SHA256, 20, 16);

        assertArrayEquals(hex("f656d037b173ef3e11169f27231a84b6"), keys.clientKey());
    }

    @Test
    void shouldLayOutAeadKeyBlockAsKeysThenSalts()
    {
        checkAeadLayout(HashAlgorithm.SHA256, 16, Tls12KeyBlock.GCM_FIXED_IV_LENGTH);
        checkAeadLayout(HashAlgorithm.SHA384, 32, Tls12KeyBlock.GCM_FIXED_IV_LENGTH);
        checkAeadLayout(HashAlgorithm.SHA256, 32, Tls12KeyBlock.CHACHA20_FIXED_IV_LENGTH);
    }

    @Test
    void shouldLayOutCbcKeyBlockAsMacKeysThenKeys()
    {
        final Random random = KeysTestSupport.random(7);
        final byte[] master = randomBytes(random, 48);
        final byte[] serverRandom = randomBytes(random, 32);
        final byte[] clientRandom = randomBytes(random, 32);

        final Tls12KeyBlock keys = Tls12KeyBlock.cbc(master, serverRandom, clientRandom, HashAlgorithm.SHA384, 48, 32);
        final byte[] block = bcPrf(
            master, "key expansion", Secrets.concat(serverRandom, clientRandom), 160, HashAlgorithm.SHA384);

        assertArrayEquals(Arrays.copyOfRange(block, 0, 48), keys.clientMacKey(), seedMessage());
        assertArrayEquals(Arrays.copyOfRange(block, 48, 96), keys.serverMacKey(), seedMessage());
        assertArrayEquals(Arrays.copyOfRange(block, 96, 128), keys.clientKey(), seedMessage());
        assertArrayEquals(Arrays.copyOfRange(block, 128, 160), keys.serverKey(), seedMessage());
    }

    @Test
    void shouldNotShowKeysInToString()
    {
        final byte[] block = new byte[Tls12KeyBlock.length(0, 16, 4)];
        Arrays.fill(block, (byte)0xAB);
        final Tls12KeyBlock keys = Tls12KeyBlock.split(block, 0, 16, 4);

        final String text = keys.toString();
        assertFalse(text.toLowerCase().contains("ab"), text);
        assertFalse(text.contains("-85"), text);
        assertTrue(text.contains("[16]"), text);
    }

    @Test
    void shouldZeroEveryPartOnDestroy()
    {
        final byte[] block = new byte[Tls12KeyBlock.length(20, 16, 0)];
        Arrays.fill(block, (byte)1);
        final Tls12KeyBlock keys = Tls12KeyBlock.split(block, 20, 16, 0);

        keys.destroy();

        for (final byte[] part : new byte[][]{ keys.clientMacKey(), keys.serverMacKey(), keys.clientKey(),
            keys.serverKey() })
        {
            assertEquals("00".repeat(part.length), toHex(part));
        }
        assertEquals(1, block[0], "split copies, it does not alias the block");
    }

    @Test
    void shouldRejectShortKeyBlock()
    {
        assertThrows(IllegalArgumentException.class, () -> Tls12KeyBlock.split(new byte[39], 0, 16, 4));
        assertThrows(IllegalArgumentException.class, () -> Tls12KeyBlock.length(0, 0, 4));
    }

    private static void checkAeadLayout(final HashAlgorithm hash, final int keyLength, final int ivLength)
    {
        final Random random = KeysTestSupport.random(keyLength * 31L + ivLength);
        final byte[] master = randomBytes(random, 48);
        final byte[] serverRandom = randomBytes(random, 32);
        final byte[] clientRandom = randomBytes(random, 32);

        final Tls12KeyBlock keys = Tls12KeyBlock.aead(master, serverRandom, clientRandom, hash, keyLength, ivLength);
        final int length = Tls12KeyBlock.length(0, keyLength, ivLength);
        final byte[] block = bcPrf(master, "key expansion", Secrets.concat(serverRandom, clientRandom), length, hash);

        assertArrayEquals(block, Tls12Prf.keyBlock(master, serverRandom, clientRandom, hash, length), seedMessage());
        assertEquals(0, keys.clientMacKey().length);
        assertEquals(0, keys.serverMacKey().length);
        assertArrayEquals(Arrays.copyOfRange(block, 0, keyLength), keys.clientKey(), seedMessage());
        assertArrayEquals(Arrays.copyOfRange(block, keyLength, 2 * keyLength), keys.serverKey(), seedMessage());
        assertArrayEquals(
            Arrays.copyOfRange(block, 2 * keyLength, 2 * keyLength + ivLength), keys.clientIv(), seedMessage());
        assertArrayEquals(
            Arrays.copyOfRange(block, 2 * keyLength + ivLength, length), keys.serverIv(), seedMessage());
    }
}
