package org.inlinetls.crypto.aead;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * {@link Ghash} backed by the JDK's package-private {@code com.sun.crypto.provider.GHASH}, whose block loop HotSpot
 * replaces with a (V)PCLMULQDQ intrinsic (AES-GCM records run roughly eight times faster than with pure-Java GHASH,
 * DESIGN §6).
 * <p>
 * Reached through {@link MethodHandles#privateLookupIn}, which needs
 * {@code --add-opens java.base/com.sun.crypto.provider=ALL-UNNAMED}. Relies on what JDK 17 to 25 have in common:
 * a constructor {@code GHASH(byte[] subkeyH)}, {@code int update(byte[], int, int)} over whole blocks, and the
 * accumulator in {@code private final long[] state} as two big-endian longs (Y bytes 0..7, 8..15). The array is
 * read once per key and then accessed directly, so saving and restoring cost no call into the JDK. Whether all of
 * this holds is checked once at class initialisation with a known-answer test; see {@link #isAvailable()}.
 */
final class JdkGhash implements Ghash
{
    private static final String CLASS_NAME = "com.sun.crypto.provider.GHASH";
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private static final MethodHandle CONSTRUCTOR;
    private static final MethodHandle UPDATE;
    private static final VarHandle STATE;
    private static final VarHandle SUBKEY_TABLE;
    private static final String UNAVAILABILITY_CAUSE;

    static
    {
        MethodHandle constructor = null;
        MethodHandle update = null;
        VarHandle state = null;
        VarHandle subkeyTable = null;
        String cause;
        try
        {
            final Class<?> ghashClass = Class.forName(CLASS_NAME, false, ClassLoader.getPlatformClassLoader());
            final MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(ghashClass, MethodHandles.lookup());
            constructor = lookup.findConstructor(ghashClass, MethodType.methodType(void.class, byte[].class))
                .asType(MethodType.methodType(Object.class, byte[].class));
            update = lookup.findVirtual(
                ghashClass, "update", MethodType.methodType(int.class, byte[].class, int.class, int.class))
                .asType(MethodType.methodType(int.class, Object.class, byte[].class, int.class, int.class));
            state = lookup.findVarHandle(ghashClass, "state", long[].class);
            try
            {
                subkeyTable = lookup.findVarHandle(ghashClass, "subkeyHtbl", long[].class);
            }
            catch (final ReflectiveOperationException ignore)
            {
                // only used to wipe the subkey on destroy()
            }
            cause = knownAnswerTest(constructor, update, state);
        }
        catch (final Throwable ex)
        {
            cause = ex.toString();
        }

        UNAVAILABILITY_CAUSE = cause;
        CONSTRUCTOR = null == cause ? constructor : null;
        UPDATE = null == cause ? update : null;
        STATE = null == cause ? state : null;
        SUBKEY_TABLE = null == cause ? subkeyTable : null;
    }

    private Object ghash;
    private long[] state;

    JdkGhash()
    {
        if (null != UNAVAILABILITY_CAUSE)
        {
            throw new IllegalStateException("JDK GHASH unavailable: " + UNAVAILABILITY_CAUSE);
        }
    }

    /** Whether the JDK's GHASH was reached and passed its known-answer test in this JVM. */
    static boolean isAvailable()
    {
        return null == UNAVAILABILITY_CAUSE;
    }

    /** Why {@link #isAvailable()} is false, or null. */
    static String unavailabilityCause()
    {
        return UNAVAILABILITY_CAUSE;
    }

    public void init(final byte[] subkeyH)
    {
        destroy();
        try
        {
            ghash = (Object)CONSTRUCTOR.invokeExact(subkeyH);
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException(ex);
        }
        state = (long[])STATE.get(ghash);
    }

    public void update(final byte[] src, final int srcOffset, final int lengthBytes)
    {
        if ((lengthBytes & (BLOCK_LENGTH - 1)) != 0)
        {
            throw new IllegalArgumentException("not whole blocks: " + lengthBytes);
        }

        if (lengthBytes > 0)
        {
            try
            {
                final int ignore = (int)UPDATE.invokeExact(ghash, src, srcOffset, lengthBytes);
            }
            catch (final RuntimeException | Error ex)
            {
                throw ex;
            }
            catch (final Throwable ex)
            {
                throw new IllegalStateException(ex);
            }
        }
    }

    public void reset()
    {
        state[0] = 0;
        state[1] = 0;
    }

    public void getState(final byte[] dst, final int dstOffset)
    {
        LONG_BE.set(dst, dstOffset, state[0]);
        LONG_BE.set(dst, dstOffset + 8, state[1]);
    }

    public void setState(final byte[] src, final int srcOffset)
    {
        state[0] = (long)LONG_BE.get(src, srcOffset);
        state[1] = (long)LONG_BE.get(src, srcOffset + 8);
    }

    public void digest(final byte[] dst, final int dstOffset)
    {
        getState(dst, dstOffset);
        reset();
    }

    public void destroy()
    {
        if (null != ghash)
        {
            reset();
            if (null != SUBKEY_TABLE)
            {
                Arrays.fill((long[])SUBKEY_TABLE.get(ghash), 0);
            }
            ghash = null;
            state = null;
        }
    }

    /**
     * Checks the handles against values computed independently (SP 800-38D test case 2's H, a non-zero starting
     * accumulator written through the state array, two blocks, the result read back through it).
     *
     * @return null on success, else what went wrong.
     */
    private static String knownAnswerTest(
        final MethodHandle constructor, final MethodHandle update, final VarHandle state) throws Throwable
    {
        final HexFormat hex = HexFormat.of();
        final byte[] subkeyH = hex.parseHex("66e94bd4ef8a2c3b884cfa59ca342b2e");
        final byte[] data = new byte[32];
        for (int i = 0; i < data.length; i++)
        {
            data[i] = (byte)(0x20 + i);
        }
        final byte[] startState = hex.parseHex("000102030405060708090a0b0c0d0e0f");
        final String expected = "42ae7a29781e2059263e6219a41054db";

        final Object ghash = (Object)constructor.invokeExact(subkeyH);
        final long[] words = (long[])state.get(ghash);
        if (words.length != 2)
        {
            return "unexpected GHASH.state length " + words.length;
        }
        words[0] = (long)LONG_BE.get(startState, 0);
        words[1] = (long)LONG_BE.get(startState, 8);
        final int processed = (int)update.invokeExact(ghash, data, 0, data.length);
        final byte[] result = new byte[16];
        LONG_BE.set(result, 0, words[0]);
        LONG_BE.set(result, 8, words[1]);
        if (processed != data.length || !expected.equals(hex.formatHex(result)))
        {
            return "known-answer test failed: processed " + processed + ", got " + hex.formatHex(result);
        }
        return null;
    }
}
