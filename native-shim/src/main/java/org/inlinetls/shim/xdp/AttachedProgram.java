package org.inlinetls.shim.xdp;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import jnr.ffi.Pointer;
import org.inlinetls.shim.LibC;
import org.inlinetls.shim.NativeIoException;

/**
 * An XDP program found attached to an interface (netlink {@code bpf_xdp_query}), opened by id with its maps, and
 * whether it is the appliance's ({@link XdpProgram}'s leftover: named {@value XdpProgram#PROGRAM_NAME}, type XDP,
 * with the {@code intercept}, {@code ifconf} and {@code xsks} maps of the bundled object) or another owner's; plus the
 * netlink attach/detach call both use. Struct layouts: libbpf 1.1 and linux/bpf.h, offsets below.
 */
final class AttachedProgram implements AutoCloseable
{
    /** XDP_FLAGS_UPDATE_IF_NOEXIST and XDP_FLAGS_REPLACE (linux/if_link.h). */
    private static final int XDP_FLAGS_UPDATE_IF_NOEXIST = 1;
    private static final int XDP_FLAGS_REPLACE = 16;
    /** libbpf 1.1 {@code struct bpf_xdp_attach_opts}: size_t sz, int old_prog_fd. */
    private static final int ATTACH_OPTS_SIZE = 16;
    private static final int ATTACH_OPTS_OLD_PROG_FD_OFFSET = 8;
    /** libbpf 1.1 {@code struct bpf_xdp_query_opts}: size_t sz, u32 prog_id, drv_prog_id, hw_prog_id, skb_prog_id. */
    private static final int QUERY_OPTS_SIZE = 32;
    private static final int QUERY_OPTS_DRV_PROG_ID_OFFSET = 12;
    private static final int QUERY_OPTS_SKB_PROG_ID_OFFSET = 20;
    /** {@code struct bpf_prog_info} (linux/bpf.h) up to the end of {@code name}; the kernel fills what fits. */
    private static final int PROG_INFO_SIZE = 80;
    private static final int PROG_INFO_TYPE_OFFSET = 0;
    private static final int PROG_INFO_ID_OFFSET = 4;
    private static final int PROG_INFO_NR_MAP_IDS_OFFSET = 52;
    private static final int PROG_INFO_MAP_IDS_OFFSET = 56;
    private static final int PROG_INFO_NAME_OFFSET = 64;
    /** {@code struct bpf_map_info} up to the end of {@code name}. */
    private static final int MAP_INFO_SIZE = 40;
    private static final int MAP_INFO_TYPE_OFFSET = 0;
    private static final int MAP_INFO_KEY_SIZE_OFFSET = 8;
    private static final int MAP_INFO_VALUE_SIZE_OFFSET = 12;
    private static final int MAP_INFO_NAME_OFFSET = 24;
    /** BPF_OBJ_NAME_LEN. */
    private static final int OBJ_NAME_LENGTH = 16;
    /** Map ids read from a program's info: ours has three. */
    private static final int MAX_MAP_IDS = 8;
    /** BPF_PROG_TYPE_XDP, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_XSKMAP (linux/bpf.h). */
    private static final int BPF_PROG_TYPE_XDP = 6;
    private static final int BPF_MAP_TYPE_HASH = 1;
    private static final int BPF_MAP_TYPE_XSKMAP = 17;

    final int id;
    final XdpAttachMode mode;
    int programFd = -1;
    String name = "";
    int interceptFd = -1;
    int ifconfFd = -1;
    int xsksFd = -1;
    /** Null when it is ours, else why not (for the IOException). */
    String foreign;

    private AttachedProgram(final int id, final XdpAttachMode mode)
    {
        this.id = id;
        this.mode = mode;
    }

    String describe(final String interfaceName)
    {
        return "XDP program '" + name + "' (id " + id + ", " + mode + " mode) on " + interfaceName;
    }

    @Override
    public void close()
    {
        for (final int fd : new int[] {programFd, interceptFd, ifconfFd, xsksFd})
        {
            XdpProgram.closeQuietly(fd, "XDP leftover descriptor");
        }
    }

    /** @return the kernel id of a loaded program. */
    static int programId(final XdpProgram.Holder.Native lib, final int programFd, final String what)
        throws IOException
    {
        final Pointer info = LibC.allocate(PROG_INFO_SIZE);
        final Pointer length = LibC.allocate(Integer.BYTES);
        length.putInt(0, PROG_INFO_SIZE);
        XdpProgram.check(lib.bpf_obj_get_info_by_fd(programFd, info, length), "bpf_obj_get_info_by_fd(" + what + ")");
        return info.getInt(PROG_INFO_ID_OFFSET);
    }

