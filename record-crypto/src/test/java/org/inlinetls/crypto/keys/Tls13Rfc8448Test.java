package org.inlinetls.crypto.keys;

import static org.inlinetls.crypto.keys.KeysTestSupport.bcExpandLabel;
import static org.inlinetls.crypto.keys.KeysTestSupport.bcHkdfExtract;
import static org.inlinetls.crypto.keys.KeysTestSupport.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * RFC 8448 §3 "Simple 1-RTT Handshake" (TLS_AES_128_GCM_SHA256, x25519): every secret, key and IV of the trace, from
 * its (EC)DHE shared secret and transcript hashes; each expected value is also derived again with BouncyCastle's
 * TLS 1.3 HKDF from BouncyCastle's own previous step, so the test stands on the trace and on a second implementation.
 */
class Tls13Rfc8448Test
{
    private static final HashAlgorithm SHA256 = HashAlgorithm.SHA256;
    private static final byte[] EMPTY = new byte[0];

    static final byte[] EARLY_SECRET =
        hex("33 ad 0a 1c 60 7e c0 3b 09 e6 cd 98 93 68 0c e2 10 ad f3 00 aa 1f 26 60 e1 b2 2e 10 f1 70 f9 2a");
    static final byte[] DERIVED_FOR_HANDSHAKE =
        hex("6f 26 15 a1 08 c7 02 c5 67 8f 54 fc 9d ba b6 97 16 c0 76 18 9c 48 25 0c eb ea c3 57 6c 36 11 ba");
    static final byte[] ECDHE_SHARED_SECRET =
        hex("8b d4 05 4f b5 5b 9d 63 fd fb ac f9 f0 4b 9f 0d 35 e6 d6 3f 53 75 63 ef d4 62 72 90 0f 89 49 2d");
    static final byte[] HANDSHAKE_SECRET =
        hex("1d c8 26 e9 36 06 aa 6f dc 0a ad c1 2f 74 1b 01 04 6a a6 b9 9f 69 1e d2 21 a9 f0 ca 04 3f be ac");
    static final byte[] HASH_CLIENT_HELLO_TO_SERVER_HELLO =
        hex("86 0c 06 ed c0 78 58 ee 8e 78 f0 e7 42 8c 58 ed d6 b4 3f 2c a3 e6 e9 5f 02 ed 06 3c f0 e1 ca d8");
    static final byte[] CLIENT_HS_TRAFFIC =
        hex("b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21");
    static final byte[] SERVER_HS_TRAFFIC =
        hex("b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38");
    static final byte[] DERIVED_FOR_MASTER =
        hex("43 de 77 e0 c7 77 13 85 9a 94 4d b9 db 25 90 b5 31 90 a6 5b 3e e2 e4 f1 2d d7 a0 bb 7c e2 54 b4");
    static final byte[] MASTER_SECRET =
        hex("18 df 06 84 3d 13 a0 8b f2 a4 49 84 4c 5f 8a 47 80 01 bc 4d 4c 62 79 84 d5 a4 1d a8 d0 40 29 19");
    static final byte[] HASH_CLIENT_HELLO_TO_SERVER_FINISHED =
        hex("96 08 10 2a 0f 1c cc 6d b6 25 0b 7b 7e 41 7b 1a 00 0e aa da 3d aa e4 77 7a 76 86 c9 ff 83 df 13");
    static final byte[] CLIENT_AP_TRAFFIC =
        hex("9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5");
    static final byte[] SERVER_AP_TRAFFIC =
        hex("a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43");
    static final byte[] EXPORTER_MASTER =
        hex("fe 22 f8 81 17 6e da 18 eb 8f 44 52 9e 67 92 c5 0c 9a 3f 89 45 2f 68 d8 ae 31 1b 43 09 d3 cf 50");
    static final byte[] HASH_CLIENT_HELLO_TO_CLIENT_FINISHED =
        hex("20 91 45 a9 6e e8 e2 a1 22 ff 81 00 47 cc 95 26 84 65 8d 60 49 e8 64 29 42 6d b8 7c 54 ad 14 3d");
    static final byte[] RESUMPTION_MASTER =
        hex("7d f2 35 f2 03 1d 2a 05 12 87 d0 2b 02 41 b0 bf da f8 6c c8 56 23 1f 2d 5a ba 46 c4 34 ec 19 6c");

