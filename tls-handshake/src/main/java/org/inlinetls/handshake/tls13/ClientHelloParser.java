package org.inlinetls.handshake.tls13;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads a ClientHello handshake message (RFC 8446 §4.1.2) far enough to decide on PSK resumption: legacy version,
 * random, legacy session id, suites, and the extensions supported_versions, key_share, psk_key_exchange_modes,
 * pre_shared_key (which must be last, §4.2.11), server_name, ALPN, supported_groups and early_data.
 * <p>
 * Message layout:
 * <pre>
 *  +------+----------+---------+--------+--------+--------+---------+-------------------------------------+
 *  | 0x01 | len (3)  | ver (2) | random | sid    | suites | compr.  | extensions (2 + {type, len, data}*) |
 *  |      |          |         | (32)   | (1+n)  | (2+n)  | (1+n)   |   ... pre_shared_key last           |
 *  +------+----------+---------+--------+--------+--------+---------+-------------------------------------+
 * </pre>
 * Malformed input is a {@link Tls13Alert} with decode_error; pre_shared_key not last or a duplicate extension is
 * illegal_parameter. Allocates (handshake path only).
 */
public final class ClientHelloParser
{
    public static final int CLIENT_HELLO = 1;
    public static final int HANDSHAKE_HEADER_LENGTH = 4;
    public static final int RANDOM_LENGTH = 32;

    public static final int EXT_SERVER_NAME = 0;
    public static final int EXT_SUPPORTED_GROUPS = 10;
    public static final int EXT_ALPN = 16;
    public static final int EXT_PRE_SHARED_KEY = 41;
    public static final int EXT_EARLY_DATA = 42;
    public static final int EXT_SUPPORTED_VERSIONS = 43;
    public static final int EXT_PSK_KEY_EXCHANGE_MODES = 45;
    public static final int EXT_KEY_SHARE = 51;

    private ClientHelloParser()
    {
    }

    /** One key_share entry (RFC 8446 §4.2.8). */
    public record KeyShare(int group, byte[] keyExchange)
    {
    }

    /** One offered PSK identity with its binder (RFC 8446 §4.2.11). */
    public record PskIdentity(byte[] identity, long obfuscatedTicketAge, byte[] binder)
    {
    }

    /**
     * What the parser read. {@code bindersOffset} is where the binders list (its length included) starts, counted
     * from the start of the message: the truncated ClientHello the binders cover is the bytes before it (§4.2.11.2).
     */
    public record ClientHello(
        int legacyVersion,
        byte[] random,
        byte[] sessionId,
        int[] cipherSuites,
        int[] supportedVersions,
        List<KeyShare> keyShares,
        int[] pskModes,
        List<PskIdentity> pskIdentities,
        int bindersOffset,
        String serverName,
        List<String> alpnProtocols,
        int[] supportedGroups,
        boolean earlyData)
    {
        public boolean offersVersion(final int version)
        {
            return contains(supportedVersions, version);
        }

        public boolean offersPskMode(final int mode)
        {
            return contains(pskModes, mode);
        }

        public boolean offersSuite(final int suite)
        {
            return contains(cipherSuites, suite);
        }
    }