    /** @return the id of the program attached in driver or else generic mode, 0 when none. */
    static int queryId(final XdpProgram.Holder.Native lib, final String interfaceName, final int ifindex)
        throws IOException
    {
        final Pointer opts = LibC.allocate(QUERY_OPTS_SIZE);
        opts.putLong(0, QUERY_OPTS_SIZE);
        XdpProgram.check(lib.bpf_xdp_query(ifindex, 0, opts), "bpf_xdp_query(" + interfaceName + ")");
        final int driverId = opts.getInt(QUERY_OPTS_DRV_PROG_ID_OFFSET);
        return driverId != 0 ? driverId : opts.getInt(QUERY_OPTS_SKB_PROG_ID_OFFSET);
    }

    /** No program on the interface: attach without clobbering one that appears meanwhile. */
    static XdpAttachMode attachFresh(final XdpProgram.Holder.Native lib, final int programFd,
        final String interfaceName, final int ifindex, final XdpAttachMode mode)
        throws IOException
    {
        if (mode == XdpAttachMode.AUTO
            && xdpAttach(lib, ifindex, programFd, XdpAttachMode.DRIVER.flags() | XDP_FLAGS_UPDATE_IF_NOEXIST, -1) == 0)
        {
            return XdpAttachMode.DRIVER;
        }
        final XdpAttachMode wanted = mode == XdpAttachMode.AUTO ? XdpAttachMode.GENERIC : mode;
        final int rc = xdpAttach(lib, ifindex, programFd, wanted.flags() | XDP_FLAGS_UPDATE_IF_NOEXIST, -1);
        if (rc < 0)
        {
            throw new NativeIoException("bpf_xdp_attach(" + interfaceName + ", " + mode + ")", -rc, LibC.strerror(-rc));
        }
        return wanted;
    }

    /**
     * Swaps this leftover (ours) for {@code newProgramFd}: atomically in the same mode ({@link XdpAttachMode#AUTO}
     * keeps it), else detach then attach (the kernel cannot swap across modes).
     *
     * @return the mode the new program runs in.
     */
    XdpAttachMode replaceWith(final XdpProgram.Holder.Native lib, final int newProgramFd, final String interfaceName,
        final int ifindex, final XdpAttachMode wanted) throws IOException
    {
        if (wanted == XdpAttachMode.AUTO || wanted == mode)
        {
            final int rc = xdpAttach(lib, ifindex, newProgramFd, mode.flags() | XDP_FLAGS_REPLACE, programFd);
            if (rc < 0)
            {
                throw new NativeIoException("bpf_xdp_attach(" + interfaceName + ", replacing "
                    + describe(interfaceName) + ")", -rc, LibC.strerror(-rc));
            }
            return mode;
        }
        final int detached = detach(lib, ifindex, mode, programFd);
        if (detached < 0)
        {
            throw new NativeIoException("bpf_xdp_detach(" + describe(interfaceName) + ")", -detached,
                LibC.strerror(-detached));
        }
        final int rc = xdpAttach(lib, ifindex, newProgramFd, wanted.flags() | XDP_FLAGS_UPDATE_IF_NOEXIST, -1);
        if (rc < 0)
        {
            // put the leftover back: it keeps the intercepted flows dropped
            xdpAttach(lib, ifindex, programFd, mode.flags() | XDP_FLAGS_UPDATE_IF_NOEXIST, -1);
            throw new NativeIoException("bpf_xdp_attach(" + interfaceName + ", " + wanted + ")", -rc,
                LibC.strerror(-rc));
        }
        return wanted;
    }

    /** Detaches the program of that mode only when it is still {@code expectedFd}'s (else -EEXIST). */
    static int detach(final XdpProgram.Holder.Native lib, final int ifindex, final XdpAttachMode mode,
        final int expectedFd)
    {
        return xdpAttach(lib, ifindex, -1, mode.flags() | XDP_FLAGS_REPLACE, expectedFd);
    }

    /** {@code bpf_xdp_attach}; {@code progFd} -1 detaches; {@code oldProgFd} >= 0 with XDP_FLAGS_REPLACE. */
    static int xdpAttach(final XdpProgram.Holder.Native lib, final int ifindex, final int progFd, final int flags,
        final int oldProgFd)
    {
        final Pointer opts = LibC.allocate(ATTACH_OPTS_SIZE);
        opts.putLong(0, ATTACH_OPTS_SIZE);
        opts.putInt(ATTACH_OPTS_OLD_PROG_FD_OFFSET, oldProgFd < 0 ? 0 : oldProgFd); // libbpf: 0 = none
        return lib.bpf_xdp_attach(ifindex, progFd, flags, opts);
    }

    /**
     * @return the XDP program attached to the interface (driver or generic mode), identified, or null when none;
     *         the caller closes it.
     */
    static AttachedProgram query(final XdpProgram.Holder.Native lib, final String interfaceName, final int ifindex)
        throws IOException
    {
        final Pointer opts = LibC.allocate(QUERY_OPTS_SIZE);
        opts.putLong(0, QUERY_OPTS_SIZE);
        XdpProgram.check(lib.bpf_xdp_query(ifindex, 0, opts), "bpf_xdp_query(" + interfaceName + ")");
        final int driverId = opts.getInt(QUERY_OPTS_DRV_PROG_ID_OFFSET);
        final int genericId = opts.getInt(QUERY_OPTS_SKB_PROG_ID_OFFSET);
        if (driverId == 0 && genericId == 0)
        {
            return null;
        }
        final AttachedProgram attached = driverId != 0 ? new AttachedProgram(driverId, XdpAttachMode.DRIVER)
            : new AttachedProgram(genericId, XdpAttachMode.GENERIC);
        try
        {
            identify(lib, attached);
            return attached;
        }
        catch (final IOException | RuntimeException ex)
        {
            attached.close();
            throw ex;
        }
    }

