package org.inlinetls.shim.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.inlinetls.shim.NetnsLab;
import org.junit.jupiter.api.Test;

/**
 * The bundled program and the control path of {@link XdpProgram} and {@link XskSocket}; the root tests build their
 * own namespace with a veth pair a/b and are skipped (not failed) only when not root. Frames through the program
 * are packet-engine's XskPortTest.
 */
class XdpProgramTest
{
    private static final int EM_BPF = 247;

    @Test
    void shouldBundleTheProgramWhenTheBuildHadClang() throws IOException
    {
        try (InputStream in = XdpProgram.class.getResourceAsStream(XdpProgram.RESOURCE))
        {
            if (in == null)
            {
                assertFalse(clangAndHeadersPresent(), "clang and libbpf-dev installed, yet the build made no object");
                return;
            }
            final byte[] elf = in.readAllBytes();
            assertEquals(0x7F, elf[0]);
            assertEquals('E', elf[1]);
            assertEquals('L', elf[2]);
            assertEquals('F', elf[3]);
            assertEquals(EM_BPF, (elf[18] & 0xFF) | (elf[19] & 0xFF) << 8, "e_machine EM_BPF");
        }
    }

    private static boolean clangAndHeadersPresent()
    {
        return Files.exists(Path.of("/usr/include/bpf/bpf_helpers.h"))
            && Stream.of(System.getenv("PATH").split(":")).anyMatch(dir -> Files.isExecutable(Path.of(dir, "clang")));
    }

    @Test
    void shouldRejectAConfigTheKernelWouldRefuse()
    {
        assertThrows(IllegalArgumentException.class,
            () -> XskSocket.open("lo", 0, XskSocket.Config.defaults().frameSize(1000)));
        assertThrows(IllegalArgumentException.class,
            () -> XskSocket.open("lo", 0, XskSocket.Config.defaults().rxRingSize(1000)));
        assertThrows(IllegalArgumentException.class, () -> XskSocket.open("lo", 0,
            XskSocket.Config.defaults().frameCount(2048).fillRingSize(2048)), "no send frame left");
        assertThrows(IllegalArgumentException.class, () -> XskSocket.open("lo", 0,
            XskSocket.Config.defaults().frameCount(8192).fillRingSize(2048)), "more send frames than TX ring entries");
    }

    @Test
    void shouldManageAttachmentsAndKeysPerInterface() throws IOException
    {
        NetnsLab.assumeRootWithTools();
        try (NetnsLab lab = NetnsLab.create(); XdpProgram program = XdpProgram.load())
        {
            assertNull(XdpProgram.unavailabilityCause());
            final IOException missing = assertThrows(IOException.class,
                () -> lab.openInside(() -> attach(program, "itls-nope0", XdpAttachMode.AUTO)));
            assertTrue(missing.getMessage().contains("if_nametoindex(itls-nope0)"), missing.getMessage());
            assertThrows(IOException.class, () -> program.intercept("a", InterceptMatch.DESTINATION,
                InetAddress.getByName("10.0.0.1"), 443), "not attached to a yet");

            lab.openInside(() -> attach(program, "a", XdpAttachMode.DRIVER));
            lab.openInside(() -> attach(program, "b", XdpAttachMode.GENERIC));
            assertEquals(List.of("a", "b"), program.attachedInterfaces());
            assertEquals(XdpAttachMode.DRIVER, program.attachedMode("a"));
            assertEquals(XdpAttachMode.GENERIC, program.attachedMode("b"));
            assertNull(program.attachedMode("c"));
            assertThrows(IOException.class, () -> lab.openInside(() -> attach(program, "a", XdpAttachMode.AUTO)));
            assertTrue(lab.exec(NetnsLab.IP, "link", "show", "dev", "a").contains("xdp"));
            assertTrue(lab.exec(NetnsLab.IP, "link", "show", "dev", "b").contains("xdpgeneric"));

            final InetAddress v4 = InetAddress.getByName("10.0.0.1");
            final InetAddress v6 = InetAddress.getByName("fd00::1");
            program.intercept("a", InterceptMatch.DESTINATION, v4, 443);
            program.intercept("a", InterceptMatch.DESTINATION, v4, 443); // same key: replaced, not added
            program.intercept("a", InterceptMatch.DESTINATION, v6, 443);
            program.intercept("a", InterceptMatch.SOURCE, v4, 443);
            program.intercept("b", InterceptMatch.SOURCE, v4, 80);
            assertEquals(3, program.interceptCount("a"));
            assertEquals(1, program.interceptCount("b"));
            assertThrows(IOException.class, () -> program.intercept("a", InterceptMatch.SOURCE, v4, 65536));
            program.clearIntercepts("a");
            assertEquals(0, program.interceptCount("a"));
            assertEquals(1, program.interceptCount("b"), "another interface's keys stay");

            assertThrows(IOException.class, () -> program.registerSocket("a", XdpProgram.QUEUES_PER_INTERFACE, 0));
            program.redirectAll("b", true);
            program.redirectAll("b", false);

            program.close();
            assertFalse(lab.exec(NetnsLab.IP, "link", "show", "dev", "a").contains("xdp"), "detached by close");
            assertFalse(lab.exec(NetnsLab.IP, "link", "show", "dev", "b").contains("xdp"), "detached by close");
            assertThrows(IOException.class, () -> program.clearIntercepts("a"), "closed");
        }
    }

    private static Void attach(final XdpProgram program, final String ifName, final XdpAttachMode mode)
        throws IOException
    {
        program.attach(ifName, mode);
        return null;
    }

    @Test
    void shouldOpenACopyModeSocketOnVethAndUnmapItOnClose() throws IOException
    {
        NetnsLab.assumeRootWithTools();
        assertNull(XskSocket.unavailabilityCause());
        try (NetnsLab lab = NetnsLab.create())
        {
            final long socketsBefore = NetnsLab.openSockets();
            assertEquals(1, (int)lab.openInside(() -> XskSocket.rxQueueCount("a")));
            final XskSocket socket = lab.openInside(() -> XskSocket.open("a", 0, XskSocket.Config.defaults()));
            try
            {
                assertFalse(socket.isZeroCopy(), "veth has no AF_XDP zero-copy");
                assertTrue(socket.fd() >= 0);
                assertEquals(2048 * 4096, socket.umemLengthBytes());
                assertEquals(2048, socket.rxRing().size());
                assertEquals(2048, socket.fillRing().size());
                assertNotNull(socket.toString());
                assertTrue(NetnsLab.isMapped(socket.umemAddress()));
                assertTrue(NetnsLab.isMapped(socket.txRing().address()));
            }
            finally
            {
                socket.close();
            }
            assertEquals(-1, socket.fd());
            assertEquals(socketsBefore, NetnsLab.openSockets());

            final IOException noQueue = assertThrows(IOException.class,
                () -> lab.openInside(() -> XskSocket.open("a", 7, XskSocket.Config.defaults())));
            assertTrue(noQueue.getMessage().contains("bind(AF_XDP a queue 7)"), noQueue.getMessage());
            assertEquals(socketsBefore, NetnsLab.openSockets(), "a failed open closes what it opened");
        }
    }
}
