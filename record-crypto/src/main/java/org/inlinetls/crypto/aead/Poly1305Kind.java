package org.inlinetls.crypto.aead;

import java.util.Arrays;

/**
 * The Poly1305 implementations {@link ChaCha20Poly1305Stream} can run on, and the one chosen for this JVM at class
 * initialisation.
 * <p>
 * Measured with 16 KiB messages in 1440-byte updates: JDK 17's own Poly1305 (no intrinsic) 0.7 GB/s against 1.2 for
 * {@link #JAVA}; JDK 25's (intrinsic) 4 to 6.8 GB/s against 1.4. So {@link #JDK} is preferred only where the JDK class
 * has its intrinsic entry point (JDK 21 and later), and only when reachable and correct on the RFC 8439 §2.5.2 vector,
 * with a save and restore in the middle. The system property {@code inlinetls.poly1305} ({@code jdk} or
 * {@code java}) overrides the choice when that implementation is available.
 */
public enum Poly1305Kind
{
    /** The JDK's internal {@code com.sun.crypto.provider.Poly1305} through method handles. */
    JDK
    {
        Poly1305 newPoly1305()
        {
            return new JdkPoly1305();
        }
    },

    /** Pure Java, always available. */
    JAVA
    {
        Poly1305 newPoly1305()
        {
            return new JavaPoly1305();
        }
    };

    public static final String PROPERTY_NAME = "inlinetls.poly1305";

    private static final byte[] RFC8439_KEY = hex(
        "85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
    private static final byte[] RFC8439_MESSAGE = "Cryptographic Forum Research Group".getBytes(
        java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] RFC8439_TAG = hex("a8061dc1305136c6c22b8baf0c0127a9");

    private static final String JDK_CAUSE = jdkUnavailabilityCause();
    private static final Poly1305Kind PREFERRED;
    private static final String PREFERRED_REASON;

    static
    {
        final String requested = System.getProperty(PROPERTY_NAME, "");
        if (requested.equalsIgnoreCase("java"))
        {
            PREFERRED = JAVA;
            PREFERRED_REASON = "requested by -D" + PROPERTY_NAME;
        }
        else if (JDK_CAUSE != null)
        {
            PREFERRED = JAVA;
            PREFERRED_REASON = "the JDK's Poly1305 is unusable: " + JDK_CAUSE;
        }
        else if (requested.equalsIgnoreCase("jdk"))
        {
            PREFERRED = JDK;
            PREFERRED_REASON = "requested by -D" + PROPERTY_NAME;
        }
        else if (JdkPoly1305.hasIntrinsicEntry())
        {
            PREFERRED = JDK;
            PREFERRED_REASON = "the JDK's Poly1305 has an intrinsic on this JDK (faster than pure Java)";
        }
        else
        {
            PREFERRED = JAVA;
            PREFERRED_REASON = "the JDK's Poly1305 has no intrinsic on this JDK (pure Java is faster)";
        }
        System.getLogger(Poly1305Kind.class.getName()).log(System.Logger.Level.INFO,
            "Poly1305: " + PREFERRED.name().toLowerCase() + " (" + PREFERRED_REASON + ")");
    }

    /** The implementation new streams use by default on this JVM. */
    public static Poly1305Kind preferred()
    {
        return PREFERRED;
    }

    /** Why {@link #preferred()} was chosen. */
    public static String preferredReason()
    {
        return PREFERRED_REASON;
    }

    public boolean isAvailable()
    {
        return unavailabilityCause() == null;
    }

    /** Why this implementation cannot be used here, or null when it can. */
    public String unavailabilityCause()
    {
        return this == JDK ? JDK_CAUSE : null;
    }

    abstract Poly1305 newPoly1305();

    /** Runs the RFC 8439 §2.5.2 vector in pieces, saving and restoring into a fresh instance in the middle. */
    static boolean passesKnownAnswer(final Poly1305Kind kind)
    {
        final byte[] accumulator = new byte[Poly1305.ACCUMULATOR_LENGTH];
        final byte[] partial = new byte[Poly1305.BLOCK_LENGTH];
        final byte[] tag = new byte[Poly1305.TAG_LENGTH];

        final Poly1305 first = kind.newPoly1305();
        first.init(RFC8439_KEY, 0);
        first.update(RFC8439_MESSAGE, 0, 5);
        first.update(RFC8439_MESSAGE, 5, 16);
        final int partialLength = first.saveState(accumulator, 0, partial, 0);

        final Poly1305 second = kind.newPoly1305();
        second.init(RFC8439_KEY, 0);
        second.restoreState(accumulator, 0, partial, 0, partialLength);
        second.update(RFC8439_MESSAGE, 21, RFC8439_MESSAGE.length - 21);
        second.finish(tag, 0);
        final boolean restoredMatches = Arrays.equals(tag, RFC8439_TAG);

        first.update(RFC8439_MESSAGE, 21, RFC8439_MESSAGE.length - 21);
        first.finish(tag, 0);
        return restoredMatches && Arrays.equals(tag, RFC8439_TAG);
    }

    private static String jdkUnavailabilityCause()
    {
        if (JdkPoly1305.UNAVAILABILITY_CAUSE != null)
        {
            return JdkPoly1305.UNAVAILABILITY_CAUSE.toString();
        }
        try
        {
            return passesKnownAnswer(JDK) ? null : "wrong result on the RFC 8439 §2.5.2 vector";
        }
        catch (final RuntimeException ex)
        {
            return "failed on the RFC 8439 §2.5.2 vector: " + ex;
        }
    }

    static byte[] hex(final String hex)
    {
        final byte[] bytes = new byte[hex.length() / 2];
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)Integer.parseInt(hex, 2 * i, 2 * i + 2, 16);
        }
        return bytes;
    }
}
