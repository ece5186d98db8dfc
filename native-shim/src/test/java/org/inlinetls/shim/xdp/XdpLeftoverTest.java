package org.inlinetls.shim.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.types.size_t;
import org.inlinetls.shim.LibC;
import org.inlinetls.shim.NetnsLab;
import org.junit.jupiter.api.Test;

/**
 * What {@link XdpProgram} does with a program already on the interface (the fail-closed attach): our leftover is
 * replaced, another owner's never is, and close() leaves a newer program alone. Root-only, in a namespace of its own
 * with a veth pair a/b; skipped (not failed) only when not root. Frames through a leftover: packet-engine's
 * XdpFailClosedTest.
 */
class XdpLeftoverTest
{
    /** A stand-in for someone else's XDP program, loaded straight from instructions (no object file). */
    public interface ForeignLib
    {
        int bpf_prog_load(int type, String name, String license, @In Pointer insns, @size_t long count, Pointer opts);

        int bpf_xdp_attach(int ifindex, int progFd, int flags, Pointer opts);
    }

    /** Loaded on first use: the unit test runs without libbpf. */
    private static final class Foreign
    {
        static final ForeignLib LIB = LibraryLoader.create(ForeignLib.class).load(libbpf());
    }
    private static final int BPF_PROG_TYPE_XDP = 6;

    private static String libbpf()
    {
        for (final String dir : new String[] {"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
            "/usr/lib"})
        {
            if (java.nio.file.Files.exists(java.nio.file.Path.of(dir, "libbpf.so.1")))
            {
                return dir + "/libbpf.so.1";
            }
        }
        return "bpf";
    }

    /** Loads "r0 = XDP_PASS; exit" under {@code name}; returns its fd. */
    private static int loadForeign(final String name)
    {
        final Pointer insns = LibC.allocate(16);
        insns.putByte(0, (byte)0xb7); // BPF_ALU64 | BPF_MOV | BPF_K, dst r0
        insns.putInt(4, 2); // XDP_PASS
        insns.putByte(8, (byte)0x95); // BPF_JMP | BPF_EXIT
        final int fd = Foreign.LIB.bpf_prog_load(BPF_PROG_TYPE_XDP, name, "GPL", insns, 2, null);
        assertTrue(fd >= 0, "bpf_prog_load(" + name + ") = " + fd);
        return fd;
    }

    private static void attachForeign(final NetnsLab lab, final String ifName, final int fd) throws IOException
    {
        final int rc = lab.openInside(() -> Foreign.LIB.bpf_xdp_attach(LibC.ifNameToIndex(ifName), fd,
            XdpAttachMode.DRIVER.flags(), null));
        assertEquals(0, rc, "foreign attach");
    }

    private static int attachedId(final NetnsLab lab, final String ifName) throws IOException
    {
        return lab.openInside(() -> XdpProgram.attachedProgramId(ifName));
    }

    private static Void attach(final XdpProgram program, final String ifName, final XdpAttachMode mode)
        throws IOException
    {
        program.attach(ifName, mode);
        return null;
    }

    @Test
    void shouldTellOursFromForeignByNameAndMaps()
    {
        assertNull(AttachedProgram.foreignReason(BPF_PROG_TYPE_XDP, XdpProgram.PROGRAM_NAME, true));
        assertTrue(AttachedProgram.foreignReason(BPF_PROG_TYPE_XDP, "xdp_other", true).contains("not named"));
        assertTrue(AttachedProgram.foreignReason(3, XdpProgram.PROGRAM_NAME, true).contains("not named"));
        assertTrue(
            AttachedProgram.foreignReason(BPF_PROG_TYPE_XDP, XdpProgram.PROGRAM_NAME, false).contains("without"));
    }

