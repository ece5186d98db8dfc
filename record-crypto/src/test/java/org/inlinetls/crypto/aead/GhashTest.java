package org.inlinetls.crypto.aead;

import java.util.HexFormat;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GhashTest
{
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void shouldReachTheJdkIntrinsicWithTheProjectsJvmFlags()
    {
        assertNull(JdkGhash.unavailabilityCause());
        assertTrue(JdkGhash.isAvailable());
        assertEquals(GhashImplementation.JDK_INTRINSIC, GhashImplementation.selected());
        assertEquals(GhashImplementation.JDK_INTRINSIC, AesGcmStream.ghashImplementation());
    }

    @Test
    void shouldSelectPureJavaWhenForced()
    {
        assertEquals(GhashImplementation.JAVA, GhashImplementation.select("java"));
        assertEquals(GhashImplementation.JDK_INTRINSIC, GhashImplementation.select(null));
        assertEquals(GhashImplementation.JAVA, new AesGcmStream(GhashImplementation.JAVA).ghashInUse());
    }

    @ParameterizedTest
    @EnumSource(GhashImplementation.class)
    void shouldMatchSp80038dTestCase4(final GhashImplementation implementation)
    {
        // GCM spec test case 4: H, A (20 bytes), C (60 bytes) and GHASH(H, A, C)
        final byte[] subkeyH = HEX.parseHex("b83b533708bf535d0aa6e52980d53b78");
        final byte[] input = HEX.parseHex(
            "feedfacedeadbeeffeedfacedeadbeef" + "abaddad2000000000000000000000000" +
            "42831ec2217774244b7221b784d0d49c" + "e3aa212f2c02a4e035c17e2329aca12e" +
            "21d514b25466931c7d8f6a5aac84aa05" + "1ba30b396a0aac973d58e09100000000" +
            "00000000000000a000000000000001e0");
        final Ghash ghash = implementation.newGhash();
        ghash.init(subkeyH);
        ghash.update(input, 0, input.length);
        final byte[] digest = new byte[16];
        ghash.digest(digest, 0);

        assertEquals("698e57f70e6ecc7fd9463b7260a9ae5f", HEX.formatHex(digest));

        ghash.getState(digest, 0);
        assertArrayEquals(new byte[16], digest, "digest resets");
    }

    @ParameterizedTest
    @EnumSource(GhashImplementation.class)
    void shouldRejectPartialBlocks(final GhashImplementation implementation)
    {
        final Ghash ghash = implementation.newGhash();
        ghash.init(new byte[16]);
        assertThrows(IllegalArgumentException.class, () -> ghash.update(new byte[32], 0, 17));
    }

    @Test
    void shouldAgreeBetweenJavaAndJdkOnRandomInputAndStates()
    {
        final long seed = AesGcmTestRecord.seed();
        final Random random = new Random(seed);
        final Ghash jdk = GhashImplementation.JDK_INTRINSIC.newGhash();
        final Ghash java = GhashImplementation.JAVA.newGhash();
        final byte[] subkeyH = new byte[16];
        final byte[] data = new byte[4096 + 7];
        final byte[] state = new byte[16];
        final byte[] jdkOut = new byte[16];
        final byte[] javaOut = new byte[16];

        for (int round = 0; round < 200; round++)
        {
            random.nextBytes(subkeyH);
            random.nextBytes(data);
            jdk.init(subkeyH);
            java.init(subkeyH);
            if (random.nextBoolean())
            {
                random.nextBytes(state);
                jdk.setState(state, 0);
                java.setState(state, 0);
            }

            for (int step = 0; step < 5; step++)
            {
                final int offset = random.nextInt(8);
                final int length = random.nextInt(256) * 16;
                jdk.update(data, offset, length);
                java.update(data, offset, length);
                jdk.getState(jdkOut, 0);
                java.getState(javaOut, 0);
                assertArrayEquals(javaOut, jdkOut, "seed=" + seed + " round=" + round + " step=" + step);
            }

            jdk.getState(state, 0);
            jdk.reset();
            jdk.setState(state, 0);
            jdk.digest(jdkOut, 0);
            java.digest(javaOut, 0);
            assertArrayEquals(javaOut, jdkOut, "seed=" + seed + " round=" + round);
        }
    }

    @ParameterizedTest
    @EnumSource(GhashImplementation.class)
    void shouldMultiplyLikeTheBitwiseDefinition(final GhashImplementation implementation)
    {
        final long seed = AesGcmTestRecord.seed();
        final Random random = new Random(seed);
        final Ghash ghash = implementation.newGhash();
        final byte[] subkeyH = new byte[16];
        final byte[] x = new byte[16];
        final byte[] out = new byte[16];
        for (int i = 0; i < 500; i++)
        {
            random.nextBytes(subkeyH);
            random.nextBytes(x);
            ghash.init(subkeyH);
            ghash.update(x, 0, 16);
            ghash.digest(out, 0);
            assertArrayEquals(multiply(x, subkeyH), out, "seed=" + seed + " i=" + i);
        }
    }

    /** SP 800-38D §6.3 Algorithm 1, bit by bit. */
    static byte[] multiply(final byte[] x, final byte[] y)
    {
        final byte[] z = new byte[16];
        final byte[] v = y.clone();
        for (int i = 0; i < 128; i++)
        {
            if ((x[i >>> 3] & (0x80 >>> (i & 7))) != 0)
            {
                for (int j = 0; j < 16; j++)
                {
                    z[j] ^= v[j];
                }
            }
            final boolean lsb = (v[15] & 1) != 0;
            for (int j = 15; j > 0; j--)
            {
                v[j] = (byte)(((v[j] & 0xFF) >>> 1) | ((v[j - 1] & 1) << 7));
            }
            v[0] = (byte)((v[0] & 0xFF) >>> 1);
            if (lsb)
            {
                v[0] ^= (byte)0xE1;
            }
        }
        return z;
    }
}
