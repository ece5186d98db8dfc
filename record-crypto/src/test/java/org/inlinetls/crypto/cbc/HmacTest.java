package org.inlinetls.crypto.cbc;

import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class HmacTest
{
    private static final HexFormat HEX = HexFormat.of();
    private static final long SEED = Long.getLong("test.seed", System.nanoTime());

    private static byte[] repeat(final int value, final int length)
    {
        final byte[] b = new byte[length];
        Arrays.fill(b, (byte)value);
        return b;
    }

    private static String mac(final CbcMacAlgorithm algorithm, final byte[] key, final byte[] data)
    {
        final Hmac hmac = algorithm.newHmac();
        hmac.init(key, 0, key.length);
        hmac.update(data, 0, data.length);
        final byte[] out = new byte[algorithm.macLength()];
        hmac.doFinal(out, 0);
        return HEX.formatHex(out);
    }

    @Test
    void shouldMatchRfc2202HmacSha1Vectors()
    {
        assertEquals("b617318655057264e28bc0b6fb378c8ef146be00",
            mac(CbcMacAlgorithm.HMAC_SHA1, repeat(0x0b, 20), "Hi There".getBytes()));
        assertEquals("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
            mac(CbcMacAlgorithm.HMAC_SHA1, "Jefe".getBytes(), "what do ya want for nothing?".getBytes()));
        assertEquals("125d7342b9ac11cd91a39af48aa17b4f63f175d3",
            mac(CbcMacAlgorithm.HMAC_SHA1, repeat(0xaa, 20), repeat(0xdd, 50)));
        assertEquals("aa4ae5e15272d00e95705637ce8a3b55ed402112", mac(CbcMacAlgorithm.HMAC_SHA1, repeat(0xaa, 80),
            "Test Using Larger Than Block-Size Key - Hash Key First".getBytes()));
    }

    @Test
    void shouldMatchRfc4231HmacSha256Vectors()
    {
        assertEquals("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            mac(CbcMacAlgorithm.HMAC_SHA256, repeat(0x0b, 20), "Hi There".getBytes()));
        assertEquals("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            mac(CbcMacAlgorithm.HMAC_SHA256, "Jefe".getBytes(), "what do ya want for nothing?".getBytes()));
        assertEquals("773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            mac(CbcMacAlgorithm.HMAC_SHA256, repeat(0xaa, 20), repeat(0xdd, 50)));
        assertEquals("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            mac(CbcMacAlgorithm.HMAC_SHA256, repeat(0xaa, 131),
            "Test Using Larger Than Block-Size Key - Hash Key First".getBytes()));
    }

    @Test
    void shouldMatchJceMacOnRandomInputsAndSplits() throws Exception
    {
        final Random random = new Random(SEED);
        for (final CbcMacAlgorithm algorithm : CbcMacAlgorithm.values())
        {
            final Mac jce = Mac.getInstance(algorithm == CbcMacAlgorithm.HMAC_SHA1 ? "HmacSHA1" : "HmacSHA256");
            final Hmac hmac = algorithm.newHmac();
            for (int trial = 0; trial < 300; trial++)
            {
                final byte[] key = new byte[1 + random.nextInt(150)];
                final byte[] data = new byte[random.nextInt(700)];
                random.nextBytes(key);
                random.nextBytes(data);
                jce.init(new SecretKeySpec(key, "Hmac"));
                hmac.init(key, 0, key.length);
                int position = 0;
                while (position < data.length)
                {
                    final int take = Math.min(data.length - position, random.nextInt(130));
                    if (take == 1)
                    {
                        hmac.update(data[position]);
                    }
                    else
                    {
                        hmac.update(data, position, take);
                    }
                    position += take;
                }
                final byte[] out = new byte[algorithm.macLength()];
                hmac.doFinal(out, 0);
                assertArrayEquals(jce.doFinal(data), out, "seed " + SEED);
            }
        }
    }

    @Test
    void shouldContinueDigestFromSavedStateAtRandomPoints() throws Exception
    {
        final Random random = new Random(SEED);
        for (final CbcMacAlgorithm algorithm : CbcMacAlgorithm.values())
        {
            final MessageDigest jce =
                MessageDigest.getInstance(algorithm == CbcMacAlgorithm.HMAC_SHA1 ? "SHA-1" : "SHA-256");
            final Sha first = algorithm.newDigest();
            final Sha second = algorithm.newDigest();
            final byte[] state = new byte[Sha.STATE_LENGTH];
            for (int trial = 0; trial < 300; trial++)
            {
                final byte[] data = new byte[random.nextInt(1000)];
                random.nextBytes(data);
                final int cut = data.length == 0 ? 0 : random.nextInt(data.length + 1);
                first.update(data, 0, cut);
                first.saveState(state, 0);
                first.update(random.nextInt(256) == 0 ? new byte[0] : data, 0, 0);
                second.restoreState(state, 0);
                second.update(data, cut, data.length - cut);
                final byte[] out = new byte[first.digestLength()];
                second.finish(out, 0);
                first.reset();
                assertArrayEquals(jce.digest(data), out, "seed " + SEED);
            }
        }
    }

    @Test
    void shouldComputeConstantTimeMacEqualToPlainMacForEveryLength() throws Exception
    {
        final Random random = new Random(SEED);
        for (final CbcMacAlgorithm algorithm : CbcMacAlgorithm.values())
        {
            final Mac jce = Mac.getInstance(algorithm == CbcMacAlgorithm.HMAC_SHA1 ? "HmacSHA1" : "HmacSHA256");
            final Hmac hmac = algorithm.newHmac();
            final byte[] key = new byte[algorithm.macLength()];
            random.nextBytes(key);
            jce.init(new SecretKeySpec(key, "Hmac"));
            hmac.init(key, 0, key.length);
            final byte[] header = new byte[13];
            for (int trial = 0; trial < 150; trial++)
            {
                random.nextBytes(header);
                final int max = random.nextInt(trial < 50 ? 300 : 3000);
                final int min = Math.max(0, max - 1 - random.nextInt(300));
                final byte[] data = new byte[max];
                random.nextBytes(data);
                for (int length = min; length <= max; length++)
                {
                    final byte[] out = new byte[algorithm.macLength()];
                    hmac.macConstantTime(header, 13, data, length, min, max, out, 0);
                    jce.update(header);
                    jce.update(data, 0, length);
                    assertArrayEquals(jce.doFinal(), out, "seed " + SEED + " length " + length);
                }
            }
        }
    }
}
