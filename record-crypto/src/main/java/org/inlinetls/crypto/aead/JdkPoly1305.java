package org.inlinetls.crypto.aead;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.security.Key;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;
import javax.crypto.SecretKey;

/**
 * Poly1305 on the JDK's internal {@code com.sun.crypto.provider.Poly1305} (intrinsified on JDK 21+), reached through
 * method handles; needs {@code --add-opens java.base/com.sun.crypto.provider=ALL-UNNAMED}.
 * <p>
 * Only the JDK class's own members are accessible: its accumulator is a {@code sun.security.util.math} element whose
 * methods a caller outside {@code java.base} cannot invoke even with the package opened. So the state is moved with
 * the class's own operations: its private {@code processBlock} computes {@code a = (a + block) * r}, and its fields
 * {@code r} and {@code s} are pointed at constant elements (0, 1, 4, 1/4 mod p) made at class initialisation by keying
 * helper instances; {@code engineDoFinal} with {@code s = 0} reads the accumulator's low 128 bits. Restoring costs
 * six block operations; saving costs two block operations and two {@code engineDoFinal} calls. Measured on JDK 17
 * and 25: a save allocates about 800 bytes, {@link #init} plus {@link #finish} about 730 (the JDK's key elements,
 * fresh accumulator and tag array); updates allocate nothing.
 */
final class JdkPoly1305 implements Poly1305
{
    static final Throwable UNAVAILABILITY_CAUSE;

    private static final MethodHandle NEW_ENGINE;
    private static final MethodHandle ENGINE_INIT;
    private static final MethodHandle ENGINE_UPDATE;
    private static final MethodHandle ENGINE_DO_FINAL;
    private static final MethodHandle PROCESS_BLOCK;
    private static final MethodHandle GET_A;
    private static final MethodHandle SET_A;
    private static final MethodHandle GET_R;
    private static final MethodHandle SET_R;
    private static final MethodHandle GET_S;
    private static final MethodHandle SET_S;
    private static final boolean HAS_INTRINSIC_ENTRY;
    private static final int RS_OFFSET = 16;

    private static final Object ZERO;
    private static final Object ONE;
    private static final Object FOUR;
    private static final Object QUARTER; // 4^-1 mod p = 2^128 - 1

    // a = 4 (a + 2^128 + 2^127), then a = (a + 2^128 + (2^128 - 10)) / 4 gives a back,
    // since 4 (2^128 + 2^127) + 2^129 - 10 = 0 mod p
    private static final byte[] TIMES_FOUR_BLOCK = new byte[BLOCK_LENGTH];
    private static final byte[] QUARTER_BLOCK = new byte[BLOCK_LENGTH];

