package org.inlinetls.handshake.keylog;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The key log export's writer, driven by hand: NSS format lines, mode 0600, rotation by size keeping one old file,
 * a full queue dropping (and zeroing) entries, every copy zeroed once written; and the reader taking the lines back.
 */
class KeyLogWriterAgentTest
{
    private static final long SEED = 20261207L;

    @TempDir
    Path directory;

    private final Random random = new Random(SEED);

    private byte[] bytes(final int length)
    {
        final byte[] b = new byte[length];
        random.nextBytes(b);
        return b;
    }

    @Test
    void shouldWriteNssLinesToAFileOnlyTheOwnerCanRead() throws IOException
    {
        final Path file = directory.resolve("keys.log");
        final KeyLogWriterAgent writer = new KeyLogWriterAgent(file, 1 << 20, 16);
        final byte[] clientRandom = bytes(32);
        final byte[] master = bytes(48);
        final byte[] masterCopy = master.clone();
        final KeyLogEntry tls12 = KeyLogEntry.tls12(clientRandom.clone(), master);
        final byte[][] tls13Secrets = {bytes(32), bytes(32), bytes(32), bytes(32)};
        final byte[][] tls13Copies = Arrays.stream(tls13Secrets).map(byte[]::clone).toArray(byte[][]::new);
        final byte[] random13 = bytes(32);
        writer.offer(tls12);
        writer.offer(KeyLogEntry.tls13(random13.clone(), tls13Secrets[0], tls13Secrets[1], tls13Secrets[2],
            tls13Secrets[3]));
        assertEquals(2, writer.doWork());
        writer.onClose();

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        final List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        assertEquals(List.of(
            "CLIENT_RANDOM " + hex(clientRandom) + " " + hex(masterCopy),
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET " + hex(random13) + " " + hex(tls13Copies[0]),
            "SERVER_HANDSHAKE_TRAFFIC_SECRET " + hex(random13) + " " + hex(tls13Copies[1]),
            "CLIENT_TRAFFIC_SECRET_0 " + hex(random13) + " " + hex(tls13Copies[2]),
            "SERVER_TRAFFIC_SECRET_0 " + hex(random13) + " " + hex(tls13Copies[3])), lines);
        assertArrayEquals(new byte[48], master, "the entry's secret is zeroed once written");
        for (final byte[] secret : tls13Secrets)
        {
            assertArrayEquals(new byte[32], secret);
        }
        assertEquals(2, writer.entriesWritten());

        final KeyLogFile read = KeyLogFile.read(file);
        assertEquals(2, read.size());
        assertArrayEquals(masterCopy, read.secret(clientRandom, KeyLogLabel.CLIENT_RANDOM));
        assertArrayEquals(tls13Copies[3], read.secret(random13, KeyLogLabel.SERVER_TRAFFIC_SECRET_0));
        assertEquals(null, read.secret(random13, KeyLogLabel.CLIENT_RANDOM));
        assertFalse(read.toString().contains(hex(masterCopy)));
        read.destroy();
        assertEquals(0, read.size());
    }

    @Test
    void shouldCreateMissingDirectoriesForTheOwnerOnly() throws IOException
    {
        final Path file = directory.resolve("a/b/keys.log");
        final KeyLogWriterAgent writer = new KeyLogWriterAgent(file, 1 << 20, 16);
        writer.onClose();
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }

    @Test
    void shouldTightenTheModeOfAnExistingFileAndAppendToIt() throws IOException
    {
        final Path file = directory.resolve("existing.log");
        Files.writeString(file, "# started by hand\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        final KeyLogWriterAgent writer = new KeyLogWriterAgent(file, 1 << 20, 16);
        writer.offer(KeyLogEntry.tls12(bytes(32), bytes(48)));
        writer.onClose();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        final List<String> lines = Files.readAllLines(file);
        assertEquals(2, lines.size());
        assertEquals("# started by hand", lines.get(0));
        assertTrue(lines.get(1).startsWith("CLIENT_RANDOM "));
    }

    @Test
    void shouldRotateBySizeKeepingOneOldFile() throws IOException
    {
        final Path file = directory.resolve("rotating.log");
        final long maxBytes = 4096;
        final KeyLogWriterAgent writer = new KeyLogWriterAgent(file, maxBytes, 64);
        int lines = 0;
        for (int i = 0; i < 40; i++)
        {
            final KeyLogEntry entry = KeyLogEntry.tls13(bytes(32), bytes(48), bytes(48), bytes(48), bytes(48));
            // two 31-character and two 23-character labels, each line: label, space, 64 hex, space, 96 hex, newline
            assertEquals(2 * 31 + 2 * 23 + 4 * (1 + 64 + 1 + 96 + 1), entry.lengthBytes());
            writer.offer(entry);
            lines += 4;
            writer.doWork();
            assertTrue(Files.size(file) <= maxBytes, "the file never grows past its limit");
        }
        writer.onClose();
        final Path old = directory.resolve("rotating.log.1");
        assertTrue(Files.exists(old));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(old)));
        assertFalse(Files.exists(directory.resolve("rotating.log.2")));
        try (var names = Files.list(directory))
        {
            assertEquals(2, names.count(), "only the current file and one old file");
        }
        final int kept = Files.readAllLines(file).size() + Files.readAllLines(old).size();
        assertTrue(kept < lines && kept % 4 == 0, "whole entries only, older ones rotated away: " + kept);
        assertEquals(40, writer.entriesWritten());
    }

    @Test
    void shouldDropAndZeroEntriesWhenTheQueueIsFull() throws IOException
    {
        final KeyLogWriterAgent writer = new KeyLogWriterAgent(directory.resolve("full.log"), 1 << 20, 2);
        final byte[][] masters = new byte[4][];
        for (int i = 0; i < masters.length; i++)
        {
            masters[i] = bytes(48);
            writer.offer(KeyLogEntry.tls12(bytes(32), masters[i]));
        }
        assertEquals(2, writer.entriesDropped());
        assertArrayEquals(new byte[48], masters[2]);
        assertArrayEquals(new byte[48], masters[3]);
        assertEquals(2, writer.doWork());
        writer.onClose();
        assertEquals(2, Files.readAllLines(directory.resolve("full.log")).size());
    }

    @Test
    void shouldRefuseAMalformedKnownLineWithoutPrintingIt() throws IOException
    {
        final Path file = directory.resolve("bad.log");
        Files.writeString(file, "CLIENT_RANDOM 00 1234567890abcdef\nEXPORTER_SECRET skipped skipped\n");
        final IOException ex = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
            () -> KeyLogFile.read(file));
        assertTrue(ex.getMessage().contains(":1:"), ex.getMessage());
        assertFalse(ex.getMessage().contains("1234567890abcdef"));
    }

    private static String hex(final byte[] bytes)
    {
        return java.util.HexFormat.of().formatHex(bytes);
    }
}
