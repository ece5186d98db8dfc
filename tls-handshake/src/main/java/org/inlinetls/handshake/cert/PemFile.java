package org.inlinetls.handshake.cert;

import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads every block of a PEM file with BouncyCastle's {@link PemReader}, turning each failure into a message that
 * names the file and never quotes its content.
 */
final class PemFile
{
    /** Far beyond any real chain or key file; stops a wrong path (a log, a device) from being read whole. */
    static final int MAX_FILE_BYTES = 1 << 20;

    private PemFile()
    {
    }

    /**
     * @param file what to read.
     * @param role how the file is named in messages ("certificate chain file", "key file").
     * @return the PEM blocks in file order; the caller zeroes the content of key blocks when done.
     * @throws CertificateStoreException when the file is missing, unreadable, too big, malformed or has no block.
     */
    static List<PemObject> read(final Path file, final String role) throws CertificateStoreException
    {
        final byte[] bytes = readBytes(file, role);
        final List<PemObject> blocks = new ArrayList<>();
        try (PemReader reader = new PemReader(
            new InputStreamReader(new ByteArrayInputStream(bytes), StandardCharsets.US_ASCII)))
        {
            PemObject block;
            while ((block = reader.readPemObject()) != null)
            {
                blocks.add(block);
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            // no cause: for a key file the parser's message could quote the base64 it choked on
            throw new CertificateStoreException(role + " " + file + " is not valid PEM (" + describe(ex) + ")");
        }
        finally
        {
            Arrays.fill(bytes, (byte)0);
        }

        if (blocks.isEmpty())
        {
            throw new CertificateStoreException(role + " " + file + " contains no PEM block (-----BEGIN ...-----)");
        }

        return blocks;
    }

    static void zero(final List<PemObject> blocks)
    {
        for (final PemObject block : blocks)
        {
            Arrays.fill(block.getContent(), (byte)0);
        }
    }

    static boolean isPrivateKeyType(final String type)
    {
        return type.endsWith("PRIVATE KEY");
    }

    private static byte[] readBytes(final Path file, final String role) throws CertificateStoreException
    {
        try
        {
            if (Files.isDirectory(file))
            {
                throw new CertificateStoreException(role + " " + file + " is a directory");
            }
            final long sizeBytes = Files.size(file);
            if (sizeBytes > MAX_FILE_BYTES)
            {
                throw new CertificateStoreException(
                    role + " " + file + " is " + sizeBytes + " bytes, more than a PEM file can sensibly be (" +
                    MAX_FILE_BYTES + ")");
            }

            return Files.readAllBytes(file);
        }
        catch (final NoSuchFileException ex)
        {
            throw new CertificateStoreException(role + " " + file + " does not exist");
        }
        catch (final IOException ex)
        {
            final String reason = ex instanceof FileSystemException && ((FileSystemException)ex).getReason() != null ?
                ((FileSystemException)ex).getReason() : ex.getClass().getSimpleName();
            throw new CertificateStoreException("cannot read " + role + " " + file + ": " + reason);
        }
    }

    /**
     * PemReader's own I/O messages name only the block type ("-----END X not found"); anything else (a base64 or
     * ASN.1 failure) is reduced to its class name, since its message may quote the content.
     */
    private static String describe(final Exception ex)
    {
        if (ex instanceof IOException && ex.getMessage() != null)
        {
            return ex.getMessage();
        }
        return "undecodable content: " + ex.getClass().getSimpleName();
    }
}
