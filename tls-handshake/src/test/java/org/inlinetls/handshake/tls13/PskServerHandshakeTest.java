package org.inlinetls.handshake.tls13;

import org.bouncycastle.math.ec.rfc7748.X25519;
import org.inlinetls.crypto.keys.HashAlgorithm;
import org.inlinetls.crypto.keys.Tls13KeySchedule;
import org.inlinetls.crypto.suite.CipherSuite;
import org.inlinetls.handshake.session.TicketKeys;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ClientHello parser and the PSK decision on hand-built ClientHellos: a valid ticket and binder are answered, an
 * altered or foreign ticket falls back to BC, a wrong binder is decrypt_error, malformed input decode_error and a
 * pre_shared_key that is not last illegal_parameter.
 */
class PskServerHandshakeTest
{
    private static final long SEED = 20_260_101L;
    private static final long LIFETIME_MS = 3_600_000;
    private static final byte[] RMS = new byte[32];

    private final AtomicLong clockMs = new AtomicLong(1_800_000_000_000L);
    private final SecureRandom random = seeded();
    private final TicketKeys keys = new TicketKeys(32, LIFETIME_MS, clockMs::get, random);
    private final PskServerHandshake.Policy policy = new PskServerHandshake.Policy(
        new int[]{0x1301, 0x1302, 0x1303}, new int[]{29, 23}, List.of("http/1.1"), keys, LIFETIME_MS, clockMs::get,
        random);

    @Test
    void shouldAnswerAValidTicketWithItsOwnServerHello() throws Exception
    {
        final byte[] hello = clientHello(ticketMessage(), false, false, false);
        final PskServerHandshake handshake = PskServerHandshake.tryAccept(policy, hello);
        assertNotNull(handshake);
        final byte[] flight = handshake.flight();
        assertEquals(22, flight[0]);
        assertEquals(2, flight[5], "ServerHello");
        assertEquals(CipherSuite.TLS_AES_128_GCM_SHA256, handshake.suite());
        assertEquals("http/1.1", handshake.applicationProtocol());
        handshake.destroy();
    }

    @Test
    void shouldRefuseAWrongBinderWithDecryptError() throws Exception
    {
        final byte[] hello = clientHello(ticketMessage(), true, false, false);
        final Tls13Alert alert = assertThrows(Tls13Alert.class, () -> PskServerHandshake.tryAccept(policy, hello));
        assertEquals(Tls13Alert.DECRYPT_ERROR, alert.description());
    }

    @Test
    void shouldLeaveAnAlteredTicketToAFullHandshake() throws Exception
    {
        assertNull(PskServerHandshake.tryAccept(policy, clientHello(ticketMessage(), false, true, false)));
    }

    @Test
    void shouldLeaveAnExpiredTicketToAFullHandshake() throws Exception
    {
        final byte[] nst = ticketMessage();
        clockMs.addAndGet(LIFETIME_MS);
        assertNull(PskServerHandshake.tryAccept(policy, clientHello(nst, false, false, false)));
    }

    @Test
    void shouldRejectAPreSharedKeyThatIsNotLast() throws Exception
    {
        final byte[] hello = clientHello(ticketMessage(), false, false, true);
        final Tls13Alert alert = assertThrows(Tls13Alert.class, () -> ClientHelloParser.parse(hello, 0, hello.length));
        assertEquals(Tls13Alert.ILLEGAL_PARAMETER, alert.description());
        assertNull(PskServerHandshake.tryAccept(policy, hello), "BC refuses it itself");
    }

    @Test
    void shouldRejectMalformedExtensionsWithDecodeError() throws Exception
    {
        final byte[] hello = clientHello(ticketMessage(), false, false, false);
        for (int cut = 40; cut < hello.length; cut += 17)
        {
            final byte[] truncated = Arrays.copyOf(hello, cut);
            final int bodyLength = cut - 4;
            truncated[1] = (byte)(bodyLength >>> 16);
            truncated[2] = (byte)(bodyLength >>> 8);
            truncated[3] = (byte)bodyLength;
            final Tls13Alert alert = assertThrows(Tls13Alert.class,
                () -> ClientHelloParser.parse(truncated, 0, truncated.length), "cut at " + cut);
            assertEquals(Tls13Alert.DECODE_ERROR, alert.description(), "cut at " + cut);
        }
    }

    @Test
    void shouldParseTheFieldsTheDecisionNeeds() throws Exception
    {
        final byte[] hello = clientHello(ticketMessage(), false, false, false);
        final ClientHelloParser.ClientHello parsed = ClientHelloParser.parse(hello, 0, hello.length);
        assertTrue(parsed.offersVersion(0x0304));
        assertTrue(parsed.offersPskMode(1));
        assertEquals("ec.test", parsed.serverName());
        assertEquals(List.of("http/1.1"), parsed.alpnProtocols());
        assertEquals(1, parsed.pskIdentities().size());
        assertEquals(29, parsed.keyShares().get(0).group());
        assertEquals(32, parsed.sessionId().length);
        assertEquals(hello.length - 2 - 1 - 32, parsed.bindersOffset());
    }