    /**
     * Parses the whole handshake message {@code [offset, offset + length)}, header included.
     *
     * @throws Tls13Alert decode_error when malformed, illegal_parameter for a misplaced pre_shared_key or a
     *                    duplicated extension.
     */
    public static ClientHello parse(final byte[] src, final int offset, final int length) throws Tls13Alert
    {
        final Reader in = new Reader(src, offset, offset + length);
        if (in.u8() != CLIENT_HELLO)
        {
            throw new Tls13Alert(Tls13Alert.UNEXPECTED_MESSAGE, "not a ClientHello");
        }
        if (in.u24() != length - HANDSHAKE_HEADER_LENGTH)
        {
            throw decodeError("ClientHello length");
        }
        final int legacyVersion = in.u16();
        final byte[] random = in.bytes(RANDOM_LENGTH);
        final byte[] sessionId = in.bytes(in.u8());
        if (sessionId.length > 32)
        {
            throw decodeError("legacy_session_id longer than 32");
        }
        final int suitesLength = in.u16();
        if (suitesLength < 2 || (suitesLength & 1) != 0)
        {
            throw decodeError("cipher_suites length");
        }
        final int[] suites = in.u16s(suitesLength);
        final int compressionLength = in.u8();
        if (compressionLength < 1)
        {
            throw decodeError("legacy_compression_methods empty");
        }
        in.skip(compressionLength);

        final Builder hello = new Builder();
        if (in.remaining() > 0)
        {
            final int extensionsLength = in.u16();
            final int extensionsEnd = in.position() + extensionsLength;
            if (extensionsEnd != in.end)
            {
                throw decodeError("extensions length");
            }
            final List<Integer> seen = new ArrayList<>();
            while (in.position() < extensionsEnd)
            {
                final int type = in.u16();
                final int extensionLength = in.u16();
                if (seen.contains(type))
                {
                    throw new Tls13Alert(Tls13Alert.ILLEGAL_PARAMETER, "duplicate extension " + type);
                }
                if (seen.contains(EXT_PRE_SHARED_KEY))
                {
                    throw new Tls13Alert(Tls13Alert.ILLEGAL_PARAMETER, "pre_shared_key is not the last extension");
                }
                seen.add(type);
                final Reader data = in.slice(extensionLength);
                readExtension(type, data, hello, offset);
                data.expectEnd();
            }
        }
        return new ClientHello(legacyVersion, random, sessionId, suites, hello.supportedVersions, hello.keyShares,
            hello.pskModes, hello.pskIdentities, hello.bindersOffset, hello.serverName, hello.alpn,
            hello.supportedGroups, hello.earlyData);
    }

    private static void readExtension(final int type, final Reader data, final Builder hello, final int messageStart)
        throws Tls13Alert
    {
        switch (type)
        {
            case EXT_SUPPORTED_VERSIONS ->
            {
                final int n = data.u8();
                if (n < 2 || (n & 1) != 0)
                {
                    throw decodeError("supported_versions length");
                }
                hello.supportedVersions = data.u16s(n);
            }
            case EXT_KEY_SHARE ->
            {
                final Reader list = data.slice(data.u16());
                while (list.remaining() > 0)
                {
                    final int group = list.u16();
                    final int keyLength = list.u16();
                    if (keyLength == 0)
                    {
                        throw decodeError("empty key_exchange");
                    }
                    hello.keyShares.add(new KeyShare(group, list.bytes(keyLength)));
                }
            }
            case EXT_PSK_KEY_EXCHANGE_MODES ->
            {
                final int n = data.u8();
                if (n < 1)
                {
                    throw decodeError("psk_key_exchange_modes empty");
                }
                final int[] modes = new int[n];
                for (int i = 0; i < n; i++)
                {
                    modes[i] = data.u8();
                }
                hello.pskModes = modes;
            }
            case EXT_PRE_SHARED_KEY -> readPreSharedKey(data, hello, messageStart);
            case EXT_SERVER_NAME -> hello.serverName = readServerName(data);
            case EXT_ALPN ->
            {
                final Reader list = data.slice(data.u16());
                while (list.remaining() > 0)
                {
                    final int n = list.u8();
                    if (n == 0)
                    {
                        throw decodeError("empty ALPN protocol name");
                    }
                    hello.alpn.add(new String(list.bytes(n), StandardCharsets.UTF_8));
                }
            }
            case EXT_SUPPORTED_GROUPS ->
            {
                final int n = data.u16();
                if ((n & 1) != 0)
                {
                    throw decodeError("supported_groups length");
                }
                hello.supportedGroups = data.u16s(n);
            }
            case EXT_EARLY_DATA -> hello.earlyData = true;
            default -> data.skip(data.remaining());
        }
    }

