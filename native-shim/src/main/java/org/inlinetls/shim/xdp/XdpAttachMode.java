package org.inlinetls.shim.xdp;

/**
 * How {@link XdpProgram#attach} hooks the program into an interface: in the driver (native XDP, before any socket
 * buffer exists) or in the generic receive path (after the kernel built a socket buffer; works on every device).
 */
public enum XdpAttachMode
{
    /** Driver mode when the device supports it, else generic. */
    AUTO(0),
    /** Native XDP in the driver ({@code XDP_FLAGS_DRV_MODE}); veth supports it. */
    DRIVER(4),
    /** Generic XDP in the core receive path ({@code XDP_FLAGS_SKB_MODE}). */
    GENERIC(2);

    private final int flags;

    XdpAttachMode(final int flags)
    {
        this.flags = flags;
    }

    /** @return the {@code XDP_FLAGS_*} mode bit (linux/if_link.h), 0 for {@link #AUTO}. */
    int flags()
    {
        return flags;
    }
}