    private static final byte[] SERVER_HS_KEY = hex("3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc");
    private static final byte[] SERVER_HS_IV = hex("5d 31 3e b2 67 12 76 ee 13 00 0b 30");
    private static final byte[] CLIENT_HS_KEY = hex("db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01");
    private static final byte[] CLIENT_HS_IV = hex("5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f");
    private static final byte[] SERVER_AP_KEY = hex("9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56");
    private static final byte[] SERVER_AP_IV = hex("cf 78 2b 88 dd 83 54 9a ad f1 e9 84");
    private static final byte[] CLIENT_AP_KEY = hex("17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51");
    private static final byte[] CLIENT_AP_IV = hex("5b 78 92 3d ee 08 57 90 33 e5 23 d9");
    private static final byte[] SERVER_FINISHED_KEY =
        hex("00 8d 3b 66 f8 16 ea 55 9f 96 b5 37 e8 85 c3 1f c0 68 bf 49 2c 65 2f 01 f2 88 a1 d8 cd c1 9f c8");
    private static final byte[] CLIENT_FINISHED_KEY =
        hex("b8 0a d0 10 15 fb 2f 0b d6 5f f7 d4 da 5d 6b f8 3f 84 82 1d 1f 87 fd c7 d3 c7 5b 5a 7b 42 d9 c4");

    // §3 NewSessionTicket (ticket_nonce 00 00) gives the PSK whose early secret opens §4 "Resumed 0-RTT Handshake".
    private static final byte[] TICKET_NONCE = hex("00 00");
    private static final byte[] RESUMPTION_PSK =
        hex("4e cd 0e b6 ec 3b 4d 87 f5 d6 02 8f 92 2c a4 c5 85 1a 27 7f d4 13 11 c9 e6 2d 2c 94 92 e1 c4 f3");
    private static final byte[] RESUMED_EARLY_SECRET =
        hex("9b 21 88 e9 b2 fc 6d 64 d7 1d c3 29 90 0e 20 bb 41 91 50 00 f6 78 aa 83 9c bb 79 7c b7 d8 33 2c");

    @Test
    void shouldReproduceEverySecretOfTheTraceStageByStage()
    {
        final Tls13Secrets secrets = Tls13Secrets.withoutPsk(SHA256);
        assertArrayEquals(EARLY_SECRET, secrets.earlySecret());
        assertNull(secrets.handshakeSecret());

        secrets.deriveHandshakeSecrets(ECDHE_SHARED_SECRET, HASH_CLIENT_HELLO_TO_SERVER_HELLO);
        assertArrayEquals(HANDSHAKE_SECRET, secrets.handshakeSecret());
        assertArrayEquals(CLIENT_HS_TRAFFIC, secrets.clientHandshakeTrafficSecret());
        assertArrayEquals(SERVER_HS_TRAFFIC, secrets.serverHandshakeTrafficSecret());
        assertNull(secrets.masterSecret());

        secrets.deriveApplicationSecrets(HASH_CLIENT_HELLO_TO_SERVER_FINISHED);
        assertArrayEquals(MASTER_SECRET, secrets.masterSecret());
        assertArrayEquals(CLIENT_AP_TRAFFIC, secrets.clientApplicationTrafficSecret());
        assertArrayEquals(SERVER_AP_TRAFFIC, secrets.serverApplicationTrafficSecret());
        assertArrayEquals(EXPORTER_MASTER, secrets.exporterMasterSecret());

        secrets.deriveResumptionMasterSecret(HASH_CLIENT_HELLO_TO_CLIENT_FINISHED);
        assertArrayEquals(RESUMPTION_MASTER, secrets.resumptionMasterSecret());

        secrets.destroy();
        assertArrayEquals(new byte[32], secrets.masterSecret());
        assertThrows(IllegalStateException.class, secrets::binderKey);
    }

