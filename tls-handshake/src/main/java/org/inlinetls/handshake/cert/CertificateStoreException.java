package org.inlinetls.handshake.cert;

import java.util.List;

/**
 * Why the certificate store could not be loaded or reloaded: one problem per line, each naming the file at fault.
 * Messages never contain private key material; causes from key parsing are deliberately not chained.
 */
public final class CertificateStoreException extends Exception
{
    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    /**
     * @param problems what is wrong, one entry per problem, each naming the file.
     */
    public CertificateStoreException(final List<String> problems)
    {
        super(String.join(System.lineSeparator(), problems));
        this.problems = List.copyOf(problems);
    }

    /**
     * @param problem what is wrong, naming the file.
     */
    public CertificateStoreException(final String problem)
    {
        this(List.of(problem));
    }

    /**
     * @param problem what is wrong, naming the file.
     * @param cause   the underlying failure (never one whose message could carry key material).
     */
    public CertificateStoreException(final String problem, final Throwable cause)
    {
        super(problem, cause);
        this.problems = List.of(problem);
    }

    /**
     * @return each problem found, in the order of the specs.
     */
    public List<String> problems()
    {
        return problems;
    }
}