    private static void readPreSharedKey(final Reader data, final Builder hello, final int messageStart)
        throws Tls13Alert
    {
        final Reader identities = data.slice(data.u16());
        final List<byte[]> ids = new ArrayList<>();
        final List<Long> ages = new ArrayList<>();
        while (identities.remaining() > 0)
        {
            final int n = identities.u16();
            if (n == 0)
            {
                throw decodeError("empty PSK identity");
            }
            ids.add(identities.bytes(n));
            ages.add(identities.u32());
        }
        hello.bindersOffset = data.position() - messageStart;
        final Reader binders = data.slice(data.u16());
        final List<byte[]> values = new ArrayList<>();
        while (binders.remaining() > 0)
        {
            final int n = binders.u8();
            if (n < 32)
            {
                throw decodeError("PSK binder shorter than 32");
            }
            values.add(binders.bytes(n));
        }
        if (ids.isEmpty() || ids.size() != values.size())
        {
            throw new Tls13Alert(Tls13Alert.ILLEGAL_PARAMETER, "PSK identities and binders differ in number");
        }
        for (int i = 0; i < ids.size(); i++)
        {
            hello.pskIdentities.add(new PskIdentity(ids.get(i), ages.get(i), values.get(i)));
        }
    }

    private static String readServerName(final Reader data) throws Tls13Alert
    {
        final Reader list = data.slice(data.u16());
        String hostName = null;
        while (list.remaining() > 0)
        {
            final int type = list.u8();
            final byte[] name = list.bytes(list.u16());
            if (type == 0 && null == hostName)
            {
                hostName = new String(name, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
            }
        }
        return hostName;
    }

    private static Tls13Alert decodeError(final String what)
    {
        return new Tls13Alert(Tls13Alert.DECODE_ERROR, "malformed ClientHello: " + what);
    }

    static boolean contains(final int[] values, final int value)
    {
        if (null != values)
        {
            for (final int v : values)
            {
                if (v == value)
                {
                    return true;
                }
            }
        }
        return false;
    }

    /** The extensions read so far. */
    private static final class Builder
    {
        int[] supportedVersions = new int[0];
        final List<KeyShare> keyShares = new ArrayList<>();
        int[] pskModes = new int[0];
        final List<PskIdentity> pskIdentities = new ArrayList<>();
        int bindersOffset = -1;
        String serverName;
        final List<String> alpn = new ArrayList<>();
        int[] supportedGroups = new int[0];
        boolean earlyData;
    }

    /** Bounds-checked big-endian reads over {@code [position, end)}. */
    private static final class Reader
    {
        private final byte[] src;
        private final int end;
        private int position;

        Reader(final byte[] src, final int position, final int end)
        {
            this.src = src;
            this.position = position;
            this.end = end;
        }

        int position()
        {
            return position;
        }

        int remaining()
        {
            return end - position;
        }

        void need(final int n) throws Tls13Alert
        {
            if (n < 0 || n > end - position)
            {
                throw decodeError("truncated");
            }
        }

        int u8() throws Tls13Alert
        {
            need(1);
            return src[position++] & 0xFF;
        }

        int u16() throws Tls13Alert
        {
            need(2);
            final int value = (src[position] & 0xFF) << 8 | src[position + 1] & 0xFF;
            position += 2;
            return value;
        }

        int u24() throws Tls13Alert
        {
            need(3);
            final int value = (src[position] & 0xFF) << 16 | (src[position + 1] & 0xFF) << 8 | src[position + 2] & 0xFF;
            position += 3;
            return value;
        }

        long u32() throws Tls13Alert
        {
            return (long)u16() << 16 | u16();
        }

        byte[] bytes(final int n) throws Tls13Alert
        {
            need(n);
            final byte[] out = new byte[n];
            System.arraycopy(src, position, out, 0, n);
            position += n;
            return out;
        }

        int[] u16s(final int lengthBytes) throws Tls13Alert
        {
            need(lengthBytes);
            final int[] out = new int[lengthBytes / 2];
            for (int i = 0; i < out.length; i++)
            {
                out[i] = u16();
            }
            return out;
        }

        void skip(final int n) throws Tls13Alert
        {
            need(n);
            position += n;
        }

        Reader slice(final int n) throws Tls13Alert
        {
            need(n);
            final Reader slice = new Reader(src, position, position + n);
            position += n;
            return slice;
        }

        void expectEnd() throws Tls13Alert
        {
            if (position != end)
            {
                throw decodeError("trailing bytes in an extension");
            }
        }
    }
}
