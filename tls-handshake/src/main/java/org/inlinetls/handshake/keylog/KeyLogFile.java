package org.inlinetls.handshake.keylog;

import org.inlinetls.crypto.keys.Secrets;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * A key log (NSS SSLKEYLOGFILE format) read into memory, for replaying a capture: the secrets of each handshake by
 * client random. Lines with other labels (early traffic, exporter) and comments are skipped. {@link #destroy()}
 * zeroes what was read; nothing of it is ever printed.
 */
public final class KeyLogFile
{
    private static final HexFormat HEX = HexFormat.of();
    private final Map<String, EnumMap<KeyLogLabel, byte[]>> byClientRandom = new HashMap<>();

    private KeyLogFile()
    {
    }

    /**
     * Reads a key log.
     *
     * @throws IOException when the file cannot be read or a line with a known label is malformed (its line number
     *                     is given, never its content).
     */
    public static KeyLogFile read(final Path path) throws IOException
    {
        final KeyLogFile log = new KeyLogFile();
        try (BufferedReader reader = Files.newBufferedReader(path, StandardCharsets.US_ASCII))
        {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null)
            {
                number++;
                log.parseLine(line.trim(), path, number);
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            log.destroy();
            throw ex;
        }
        return log;
    }

    private void parseLine(final String line, final Path path, final int number) throws IOException
    {
        if (line.isEmpty() || line.charAt(0) == '#')
        {
            return;
        }
        final String[] fields = line.split("\\s+");
        final KeyLogLabel label = fields.length == 3 ? KeyLogLabel.forText(fields[0]) : null;
        if (null == label)
        {
            return;
        }
        if (fields[1].length() != 2 * KeyLogEntry.CLIENT_RANDOM_LENGTH || fields[2].length() % 2 != 0 ||
            fields[2].isEmpty())
        {
            throw new IOException(path + ":" + number + ": malformed " + label + " line");
        }
        final byte[] secret;
        try
        {
            HEX.parseHex(fields[1]);
            secret = HEX.parseHex(fields[2]);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IOException(path + ":" + number + ": malformed " + label + " line (not hex)");
        }
        final byte[] previous = byClientRandom.computeIfAbsent(fields[1].toLowerCase(),
            k -> new EnumMap<>(KeyLogLabel.class)).put(label, secret);
        Secrets.zero(previous);
    }

    /** A copy of the secret logged for the client random under the label (the caller zeroes it), or null. */
    public byte[] secret(final byte[] clientRandom, final KeyLogLabel label)
    {
        final EnumMap<KeyLogLabel, byte[]> secrets = byClientRandom.get(HEX.formatHex(clientRandom));
        final byte[] secret = null == secrets ? null : secrets.get(label);
        return null == secret ? null : secret.clone();
    }

    /** Handshakes in the log. */
    public int size()
    {
        return byClientRandom.size();
    }

    /** Zeroes every secret read. */
    public void destroy()
    {
        for (final EnumMap<KeyLogLabel, byte[]> secrets : byClientRandom.values())
        {
            secrets.values().forEach(Secrets::zero);
        }
        byClientRandom.clear();
    }

    @Override
    public String toString()
    {
        return "KeyLogFile{" + byClientRandom.size() + " handshakes, secrets " + Secrets.REDACTED + "}";
    }
}
