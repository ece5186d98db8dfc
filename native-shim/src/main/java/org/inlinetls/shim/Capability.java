package org.inlinetls.shim;

/**
 * Linux capabilities the appliance needs, with their bit numbers from linux/capability.h.
 */
public enum Capability
{
    /** CAP_NET_ADMIN (12): interface flags, ethtool settings, packet-socket promiscuous membership. */
    NET_ADMIN(12),
    /** CAP_NET_RAW (13): AF_PACKET sockets. */
    NET_RAW(13),
    /** CAP_IPC_LOCK (14): mlock of rings and tables beyond RLIMIT_MEMLOCK. */
    IPC_LOCK(14),
    /** CAP_SYS_ADMIN (21): setns into a network namespace. */
    SYS_ADMIN(21);

    private final int bit;

    Capability(final int bit)
    {
        this.bit = bit;
    }

    /**
     * @return the capability's bit number in the CapEff/CapPrm masks.
     */
    public int bit()
    {
        return bit;
    }

    /**
     * @return the kernel's name, e.g. {@code CAP_NET_ADMIN}, as used by setcap and systemd.
     */
    public String kernelName()
    {
        return "CAP_" + name();
    }
}
