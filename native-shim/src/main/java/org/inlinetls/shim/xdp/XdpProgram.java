package org.inlinetls.shim.xdp;

import java.io.IOException;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import org.inlinetls.shim.LibC;
import org.inlinetls.shim.NativeIoException;

/**
 * The appliance's XDP program ({@code src/main/bpf/intercept.bpf.c}, bundled in the jar) loaded through libbpf
 * ({@code libbpf.so.1}, JNR-FFI) and attached to the bridged NICs: it passes every frame to the kernel (the Linux
 * bridge forwards it) except TCP segments whose address and port are intercept keys, which it redirects to the
 * daemon's AF_XDP sockets ({@link XskSocket}) registered for the receiving queue.
 *
 * <p>Maps (names and layouts fixed by the program): {@code intercept} (hash: {@code struct intercept_key} of 24
 * bytes, see {@link #KEY_SIZE}), {@code ifconf} (hash: ifindex to {@code {xsk_base, redirect_all}}) and {@code xsks}
 * (XSKMAP of {@link #XSK_SLOTS}: index {@code xsk_base + rx queue}). Interface {@code n} attached by this object (in
 * attach order from 0) gets {@code xsk_base = }{@link #QUEUES_PER_INTERFACE}{@code  * n}.
 *
 * <p>Attachment is a BPF link ({@code bpf_link_create(BPF_XDP)}), not the netlink {@code bpf_xdp_attach}: the link
 * belongs to its file descriptor, so the program leaves the interface when {@link #close()} closes it, whichever
 * thread or network namespace calls close, and also when the process dies (a crashed daemon leaves no program
 * redirecting frames to sockets nobody reads). Interface names are resolved once, in {@link #attach}, in the calling
 * thread's network namespace; later calls name the interface as attached.
 *
 * <p>veth (what the lab and the tests run on): driver mode needs nothing on the peer. A veth with an XDP program
 * receives through its own NAPI, and a frame this program redirects to an AF_XDP socket is copied into the socket's
 * UMEM (veth has no zero-copy); XDP_PASS frames continue to the stack or the bridge the veth is a port of. Tested
 * on Linux 6.18 with the peer's offloads on and off, no program and no GRO on the peer. The "peer needs an XDP
 * program or GRO" rule is for frames redirected <em>into</em> a veth ({@code ndo_xdp_xmit}), which this program
 * never does; the sockets' own transmissions take the ordinary (copy-mode) transmit path. Generic mode works too
 * and is what {@link XdpAttachMode#AUTO} falls back to on devices without native XDP.
 *
 * <p>Control-path class: calls allocate and may block; one thread at a time (the daemon's conductor).
 */
public final class XdpProgram implements AutoCloseable
{
    /** Class-path resource of the compiled program. */
    public static final String RESOURCE = "/org/inlinetls/shim/xdp/intercept.bpf.o";
    /** The XDP function in the object. */
    public static final String PROGRAM_NAME = "xdp_intercept";
    /** Entries of the {@code xsks} map. */
    public static final int XSK_SLOTS = 256;
    /** {@code xsks} entries reserved per attached interface: its queues 0 .. 63. */
    public static final int QUEUES_PER_INTERFACE = 64;
    /** {@code sizeof(struct intercept_key)}: ifindex u32, match u8, family u8, port u16 (network order), addr[16]. */
    public static final int KEY_SIZE = 24;

    private static final int KEY_IFINDEX_OFFSET = 0;
    private static final int KEY_MATCH_OFFSET = 4;
    private static final int KEY_FAMILY_OFFSET = 5;
    private static final int KEY_PORT_OFFSET = 6;
    private static final int KEY_ADDR_OFFSET = 8;
    /** {@code struct if_conf}: xsk_base u32, redirect_all u32. */
    private static final int IFCONF_SIZE = 8;
    private static final int IFCONF_REDIRECT_ALL_OFFSET = 4;
    /** {@code enum bpf_attach_type} BPF_XDP (linux/bpf.h). */
    private static final int BPF_XDP = 37;
    /** {@code struct bpf_link_create_opts} up to and including {@code flags} (libbpf reads later fields as 0). */
    private static final int LINK_OPTS_SIZE = 16;
    private static final int LINK_OPTS_FLAGS_OFFSET = 8;
    /** {@code bpf_map_update_elem} flag BPF_ANY. */
    private static final long BPF_ANY = 0;
    private static final int ENOENT = 2;