    @Test
    void shouldReproduceIntermediateStepsWithStaticFunctions()
    {
        assertArrayEquals(EARLY_SECRET, Tls13KeySchedule.earlySecret(null, SHA256));
        assertArrayEquals(DERIVED_FOR_HANDSHAKE,
            Tls13KeySchedule.deriveSecret(EARLY_SECRET, "derived", SHA256.emptyHash(), SHA256));
        assertArrayEquals(HANDSHAKE_SECRET,
            Tls13KeySchedule.hkdfExtract(DERIVED_FOR_HANDSHAKE, ECDHE_SHARED_SECRET, SHA256));
        assertArrayEquals(HANDSHAKE_SECRET,
            Tls13KeySchedule.handshakeSecret(EARLY_SECRET, ECDHE_SHARED_SECRET, SHA256));
        assertArrayEquals(DERIVED_FOR_MASTER,
            Tls13KeySchedule.deriveSecret(HANDSHAKE_SECRET, "derived", SHA256.emptyHash(), SHA256));
        assertArrayEquals(MASTER_SECRET, Tls13KeySchedule.hkdfExtract(DERIVED_FOR_MASTER, null, SHA256));
        assertArrayEquals(MASTER_SECRET, Tls13KeySchedule.masterSecret(HANDSHAKE_SECRET, SHA256));
    }

    @Test
    void shouldReproduceTheTraceWithBouncyCastleFromItsOwnPreviousSteps()
    {
        final byte[] early = bcHkdfExtract(null, null, SHA256);
        assertArrayEquals(EARLY_SECRET, early);
        final byte[] derived = bcExpandLabel(early, "derived", SHA256.emptyHash(), 32, SHA256);
        assertArrayEquals(DERIVED_FOR_HANDSHAKE, derived);
        final byte[] handshake = bcHkdfExtract(derived, ECDHE_SHARED_SECRET, SHA256);
        assertArrayEquals(HANDSHAKE_SECRET, handshake);
        final byte[] clientHs = bcExpandLabel(handshake, "c hs traffic", HASH_CLIENT_HELLO_TO_SERVER_HELLO, 32, SHA256);
        final byte[] serverHs = bcExpandLabel(handshake, "s hs traffic", HASH_CLIENT_HELLO_TO_SERVER_HELLO, 32, SHA256);
        assertArrayEquals(CLIENT_HS_TRAFFIC, clientHs);
        assertArrayEquals(SERVER_HS_TRAFFIC, serverHs);
        final byte[] derivedMaster = bcExpandLabel(handshake, "derived", SHA256.emptyHash(), 32, SHA256);
        assertArrayEquals(DERIVED_FOR_MASTER, derivedMaster);
        final byte[] master = bcHkdfExtract(derivedMaster, null, SHA256);
        assertArrayEquals(MASTER_SECRET, master);
        final byte[] clientAp = bcExpandLabel(master, "c ap traffic", HASH_CLIENT_HELLO_TO_SERVER_FINISHED, 32, SHA256);
        final byte[] serverAp = bcExpandLabel(master, "s ap traffic", HASH_CLIENT_HELLO_TO_SERVER_FINISHED, 32, SHA256);
        assertArrayEquals(CLIENT_AP_TRAFFIC, clientAp);
        assertArrayEquals(SERVER_AP_TRAFFIC, serverAp);
        assertArrayEquals(EXPORTER_MASTER,
            bcExpandLabel(master, "exp master", HASH_CLIENT_HELLO_TO_SERVER_FINISHED, 32, SHA256));
        final byte[] resumption = bcExpandLabel(master, "res master", HASH_CLIENT_HELLO_TO_CLIENT_FINISHED, 32, SHA256);
        assertArrayEquals(RESUMPTION_MASTER, resumption);

        assertArrayEquals(SERVER_HS_KEY, bcExpandLabel(serverHs, "key", EMPTY, 16, SHA256));
        assertArrayEquals(SERVER_HS_IV, bcExpandLabel(serverHs, "iv", EMPTY, 12, SHA256));
        assertArrayEquals(CLIENT_HS_KEY, bcExpandLabel(clientHs, "key", EMPTY, 16, SHA256));
        assertArrayEquals(CLIENT_HS_IV, bcExpandLabel(clientHs, "iv", EMPTY, 12, SHA256));
        assertArrayEquals(SERVER_AP_KEY, bcExpandLabel(serverAp, "key", EMPTY, 16, SHA256));
        assertArrayEquals(SERVER_AP_IV, bcExpandLabel(serverAp, "iv", EMPTY, 12, SHA256));
        assertArrayEquals(CLIENT_AP_KEY, bcExpandLabel(clientAp, "key", EMPTY, 16, SHA256));
        assertArrayEquals(CLIENT_AP_IV, bcExpandLabel(clientAp, "iv", EMPTY, 12, SHA256));
        assertArrayEquals(SERVER_FINISHED_KEY, bcExpandLabel(serverHs, "finished", EMPTY, 32, SHA256));
        assertArrayEquals(CLIENT_FINISHED_KEY, bcExpandLabel(clientHs, "finished", EMPTY, 32, SHA256));
        final byte[] psk = bcExpandLabel(resumption, "resumption", TICKET_NONCE, 32, SHA256);
        assertArrayEquals(RESUMPTION_PSK, psk);
        assertArrayEquals(RESUMED_EARLY_SECRET, bcHkdfExtract(null, psk, SHA256));
    }

