package org.inlinetls.handshake.cert;

/**
 * Chooses the credential for a handshake from the client's SNI; implemented by the certificate store.
 */
@FunctionalInterface
public interface CredentialSelector
{
    /**
     * @param serverName the SNI host name the client sent (lower case), or null when it sent none.
     * @return the credential to present: the one whose names match, else the default; never null.
     */
    ServerCredential select(String serverName);
}