    private static final class Holder
    {
        /** libbpf 1.x: negative errno returns (and errno set); pointers NULL with errno on failure. */
        public interface Native
        {
            @SaveError Pointer bpf_object__open_mem(@In Pointer objBuf, @size_t long objBufSize, Pointer opts);

            @SaveError int bpf_object__load(Pointer object);

            void bpf_object__close(Pointer object);

            Pointer bpf_object__find_program_by_name(Pointer object, String name);

            int bpf_program__fd(Pointer program);

            int bpf_object__find_map_fd_by_name(Pointer object, String name);

            @SaveError int bpf_map_update_elem(int fd, @In Pointer key, @In Pointer value, long flags);

            @SaveError int bpf_map_delete_elem(int fd, @In Pointer key);

            @SaveError int bpf_map_get_next_key(int fd, @In Pointer key, Pointer nextKey);

            @SaveError int bpf_link_create(int progFd, int targetFd, int attachType, @In Pointer opts);
        }

        static final Native LIB;
        static final Runtime RUNTIME;
        static final Throwable CAUSE;
        /** Where Debian (multiarch) and other distributions put the runtime library (package libbpf1). */
        private static final String[] LIBBPF_DIRS = {"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib"};

        /**
         * @return the absolute path of {@code libbpf.so.1}: JNR maps a bare name to {@code lib<name>.so}, which
         *         only the -dev package provides, and the ABI this binding follows is soname 1.
         */
        private static String libbpfPath()
        {
            for (final String dir : LIBBPF_DIRS)
            {
                final java.nio.file.Path path = java.nio.file.Path.of(dir, "libbpf.so.1");
                if (java.nio.file.Files.exists(path))
                {
                    return path.toString();
                }
            }
            return "bpf"; // let JNR search; fails with its list of paths
        }

        static
        {
            Native lib = null;
            Runtime runtime = null;
            Throwable cause = null;
            try
            {
                lib = LibraryLoader.create(Native.class).failImmediately().load(libbpfPath());
                runtime = Runtime.getRuntime(lib);
            }
            catch (final Throwable t)
            {
                lib = null;
                cause = new IOException("libbpf.so.1 (Debian package libbpf1) cannot be loaded: " + t, t);
            }
            LIB = lib;
            RUNTIME = runtime;
            CAUSE = cause;
        }
    }

    private static final class Probe
    {
        static final Throwable CAUSE = probe();

        private static Throwable probe()
        {
            try (XdpProgram ignored = load())
            {
                return null;
            }
            catch (final Throwable t)
            {
                return t;
            }
        }
    }

    /** One interface this program is attached to. */
    private static final class Attachment
    {
        final int ifindex;
        final int linkFd;
        final XdpAttachMode mode;
        final int xskBase;
        boolean redirectAll;

        Attachment(final int ifindex, final int linkFd, final XdpAttachMode mode, final int xskBase)
        {
            this.ifindex = ifindex;
            this.linkFd = linkFd;
            this.mode = mode;
            this.xskBase = xskBase;
        }
    }

    private final Holder.Native lib;
    private final Pointer objectBytes; // libbpf parses from it until load: referenced for the object's life
    private Pointer object;
    private final int programFd;
    private final int interceptFd;
    private final int ifconfFd;
    private final int xsksFd;
    private final Map<String, Attachment> attachments = new LinkedHashMap<>();
    private int attachCount;
    private final Pointer key = LibC.allocate(KEY_SIZE);
    private final Pointer nextKey = LibC.allocate(KEY_SIZE);
    private final Pointer value = LibC.allocate(IFCONF_SIZE);