    /** Opens the program and its maps by id and decides whether it is ours: name, type and the three maps. */
    private static void identify(final XdpProgram.Holder.Native lib, final AttachedProgram attached)
        throws IOException
    {
        attached.programFd = lib.bpf_prog_get_fd_by_id(attached.id);
        if (attached.programFd < 0)
        {
            throw new NativeIoException("bpf_prog_get_fd_by_id(" + attached.id + ")", -attached.programFd,
                LibC.strerror(-attached.programFd));
        }
        final Pointer info = LibC.allocate(PROG_INFO_SIZE);
        final Pointer mapIds = LibC.allocate(MAX_MAP_IDS * Integer.BYTES);
        final Pointer length = LibC.allocate(Integer.BYTES);
        info.putInt(PROG_INFO_NR_MAP_IDS_OFFSET, MAX_MAP_IDS);
        info.putLong(PROG_INFO_MAP_IDS_OFFSET, mapIds.address());
        length.putInt(0, PROG_INFO_SIZE);
        XdpProgram.check(lib.bpf_obj_get_info_by_fd(attached.programFd, info, length),
            "bpf_obj_get_info_by_fd(program " + attached.id + ")");
        attached.name = cString(info, PROG_INFO_NAME_OFFSET);
        final int mapCount = Math.min(MAX_MAP_IDS, info.getInt(PROG_INFO_NR_MAP_IDS_OFFSET));
        final Pointer mapInfo = LibC.allocate(MAP_INFO_SIZE);
        for (int i = 0; i < mapCount; i++)
        {
            final int fd = lib.bpf_map_get_fd_by_id(mapIds.getInt((long)i * Integer.BYTES));
            if (fd < 0)
            {
                continue;
            }
            mapInfo.setMemory(0, MAP_INFO_SIZE, (byte)0);
            length.putInt(0, MAP_INFO_SIZE);
            if (lib.bpf_obj_get_info_by_fd(fd, mapInfo, length) < 0)
            {
                XdpProgram.closeQuietly(fd, "XDP leftover map");
                continue;
            }
            final String name = cString(mapInfo, MAP_INFO_NAME_OFFSET);
            final int type = mapInfo.getInt(MAP_INFO_TYPE_OFFSET);
            final int keySize = mapInfo.getInt(MAP_INFO_KEY_SIZE_OFFSET);
            final int valueSize = mapInfo.getInt(MAP_INFO_VALUE_SIZE_OFFSET);
            if (attached.interceptFd < 0 && name.equals("intercept") && type == BPF_MAP_TYPE_HASH
                && keySize == XdpProgram.KEY_SIZE && valueSize == Integer.BYTES)
            {
                attached.interceptFd = fd;
            }
            else if (attached.ifconfFd < 0 && name.equals("ifconf") && type == BPF_MAP_TYPE_HASH
                && keySize == Integer.BYTES && valueSize == XdpProgram.IFCONF_SIZE)
            {
                attached.ifconfFd = fd;
            }
            else if (attached.xsksFd < 0 && name.equals("xsks") && type == BPF_MAP_TYPE_XSKMAP)
            {
                attached.xsksFd = fd;
            }
            else
            {
                XdpProgram.closeQuietly(fd, "XDP leftover map");
            }
        }
        attached.foreign = foreignReason(info.getInt(PROG_INFO_TYPE_OFFSET), attached.name,
            attached.interceptFd >= 0 && attached.ifconfFd >= 0 && attached.xsksFd >= 0);
    }

    /**
     * @return null when a program of this type and name with these maps is the appliance's, else why not.
     */
    static String foreignReason(final int programType, final String name, final boolean hasOurMaps)
    {
        if (programType != BPF_PROG_TYPE_XDP || !XdpProgram.PROGRAM_NAME.equals(name))
        {
            return "not named " + XdpProgram.PROGRAM_NAME;
        }
        return hasOurMaps ? null
            : "named " + XdpProgram.PROGRAM_NAME + " but without its intercept, ifconf and xsks maps";
    }

    private static String cString(final Pointer struct, final int offset)
    {
        final byte[] bytes = new byte[OBJ_NAME_LENGTH];
        struct.get(offset, bytes, 0, OBJ_NAME_LENGTH);
        int end = 0;
        while (end < bytes.length && bytes[end] != 0)
        {
            end++;
        }
        return new String(bytes, 0, end, StandardCharsets.US_ASCII);
    }
}
