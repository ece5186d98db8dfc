package org.inlinetls.handshake.session;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The embedded session store: its contract, its bound, its file (tmpfs only, 0600) and reopening it. */
class ChronicleSessionStoreTest
{
    private static final long NOW_MS = 1_700_000_000_000L;

    private final Path directory = Path.of("/dev/shm", "inline-tls-test-" + UUID.randomUUID());
    private final Path file = directory.resolve("sessions.dat");
    private final AtomicLong clockMs = new AtomicLong(NOW_MS);

    @TempDir
    Path diskDirectory;

    @AfterEach
    void removeFiles() throws IOException
    {
        if (Files.exists(directory))
        {
            try (Stream<Path> paths = Files.walk(directory))
            {
                for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
                {
                    Files.delete(path);
                }
            }
        }
    }

    @Test
    void shouldPutGetAndRemove() throws IOException
    {
        try (ChronicleSessionStore store = ChronicleSessionStore.open(file, 100, clockMs::get))
        {
            store.put(id(1), state(1), NOW_MS + 1000);
            assertArrayEquals(state(1), store.get(id(1), NOW_MS));
            assertNull(store.get(id(2), NOW_MS));
            store.put(id(1), state(3), NOW_MS + 1000);
            assertArrayEquals(state(3), store.get(id(1), NOW_MS));
            assertTrue(store.remove(id(1)));
            assertFalse(store.remove(id(1)));
            assertNull(store.get(id(1), NOW_MS));
            assertFalse(store.toString().contains("state"));
        }
    }

    @Test
    void shouldForgetExpiredSessions() throws IOException
    {
        try (ChronicleSessionStore store = ChronicleSessionStore.open(file, 100, clockMs::get))
        {
            store.put(id(1), state(1), NOW_MS + 1000);
            assertArrayEquals(state(1), store.get(id(1), NOW_MS + 999));
            assertNull(store.get(id(1), NOW_MS + 1000));
            assertEquals(0, store.size(), "an expired session is removed when met");
        }
    }

    @Test
    void shouldStayWithinItsBoundEvictingExpiredThenEarliestExpiring() throws IOException
    {
        try (ChronicleSessionStore store = ChronicleSessionStore.open(file, 50, clockMs::get))
        {
            for (int i = 0; i < 25; i++)
            {
                store.put(id(i), state(i), NOW_MS + 10);
            }
            for (int i = 25; i < 50; i++)
            {
                store.put(id(i), state(i), NOW_MS + 100_000 + i);
            }
            assertEquals(50, store.size());
            clockMs.addAndGet(20);
            store.put(id(1000), state(7), NOW_MS + 200_000);
            assertEquals(26, store.size(), "the sweep dropped every expired session");
            for (int i = 0; i < 200; i++)
            {
                store.put(id(2000 + i), state(i), NOW_MS + 300_000 + i);
                assertTrue(store.size() <= 50, () -> "size " + store.size());
            }
            assertArrayEquals(state(199), store.get(id(2199), clockMs.get()), "the newest session is kept");
        }
    }

    @Test
    void shouldKeepSessionsAcrossReopen() throws IOException
    {
        try (ChronicleSessionStore store = ChronicleSessionStore.open(file, 100, clockMs::get))
        {
            store.put(id(1), state(1), NOW_MS + 1000);
        }
        try (ChronicleSessionStore store = ChronicleSessionStore.open(file, 100, clockMs::get))
        {
            assertEquals(1, store.size());
            assertArrayEquals(state(1), store.get(id(1), NOW_MS));
        }
    }

    @Test
    void shouldCreateAnOwnerOnlyFile() throws IOException
    {
        try (ChronicleSessionStore store = ChronicleSessionStore.open(file, 100, clockMs::get))
        {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(store.file())));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(directory)));
        }
    }

    @Test
    void shouldTightenTheModeOfAnExistingFile() throws IOException
    {
        try (ChronicleSessionStore ignored = ChronicleSessionStore.open(file, 100, clockMs::get))
        {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        }
        try (ChronicleSessionStore store = ChronicleSessionStore.open(file, 100, clockMs::get))
        {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(store.file())));
        }
    }

    @Test
    void shouldRefuseAFileOutsideTmpfs() throws IOException
    {
        org.junit.jupiter.api.Assumptions.assumeFalse(TmpfsCheck.isTmpfs(diskDirectory), "the temp dir is tmpfs");
        final IOException ex = assertThrows(IOException.class,
            () -> ChronicleSessionStore.open(diskDirectory.resolve("sessions.dat"), 100, clockMs::get));
        assertTrue(ex.getMessage().contains("not on tmpfs"), ex::getMessage);
        assertFalse(Files.exists(diskDirectory.resolve("sessions.dat")));
    }

    @Test
    void shouldFindTheFileSystemOfTheLongestMountPoint() throws IOException
    {
        final List<String> mountinfo = List.of(
            "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
            "23 22 0:5 / /dev/shm rw,nosuid shared:2 - tmpfs tmpfs rw",
            "24 22 0:6 / /mnt/with\\040space rw - tmpfs tmpfs rw");
        assertEquals("tmpfs", TmpfsCheck.fileSystemType(Path.of("/dev/shm/x/y"), mountinfo));
        assertEquals("ext4", TmpfsCheck.fileSystemType(Path.of("/dev/shmem"), mountinfo));
        assertEquals("ext4", TmpfsCheck.fileSystemType(Path.of("/var/lib"), mountinfo));
    }

    @Test
    void shouldHoldTheSameContractOnTheHeap()
    {
        try (HeapSessionStore store = new HeapSessionStore(3))
        {
            store.put(id(1), state(1), NOW_MS + 1000);
            assertArrayEquals(state(1), store.get(id(1), NOW_MS));
            assertNull(store.get(id(1), NOW_MS + 1000));
            for (int i = 0; i < 10; i++)
            {
                store.put(id(i), state(i), NOW_MS + i);
                assertTrue(store.size() <= 3);
            }
            assertArrayEquals(state(9), store.get(id(9), NOW_MS));
            assertThrows(IllegalArgumentException.class, () -> store.put(new byte[33], state(1), NOW_MS));
        }
    }

    private static byte[] id(final int n)
    {
        final byte[] id = new byte[32];
        id[0] = (byte)(n >>> 8);
        id[1] = (byte)n;
        id[31] = 7;
        return id;
    }

    private static byte[] state(final int n)
    {
        final byte[] state = new byte[90 + n % 7];
        java.util.Arrays.fill(state, (byte)n);
        return state;
    }
}
