package org.inlinetls.crypto.keys;

/**
 * The secrets of one TLS 1.3 connection, derived stage by stage as the handshake advances (RFC 8446 §7.1): early
 * secret from the PSK, handshake secret and handshake traffic secrets from the (EC)DHE shared secret and the hash
 * to ServerHello, master secret and application traffic secrets from the hash to server Finished, resumption master
 * secret from the hash to client Finished.
 * <p>
 * Getters return the arrays this object holds, not copies (copy what must outlive {@link #destroy()}); a secret of a
 * stage not reached yet is {@code null}. {@link #toString()} shows the stage only. Not thread-safe.
 */
public final class Tls13Secrets
{
    private final HashAlgorithm hash;
    private final boolean externalPsk;

    private byte[] earlySecret;
    private byte[] handshakeSecret;
    private byte[] clientHandshakeTrafficSecret;
    private byte[] serverHandshakeTrafficSecret;
    private byte[] masterSecret;
    private byte[] clientApplicationTrafficSecret;
    private byte[] serverApplicationTrafficSecret;
    private byte[] exporterMasterSecret;
    private byte[] resumptionMasterSecret;
    private boolean destroyed;

    private Tls13Secrets(final HashAlgorithm hash, final byte[] psk, final boolean externalPsk)
    {
        this.hash = hash;
        this.externalPsk = externalPsk;
        this.earlySecret = Tls13KeySchedule.earlySecret(psk, hash);
    }

    /** Starts a full handshake (no PSK: the early secret is extracted from zeros). */
    public static Tls13Secrets withoutPsk(final HashAlgorithm hash)
    {
        return new Tls13Secrets(hash, null, false);
    }

    /**
     * Starts a PSK handshake.
     *
     * @param psk         the pre-shared key (not retained; the caller still owns and wipes it).
     * @param externalPsk {@code true} for an external PSK ("ext binder"), {@code false} for a resumption PSK
     *                    ("res binder").
     */
    public static Tls13Secrets withPsk(final HashAlgorithm hash, final byte[] psk, final boolean externalPsk)
    {
        if (psk == null || psk.length == 0)
        {
            throw new IllegalArgumentException("PSK must not be empty");
        }
        return new Tls13Secrets(hash, psk, externalPsk);
    }

    /** The hash of the negotiated suite. */
    public HashAlgorithm hash()
    {
        return hash;
    }

    /** {@code binder_key = Derive-Secret(Early Secret, "ext binder" | "res binder", "")}; a fresh array. */
    public byte[] binderKey()
    {
        checkAlive();
        final String label = externalPsk ? Tls13KeySchedule.EXT_BINDER : Tls13KeySchedule.RES_BINDER;
        return Tls13KeySchedule.deriveSecret(earlySecret, label, hash.emptyHash(), hash);
    }

    /** {@code client_early_traffic_secret = Derive-Secret(Early Secret, "c e traffic", ClientHello)}; a fresh array. */
    public byte[] clientEarlyTrafficSecret(final byte[] clientHelloHash)
    {
        checkAlive();
        return Tls13KeySchedule.deriveSecret(earlySecret, Tls13KeySchedule.CLIENT_EARLY_TRAFFIC, clientHelloHash, hash);
    }

    /**
     * Enters the handshake stage: the handshake secret and both handshake traffic secrets.
     *
     * @param sharedSecret the (EC)DHE shared secret (not retained).
     * @param helloHash    Transcript-Hash(ClientHello...ServerHello).
     */
    public void deriveHandshakeSecrets(final byte[] sharedSecret, final byte[] helloHash)
    {
        checkAlive();
        checkStage(handshakeSecret == null, "handshake secrets already derived");

        handshakeSecret = Tls13KeySchedule.handshakeSecret(earlySecret, sharedSecret, hash);
        clientHandshakeTrafficSecret = Tls13KeySchedule.deriveSecret(
            handshakeSecret, Tls13KeySchedule.CLIENT_HANDSHAKE_TRAFFIC, helloHash, hash);
        serverHandshakeTrafficSecret = Tls13KeySchedule.deriveSecret(
            handshakeSecret, Tls13KeySchedule.SERVER_HANDSHAKE_TRAFFIC, helloHash, hash);
    }

