package org.inlinetls.seqdb;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class JournalFilesTest
{
    private Path shm;
    private Path disk;

    @BeforeEach
    void before() throws Exception
    {
        shm = JournalTestSupport.newShmDirectory("files");
        // the build directory is on the machine's disk (ext4 here), never tmpfs
        final Path target = Path.of("target").toAbsolutePath();
        Files.createDirectories(target);
        disk = Files.createTempDirectory(target, "journal-disk-");
    }

    @AfterEach
    void after()
    {
        JournalTestSupport.deleteRecursively(shm);
        JournalTestSupport.deleteRecursively(disk);
    }

    @Test
    void shouldCreateTheFileOwnerOnlyAndItsMissingDirectoriesPrivate() throws Exception
    {
        final Path file = shm.resolve("a/b/flows.cm3");
        FlowJournal.open(new JournalConfig().path(file).maxFlows(16)).close();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rw-------", PosixFilePermissions.toString(
            Files.getPosixFilePermissions(file.resolveSibling("flows.cm3.lock"))));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
        assertEquals("rwx------", PosixFilePermissions.toString(
            Files.getPosixFilePermissions(file.getParent().getParent())));
        assertTrue(Files.size(file) > 0);
    }

    @Test
    void shouldTightenTheModeOfAnExistingFile() throws Exception
    {
        final Path file = shm.resolve("flows.cm3");
        FlowJournal.open(new JournalConfig().path(file).maxFlows(16)).close();
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        FlowJournal.open(new JournalConfig().path(file).maxFlows(16)).close();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }

    @Test
    void shouldRefuseAFileOnAPersistentFilesystem()
    {
        final Path file = disk.resolve("sub/flows.cm3");
        final IllegalStateException ex = assertThrows(IllegalStateException.class,
            () -> FlowJournal.open(new JournalConfig().path(file).maxFlows(16)));
        assertTrue(ex.getMessage().contains("not tmpfs"), ex.getMessage());
        assertFalse(Files.exists(file.getParent()), "nothing created");
    }

    @Test
    void shouldAllowAPersistentFilesystemOnlyWhenToldItIsATest() throws Exception
    {
        final Path file = disk.resolve("flows.cm3");
        try (FlowJournal journal = FlowJournal.open(
            new JournalConfig().path(file).maxFlows(16).allowNonTmpfsForTests(true)))
        {
            assertEquals(InsertResult.INSERTED, journal.insert(JournalTestSupport.ipv4Key(1), 1));
        }
    }

    @Test
    void shouldFindTheFilesystemOfTheNearestExistingAncestor() throws Exception
    {
        final List<String> mounts = List.of(
            "26 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
            "24 26 0:22 / /dev/shm rw,relatime shared:2 - tmpfs tmpfs rw",
            "29 24 0:26 / /dev/shm rw,relatime - ext4 /dev/sdb1 rw",
            "30 26 0:27 / " + shm.toRealPath() + "/with\\040space rw - ramfs ramfs rw");
        assertEquals("ext4", JournalFiles.filesystemType(Path.of("/dev/shm/x/y"), mounts),
            "a later mount on the same point wins");
        assertEquals("ext4", JournalFiles.filesystemType(Path.of("/dev/shmx/y"), mounts));
        assertEquals("tmpfs", JournalFiles.filesystemType(Path.of("/dev/shm/q"), mounts.subList(0, 2)));
        final Path spaced = shm.resolve("with space");
        Files.createDirectories(spaced);
        assertEquals("ramfs", JournalFiles.filesystemType(spaced.resolve("f"), mounts), "octal escapes decoded");
        assertEquals("tmpfs", JournalFiles.filesystemType(spaced.resolve("f"),
            Files.readAllLines(Path.of(JournalFiles.MOUNT_INFO))));
        assertEquals("tmpfs", JournalFiles.filesystemType(shm.resolve("missing/dirs/f"),
            Files.readAllLines(Path.of(JournalFiles.MOUNT_INFO))));
    }
}
