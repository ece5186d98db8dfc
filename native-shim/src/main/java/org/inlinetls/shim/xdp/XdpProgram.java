package org.inlinetls.shim.xdp;

import java.io.IOException;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import org.inlinetls.shim.LibC;
import org.inlinetls.shim.NativeIoException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * <p><b>Fails closed.</b> Attachment is netlink's ({@code bpf_xdp_attach}), not a BPF link, so the program stays on
 * the interface when the daemon dies (SIGKILL, crash): the kernel removes the dead daemon's sockets from {@code xsks}
 * and the program then DROPS the intercepted flows' segments (and, with {@link #redirectAll}, every frame) instead of
 * letting the kernel bridge forward them to the servers, which would answer a segment of a flow they never saw with a
 * RST. The clients retransmit, and the next daemon continues the flows from its journal, as on the AF_PACKET ring
 * path. Traffic that is not intercepted keeps flowing through the kernel bridge all along.
 * <ul>
 * <li>{@link #attach} finds such a leftover program (ours: named {@value #PROGRAM_NAME} with this program's maps),
 * copies its intercept keys for that interface into this program's maps (so they stay dropped, not bridged, until
 * this daemon's sockets are registered) and swaps programs atomically ({@code XDP_FLAGS_REPLACE}); from then on only
 * this program's maps are used. A program of anyone else is never replaced: attach fails with an IOException naming
 * it. The copied keys the new configuration does not add again are removed by {@link #dropInheritedIntercepts}.</li>
 * <li>{@link #close()} detaches only when the interface still runs this very program (a newer daemon's program is
 * never removed by an older one); {@link #closeLeavingAttached()} leaves it on purpose (a restart).</li>
 * <li><b>An abandoned program keeps dropping intercepted traffic until a daemon starts again or it is detached</b>:
 * {@link #detachLeftover(String)} (the clean-up command) or {@code ip link set dev IF xdp off}.</li>
 * </ul>
 *
 * <p>Interface names are resolved in {@link #attach}, in the calling thread's network namespace; later calls name
 * the interface as attached and may come from any thread. {@link #close()} enters the attaching thread's namespace
 * for the detach when it is called from another one (setns, CAP_SYS_ADMIN; a daemon attaches and closes in the same
 * namespace and never needs it).
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
    static final int IFCONF_SIZE = 8;
    private static final int IFCONF_REDIRECT_ALL_OFFSET = 4;
    /** {@code bpf_map_update_elem} flag BPF_ANY. */
    private static final long BPF_ANY = 0;
    private static final int ENOENT = 2;
    private static final int EEXIST = 17;
    private static final int ENODEV = 19;
    /** The calling thread's network namespace (proc(5)); O_RDONLY | O_CLOEXEC; setns CLONE_NEWNET. */
    private static final String THREAD_SELF_NET = "/proc/thread-self/ns/net";
    private static final int O_RDONLY_CLOEXEC = 0x80000;
    private static final int CLONE_NEWNET = 0x40000000;
    private static final Logger LOG = LoggerFactory.getLogger(XdpProgram.class);

    static final class Holder
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

            @SaveError int bpf_map_lookup_elem(int fd, @In Pointer key, Pointer value);

            @SaveError int bpf_xdp_attach(int ifindex, int progFd, int flags, @In Pointer opts);

            @SaveError int bpf_xdp_query(int ifindex, int flags, Pointer opts);

            @SaveError int bpf_prog_get_fd_by_id(int id);

            @SaveError int bpf_map_get_fd_by_id(int id);

            @SaveError int bpf_obj_get_info_by_fd(int fd, Pointer info, Pointer infoLength);
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
        /** The attaching thread's network namespace, where close() detaches. */
        final int netnsFd;
        final XdpAttachMode mode;
        final int xskBase;
        /** Intercept keys copied from a replaced leftover program and not added again since. */
        final Set<ByteBuffer> inherited;
        boolean redirectAll;

        Attachment(final int ifindex, final int netnsFd, final XdpAttachMode mode, final int xskBase,
            final Set<ByteBuffer> inherited)
        {
            this.ifindex = ifindex;
            this.netnsFd = netnsFd;
            this.mode = mode;
            this.xskBase = xskBase;
            this.inherited = inherited;
        }
    }

    private final Holder.Native lib;
    private final Pointer objectBytes; // libbpf parses from it until load: referenced for the object's life
    private Pointer object;
    private final int programFd;
    private final int programId;
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
        programId = AttachedProgram.programId(lib, programFd, PROGRAM_NAME);
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
     * <p>When a previous daemon's program (ours, see the class comment) is attached there, this one replaces it
     * atomically after copying its intercept keys and {@code redirect_all} for the interface: no intercepted segment
     * reaches the kernel bridge across a restart. {@link XdpAttachMode#AUTO} then keeps the leftover's mode; an
     * explicit other mode detaches the leftover first (the kernel cannot swap across modes: segments arriving in
     * those few microseconds are bridged).
     *
     * @param mode {@link XdpAttachMode#AUTO} tries driver mode, then generic.
     * @throws IOException when the interface does not exist, runs another owner's XDP program (never replaced), or
     *                     refuses the mode.
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
        final Set<ByteBuffer> inherited = new HashSet<>();
        boolean redirectAll = false;
        final int netnsFd = LibC.open(THREAD_SELF_NET, O_RDONLY_CLOEXEC);
        XdpAttachMode attached = null;
        try (AttachedProgram leftover = AttachedProgram.query(lib, interfaceName, ifindex))
        {
            if (leftover != null)
            {
                if (leftover.id == programId)
                {
                    throw new IOException("XDP program already attached to " + interfaceName);
                }
                if (leftover.foreign != null)
                {
                    throw new IOException(leftover.describe(interfaceName) + " is not the appliance's ("
                        + leftover.foreign + "): not replaced; remove it (ip link set dev " + interfaceName
                        + " xdp off) or use another interface");
                }
                redirectAll = inherit(leftover, ifindex, inherited);
            }
            putIfconf(ifindex, xskBase, redirectAll, interfaceName);
            attached = leftover == null
                ? AttachedProgram.attachFresh(lib, programFd, interfaceName, ifindex, mode)
                : leftover.replaceWith(lib, programFd, interfaceName, ifindex, mode);
            if (leftover != null)
            {
                LOG.info("xdp: replaced the leftover {} with program id {} ({} mode), keeping its {} intercept "
                    + "key(s){} until this daemon's are in", leftover.describe(interfaceName), programId, attached,
                    inherited.size(), redirectAll ? " and redirect-all" : "");
            }
        }
        finally
        {
            if (attached == null)
            {
                key.putInt(0, ifindex);
                lib.bpf_map_delete_elem(ifconfFd, key);
                for (final ByteBuffer doomed : inherited)
                {
                    key.put(0, doomed.array(), 0, KEY_SIZE);
                    lib.bpf_map_delete_elem(interceptFd, key);
                }
                closeQuietly(netnsFd, THREAD_SELF_NET);
            }
        }
        final Attachment attachment = new Attachment(ifindex, netnsFd, attached, xskBase, inherited);
        attachment.redirectAll = redirectAll;
        attachments.put(interfaceName, attachment);
        attachCount++;
    }

    private void putIfconf(final int ifindex, final int xskBase, final boolean redirectAll, final String interfaceName)
        throws IOException
    {
        value.putInt(0, xskBase);
        value.putInt(IFCONF_REDIRECT_ALL_OFFSET, redirectAll ? 1 : 0);
        key.putInt(0, ifindex);
        check(lib.bpf_map_update_elem(ifconfFd, key, value, BPF_ANY),
            "bpf_map_update_elem(ifconf, " + interfaceName + ")");
    }

    /** Copies the leftover's intercept keys of the interface into this program's map; returns its redirect_all. */
    private boolean inherit(final AttachedProgram leftover, final int ifindex, final Set<ByteBuffer> inherited)
        throws IOException
    {
        final byte[] bytes = new byte[KEY_SIZE];
        final List<byte[]> keys = new ArrayList<>();
        int rc = lib.bpf_map_get_next_key(leftover.interceptFd, null, nextKey);
        while (rc == 0)
        {
            if (nextKey.getInt(KEY_IFINDEX_OFFSET) == ifindex)
            {
                nextKey.get(0, bytes, 0, KEY_SIZE);
                keys.add(bytes.clone());
            }
            key.transferFrom(0, nextKey, 0, KEY_SIZE);
            rc = lib.bpf_map_get_next_key(leftover.interceptFd, key, nextKey);
        }
        if (rc != -ENOENT)
        {
            throw new NativeIoException("bpf_map_get_next_key(leftover intercept)", -rc, LibC.strerror(-rc));
        }
        for (final byte[] k : keys)
        {
            key.put(0, k, 0, KEY_SIZE);
            value.putInt(0, 0);
            check(lib.bpf_map_update_elem(interceptFd, key, value, BPF_ANY), "bpf_map_update_elem(intercept)");
            inherited.add(ByteBuffer.wrap(k));
        }
        key.putInt(0, ifindex);
        return lib.bpf_map_lookup_elem(leftover.ifconfFd, key, value) == 0
            && value.getInt(IFCONF_REDIRECT_ALL_OFFSET) != 0;
    }

    /**
     * The clean-up command's way out: detaches the appliance's program left on an interface of the calling
     * thread's network namespace by a daemon that died (or was closed with {@link #closeLeavingAttached()}), which
     * otherwise keeps dropping the intercepted flows. Do not run it under a running daemon: it cannot tell a live
     * daemon's program from a leftover and would detach it too (the traffic would then bypass the daemon).
     *
     * @return true when it detached one, false when the interface runs no XDP program.
     * @throws IOException when the interface does not exist or runs another owner's XDP program (left alone).
     */
    public static boolean detachLeftover(final String interfaceName) throws IOException
    {
        if (Holder.CAUSE != null)
        {
            throw new IOException(Holder.CAUSE.getMessage(), Holder.CAUSE);
        }
        final int ifindex = LibC.ifNameToIndex(interfaceName);
        try (AttachedProgram attached = AttachedProgram.query(Holder.LIB, interfaceName, ifindex))
        {
            if (attached == null)
            {
                return false;
            }
            if (attached.foreign != null)
            {
                throw new IOException(attached.describe(interfaceName) + " is not the appliance's ("
                    + attached.foreign + "): left attached");
            }
            final int rc = AttachedProgram.detach(Holder.LIB, ifindex, attached.mode, attached.programFd);
            if (rc < 0)
            {
                throw new NativeIoException("bpf_xdp_detach(" + attached.describe(interfaceName) + ")", -rc,
                    LibC.strerror(-rc));
            }
            return true;
        }
    }

    /**
     * @return the id of the XDP program (anyone's) attached to an interface of the calling thread's network
     *         namespace in driver or generic mode, 0 when none (diagnostics, the clean-up command, tests).
     */
    public static int attachedProgramId(final String interfaceName) throws IOException
    {
        if (Holder.CAUSE != null)
        {
            throw new IOException(Holder.CAUSE.getMessage(), Holder.CAUSE);
        }
        return AttachedProgram.queryId(Holder.LIB, interfaceName, LibC.ifNameToIndex(interfaceName));
    }

    /** @return this program's kernel id (as {@code ip link} and {@code bpftool prog} show it). */
    public int programId()
    {
        return programId;
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
        if (!attachment.inherited.isEmpty())
        {
            final byte[] bytes = new byte[KEY_SIZE];
            key.get(0, bytes, 0, KEY_SIZE);
            attachment.inherited.remove(ByteBuffer.wrap(bytes)); // this daemon's key now
        }
    }

    /**
     * Removes the intercept keys {@link #attach} copied from a replaced leftover program that this daemon has not
     * added again with {@link #intercept} (services no longer configured); call it once the configured keys are in.
     * Until then such keys drop their segments (no socket takes them) instead of letting the bridge forward them.
     *
     * @return how many keys were removed.
     */
    public int dropInheritedIntercepts(final String interfaceName) throws IOException
    {
        final Attachment attachment = attachment(interfaceName);
        int dropped = 0;
        for (final ByteBuffer doomed : attachment.inherited)
        {
            key.put(0, doomed.array(), 0, KEY_SIZE);
            final int rc = lib.bpf_map_delete_elem(interceptFd, key);
            if (rc < 0 && rc != -ENOENT)
            {
                check(rc, "bpf_map_delete_elem(intercept, " + interfaceName + ")");
            }
            dropped += rc == 0 ? 1 : 0;
        }
        attachment.inherited.clear();
        return dropped;
    }

    /** @return intercept keys copied from a replaced leftover and neither added again nor dropped yet. */
    public int inheritedInterceptCount(final String interfaceName) throws IOException
    {
        return attachment(interfaceName).inherited.size();
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
        attachment.inherited.clear();
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

    static void check(final int rc, final String call) throws NativeIoException
    {
        if (rc < 0)
        {
            throw new NativeIoException(call, -rc, LibC.strerror(-rc));
        }
    }

    /**
     * Detaches from every interface that still runs this program (not one where a newer daemon's program replaced
     * it: {@code XDP_FLAGS_REPLACE} with this program as the expected one), then frees program and maps; idempotent,
     * never throws. Intercepted flows are bridged to the servers from then on.
     */
    @Override
    public void close()
    {
        release(true);
    }

    /**
     * Frees this object's descriptors but leaves the program attached, as a crash would: it keeps dropping the
     * intercepted flows (their sockets are gone) until the next daemon's {@link #attach} replaces it, for a restart
     * that continues the flows. {@link #detachLeftover} removes it otherwise. Idempotent, never throws.
     */
    public void closeLeavingAttached()
    {
        release(false);
    }

    private void release(final boolean detach)
    {
        if (object == null)
        {
            return;
        }
        for (final Map.Entry<String, Attachment> e : attachments.entrySet())
        {
            final Attachment attachment = e.getValue();
            if (detach)
            {
                try
                {
                    detach(e.getKey(), attachment);
                }
                catch (final IOException | RuntimeException ex)
                {
                    LOG.warn("xdp: program id {} left on {}: {}", programId, e.getKey(), ex.toString());
                }
            }
            closeQuietly(attachment.netnsFd, THREAD_SELF_NET);
        }
        attachments.clear();
        lib.bpf_object__close(object);
        object = null;
    }

    /** Detaches in the attaching thread's namespace, entered for the call when the calling thread is elsewhere. */
    private void detach(final String interfaceName, final Attachment attachment) throws IOException
    {
        final String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + attachment.netnsFd)).toString();
        final boolean elsewhere = !target.equals(Files.readSymbolicLink(Path.of(THREAD_SELF_NET)).toString());
        final int back = elsewhere ? LibC.open(THREAD_SELF_NET, O_RDONLY_CLOEXEC) : -1;
        try
        {
            if (elsewhere)
            {
                LibC.setns(attachment.netnsFd, CLONE_NEWNET, "netns of XDP attachment " + interfaceName);
            }
            final int rc = AttachedProgram.detach(lib, attachment.ifindex, attachment.mode, programFd);
            if (rc == -EEXIST)
            {
                LOG.info("xdp: {} runs another program now (a newer daemon's?): left attached", interfaceName);
            }
            else if (rc < 0 && rc != -ENODEV)
            {
                throw new NativeIoException("bpf_xdp_detach(" + interfaceName + ")", -rc, LibC.strerror(-rc));
            }
        }
        finally
        {
            if (elsewhere)
            {
                try
                {
                    LibC.setns(back, CLONE_NEWNET, "back from the netns of XDP attachment " + interfaceName);
                }
                finally
                {
                    closeQuietly(back, THREAD_SELF_NET);
                }
            }
        }
    }

    static void closeQuietly(final int fd, final String what)
    {
        if (fd < 0)
        {
            return;
        }
        try
        {
            LibC.close(fd, what);
        }
        catch (final IOException | RuntimeException ignored)
        {
            // close(2) releases the descriptor even when it reports an error
        }
    }

    /** Keeps the object's source bytes reachable to here (libbpf kept a pointer into them). */
    @Override
    public String toString()
    {
        return "XdpProgram[" + PROGRAM_NAME + ", " + objectBytes.size() + " B object, attached to "
            + attachments.keySet() + "]";
    }
}
