/**
 * The opt-in NSS key log export of the appliance's handshake secrets ({@link
 * org.inlinetls.handshake.keylog.KeyLogWriterAgent}) and its reader for offline replay ({@link
 * org.inlinetls.handshake.keylog.KeyLogFile}).
 */
package org.inlinetls.handshake.keylog;