    @Test
    void shouldComputeTheBinderFromTheResumptionPsk()
    {
        // the binder is the Finished computation keyed by binder_key = Derive-Secret(early(PSK), "res binder", "")
        final HashAlgorithm hash = HashAlgorithm.SHA256;
        final byte[] psk = Tls13KeySchedule.resumptionPsk(RMS, new byte[]{0}, hash);
        final byte[] message = {1, 0, 0, 0};
        final byte[] early = Tls13KeySchedule.earlySecret(psk, hash);
        final byte[] binderKey = Tls13KeySchedule.deriveSecret(early, Tls13KeySchedule.RES_BINDER, hash.emptyHash(),
            hash);
        final byte[] expected = Tls13KeySchedule.finishedVerifyData(binderKey, hash.hash(message), hash);
        assertArrayEquals(expected, PskServerHandshake.computeBinder(hash, psk, message, message.length));
    }

    private byte[] ticketMessage()
    {
        return ResumptionTicket.newSessionTicket(CipherSuite.TLS_AES_128_GCM_SHA256, RMS, "http/1.1", "ec.test",
            keys, LIFETIME_MS, random);
    }

    /** A TLS 1.3 ClientHello offering the ticket in {@code nst} (a NewSessionTicket message) with its binder. */
    private byte[] clientHello(final byte[] nst, final boolean badBinder, final boolean alterTicket,
        final boolean pskNotLast)
    {
        final ByteBuffer in = ByteBuffer.wrap(nst);
        in.position(8);
        final long ageAdd = in.getInt() & 0xFFFF_FFFFL;
        final byte[] nonce = new byte[in.get()];
        in.get(nonce);
        final byte[] ticket = new byte[in.getShort()];
        in.get(ticket);
        if (alterTicket)
        {
            ticket[ticket.length / 2] ^= 1;
        }
        final byte[] privateKey = new byte[32];
        final byte[] publicKey = new byte[32];
        X25519.generatePrivateKey(random, privateKey);
        X25519.generatePublicKey(privateKey, 0, publicKey, 0);

        final ByteArrayOutputStream ext = new ByteArrayOutputStream();
        extension(ext, 0, concat(u16(10), new byte[]{0}, u16(7), "ec.test".getBytes()));
        extension(ext, 43, new byte[]{2, 3, 4});
        extension(ext, 10, concat(u16(2), u16(29)));
        extension(ext, 16, concat(u16(9), new byte[]{8}, "http/1.1".getBytes()));
        extension(ext, 51, concat(u16(36), u16(29), u16(32), publicKey));
        extension(ext, 45, new byte[]{1, 1});
        final byte[] identity = concat(u16(ticket.length), ticket, u32(ageAdd + 10));
        final byte[] psk = concat(u16(identity.length), identity);
        final int bindersLength = 2 + 1 + 32;
        final byte[] pskExtHeader = concat(u16(41), u16(psk.length + bindersLength));
        final byte[] trailer = pskNotLast ? concat(u16(21), u16(0)) : new byte[0];

        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(u16(0x0303));
        body.writeBytes(new byte[32]);
        body.write(32);
        body.writeBytes(new byte[32]);
        body.writeBytes(concat(u16(2), u16(0x1301)));
        body.writeBytes(new byte[]{1, 0});
        final int extensionsLength = ext.size() + pskExtHeader.length + psk.length + bindersLength + trailer.length;
        body.writeBytes(u16(extensionsLength));
        body.writeBytes(ext.toByteArray());
        body.writeBytes(pskExtHeader);
        body.writeBytes(psk);
        final int bodyLength = body.size() + bindersLength + trailer.length;
        final byte[] truncated = concat(new byte[]{1, (byte)(bodyLength >>> 16), (byte)(bodyLength >>> 8),
            (byte)bodyLength}, body.toByteArray());

        final byte[] resumptionPsk = Tls13KeySchedule.resumptionPsk(RMS, nonce, HashAlgorithm.SHA256);
        final byte[] binder = PskServerHandshake.computeBinder(HashAlgorithm.SHA256, resumptionPsk, truncated,
            truncated.length);
        if (badBinder)
        {
            binder[0] ^= 1;
        }
        return concat(truncated, u16(33), new byte[]{32}, binder, trailer);
    }

    private static void extension(final ByteArrayOutputStream out, final int type, final byte[] data)
    {
        out.writeBytes(u16(type));
        out.writeBytes(u16(data.length));
        out.writeBytes(data);
    }

    private static byte[] u16(final int value)
    {
        return new byte[]{(byte)(value >>> 8), (byte)value};
    }

    private static byte[] u32(final long value)
    {
        return new byte[]{(byte)(value >>> 24), (byte)(value >>> 16), (byte)(value >>> 8), (byte)value};
    }

    private static byte[] concat(final byte[]... parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] part : parts)
        {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static SecureRandom seeded()
    {
        try
        {
            final SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
            random.setSeed(SEED);
            return random;
        }
        catch (final java.security.GeneralSecurityException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
