package org.inlinetls.handshake;

import org.inlinetls.crypto.suite.CipherSuite;

/**
 * What the owner of a handed-over flow does with a handshake message the client sends after the handshake (the
 * record layer delivers it whole): KeyUpdate is honoured, renegotiation is refused the way BouncyCastle's
 * {@code RenegotiationPolicy.DENY} does (a no_renegotiation warning, RFC 5746 §4.5), anything else is fatal.
 */
public final class PostHandshakeMessages
{
    /** TLS 1.3 KeyUpdate, update_not_requested: install the client's next keys. */
    public static final int KEY_UPDATE = 1;
    /** TLS 1.3 KeyUpdate, update_requested: install the client's next keys and send a KeyUpdate of our own. */
    public static final int KEY_UPDATE_REQUESTED = 2;
    /** TLS 1.2 ClientHello: send {@link #NO_RENEGOTIATION_ALERT} and carry on. */
    public static final int REFUSE_RENEGOTIATION = 3;
    /** Anything else: fail the flow with a fatal unexpected_message alert. */
    public static final int UNEXPECTED = 4;

    /** The plaintext of the warning alert that refuses renegotiation: level warning (1), no_renegotiation (100). */
    public static final byte[] NO_RENEGOTIATION_ALERT = {1, 100};

    private static final int HANDSHAKE_HEADER_LENGTH = 4;
    private static final int CLIENT_HELLO = 1;
    private static final int KEY_UPDATE_TYPE = 24;

    private PostHandshakeMessages()
    {
    }

    /**
     * Classifies one whole handshake record's content ({@code length} bytes at {@code offset}).
     *
     * @return {@link #KEY_UPDATE}, {@link #KEY_UPDATE_REQUESTED}, {@link #REFUSE_RENEGOTIATION} or
     * {@link #UNEXPECTED}.
     */
    public static int classify(
        final CipherSuite.TlsVersion version, final byte[] message, final int offset, final int length)
    {
        if (length < HANDSHAKE_HEADER_LENGTH)
        {
            return UNEXPECTED;
        }
        final int type = message[offset] & 0xFF;
        final int bodyLength =
            (message[offset + 1] & 0xFF) << 16 | (message[offset + 2] & 0xFF) << 8 | message[offset + 3] & 0xFF;
        if (version == CipherSuite.TlsVersion.TLS13)
        {
            // RFC 8446 §4.6.3: one byte, 0 or 1; several messages in one record are not expected from clients
            if (type == KEY_UPDATE_TYPE && bodyLength == 1 && length == HANDSHAKE_HEADER_LENGTH + 1)
            {
                final int request = message[offset + HANDSHAKE_HEADER_LENGTH];
                return request == 0 ? KEY_UPDATE : request == 1 ? KEY_UPDATE_REQUESTED : UNEXPECTED;
            }
            return UNEXPECTED;
        }
        return type == CLIENT_HELLO ? REFUSE_RENEGOTIATION : UNEXPECTED;
    }
}
