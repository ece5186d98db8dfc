package org.inlinetls.crypto.aead;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class Poly1305Test
{
    private static final long SEED = Long.getLong("test.seed", 0x5eed1305L);

    // RFC 8439 §2.5.2
    private static final byte[] KEY = Poly1305Kind.hex(
        "85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
    private static final byte[] MESSAGE = "Cryptographic Forum Research Group".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TAG = Poly1305Kind.hex("a8061dc1305136c6c22b8baf0c0127a9");

    @ParameterizedTest
    @EnumSource(Poly1305Kind.class)
    void shouldMatchRfc8439Section252(final Poly1305Kind kind)
    {
        assumeTrue(kind.isAvailable(), () -> kind + ": " + kind.unavailabilityCause());
        final Poly1305 poly = kind.newPoly1305();
        final byte[] tag = new byte[16];
        for (int round = 0; round < 2; round++)
        {
            poly.init(KEY, 0);
            poly.update(MESSAGE, 0, MESSAGE.length);
            poly.finish(tag, 0);
            assertArrayEquals(TAG, tag, kind + " round " + round);
        }
        assertTrue(Poly1305Kind.passesKnownAnswer(kind));
    }

    @Test
    void shouldChooseJdkOnlyWhereItHasAnIntrinsic()
    {
        final Poly1305Kind preferred = Poly1305Kind.preferred();
        if (System.getProperty(Poly1305Kind.PROPERTY_NAME) == null)
        {
            final boolean jdkFaster = Poly1305Kind.JDK.isAvailable() && JdkPoly1305.hasIntrinsicEntry();
            final Poly1305Kind expected = jdkFaster ? Poly1305Kind.JDK : Poly1305Kind.JAVA;
            assertEquals(expected, preferred, Poly1305Kind.preferredReason());
        }
        assertTrue(Poly1305Kind.JAVA.isAvailable());
        assertEquals("java", new ChaCha20Poly1305Stream(Poly1305Kind.JAVA).poly1305Kind().newPoly1305().name());
    }

    @Test
    void shouldAgreeBetweenJavaAndJdkOnRandomInputAndState()
    {
        assumeTrue(Poly1305Kind.JDK.isAvailable(), () -> "JDK: " + Poly1305Kind.JDK.unavailabilityCause());
        final Random random = new Random(SEED);
        final Poly1305 java = Poly1305Kind.JAVA.newPoly1305();
        final Poly1305 jdk = Poly1305Kind.JDK.newPoly1305();
        final byte[] key = new byte[32];
        final byte[] javaAccumulator = new byte[17], jdkAccumulator = new byte[17];
        final byte[] javaPartial = new byte[16], jdkPartial = new byte[16];
        final byte[] javaTag = new byte[16], jdkTag = new byte[16];

        for (int message = 0; message < 300; message++)
        {
            random.nextBytes(key);
            final byte[] data = new byte[random.nextInt(3000)];
            random.nextBytes(data);
            if (message % 7 == 0)
            {
                Arrays.fill(data, (byte)0xff); // accumulator near 2^130
                Arrays.fill(key, 0, 16, (byte)0xff);
            }
            java.init(key, 0);
            jdk.init(key, 0);
            int offset = 0;
            while (offset < data.length)
            {
                final int length = Math.min(data.length - offset, random.nextBoolean() ? 1 : random.nextInt(200));
                java.update(data, offset, length);
                jdk.update(data, offset, length);
                offset += length;
                if (random.nextInt(4) == 0)
                {
                    final int javaLength = java.saveState(javaAccumulator, 0, javaPartial, 0);
                    final int jdkLength = jdk.saveState(jdkAccumulator, 0, jdkPartial, 0);
                    final String where = "seed " + SEED + " message " + message + " at " + offset;
                    assertArrayEquals(javaAccumulator, jdkAccumulator, where);
                    assertEquals(javaLength, jdkLength, where);
                    assertArrayEquals(
                        Arrays.copyOf(javaPartial, javaLength), Arrays.copyOf(jdkPartial, jdkLength), where);
                }
            }
            java.finish(javaTag, 0);
            jdk.finish(jdkTag, 0);
            assertArrayEquals(javaTag, jdkTag, "seed " + SEED + " message " + message);
        }
    }

    @ParameterizedTest
    @EnumSource(Poly1305Kind.class)
    void shouldContinueFromSavedStateInFreshInstance(final Poly1305Kind kind)
    {
        assumeTrue(kind.isAvailable(), () -> kind + ": " + kind.unavailabilityCause());
        final Random random = new Random(SEED + 1);
        final byte[] key = new byte[32];
        final byte[] accumulator = new byte[17];
        final byte[] partial = new byte[16];
        final byte[] expected = new byte[16];
        final byte[] actual = new byte[16];
        for (int message = 0; message < 200; message++)
        {
            random.nextBytes(key);
            final byte[] data = new byte[random.nextInt(2000)];
            random.nextBytes(data);
            final int split = data.length == 0 ? 0 : random.nextInt(data.length + 1);

            final Poly1305 whole = kind.newPoly1305();
            whole.init(key, 0);
            whole.update(data, 0, data.length);
            whole.finish(expected, 0);

            final Poly1305 first = kind.newPoly1305();
            first.init(key, 0);
            first.update(data, 0, split);
            final int partialLength = first.saveState(accumulator, 0, partial, 0);
            final Poly1305 second = kind.newPoly1305();
            second.init(key, 0);
            second.restoreState(accumulator, 0, partial, 0, partialLength);
            second.update(data, split, data.length - split);
            second.finish(actual, 0);
            assertArrayEquals(expected, actual, kind + " seed " + (SEED + 1) + " message " + message);

            // the saving instance itself goes on unchanged
            first.update(data, split, data.length - split);
            first.finish(actual, 0);
            assertArrayEquals(expected, actual, kind + " seed " + (SEED + 1) + " message " + message + " (saver)");
        }
    }

    @ParameterizedTest
    @EnumSource(Poly1305Kind.class)
    void shouldRoundTripEdgeAccumulators(final Poly1305Kind kind)
    {
        assumeTrue(kind.isAvailable(), () -> kind + ": " + kind.unavailabilityCause());
        final String[] values = {
            "0000000000000000000000000000000000", // 0 (little-endian, 17 bytes)
            "0100000000000000000000000000000000", // 1
            "ffffffffffffffffffffffffffffffff00", // 2^128 - 1
            "0000000000000000000000000000000001", // 2^128
            "0000000000000000000000000000000002", // 2^129
            "faffffffffffffffffffffffffffffff03", // p - 1
            "ffffffffffffffffffffffffffffffff02", // 2^130 - 2^128 - 1
            "f9ffffffffffffffffffffffffffffff03", // p - 2
        };
        final byte[] key = new byte[32];
        new Random(SEED + 2).nextBytes(key);
        final byte[] saved = new byte[17];
        final byte[] partial = new byte[16];
        final byte[] tag = new byte[16];
        final byte[] javaTag = new byte[16];
        final Poly1305 poly = kind.newPoly1305();
        final Poly1305 reference = Poly1305Kind.JAVA.newPoly1305();
        for (final String value : values)
        {
            final byte[] accumulator = Poly1305Kind.hex(value);
            poly.init(key, 0);
            poly.restoreState(accumulator, 0, partial, 0, 0);
            poly.saveState(saved, 0, partial, 0);
            assertArrayEquals(accumulator, saved, kind + " " + value);

            poly.update(MESSAGE, 0, MESSAGE.length);
            poly.finish(tag, 0);
            reference.init(key, 0);
            reference.restoreState(accumulator, 0, partial, 0, 0);
            reference.update(MESSAGE, 0, MESSAGE.length);
            reference.finish(javaTag, 0);
            assertArrayEquals(javaTag, tag, kind + " " + value);
        }
    }
}