    static
    {
        TIMES_FOUR_BLOCK[15] = (byte)0x80;
        Arrays.fill(QUARTER_BLOCK, (byte)0xff);
        QUARTER_BLOCK[0] = (byte)0xf6;

        MethodHandle newEngine = null, engineInit = null, engineUpdate = null, engineDoFinal = null;
        MethodHandle processBlock = null, getA = null, setA = null, getR = null, setR = null, getS = null, setS = null;
        boolean hasIntrinsicEntry = false;
        Object zero = null, one = null, four = null, quarter = null;
        Throwable cause = null;
        try
        {
            final Class<?> engineClass = Class.forName("com.sun.crypto.provider.Poly1305");
            final Class<?> elementClass = Class.forName("sun.security.util.math.IntegerModuloP");
            final Class<?> mutableClass = Class.forName("sun.security.util.math.MutableIntegerModuloP");
            final MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(engineClass, MethodHandles.lookup());
            final MethodType objectVoid = MethodType.methodType(void.class, Object.class);

            newEngine = lookup.findConstructor(engineClass, MethodType.methodType(void.class))
                .asType(MethodType.methodType(Object.class));
            engineInit = lookup.findVirtual(engineClass, "engineInit",
                MethodType.methodType(void.class, Key.class, AlgorithmParameterSpec.class))
                .asType(MethodType.methodType(void.class, Object.class, Key.class, AlgorithmParameterSpec.class));
            engineUpdate = lookup.findVirtual(engineClass, "engineUpdate",
                MethodType.methodType(void.class, byte[].class, int.class, int.class))
                .asType(objectVoid.appendParameterTypes(byte[].class, int.class, int.class));
            engineDoFinal = lookup.findVirtual(engineClass, "engineDoFinal", MethodType.methodType(byte[].class))
                .asType(MethodType.methodType(byte[].class, Object.class));
            processBlock = lookup.findVirtual(engineClass, "processBlock",
                MethodType.methodType(void.class, byte[].class, int.class, int.class))
                .asType(objectVoid.appendParameterTypes(byte[].class, int.class, int.class));
            getA = lookup.findGetter(engineClass, "a", mutableClass)
                .asType(MethodType.methodType(Object.class, Object.class));
            setA = lookup.findSetter(engineClass, "a", mutableClass)
                .asType(objectVoid.appendParameterTypes(Object.class));
            getR = lookup.findGetter(engineClass, "r", elementClass)
                .asType(MethodType.methodType(Object.class, Object.class));
            setR = lookup.findSetter(engineClass, "r", elementClass)
                .asType(objectVoid.appendParameterTypes(Object.class));
            getS = lookup.findGetter(engineClass, "s", elementClass)
                .asType(MethodType.methodType(Object.class, Object.class));
            setS = lookup.findSetter(engineClass, "s", elementClass)
                .asType(objectVoid.appendParameterTypes(Object.class));
            for (final java.lang.reflect.Method method : engineClass.getDeclaredMethods())
            {
                hasIntrinsicEntry |= method.getName().equals("processMultipleBlocks");
            }

            // constants: r = 1 with s = 2^128 - 1 (the inverse of 4), r = 4, and an untouched zero accumulator
            final byte[] constantKey = new byte[KEY_LENGTH];
            constantKey[0] = 1;
            Arrays.fill(constantKey, RS_OFFSET, KEY_LENGTH, (byte)0xff);
            final Object helperOne = newEngine.invokeExact();
            engineInit.invokeExact(helperOne, (Key)new OneTimeKey(constantKey.clone()), (AlgorithmParameterSpec)null);
            one = getR.invokeExact(helperOne);
            quarter = getS.invokeExact(helperOne);
            zero = getA.invokeExact(helperOne);
            constantKey[0] = 4;
            final Object helperFour = newEngine.invokeExact();
            engineInit.invokeExact(helperFour, (Key)new OneTimeKey(constantKey.clone()), (AlgorithmParameterSpec)null);
            four = getR.invokeExact(helperFour);
        }
        catch (final Throwable t)
        {
            cause = t;
        }

        NEW_ENGINE = newEngine;
        ENGINE_INIT = engineInit;
        ENGINE_UPDATE = engineUpdate;
        ENGINE_DO_FINAL = engineDoFinal;
        PROCESS_BLOCK = processBlock;
        GET_A = getA;
        SET_A = setA;
        GET_R = getR;
        SET_R = setR;
        GET_S = getS;
        SET_S = setS;
        HAS_INTRINSIC_ENTRY = hasIntrinsicEntry;
        ZERO = zero;
        ONE = one;
        FOUR = four;
        QUARTER = quarter;
        UNAVAILABILITY_CAUSE = cause;
    }

    private final Object engine;
    private final OneTimeKey key = new OneTimeKey(new byte[KEY_LENGTH]);
    private final byte[] buffer = new byte[BLOCK_LENGTH];
    private final byte[] restoreBlock = new byte[BLOCK_LENGTH];
    private int bufferLength;

    JdkPoly1305()
    {
        if (UNAVAILABILITY_CAUSE != null)
        {
            throw new IllegalStateException("JDK Poly1305 unavailable", UNAVAILABILITY_CAUSE);
        }
        try
        {
            engine = NEW_ENGINE.invokeExact();
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
        }
    }

    /** True when the JDK's class has the entry point its Poly1305 intrinsic replaces (JDK 21 and later). */
    static boolean hasIntrinsicEntry()
    {
        return HAS_INTRINSIC_ENTRY;
    }

