package org.inlinetls.handshake.cert;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Where one credential of the certificate store comes from: its PEM chain and key files and the names it answers for.
 *
 * @param chainPem    PEM file with the certificate chain, leaf first, each certificate followed by its issuer.
 * @param keyPem      PEM file with the leaf's unencrypted private key (PKCS#8, or traditional RSA / EC); it must not
 *                    be accessible by group or others (mode 0600 or 0400).
 * @param serverNames the DNS names (exact, or {@code *.example.com}) this credential answers for; empty means take
 *                    them from the leaf's subjectAltName DNS entries, or its CN when it has none.
 * @param isDefault   whether this credential answers clients that send no SNI or a name no credential matches.
 */
public record CertificateSpec(Path chainPem, Path keyPem, List<String> serverNames, boolean isDefault)
{
    public CertificateSpec
    {
        Objects.requireNonNull(chainPem, "chainPem");
        Objects.requireNonNull(keyPem, "keyPem");
        serverNames = List.copyOf(Objects.requireNonNull(serverNames, "serverNames"));
    }

    /**
     * A spec whose names come from the leaf certificate.
     *
     * @param chainPem  PEM file with the chain, leaf first.
     * @param keyPem    PEM file with the leaf's private key.
     * @param isDefault whether this is the default credential.
     * @return the spec.
     */
    public static CertificateSpec of(final Path chainPem, final Path keyPem, final boolean isDefault)
    {
        return new CertificateSpec(chainPem, keyPem, List.of(), isDefault);
    }
}
