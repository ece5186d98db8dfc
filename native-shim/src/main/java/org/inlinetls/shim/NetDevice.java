package org.inlinetls.shim;

import static org.inlinetls.shim.LinuxConstants.AF_INET;
import static org.inlinetls.shim.LinuxConstants.AF_PACKET;
import static org.inlinetls.shim.LinuxConstants.ENODEV;
import static org.inlinetls.shim.LinuxConstants.EPERM;
import static org.inlinetls.shim.LinuxConstants.IFF_PROMISC;
import static org.inlinetls.shim.LinuxConstants.IFNAMSIZ;
import static org.inlinetls.shim.LinuxConstants.PACKET_ADD_MEMBERSHIP;
import static org.inlinetls.shim.LinuxConstants.PACKET_MR_PROMISC;
import static org.inlinetls.shim.LinuxConstants.SIOCGIFFLAGS;
import static org.inlinetls.shim.LinuxConstants.SOCK_CLOEXEC;
import static org.inlinetls.shim.LinuxConstants.SOCK_DGRAM;
import static org.inlinetls.shim.LinuxConstants.SOCK_RAW;
import static org.inlinetls.shim.LinuxConstants.SOL_PACKET;
import static org.inlinetls.shim.StructLayout.IFREQ_FLAGS_OFFSET;
import static org.inlinetls.shim.StructLayout.PACKET_MREQ_IFINDEX_OFFSET;
import static org.inlinetls.shim.StructLayout.PACKET_MREQ_SIZE;
import static org.inlinetls.shim.StructLayout.PACKET_MREQ_TYPE_OFFSET;