    public void init(final byte[] keyBytes, final int keyOffset)
    {
        // the JDK keeps and clamps the array getEncoded() returns, so refill it for every message
        System.arraycopy(keyBytes, keyOffset, key.bytes, 0, KEY_LENGTH);
        bufferLength = 0;
        try
        {
            ENGINE_INIT.invokeExact(engine, (Key)key, (AlgorithmParameterSpec)null);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public void update(final byte[] src, final int srcOffset, final int length)
    {
        int offset = srcOffset;
        int remaining = length;
        try
        {
            if (bufferLength > 0)
            {
                final int n = Math.min(remaining, BLOCK_LENGTH - bufferLength);
                System.arraycopy(src, offset, buffer, bufferLength, n);
                bufferLength += n;
                offset += n;
                remaining -= n;
                if (bufferLength < BLOCK_LENGTH)
                {
                    return;
                }
                ENGINE_UPDATE.invokeExact(engine, buffer, 0, BLOCK_LENGTH);
                bufferLength = 0;
            }

            // only whole blocks go to the JDK object so its own partial-block buffer stays empty
            final int whole = remaining & ~(BLOCK_LENGTH - 1);
            if (whole > 0)
            {
                ENGINE_UPDATE.invokeExact(engine, src, offset, whole);
                offset += whole;
                remaining -= whole;
            }
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }

        if (remaining > 0)
        {
            System.arraycopy(src, offset, buffer, 0, remaining);
            bufferLength = remaining;
        }
    }

    public void finish(final byte[] tag, final int tagOffset)
    {
        try
        {
            if (bufferLength > 0)
            {
                PROCESS_BLOCK.invokeExact(engine, buffer, 0, bufferLength);
                bufferLength = 0;
            }
            final byte[] result = (byte[])ENGINE_DO_FINAL.invokeExact(engine);
            System.arraycopy(result, 0, tag, tagOffset, TAG_LENGTH);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public int saveState(final byte[] accumulator, final int accumulatorOffset, final byte[] partial,
        final int partialOffset)
    {
        try
        {
            final Object a = GET_A.invokeExact(engine);
            final Object r = GET_R.invokeExact(engine);
            final Object s = GET_S.invokeExact(engine);

            // v = 2^128 h + l, v < p; l = v mod 2^128
            SET_S.invokeExact(engine, ZERO);
            final byte[] low = (byte[])ENGINE_DO_FINAL.invokeExact(engine);
            SET_A.invokeExact(engine, a);

            // w = 4 (v + 2^128 + 2^127) mod p reveals h through the 2^130 = 5 wrap
            SET_R.invokeExact(engine, FOUR);
            PROCESS_BLOCK.invokeExact(engine, TIMES_FOUR_BLOCK, 0, BLOCK_LENGTH);
            final byte[] scaled = (byte[])ENGINE_DO_FINAL.invokeExact(engine);
            SET_A.invokeExact(engine, a);
            SET_R.invokeExact(engine, QUARTER);
            PROCESS_BLOCK.invokeExact(engine, QUARTER_BLOCK, 0, BLOCK_LENGTH);

            SET_R.invokeExact(engine, r);
            SET_S.invokeExact(engine, s);

            System.arraycopy(low, 0, accumulator, accumulatorOffset, TAG_LENGTH);
            accumulator[accumulatorOffset + TAG_LENGTH] = (byte)PolyArithmetic.highBits(low, scaled);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }

        System.arraycopy(buffer, 0, partial, partialOffset, bufferLength);
        return bufferLength;
    }

    public void restoreState(final byte[] accumulator, final int accumulatorOffset, final byte[] partial,
        final int partialOffset, final int partialLength)
    {
        final int h = accumulator[accumulatorOffset + TAG_LENGTH] & 3;
        try
        {
            final Object r = GET_R.invokeExact(engine);

            SET_R.invokeExact(engine, ZERO);
            PROCESS_BLOCK.invokeExact(engine, QUARTER_BLOCK, 0, BLOCK_LENGTH); // a = 0
            SET_R.invokeExact(engine, ONE);
            PROCESS_BLOCK.invokeExact(engine, accumulator, accumulatorOffset, BLOCK_LENGTH); // a = l + 2^128
            for (int i = 0; i < 4; i++)
            {
                PolyArithmetic.restoreBlock(h, i, restoreBlock);
                PROCESS_BLOCK.invokeExact(engine, restoreBlock, 0, BLOCK_LENGTH);
            }
            SET_R.invokeExact(engine, r);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }

        System.arraycopy(partial, partialOffset, buffer, 0, partialLength);
        bufferLength = partialLength;
    }

    public void destroy()
    {
        Arrays.fill(key.bytes, (byte)0);
        Arrays.fill(buffer, (byte)0);
        bufferLength = 0;
        try
        {
            // drop the JDK's key elements by keying it with zero-free dummy bytes
            Arrays.fill(key.bytes, (byte)1);
            ENGINE_INIT.invokeExact(engine, (Key)key, (AlgorithmParameterSpec)null);
            Arrays.fill(key.bytes, (byte)0);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public String name()
    {
        return "jdk";
    }

    private static RuntimeException rethrow(final Throwable t)
    {
        if (t instanceof RuntimeException)
        {
            return (RuntimeException)t;
        }
        if (t instanceof Error)
        {
            throw (Error)t;
        }
        return new IllegalStateException(t);
    }

    /** A key whose encoding is its own array, so keying the JDK object copies nothing. */
    private static final class OneTimeKey implements SecretKey
    {
        private static final long serialVersionUID = 1L;
        private final byte[] bytes;

        OneTimeKey(final byte[] bytes)
        {
            this.bytes = bytes;
        }

        public String getAlgorithm()
        {
            return "Poly1305";
        }

        public String getFormat()
        {
            return "RAW";
        }

        public byte[] getEncoded()
        {
            return bytes;
        }
    }
}
