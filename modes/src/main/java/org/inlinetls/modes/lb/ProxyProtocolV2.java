package org.inlinetls.modes.lb;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import org.agrona.MutableDirectBuffer;

/**
 * Encodes the PROXY protocol version 2 header the appliance prepends to a flow's plaintext for backends that want
 * to know the real client (HAProxy's proxy-protocol.txt, section 2.2), with the TLS details as TLVs.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  signature: 0D 0A 0D 0A 00 0D 0A 51 55 49 54 0A (12 bytes)    |
 *  +               +               +               +               +
 *  |                                                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | ver|cmd 0x21  | fam|proto     |  length of what follows       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  source address (4 or 16)  |  destination address (4 or 16)   |
 *  |  source port (2)           |  destination port (2)            |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  TLVs: type (1), length (2), value: ALPN, AUTHORITY (the SNI), |
 *  |  SSL { client (1), verify (4), sub-TLVs SSL_VERSION, SSL_CIPHER }|
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * All multi-byte fields are big-endian. Command PROXY (0x1), TCP over IPv4 (0x11) or IPv6 (0x21).
 * <p>
 * One instance per thread, reused: set the addresses, optionally the TLS details, then {@link #encode}. The
 * setters keep references to the arrays they are given (nothing is copied or allocated); the caller keeps them
 * unchanged until {@link #encode} returns. Byte strings: ALPN as negotiated, the SNI host name as UTF-8, the TLS
 * version as US-ASCII ({@link #TLS_1_2}, {@link #TLS_1_3}) and the cipher name as OpenSSL prints it
 * ({@link #opensslCipherName(String)}). The appliance does no client-certificate authentication, so the SSL TLV's
 * client field is {@link #PP2_CLIENT_SSL} alone and, as the specification asks when no certificate was presented
 * and verified, its verify field is non-zero (1).
 */