    private XdpProgram(final Holder.Native lib, final Pointer objectBytes, final Pointer object) throws IOException
    {
        this.lib = lib;
        this.objectBytes = objectBytes;
        this.object = object;
        final Pointer program = lib.bpf_object__find_program_by_name(object, PROGRAM_NAME);
        if (program == null)
        {
            throw new IOException(RESOURCE + " has no program " + PROGRAM_NAME);
        }
        programFd = lib.bpf_program__fd(program);
        interceptFd = mapFd("intercept");
        ifconfFd = mapFd("ifconf");
        xsksFd = mapFd("xsks");
        if (programFd < 0)
        {
            throw new IOException("bpf_program__fd(" + PROGRAM_NAME + ") = " + programFd);
        }
    }

    private int mapFd(final String name) throws IOException
    {
        final int fd = lib.bpf_object__find_map_fd_by_name(object, name);
        if (fd < 0)
        {
            throw new IOException(RESOURCE + " has no loaded map " + name + " (" + fd + ")");
        }
        return fd;
    }

    /**
     * @return null when the bundled object exists, libbpf loads and the kernel accepts the program (probed once:
     *         needs CAP_BPF and CAP_NET_ADMIN); otherwise why not, for a log line.
     */
    public static Throwable unavailabilityCause()
    {
        return Probe.CAUSE;
    }

    /**
     * Opens the bundled object from memory and loads its program and maps into the kernel.
     *
     * @throws IOException when the object is not bundled (built without clang), libbpf is missing, or the kernel
     *                     refuses it (privileges, verifier: libbpf prints the verifier log on stderr).
     */
    public static XdpProgram load() throws IOException
    {
        if (Holder.CAUSE != null)
        {
            throw new IOException(Holder.CAUSE.getMessage(), Holder.CAUSE);
        }
        final byte[] bytes = bundledObject();
        final Pointer buffer = Memory.allocateDirect(Holder.RUNTIME, bytes.length);
        buffer.put(0, bytes, 0, bytes.length);
        final Holder.Native lib = Holder.LIB;
        final Pointer object = lib.bpf_object__open_mem(buffer, bytes.length, null);
        if (object == null)
        {
            final int errno = Holder.RUNTIME.getLastError();
            throw new NativeIoException("bpf_object__open_mem(" + RESOURCE + ")", errno, LibC.strerror(errno));
        }
        try
        {
            final int rc = lib.bpf_object__load(object);
            if (rc < 0)
            {
                throw new NativeIoException("bpf_object__load(" + RESOURCE + ")", -rc, LibC.strerror(-rc));
            }
            return new XdpProgram(lib, buffer, object);
        }
        catch (final IOException | RuntimeException ex)
        {
            lib.bpf_object__close(object);
            throw ex;
        }
    }

    private static byte[] bundledObject() throws IOException
    {
        try (InputStream in = XdpProgram.class.getResourceAsStream(RESOURCE))
        {
            if (in == null)
            {
                throw new IOException(RESOURCE + " is not in the jar: native-shim was built without clang or "
                    + "libbpf-dev (apt-get install clang llvm libbpf-dev, then rebuild)");
            }
            return in.readAllBytes();
        }
    }

    /**
     * Attaches the program to an interface of the calling thread's network namespace and gives it an
     * {@code ifconf} entry (intercepted flows only until {@link #redirectAll}).
     *
     * @param mode {@link XdpAttachMode#AUTO} tries driver mode, then generic.
     * @throws IOException when the interface does not exist, already has an XDP program, or refuses the mode.
     */
    public void attach(final String interfaceName, final XdpAttachMode mode) throws IOException
    {
        ensureOpen();
        if (attachments.containsKey(interfaceName))
        {
            throw new IOException("XDP program already attached to " + interfaceName);
        }
        if (attachCount >= XSK_SLOTS / QUEUES_PER_INTERFACE)
        {
            throw new IOException("XDP program attached to " + attachCount + " interfaces already, the most it serves");
        }
        final int ifindex = LibC.ifNameToIndex(interfaceName);
        final int xskBase = QUEUES_PER_INTERFACE * attachCount;
        value.putInt(0, xskBase);
        value.putInt(IFCONF_REDIRECT_ALL_OFFSET, 0);
        key.putInt(0, ifindex);
        check(lib.bpf_map_update_elem(ifconfFd, key, value, BPF_ANY),
            "bpf_map_update_elem(ifconf, " + interfaceName + ")");
        int linkFd;
        XdpAttachMode attached = mode;
        if (mode == XdpAttachMode.AUTO)
        {
            attached = XdpAttachMode.DRIVER;
            linkFd = link(ifindex, XdpAttachMode.DRIVER);
            if (linkFd < 0)
            {
                attached = XdpAttachMode.GENERIC;
                linkFd = link(ifindex, XdpAttachMode.GENERIC);
            }
        }
        else
        {
            linkFd = link(ifindex, mode);
        }
        if (linkFd < 0)
        {
            lib.bpf_map_delete_elem(ifconfFd, key);
            throw new NativeIoException("bpf_link_create(BPF_XDP, " + interfaceName + ", " + mode + ")", -linkFd,
                LibC.strerror(-linkFd));
        }
        attachments.put(interfaceName, new Attachment(ifindex, linkFd, attached, xskBase));
        attachCount++;
    }