import java.io.IOException;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import jnr.ffi.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * One network interface the appliance bridges: promiscuous mode and the offloads that must be off, with
 * everything it changes put back on {@link #close()}.
 *
 * <p><b>Namespace.</b> A NetDevice belongs to the network namespace of the thread that called {@link #open}: its
 * control sockets are created there and keep acting on that namespace from any thread. The AF_PACKET socket of
 * {@link #enablePromiscuous()} is created later, so that call must come from a thread in the same namespace.
 *
 * <p><b>Promiscuous mode</b> is taken as a packet-socket membership (PACKET_MR_PROMISC), not by setting IFF_PROMISC:
 * the kernel counts holders ({@code promiscuity} in {@code ip -d link}), and releases this one when the socket is
 * closed, including when the process dies, so a crashed daemon never leaves a NIC promiscuous and never turns it off
 * under another user (tcpdump, a bridge). The price: {@code ip link} and SIOCGIFFLAGS, which show the
 * administrative flag only, do not report it; {@code /sys/class/net/IF/flags} (the device's real flags, 0x100) and
 * {@link #promiscuity()} do.
 *
 * <p>Not for the data path: each call allocates and makes system calls. Methods are synchronized.
 */
public final class NetDevice implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(NetDevice.class);

    private final String ifName;
    private final int ifIndex;
    private final String namespaceId;
    private final int controlFd;
    private final RtNetlink rtNetlink;
    private final EthtoolOffloads offloads;
    private int packetFd = -1;
    private boolean closed;

    private NetDevice(final String ifName, final int ifIndex, final String namespaceId, final int controlFd,
        final RtNetlink rtNetlink, final boolean namedFeatures)
    {
        this.ifName = ifName;
        this.ifIndex = ifIndex;
        this.namespaceId = namespaceId;
        this.controlFd = controlFd;
        this.rtNetlink = rtNetlink;
        this.offloads = new EthtoolOffloads(ifName, controlFd, namedFeatures);
    }

    /**
     * Opens the interface in the calling thread's network namespace; needs no privileges by itself.
     *
     * @param ifName the interface name, e.g. {@code eth1}.
     * @return the device, to be closed.
     * @throws IllegalArgumentException when {@code ifName} cannot be an interface name.
     * @throws IOException              when no such interface exists here, or a control socket cannot be made.
     */
    public static NetDevice open(final String ifName) throws IOException
    {
        return open(ifName, true);
    }

    /**
     * @param namedFeatures false to force the legacy ethtool commands (tests of the fallback).
     */
    static NetDevice open(final String ifName, final boolean namedFeatures) throws IOException
    {
        validateName(ifName);
        final String namespaceId = NetNamespace.currentId();
        final int ifIndex;
        try
        {
            ifIndex = LibC.ifNameToIndex(ifName);
        }
        catch (final NativeIoException ex)
        {
            if (ex.errno() == ENODEV)
            {
                throw new IOException("no network interface '" + ifName + "' in network namespace " + namespaceId
                    + " (check the name with 'ip link'; namespaced interfaces need the namespace entered first)", ex);
            }
            throw ex;
        }
        final int controlFd = LibC.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0, "AF_INET for ioctl on " + ifName);
        try
        {
            return new NetDevice(ifName, ifIndex, namespaceId, controlFd, new RtNetlink(), namedFeatures);
        }
        catch (final IOException | RuntimeException ex)
        {
            LibC.close(controlFd, "ioctl socket of " + ifName);
            throw ex;
        }
    }

    /**
     * @return true when NetDevice can change interfaces: the native shim works and CAP_NET_ADMIN and CAP_NET_RAW
     * are held.
     */
    public static boolean isAvailable()
    {
        return unavailabilityCause() == null;
    }

    /**
     * @return why NetDevice cannot change interfaces here, or null when it can.
     */
    public static Throwable unavailabilityCause()
    {
        final Throwable shim = NativeShim.unavailabilityCause();
        if (shim != null)
        {
            return shim;
        }
        try
        {
            Privileges.requireNetAdmin("change network interfaces");
            return null;
        }
        catch (final InsufficientPrivilegesException ex)
        {
            return ex;
        }
    }

    /**
     * @return the interface name.
     */
    public String name()
    {
        return ifName;
    }

    /**
     * @return the interface index in its namespace.
     */
    public int index()
    {
        return ifIndex;
    }

    /**
     * @return the network namespace the device was opened in, e.g. {@code net:[4026531840]}.
     */
    public String namespaceId()
    {
        return namespaceId;
    }

    /**
     * @return true when offloads are read and changed through the kernel's named features (ETHTOOL_GFEATURES), false
     * when through the legacy per-offload ethtool commands.
     */
    public boolean usesNamedFeatures()
    {
        return offloads.usesNamedFeatures();
    }

    /**
     * Makes the interface receive every frame by joining it as a PACKET_MR_PROMISC member through an AF_PACKET
     * socket held open until {@link #disablePromiscuous()} or {@link #close()}; idempotent.
     *
     * <p>The kernel reference-counts promiscuity, so this neither clashes with other holders nor outlives the
     * process: if the JVM dies the kernel closes the socket and drops the membership.
     *
     * @throws InsufficientPrivilegesException without CAP_NET_RAW/CAP_NET_ADMIN.
     * @throws IllegalStateException           when called from a thread in another network namespace.
     */
    public synchronized void enablePromiscuous() throws IOException
    {
        ensureOpen();
        if (packetFd >= 0)
        {
            return;
        }
        ensureSameNamespace("enable promiscuous mode");
        // protocol 0: the socket is never bound to a protocol, so it queues no frames; it exists only to hold the
        // membership
        final int fd;
        try
        {
            fd = LibC.socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0, "AF_PACKET for promiscuous mode of " + ifName);
        }
        catch (final NativeIoException ex)
        {
            throw privilegeHint(ex, "put " + ifName + " in promiscuous mode");
        }
        try
        {
            final Pointer mreq = LibC.allocate(PACKET_MREQ_SIZE);
            mreq.putInt(PACKET_MREQ_IFINDEX_OFFSET, ifIndex);
            mreq.putShort(PACKET_MREQ_TYPE_OFFSET, (short)PACKET_MR_PROMISC);
            LibC.setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq, PACKET_MREQ_SIZE,
                "SOL_PACKET, PACKET_ADD_MEMBERSHIP PACKET_MR_PROMISC, " + ifName);
        }
        catch (final NativeIoException ex)
        {
            closeQuietly(fd, ex);
            throw privilegeHint(ex, "put " + ifName + " in promiscuous mode");
        }
        packetFd = fd;
        LOG.info("{}: promiscuous membership taken (promiscuity now {})", ifName, promiscuityOrMinusOne());
    }

    /**
     * Drops this object's promiscuous membership (others' memberships and the administrative flag stay); idempotent.
     */
    public synchronized void disablePromiscuous() throws IOException
    {
        if (packetFd >= 0)
        {
            final int fd = packetFd;
            packetFd = -1;
            LibC.close(fd, "AF_PACKET promiscuous socket of " + ifName); // closing drops the membership
        }
    }

    /**
     * @return true while this object holds a promiscuous membership.
     */
    public synchronized boolean holdsPromiscuousMembership()
    {
        return packetFd >= 0;
    }

    /**
     * @return true when the interface receives all frames, for whatever reason: {@link #promiscuity()} above zero or
     * the administrative IFF_PROMISC flag set.
     */
    public synchronized boolean isPromiscuous() throws IOException
    {
        return isPromiscFlagSet() || promiscuity() > 0;
    }

    /**
     * @return whether SIOCGIFFLAGS reports IFF_PROMISC, which is only the administrative flag
     * ({@code ip link set IF promisc on}, shown as PROMISC by {@code ip link}); memberships do not set it.
     */
    public synchronized boolean isPromiscFlagSet() throws IOException
    {
        return (flags() & IFF_PROMISC) != 0;
    }

    /**
     * @return the interface flags from SIOCGIFFLAGS (linux/if.h IFF_*), as {@code ip link} shows them.
     */
    public synchronized int flags() throws IOException
    {
        ensureOpen();
        final Pointer ifr = ifreq();
        LibC.ioctl(controlFd, SIOCGIFFLAGS, ifr, "SIOCGIFFLAGS, " + ifName);
        return ifr.getShort(IFREQ_FLAGS_OFFSET) & 0xFFFF;
    }

    /**
     * @return the kernel's promiscuity count (IFLA_PROMISCUITY over rtnetlink, {@code ip -d link}'s
     * {@code promiscuity N}): one per packet-socket membership, bridge port or administrative setting.
     */
    public synchronized int promiscuity() throws IOException
    {
        ensureOpen();
        return rtNetlink.promiscuity(ifIndex, ifName);
    }

    /**
     * @return the current state of every {@link Offload} (true = on).
     * @throws NativeIoException when one cannot be read.
     */
    public synchronized Map<Offload, Boolean> offloads() throws IOException
    {
        ensureOpen();
        return offloads.read();
    }

    /**
     * Turns the given offloads off, remembering the state each had so {@link #restore()} can put it back.
     *
     * <p>One offload the driver cannot change does not stop the others: the report says which ended off and which
     * did not, and is logged (INFO when all applied, WARN otherwise). Offloads the kernel turns off as a consequence
     * (TSO when TX checksumming goes) are remembered and restored too.
     *
     * @throws InsufficientPrivilegesException when the kernel refuses for lack of CAP_NET_ADMIN.
     */
    public synchronized OffloadReport disableOffloads(final Set<Offload> wanted) throws IOException
    {
        ensureOpen();
        final OffloadReport report;
        try
        {
            report = offloads.disable(wanted);
        }
        catch (final NativeIoException ex)
        {
            throw privilegeHint(ex, "change offloads of " + ifName);
        }
        LOG.atLevel(report.allApplied() ? Level.INFO : Level.WARN).log("offloads off: {}", report);
        return report;
    }

    /**
     * Puts back every offload this object changed, TX checksumming first; offloads that could not be restored stay
     * remembered so a later call may retry.
     */
    public synchronized OffloadReport restore() throws IOException
    {
        ensureOpen();
        final OffloadReport report;
        try
        {
            report = offloads.restore();
        }
        catch (final NativeIoException ex)
        {
            throw privilegeHint(ex, "restore offloads of " + ifName);
        }
        if (!report.entries().isEmpty())
        {
            LOG.atLevel(report.allApplied() ? Level.INFO : Level.WARN).log("offloads restored: {}", report);
        }
        return report;
    }

    /**
     * Restores the offloads, drops the promiscuous membership and closes the sockets; idempotent. A failure to
     * restore is logged and rethrown after everything else was released.
     */
    @Override
    public synchronized void close() throws IOException
    {
        if (closed)
        {
            return;
        }
        IOException failure = null;
        try
        {
            final OffloadReport report = restore();
            if (!report.allApplied())
            {
                failure = new IOException("could not restore offloads of " + ifName + ": " + report);
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            LOG.warn("{}: restoring offloads failed", ifName, ex);
            failure = ex instanceof IOException ? (IOException)ex : new IOException(ex);
        }
        closed = true;
        failure = closeStep(failure, () -> disablePromiscuous());
        failure = closeStep(failure, rtNetlink::close);
        failure = closeStep(failure, () -> LibC.close(controlFd, "ioctl socket of " + ifName));
        if (failure != null)
        {
            throw failure;
        }
    }

    @Override
    public String toString()
    {
        return "NetDevice[" + ifName + " #" + ifIndex + " in " + namespaceId + "]";
    }

    private interface IoStep
    {
        void run() throws IOException;
    }

    private Pointer ifreq()
    {
        return EthtoolOffloads.ifreq(ifName);
    }

    private static IOException privilegeHint(final NativeIoException ex, final String forWhat)
    {
        if (ex.errno() != EPERM)
        {
            return ex;
        }
        final Set<Capability> needed = EnumSet.of(Capability.NET_ADMIN, Capability.NET_RAW);
        return new InsufficientPrivilegesException(
            Privileges.message(forWhat, needed, Privileges.missing(needed)), Privileges.missing(needed), ex);
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new IllegalStateException(this + " is closed");
        }
    }

    private void ensureSameNamespace(final String what) throws IOException
    {
        final String current = NetNamespace.currentId();
        if (!current.equals(namespaceId))
        {
            throw new IllegalStateException("cannot " + what + " of " + ifName + ": it was opened in network namespace "
                + namespaceId + " but this thread is in " + current + "; call from a thread in that namespace");
        }
    }

    private int promiscuityOrMinusOne()
    {
        try
        {
            return rtNetlink.promiscuity(ifIndex, ifName);
        }
        catch (final IOException | RuntimeException ex)
        {
            return -1;
        }
    }

    private static IOException closeStep(final IOException failure, final IoStep step)
    {
        try
        {
            step.run();
            return failure;
        }
        catch (final IOException ex)
        {
            if (failure == null)
            {
                return ex;
            }
            failure.addSuppressed(ex);
            return failure;
        }
    }

    private static void closeQuietly(final int fd, final Exception primary)
    {
        try
        {
            LibC.close(fd, "socket");
        }
        catch (final NativeIoException ex)
        {
            primary.addSuppressed(ex);
        }
    }

    static void validateName(final String ifName)
    {
        if (ifName == null || ifName.isEmpty() || ifName.length() >= IFNAMSIZ || ifName.equals(".")
            || ifName.equals("..") || ifName.chars().anyMatch(c -> c == '/' || c == ':' || c <= ' ' || c > '~'))
        {
            throw new IllegalArgumentException("not a network interface name: '" + ifName + "' (1 to "
                + (IFNAMSIZ - 1) + " printable ASCII characters, no '/', ':' or spaces)");
        }
    }
}
