package org.inlinetls.crypto.keys;

import static org.inlinetls.crypto.keys.KeysTestSupport.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

class SecretsTest
{
    @Test
    void shouldZeroEveryArrayAndSkipNulls()
    {
        final byte[] a = { 1, 2, 3 };
        final byte[] b = { 4, 5 };

        Secrets.zero(a, null, b);
        Secrets.zero((byte[][])null);

        assertArrayEquals(new byte[3], a);
        assertArrayEquals(new byte[2], b);
    }

    @Test
    void shouldDescribeSecretsByLengthOnly()
    {
        assertEquals("<redacted>[3]", Secrets.describe(new byte[]{ 0x41, 0x42, 0x43 }));
        assertEquals("null", Secrets.describe(null));
    }

    @Test
    void shouldCompareSecrets()
    {
        assertTrue(Secrets.constantTimeEquals(hex("0102"), hex("0102")));
        assertFalse(Secrets.constantTimeEquals(hex("0102"), hex("0103")));
        assertFalse(Secrets.constantTimeEquals(hex("0102"), hex("010200")));
    }

    @Test
    void shouldHideKeysInToStringOfEveryKeyHolder()
    {
        final byte[] key = new byte[16];
        Arrays.fill(key, (byte)0x5A);
        final TrafficKeys keys = new TrafficKeys(key, new byte[12]);
        assertEquals("TrafficKeys{key=<redacted>[16], iv=<redacted>[12]}", keys.toString());

        final Tls13Secrets secrets = Tls13Secrets.withoutPsk(HashAlgorithm.SHA256);
        final String text = secrets.toString();
        assertEquals("Tls13Secrets{hash=SHA256, stage=early}", text);
        secrets.destroy();
        assertEquals("Tls13Secrets{hash=SHA256, stage=destroyed}", secrets.toString());
    }

    @Test
    void shouldZeroTrafficKeysOnDestroy()
    {
        final TrafficKeys keys = Tls13KeySchedule.trafficKeys(new byte[32], 32, HashAlgorithm.SHA256);
        keys.destroy();
        assertArrayEquals(new byte[32], keys.key());
        assertArrayEquals(new byte[12], keys.iv());
    }

    @Test
    void shouldDescribeHashAlgorithms()
    {
        assertEquals(32, HashAlgorithm.SHA256.outputLength());
        assertEquals(48, HashAlgorithm.SHA384.outputLength());
        assertEquals("HmacSHA384", HashAlgorithm.SHA384.hmacName());
        assertEquals("SHA-256", HashAlgorithm.SHA256.digestName());
        assertArrayEquals(
            hex("e3 b0 c4 42 98 fc 1c 14 9a fb f4 c8 99 6f b9 24 27 ae 41 e4 64 9b 93 4c a4 95 99 1b 78 52 b8 55"),
            HashAlgorithm.SHA256.emptyHash());
        assertSame(HashAlgorithm.SHA384, HashAlgorithm.forName("sha-384"));
        assertSame(HashAlgorithm.SHA256, HashAlgorithm.forName("SHA256"));
        assertThrows(IllegalArgumentException.class, () -> HashAlgorithm.forName("MD5"));
    }

    @Test
    void shouldKeyHmacWithEmptyKeyAsWithZeroKey()
    {
        final byte[] message = hex("00112233");
        assertArrayEquals(
            HashAlgorithm.SHA256.newMac(new byte[32]).doFinal(message),
            HashAlgorithm.SHA256.newMac(new byte[0]).doFinal(message));
    }

    @Test
    void shouldNotLetCallersChangeTheEmptyHash()
    {
        final byte[] hash = HashAlgorithm.SHA384.emptyHash();
        hash[0] ^= 1;
        assertFalse(Arrays.equals(hash, HashAlgorithm.SHA384.emptyHash()));
    }
}