    private int link(final int ifindex, final XdpAttachMode mode)
    {
        final Pointer opts = LibC.allocate(LINK_OPTS_SIZE);
        opts.putLong(0, LINK_OPTS_SIZE);
        opts.putInt(LINK_OPTS_FLAGS_OFFSET, mode.flags());
        return lib.bpf_link_create(programFd, ifindex, BPF_XDP, opts);
    }

    /** @return the mode the program runs in on that interface, or null when it is not attached there. */
    public XdpAttachMode attachedMode(final String interfaceName)
    {
        final Attachment attachment = attachments.get(interfaceName);
        return attachment == null ? null : attachment.mode;
    }

    /**
     * Makes the AF_XDP socket {@code xskFd} the target of frames the program redirects from that receive queue.
     */
    public void registerSocket(final String interfaceName, final int queueId, final int xskFd) throws IOException
    {
        final Attachment attachment = attachment(interfaceName);
        if (queueId < 0 || queueId >= QUEUES_PER_INTERFACE)
        {
            throw new IOException(
                "queue " + queueId + " of " + interfaceName + " outside 0.." + (QUEUES_PER_INTERFACE - 1));
        }
        key.putInt(0, attachment.xskBase + queueId);
        value.putInt(0, xskFd);
        check(lib.bpf_map_update_elem(xsksFd, key, value, BPF_ANY),
            "bpf_map_update_elem(xsks, " + interfaceName + " queue " + queueId + ")");
    }

    /**
     * Adds an intercept key: TCP segments arriving on the interface with this destination (or source) address and
     * port go to the daemon's sockets.
     */
    public void intercept(final String interfaceName, final InterceptMatch match, final InetAddress address,
        final int port) throws IOException
    {
        final Attachment attachment = attachment(interfaceName);
        if (port < 0 || port > 0xFFFF)
        {
            throw new IOException("port " + port + " out of range");
        }
        final byte[] addr = address.getAddress();
        key.setMemory(0, KEY_SIZE, (byte)0);
        key.putInt(KEY_IFINDEX_OFFSET, attachment.ifindex);
        key.putByte(KEY_MATCH_OFFSET, (byte)match.code());
        key.putByte(KEY_FAMILY_OFFSET, (byte)(address instanceof Inet4Address ? 4 : 6));
        key.putByte(KEY_PORT_OFFSET, (byte)(port >>> 8)); // network order, byte by byte
        key.putByte(KEY_PORT_OFFSET + 1, (byte)port);
        key.put(KEY_ADDR_OFFSET, addr, 0, addr.length);
        value.putInt(0, 0);
        check(lib.bpf_map_update_elem(interceptFd, key, value, BPF_ANY),
            "bpf_map_update_elem(intercept, " + interfaceName + " " + match + " " + address.getHostAddress() + ":"
                + port + ")");
    }