    @Test
    void shouldDeriveHandshakeWriteKeysOfTheTrace()
    {
        checkTrafficKeys(SERVER_HS_TRAFFIC, SERVER_HS_KEY, SERVER_HS_IV);
        checkTrafficKeys(CLIENT_HS_TRAFFIC, CLIENT_HS_KEY, CLIENT_HS_IV);
    }

    @Test
    void shouldDeriveApplicationWriteKeysOfTheTrace()
    {
        checkTrafficKeys(SERVER_AP_TRAFFIC, SERVER_AP_KEY, SERVER_AP_IV);
        checkTrafficKeys(CLIENT_AP_TRAFFIC, CLIENT_AP_KEY, CLIENT_AP_IV);
    }

    @Test
    void shouldDeriveFinishedKeysOfTheTrace()
    {
        assertArrayEquals(SERVER_FINISHED_KEY, Tls13KeySchedule.finishedKey(SERVER_HS_TRAFFIC, SHA256));
        assertArrayEquals(CLIENT_FINISHED_KEY, Tls13KeySchedule.finishedKey(CLIENT_HS_TRAFFIC, SHA256));
    }

    @Test
    void shouldDeriveResumptionPskAndTheResumedEarlySecret()
    {
        final byte[] psk = Tls13KeySchedule.resumptionPsk(RESUMPTION_MASTER, TICKET_NONCE, SHA256);
        assertArrayEquals(RESUMPTION_PSK, psk);

        final Tls13Secrets resumed = Tls13Secrets.withPsk(SHA256, psk, false);
        assertArrayEquals(RESUMED_EARLY_SECRET, resumed.earlySecret());
        assertArrayEquals(
            bcExpandLabel(RESUMED_EARLY_SECRET, "res binder", SHA256.emptyHash(), 32, SHA256), resumed.binderKey());
    }

    @Test
    void shouldEncodeHkdfLabelsAsPrintedInTheTrace()
    {
        assertArrayEquals(hex("00 10 09 74 6c 73 31 33 20 6b 65 79 00"), Tls13KeySchedule.hkdfLabel("key", EMPTY, 16));
        assertArrayEquals(hex("00 0c 08 74 6c 73 31 33 20 69 76 00"), Tls13KeySchedule.hkdfLabel("iv", EMPTY, 12));
    }

    @Test
    void shouldRefuseStagesOutOfOrder()
    {
        final Tls13Secrets secrets = Tls13Secrets.withoutPsk(SHA256);
        assertThrows(IllegalStateException.class,
            () -> secrets.deriveApplicationSecrets(HASH_CLIENT_HELLO_TO_SERVER_FINISHED));
        secrets.deriveHandshakeSecrets(ECDHE_SHARED_SECRET, HASH_CLIENT_HELLO_TO_SERVER_HELLO);
        assertThrows(IllegalStateException.class,
            () -> secrets.deriveHandshakeSecrets(ECDHE_SHARED_SECRET, HASH_CLIENT_HELLO_TO_SERVER_HELLO));
        assertThrows(IllegalStateException.class,
            () -> secrets.deriveResumptionMasterSecret(HASH_CLIENT_HELLO_TO_CLIENT_FINISHED));
    }

    private static void checkTrafficKeys(final byte[] trafficSecret, final byte[] key, final byte[] iv)
    {
        final TrafficKeys keys = Tls13KeySchedule.trafficKeys(trafficSecret, 16, SHA256);
        assertArrayEquals(key, keys.key());
        assertArrayEquals(iv, keys.iv());
    }
}
