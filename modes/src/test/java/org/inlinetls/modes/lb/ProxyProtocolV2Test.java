package org.inlinetls.modes.lb;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Byte layouts written out by hand from HAProxy's proxy-protocol.txt, section 2.2.
 */
class ProxyProtocolV2Test
{
    private static final String SIGNATURE = "0d0a0d0a000d0a515549540a";
    private static final int CLIENT = 0xC000_0201;
    private static final int BACKEND = 0x0A00_0002;

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[512]);
    private final ProxyProtocolV2 header = new ProxyProtocolV2();

    private static String hex(final String ascii)
    {
        return HexFormat.of().formatHex(ascii.getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] ascii(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private String written(final int offset, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset, bytes);
        return HexFormat.of().formatHex(bytes);
    }

    @Test
    void shouldEncodeTcpOverIpv4WithoutTlvs()
    {
        header.reset().tcp4(CLIENT, 56_324, BACKEND, 80);
        final int length = header.encode(buffer, 3, 100);
        assertEquals(28, length);
        assertEquals(length, header.encodedLength());
        assertEquals(SIGNATURE +
            "21" +            // version 2, command PROXY
            "11" +            // AF_INET, STREAM
            "000c" +          // 12 bytes follow
            "c0000201" + "0a000002" + "dc04" + "0050", written(3, length));
    }

    @Test
    void shouldEncodeAlpnAuthorityAndSslTlvs()
    {
        header.reset().tcp4(CLIENT, 56_324, BACKEND, 80)
            .alpn(ascii("http/1.1"))
            .authority("www.example.com".getBytes(StandardCharsets.UTF_8))
            .ssl(ProxyProtocolV2.TLS_1_3, ascii("TLS_AES_128_GCM_SHA256"));
        final int length = header.encode(buffer, 0, buffer.capacity());
        final String expected = SIGNATURE + "21" + "11" +
            "0054" +                                              // 12 + 11 + 18 + 43 = 84
            "c0000201" + "0a000002" + "dc04" + "0050" +
            "01" + "0008" + hex("http/1.1") +                     // PP2_TYPE_ALPN
            "02" + "000f" + hex("www.example.com") +              // PP2_TYPE_AUTHORITY
            "20" + "0028" +                                       // PP2_TYPE_SSL, 5 + 10 + 25 = 40
            "01" +                                                // client: PP2_CLIENT_SSL
            "00000001" +                                          // verify: no certificate verified
            "21" + "0007" + hex("TLSv1.3") +                      // PP2_SUBTYPE_SSL_VERSION
            "23" + "0016" + hex("TLS_AES_128_GCM_SHA256");        // PP2_SUBTYPE_SSL_CIPHER
        assertEquals(expected, written(0, length));
        assertEquals(16 + 84, length);
        assertEquals(length, header.encodedLength());
    }

    @Test
    void shouldEncodeTcpOverIpv6() throws Exception
    {
        final byte[] client = InetAddress.getByName("2001:db8::1").getAddress();
        final byte[] backend = InetAddress.getByName("fd00::2").getAddress();
        header.reset().tcp6(client, 443, backend, 8080).alpn(ascii("h2"));
        final int length = header.encode(buffer, 0, buffer.capacity());
        assertEquals(SIGNATURE + "21" + "21" + "0029" +            // AF_INET6, STREAM; 36 + 5 bytes follow
            "20010db8000000000000000000000001" + "fd000000000000000000000000000002" + "01bb" + "1f90" +
            "01" + "0002" + hex("h2"), written(0, length));
    }

    @Test
    void shouldForgetTheTlsDetailsOfThePreviousFlowOnReset()
    {
        header.reset().tcp4(CLIENT, 1, BACKEND, 80).alpn(ascii("h2")).ssl(ProxyProtocolV2.TLS_1_2, ascii("X"));
        header.reset().tcp4(CLIENT, 1, BACKEND, 80);
        assertEquals(28, header.encode(buffer, 0, 512));
    }

    @Test
    void shouldWriteNothingWhenTheHeaderDoesNotFit()
    {
        buffer.setMemory(0, 64, (byte)0x7F);
        header.reset().tcp4(CLIENT, 1, BACKEND, 80).authority(ascii("www.example.com"));
        assertEquals(-1, header.encode(buffer, 0, header.encodedLength() - 1));
        final byte[] untouched = new byte[64];
        java.util.Arrays.fill(untouched, (byte)0x7F);
        final byte[] actual = new byte[64];
        buffer.getBytes(0, actual);
        assertArrayEquals(untouched, actual);
    }

    @ParameterizedTest
    @CsvSource({
        "TLS_AES_256_GCM_SHA384, TLS_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, ECDHE-RSA-AES128-GCM-SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, ECDHE-ECDSA-AES256-GCM-SHA384",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, ECDHE-RSA-CHACHA20-POLY1305",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, ECDHE-ECDSA-AES128-SHA256",
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, ECDHE-RSA-AES256-SHA",
    })
    void shouldNameCiphersAsOpensslDoes(final String iana, final String openssl)
    {
        assertEquals(openssl, ProxyProtocolV2.opensslCipherName(iana));
    }
}