    @Test
    void shouldNeverReplaceNorDetachAnotherOwnersProgram() throws IOException
    {
        NetnsLab.assumeRootWithTools();
        final int foreign = loadForeign("xdp_foreign");
        final int impostor = loadForeign(XdpProgram.PROGRAM_NAME); // our name, not our maps
        try (NetnsLab lab = NetnsLab.create(); XdpProgram program = XdpProgram.load())
        {
            attachForeign(lab, "a", foreign);
            attachForeign(lab, "b", impostor);
            final int foreignId = attachedId(lab, "a");
            final int impostorId = attachedId(lab, "b");
            assertNotEquals(0, foreignId);

            final IOException refused = assertThrows(IOException.class,
                () -> lab.openInside(() -> attach(program, "a", XdpAttachMode.AUTO)));
            assertTrue(refused.getMessage().contains("'xdp_foreign' (id " + foreignId) && refused.getMessage()
                .contains("not replaced"), refused.getMessage());
            final IOException impostorRefused = assertThrows(IOException.class,
                () -> lab.openInside(() -> attach(program, "b", XdpAttachMode.DRIVER)));
            assertTrue(impostorRefused.getMessage().contains("without its"), impostorRefused.getMessage());
            assertThrows(IOException.class, () -> lab.openInside(() -> XdpProgram.detachLeftover("a")));
            assertThrows(IOException.class, () -> lab.openInside(() -> XdpProgram.detachLeftover("b")));
            assertEquals(foreignId, attachedId(lab, "a"), "left alone");
            assertEquals(impostorId, attachedId(lab, "b"), "left alone");
            assertTrue(program.attachedInterfaces().isEmpty());
            assertThrows(IOException.class, () -> program.intercept("a", InterceptMatch.DESTINATION,
                InetAddress.getByName("10.0.0.1"), 1), "a refused attach leaves nothing attached");
        }
        finally
        {
            LibC.close(foreign, "foreign program");
            LibC.close(impostor, "impostor program");
        }
    }

    @Test
    void shouldReplaceOurLeftoverAtomicallyAndNeverDetachANewerProgram() throws IOException
    {
        NetnsLab.assumeRootWithTools();
        try (NetnsLab lab = NetnsLab.create(); XdpProgram older = XdpProgram.load();
            XdpProgram newer = XdpProgram.load())
        {
            lab.openInside(() -> attach(older, "a", XdpAttachMode.DRIVER));
            older.intercept("a", InterceptMatch.DESTINATION, InetAddress.getByName("10.0.0.1"), 443);
            older.intercept("a", InterceptMatch.SOURCE, InetAddress.getByName("fd00::5"), 80);
            older.redirectAll("a", true);
            assertEquals(older.programId(), attachedId(lab, "a"));

            lab.openInside(() -> attach(newer, "a", XdpAttachMode.AUTO));
            assertEquals(newer.programId(), attachedId(lab, "a"), "swapped");
            assertEquals(XdpAttachMode.DRIVER, newer.attachedMode("a"), "AUTO keeps the leftover's mode");
            assertEquals(2, newer.interceptCount("a"), "the leftover's keys copied");
            assertEquals(2, newer.inheritedInterceptCount("a"));
            newer.intercept("a", InterceptMatch.DESTINATION, InetAddress.getByName("10.0.0.1"), 443);
            assertEquals(1, newer.inheritedInterceptCount("a"), "added again: this daemon's own");

            older.close(); // from this thread, outside the namespace: must not remove the newer program
            assertEquals(newer.programId(), attachedId(lab, "a"), "an older daemon's close left the newer alone");

            assertEquals(1, newer.dropInheritedIntercepts("a"));
            assertEquals(1, newer.interceptCount("a"));
            assertEquals(0, newer.inheritedInterceptCount("a"));
            newer.close();
            assertEquals(0, attachedId(lab, "a"), "clean close detached");
            assertFalse(lab.exec(NetnsLab.IP, "link", "show", "dev", "a").contains("xdp"));
        }
    }

    @Test
    void shouldLeaveTheProgramWhenClosedLeavingAttachedUntilReplacedOrDetached() throws IOException
    {
        NetnsLab.assumeRootWithTools();
        try (NetnsLab lab = NetnsLab.create())
        {
            final XdpProgram first = XdpProgram.load();
            lab.openInside(() -> attach(first, "a", XdpAttachMode.DRIVER));
            first.intercept("a", InterceptMatch.DESTINATION, InetAddress.getByName("10.0.0.1"), 443);
            final int firstId = first.programId();
            first.closeLeavingAttached();
            first.close(); // already released: nothing more
            assertEquals(firstId, attachedId(lab, "a"), "outlives its object, as after a crash");

            // an explicit other mode: detach then attach (no atomic swap across modes)
            try (XdpProgram second = XdpProgram.load())
            {
                lab.openInside(() -> attach(second, "a", XdpAttachMode.GENERIC));
                assertEquals(second.programId(), attachedId(lab, "a"));
                assertEquals(XdpAttachMode.GENERIC, second.attachedMode("a"));
                assertTrue(lab.exec(NetnsLab.IP, "link", "show", "dev", "a").contains("xdpgeneric"));
                assertEquals(1, second.inheritedInterceptCount("a"));
                second.closeLeavingAttached();
            }
            assertNotEquals(0, attachedId(lab, "a"));
            assertTrue(lab.openInside(() -> XdpProgram.detachLeftover("a")), "detached");
            assertEquals(0, attachedId(lab, "a"));
            assertFalse(lab.openInside(() -> XdpProgram.detachLeftover("a")), "nothing left");
        }
    }
}