    /** Removes every intercept key of the interface (a reload then adds the new set). */
    public void clearIntercepts(final String interfaceName) throws IOException
    {
        final Attachment attachment = attachment(interfaceName);
        final List<byte[]> doomed = new ArrayList<>();
        final byte[] bytes = new byte[KEY_SIZE];
        int rc = lib.bpf_map_get_next_key(interceptFd, null, nextKey);
        while (rc == 0)
        {
            if (nextKey.getInt(KEY_IFINDEX_OFFSET) == attachment.ifindex)
            {
                nextKey.get(0, bytes, 0, KEY_SIZE);
                doomed.add(bytes.clone());
            }
            key.transferFrom(0, nextKey, 0, KEY_SIZE);
            rc = lib.bpf_map_get_next_key(interceptFd, key, nextKey);
        }
        if (rc != -ENOENT)
        {
            throw new NativeIoException("bpf_map_get_next_key(intercept)", -rc, LibC.strerror(-rc));
        }
        for (final byte[] doomedKey : doomed)
        {
            key.put(0, doomedKey, 0, KEY_SIZE);
            final int deleted = lib.bpf_map_delete_elem(interceptFd, key);
            if (deleted < 0 && deleted != -ENOENT)
            {
                check(deleted, "bpf_map_delete_elem(intercept, " + interfaceName + ")");
            }
        }
    }

    /** @return intercept keys currently in the map for that interface (for the CLI and tests). */
    public int interceptCount(final String interfaceName) throws IOException
    {
        final Attachment attachment = attachment(interfaceName);
        int count = 0;
        int rc = lib.bpf_map_get_next_key(interceptFd, null, nextKey);
        while (rc == 0)
        {
            if (nextKey.getInt(KEY_IFINDEX_OFFSET) == attachment.ifindex)
            {
                count++;
            }
            key.transferFrom(0, nextKey, 0, KEY_SIZE);
            rc = lib.bpf_map_get_next_key(interceptFd, key, nextKey);
        }
        return count;
    }

    /**
     * @param all true: every frame arriving on the interface goes to its sockets (the daemon bridges everything);
     *            false: only intercepted TCP flows.
     */
    public void redirectAll(final String interfaceName, final boolean all) throws IOException
    {
        final Attachment attachment = attachment(interfaceName);
        key.putInt(0, attachment.ifindex);
        value.putInt(0, attachment.xskBase);
        value.putInt(IFCONF_REDIRECT_ALL_OFFSET, all ? 1 : 0);
        check(lib.bpf_map_update_elem(ifconfFd, key, value, BPF_ANY),
            "bpf_map_update_elem(ifconf, " + interfaceName + ")");
        attachment.redirectAll = all;
    }

    /** @return the interfaces the program is attached to, in attach order. */
    public List<String> attachedInterfaces()
    {
        return List.copyOf(attachments.keySet());
    }

    private Attachment attachment(final String interfaceName) throws IOException
    {
        ensureOpen();
        final Attachment attachment = attachments.get(interfaceName);
        if (attachment == null)
        {
            throw new IOException("XDP program not attached to " + interfaceName);
        }
        return attachment;
    }

    private void ensureOpen() throws IOException
    {
        if (object == null)
        {
            throw new IOException("XDP program closed");
        }
    }

    private static void check(final int rc, final String call) throws NativeIoException
    {
        if (rc < 0)
        {
            throw new NativeIoException(call, -rc, LibC.strerror(-rc));
        }
    }

    /** Detaches from every interface (closes the links), then frees program and maps; idempotent, never throws. */
    @Override
    public void close()
    {
        if (object == null)
        {
            return;
        }
        for (final Map.Entry<String, Attachment> e : attachments.entrySet())
        {
            try
            {
                LibC.close(e.getValue().linkFd, "XDP link of " + e.getKey());
            }
            catch (final IOException | RuntimeException ignored)
            {
                // close(2) releases the descriptor even when it reports an error
            }
        }
        attachments.clear();
        lib.bpf_object__close(object);
        object = null;
    }

    /** Keeps the object's source bytes reachable to here (libbpf kept a pointer into them). */
    @Override
    public String toString()
    {
        return "XdpProgram[" + PROGRAM_NAME + ", " + objectBytes.size() + " B object, attached to "
            + attachments.keySet() + "]";
    }
}
