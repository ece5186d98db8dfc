package org.inlinetls.handshake.cert;

import java.security.PrivateKey;
import java.util.List;

/**
 * One certificate chain the appliance presents and its private key: what the handshake needs to sign with.
 * The private key never appears in {@link #toString()}, logs or exceptions.
 *
 * @param name             a label for logs (the chain file name).
 * @param certificateChain the chain in DER, leaf first.
 * @param privateKey       the leaf's private key (PKCS#8 loaded through the JCA).
 * @param keyType          what kind of key it is, which decides the signature schemes.
 * @param serverNames      the DNS names (from the leaf's SAN, or configured) this credential answers for.
 */
public record ServerCredential(
    String name,
    List<byte[]> certificateChain,
    PrivateKey privateKey,
    KeyType keyType,
    List<String> serverNames)
{
    /** Key kinds the appliance signs with (RSA 2048+ and ECDSA on P-256/P-384). */
    public enum KeyType
    {
        RSA,
        EC_P256,
        EC_P384
    }

    @Override
    public String toString()
    {
        return "ServerCredential{" + name + ", " + keyType + ", names=" + serverNames + ", key hidden}";
    }
}