    /**
     * Enters the application stage: master secret, both application traffic secrets and the exporter master secret.
     *
     * @param serverFinishedHash Transcript-Hash(ClientHello...server Finished).
     */
    public void deriveApplicationSecrets(final byte[] serverFinishedHash)
    {
        checkAlive();
        checkStage(handshakeSecret != null, "handshake secrets not derived yet");
        checkStage(masterSecret == null, "application secrets already derived");

        masterSecret = Tls13KeySchedule.masterSecret(handshakeSecret, hash);
        clientApplicationTrafficSecret = Tls13KeySchedule.deriveSecret(
            masterSecret, Tls13KeySchedule.CLIENT_APPLICATION_TRAFFIC, serverFinishedHash, hash);
        serverApplicationTrafficSecret = Tls13KeySchedule.deriveSecret(
            masterSecret, Tls13KeySchedule.SERVER_APPLICATION_TRAFFIC, serverFinishedHash, hash);
        exporterMasterSecret = Tls13KeySchedule.deriveSecret(
            masterSecret, Tls13KeySchedule.EXPORTER_MASTER, serverFinishedHash, hash);
    }

    /**
     * Derives the resumption master secret.
     *
     * @param clientFinishedHash Transcript-Hash(ClientHello...client Finished).
     */
    public void deriveResumptionMasterSecret(final byte[] clientFinishedHash)
    {
        checkAlive();
        checkStage(masterSecret != null, "application secrets not derived yet");
        checkStage(resumptionMasterSecret == null, "resumption master secret already derived");

        resumptionMasterSecret = Tls13KeySchedule.deriveSecret(
            masterSecret, Tls13KeySchedule.RESUMPTION_MASTER, clientFinishedHash, hash);
    }

    public byte[] earlySecret()
    {
        return earlySecret;
    }

    public byte[] handshakeSecret()
    {
        return handshakeSecret;
    }

    public byte[] clientHandshakeTrafficSecret()
    {
        return clientHandshakeTrafficSecret;
    }

    public byte[] serverHandshakeTrafficSecret()
    {
        return serverHandshakeTrafficSecret;
    }

    public byte[] masterSecret()
    {
        return masterSecret;
    }

    public byte[] clientApplicationTrafficSecret()
    {
        return clientApplicationTrafficSecret;
    }

    public byte[] serverApplicationTrafficSecret()
    {
        return serverApplicationTrafficSecret;
    }

    public byte[] exporterMasterSecret()
    {
        return exporterMasterSecret;
    }

    public byte[] resumptionMasterSecret()
    {
        return resumptionMasterSecret;
    }

    /** Wipes every secret held; the object cannot derive anything afterwards. */
    public void destroy()
    {
        Secrets.zero(
            earlySecret,
            handshakeSecret,
            clientHandshakeTrafficSecret,
            serverHandshakeTrafficSecret,
            masterSecret,
            clientApplicationTrafficSecret,
            serverApplicationTrafficSecret,
            exporterMasterSecret,
            resumptionMasterSecret);
        destroyed = true;
    }

    public String toString()
    {
        final String stage = destroyed ? "destroyed" :
            resumptionMasterSecret != null ? "resumption" :
            masterSecret != null ? "application" :
            handshakeSecret != null ? "handshake" : "early";
        return "Tls13Secrets{hash=" + hash + ", stage=" + stage + "}";
    }

    private void checkAlive()
    {
        if (destroyed)
        {
            throw new IllegalStateException("secrets destroyed");
        }
    }

    private static void checkStage(final boolean condition, final String message)
    {
        if (!condition)
        {
            throw new IllegalStateException(message);
        }
    }
}