public final class ProxyProtocolV2
{
    /** The 12-byte signature that starts every v2 header. */
    public static final byte[] SIGNATURE =
        {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    /** Version 2 (high nibble), command PROXY (low nibble). */
    public static final int VERSION_COMMAND_PROXY = 0x21;
    /** AF_INET (high nibble), STREAM (low nibble). */
    public static final int TCP_OVER_IPV4 = 0x11;
    /** AF_INET6 (high nibble), STREAM (low nibble). */
    public static final int TCP_OVER_IPV6 = 0x21;

    public static final int PP2_TYPE_ALPN = 0x01;
    public static final int PP2_TYPE_AUTHORITY = 0x02;
    public static final int PP2_TYPE_SSL = 0x20;
    public static final int PP2_SUBTYPE_SSL_VERSION = 0x21;
    public static final int PP2_SUBTYPE_SSL_CIPHER = 0x23;
    /** Client field bit: the client connected over SSL/TLS. */
    public static final int PP2_CLIENT_SSL = 0x01;

    public static final byte[] TLS_1_2 = "TLSv1.2".getBytes(StandardCharsets.US_ASCII);
    public static final byte[] TLS_1_3 = "TLSv1.3".getBytes(StandardCharsets.US_ASCII);

    /** Signature, version and command, family and protocol, length. */
    public static final int FIXED_HEADER_LENGTH = 16;
    public static final int LENGTH_OFFSET = 14;
    public static final int IPV4_ADDRESSES_LENGTH = 12;
    public static final int IPV6_ADDRESSES_LENGTH = 36;
    private static final int TLV_HEADER_LENGTH = 3;
    private static final int SSL_FIXED_LENGTH = 5;
    private static final int VERIFY_NOT_VERIFIED = 1;

    private boolean ipv6;
    private int sourceIpv4;
    private int destinationIpv4;
    private byte[] sourceIpv6;
    private byte[] destinationIpv6;
    private int sourcePort;
    private int destinationPort;
    private byte[] alpn;
    private byte[] authority;
    private byte[] sslVersion;
    private byte[] sslCipher;

    /** Forgets the TLS details of the previous flow. */
    public ProxyProtocolV2 reset()
    {
        alpn = null;
        authority = null;
        sslVersion = null;
        sslCipher = null;
        return this;
    }

    /** TCP over IPv4; addresses as ints in network order. */
    public ProxyProtocolV2 tcp4(final int sourceAddress, final int sourcePort, final int destinationAddress,
        final int destinationPort)
    {
        ipv6 = false;
        this.sourceIpv4 = sourceAddress;
        this.destinationIpv4 = destinationAddress;
        this.sourcePort = sourcePort;
        this.destinationPort = destinationPort;
        return this;
    }

    /** TCP over IPv6; addresses as 16 bytes each. */
    public ProxyProtocolV2 tcp6(final byte[] sourceAddress, final int sourcePort, final byte[] destinationAddress,
        final int destinationPort)
    {
        if (sourceAddress.length != 16 || destinationAddress.length != 16)
        {
            throw new IllegalArgumentException("IPv6 addresses are 16 bytes");
        }
        ipv6 = true;
        this.sourceIpv6 = sourceAddress;
        this.destinationIpv6 = destinationAddress;
        this.sourcePort = sourcePort;
        this.destinationPort = destinationPort;
        return this;
    }

    /** The negotiated ALPN protocol, or null for none. */
    public ProxyProtocolV2 alpn(final byte[] protocol)
    {
        alpn = protocol;
        return this;
    }

    /** The SNI host name the client sent, or null for none. */
    public ProxyProtocolV2 authority(final byte[] serverName)
    {
        authority = serverName;
        return this;
    }

    /** The TLS version and cipher of the client's connection; null for a header without the SSL TLV. */
    public ProxyProtocolV2 ssl(final byte[] version, final byte[] cipher)
    {
        sslVersion = version;
        sslCipher = cipher;
        return this;
    }

    /** The bytes {@link #encode} will write. */
    public int encodedLength()
    {
        return FIXED_HEADER_LENGTH + payloadLength();
    }

    /**
     * Writes the header at {@code offset}.
     *
     * @return the bytes written, or -1 when they would not fit in {@code capacityBytes} (nothing written).
     */
    public int encode(final MutableDirectBuffer buffer, final int offset, final int capacityBytes)
    {
        final int payloadLength = payloadLength();
        final int length = FIXED_HEADER_LENGTH + payloadLength;
        if (length > capacityBytes || payloadLength > 0xFFFF)
        {
            return -1;
        }
        buffer.putBytes(offset, SIGNATURE);
        buffer.putByte(offset + 12, (byte)VERSION_COMMAND_PROXY);
        buffer.putByte(offset + 13, (byte)(ipv6 ? TCP_OVER_IPV6 : TCP_OVER_IPV4));
        buffer.putShort(offset + LENGTH_OFFSET, (short)payloadLength, ByteOrder.BIG_ENDIAN);
        int at = offset + FIXED_HEADER_LENGTH;
        if (ipv6)
        {
            buffer.putBytes(at, sourceIpv6);
            buffer.putBytes(at + 16, destinationIpv6);
            at += 32;
        }
        else
        {
            buffer.putInt(at, sourceIpv4, ByteOrder.BIG_ENDIAN);
            buffer.putInt(at + 4, destinationIpv4, ByteOrder.BIG_ENDIAN);
            at += 8;
        }
        buffer.putShort(at, (short)sourcePort, ByteOrder.BIG_ENDIAN);
        buffer.putShort(at + 2, (short)destinationPort, ByteOrder.BIG_ENDIAN);
        at += 4;
        at = putTlv(buffer, at, PP2_TYPE_ALPN, alpn);
        at = putTlv(buffer, at, PP2_TYPE_AUTHORITY, authority);
        if (sslVersion != null)
        {
            buffer.putByte(at, (byte)PP2_TYPE_SSL);
            buffer.putShort(at + 1, (short)sslLength(), ByteOrder.BIG_ENDIAN);
            buffer.putByte(at + 3, (byte)PP2_CLIENT_SSL);
            buffer.putInt(at + 4, VERIFY_NOT_VERIFIED, ByteOrder.BIG_ENDIAN);
            at += TLV_HEADER_LENGTH + SSL_FIXED_LENGTH;
            at = putTlv(buffer, at, PP2_SUBTYPE_SSL_VERSION, sslVersion);
            at = putTlv(buffer, at, PP2_SUBTYPE_SSL_CIPHER, sslCipher);
        }
        return at - offset;
    }

    /**
     * The OpenSSL name of a suite given by its IANA name (what HAProxy puts in PP2_SUBTYPE_SSL_CIPHER): TLS 1.3
     * suites keep theirs, {@code TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256} becomes {@code ECDHE-RSA-AES128-GCM-SHA256}.
     * For the suites the appliance supports; call it once per suite, not per flow.
     */
    public static String opensslCipherName(final String ianaName)
    {
        if (!ianaName.startsWith("TLS_ECDHE_"))
        {
            return ianaName;
        }
        String name = ianaName.substring("TLS_".length()).replace("_WITH_", "_");
        name = name.replace("AES_128", "AES128").replace("AES_256", "AES256");
        if (name.endsWith("_CHACHA20_POLY1305_SHA256"))
        {
            name = name.substring(0, name.length() - "_SHA256".length());
        }
        if (name.endsWith("_CBC_SHA"))
        {
            name = name.substring(0, name.length() - "_CBC_SHA".length()) + "_SHA";
        }
        else if (name.contains("_CBC_"))
        {
            name = name.replace("_CBC_", "_");
        }
        return name.replace('_', '-');
    }

    private int payloadLength()
    {
        int length = ipv6 ? IPV6_ADDRESSES_LENGTH : IPV4_ADDRESSES_LENGTH;
        length += tlvLength(alpn) + tlvLength(authority);
        if (sslVersion != null)
        {
            length += TLV_HEADER_LENGTH + sslLength();
        }
        return length;
    }

    private int sslLength()
    {
        return SSL_FIXED_LENGTH + tlvLength(sslVersion) + tlvLength(sslCipher);
    }

    private static int tlvLength(final byte[] value)
    {
        return value == null ? 0 : TLV_HEADER_LENGTH + value.length;
    }

    private static int putTlv(final MutableDirectBuffer buffer, final int at, final int type, final byte[] value)
    {
        if (value == null)
        {
            return at;
        }
        buffer.putByte(at, (byte)type);
        buffer.putShort(at + 1, (short)value.length, ByteOrder.BIG_ENDIAN);
        buffer.putBytes(at + TLV_HEADER_LENGTH, value);
        return at + TLV_HEADER_LENGTH + value.length;
    }
}
