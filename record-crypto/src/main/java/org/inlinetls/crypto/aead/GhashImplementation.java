package org.inlinetls.crypto.aead;

import static java.lang.System.Logger.Level.DEBUG;
import static java.lang.System.Logger.Level.WARNING;

/**
 * The available {@link Ghash} implementations, and the one selected at start-up (the JDK's intrinsic when its
 * access check and known-answer test pass, else pure Java).
 * <p>
 * The system property {@value #PROPERTY_NAME}{@code =java} forces the pure-Java implementation.
 */
public enum GhashImplementation
{
    /** The JDK's internal {@code com.sun.crypto.provider.GHASH}, intrinsified with (V)PCLMULQDQ. */
    JDK_INTRINSIC
    {
        public boolean isAvailable()
        {
            return JdkGhash.isAvailable();
        }

        public String unavailabilityCause()
        {
            return JdkGhash.unavailabilityCause();
        }

        public Ghash newGhash()
        {
            return new JdkGhash();
        }
    },

    /** Pure-Java 8-bit table multiplication (Shoup); AES-GCM records run roughly eight times slower with it. */
    JAVA
    {
        public boolean isAvailable()
        {
            return true;
        }

        public String unavailabilityCause()
        {
            return null;
        }

        public Ghash newGhash()
        {
            return new JavaGhash();
        }
    };

    public static final String PROPERTY_NAME = "org.inlinetls.crypto.ghash";

    private static final GhashImplementation SELECTED = select(System.getProperty(PROPERTY_NAME));

    /** Whether this implementation can be used in this JVM. */
    public abstract boolean isAvailable();

    /** Why {@link #isAvailable()} is false, or null. */
    public abstract String unavailabilityCause();

    /** A new, uninitialised instance; fails if not {@link #isAvailable()}. */
    public abstract Ghash newGhash();

    /** The implementation chosen at start-up. */
    public static GhashImplementation selected()
    {
        return SELECTED;
    }

    static GhashImplementation select(final String forced)
    {
        final System.Logger logger = System.getLogger(GhashImplementation.class.getName());
        if ("java".equalsIgnoreCase(forced))
        {
            logger.log(WARNING, "GHASH: pure-Java implementation forced by -D" + PROPERTY_NAME + "=java");
            return JAVA;
        }

        if (JDK_INTRINSIC.isAvailable())
        {
            logger.log(DEBUG, "GHASH: using the JDK's intrinsic com.sun.crypto.provider.GHASH");
            return JDK_INTRINSIC;
        }

        logger.log(WARNING, "GHASH: the JDK's intrinsic is unavailable (" + JDK_INTRINSIC.unavailabilityCause() +
            "); falling back to pure Java, AES-GCM records will be roughly eight times slower. Run with " +
            "--add-opens java.base/com.sun.crypto.provider=ALL-UNNAMED");
        return JAVA;
    }
}
