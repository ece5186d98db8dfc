package org.inlinetls.shim;

import static org.inlinetls.shim.LinuxConstants.CLONE_NEWNET;
import static org.inlinetls.shim.LinuxConstants.ENOENT;
import static org.inlinetls.shim.LinuxConstants.EPERM;
import static org.inlinetls.shim.LinuxConstants.O_CLOEXEC;
import static org.inlinetls.shim.LinuxConstants.O_RDONLY;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;

/**
 * Moves the calling thread into a named network namespace (as created by {@code ip netns add}) and back.
 *
 * <p>{@code setns(2)} with CLONE_NEWNET changes the namespace of the <em>calling thread only</em>: other threads of
 * the JVM stay where they are. Threads the calling thread starts while inside are born in the namespace and stay
 * there (Linux copies the creator's namespaces), and that includes pool or JVM helper threads it happens to
 * trigger: keep the stay short and start no executors in it. Sockets created by the thread while inside belong to that namespace for their whole
 * life, even after the thread leaves or another thread uses them; that is how a {@link NetDevice} opened inside
 * keeps acting on the namespace's interface. The file system view does not change: {@code /sys/class/net} still
 * shows the namespace sysfs was mounted in (use rtnetlink or ioctls, not sysfs, from inside).
 *
 * <p>Needs CAP_SYS_ADMIN. Always leave on the same thread, in a try-with-resources block.
 */
public final class NetNamespace
{
    /** Where iproute2 bind-mounts named namespaces (ip-netns(8)). */
    public static final Path NETNS_DIR = Path.of("/run/netns");
    /** The calling thread's own namespace handle (proc(5), Linux 3.17+). */
    static final String THREAD_SELF_NET = "/proc/thread-self/ns/net";

    private NetNamespace()
    {
    }

    /**
     * A thread's stay in a namespace; {@link #close()} puts the thread back where it was.
     */
    public static final class Entered implements AutoCloseable
    {
        private final String name;
        private final Thread thread;
        private int originalFd;

        private Entered(final String name, final Thread thread, final int originalFd)
        {
            this.name = name;
            this.thread = thread;
            this.originalFd = originalFd;
        }

        /**
         * @return the namespace name entered.
         */
        public String name()
        {
            return name;
        }

        /**
         * Returns the thread to its original namespace; idempotent.
         *
         * @throws IllegalStateException when called from another thread than the one that entered.
         * @throws NativeIoException     when the thread could not be moved back (it then stays in {@link #name()}).
         */
        @Override
        public void close() throws NativeIoException
        {
            if (originalFd < 0)
            {
                return;
            }
            if (Thread.currentThread() != thread)
            {
                throw new IllegalStateException("leave network namespace '" + name + "' on the thread that entered it ("
                    + thread.getName() + "), not on " + Thread.currentThread().getName());
            }
            final int fd = originalFd;
            LibC.setns(fd, CLONE_NEWNET, "back from netns " + name + " to the thread's original namespace");
            originalFd = -1;
            LibC.close(fd, THREAD_SELF_NET);
        }

        @Override
        public String toString()
        {
            return "NetNamespace.Entered[" + name + " on " + thread.getName() + "]";
        }
    }

    /**
     * Moves the calling thread into {@code /run/netns/NAME}.
     *
     * @param name the namespace name, as given to {@code ip netns add}.
     * @return a handle whose {@code close()} returns this thread to the namespace it was in.
     * @throws IOException when the namespace does not exist, privileges are lacking or setns fails.
     */
    public static Entered enter(final String name) throws IOException
    {
        validateName(name);
        final Path path = NETNS_DIR.resolve(name);
        final int originalFd = LibC.open(THREAD_SELF_NET, O_RDONLY | O_CLOEXEC);
        try
        {
            final int targetFd = openNamespace(name, path);
            try
            {
                LibC.setns(targetFd, CLONE_NEWNET, "netns " + name);
            }
            catch (final NativeIoException ex)
            {
                if (ex.errno() == EPERM)
                {
                    throw new InsufficientPrivilegesException(
                        Privileges.message("enter network namespace " + name, EnumSet.of(Capability.SYS_ADMIN),
                            Privileges.missing(EnumSet.of(Capability.SYS_ADMIN))),
                        Privileges.missing(EnumSet.of(Capability.SYS_ADMIN)), ex);
                }
                throw ex;
            }
            finally
            {
                LibC.close(targetFd, path.toString());
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            closeQuietly(originalFd, ex);
            throw ex;
        }
        return new Entered(name, Thread.currentThread(), originalFd);
    }

    /**
     * @return the calling thread's network namespace as the kernel names it, e.g. {@code net:[4026531840]}.
     */
    public static String currentId() throws IOException
    {
        return Files.readSymbolicLink(Path.of(THREAD_SELF_NET)).toString();
    }

    /**
     * @return true when namespaces can be entered: libc bound, per-thread namespace files, CAP_SYS_ADMIN.
     */
    public static boolean isAvailable()
    {
        return unavailabilityCause() == null;
    }

    /**
     * @return why {@link #enter(String)} cannot work here, or null when it can.
     */
    public static Throwable unavailabilityCause()
    {
        final Throwable shim = NativeShim.unavailabilityCause();
        if (shim != null)
        {
            return shim;
        }
        if (!Files.exists(Path.of(THREAD_SELF_NET)))
        {
            return new UnsupportedOperationException(THREAD_SELF_NET + " is missing (Linux older than 3.17?)");
        }
        try
        {
            Privileges.require("enter a network namespace", EnumSet.of(Capability.SYS_ADMIN));
            return null;
        }
        catch (final InsufficientPrivilegesException ex)
        {
            return ex;
        }
    }

    private static int openNamespace(final String name, final Path path) throws IOException
    {
        try
        {
            return LibC.open(path.toString(), O_RDONLY | O_CLOEXEC);
        }
        catch (final NativeIoException ex)
        {
            if (ex.errno() == ENOENT)
            {
                throw new IOException("no network namespace '" + name + "': " + path
                    + " does not exist (create it with 'ip netns add " + name + "')", ex);
            }
            throw ex;
        }
    }

    static void validateName(final String name)
    {
        if (name == null || name.isEmpty() || name.contains("/") || name.equals(".") || name.equals(".."))
        {
            throw new IllegalArgumentException("not a network namespace name: '" + name + "'");
        }
    }

    private static void closeQuietly(final int fd, final Exception primary)
    {
        try
        {
            LibC.close(fd, THREAD_SELF_NET);
        }
        catch (final NativeIoException ex)
        {
            primary.addSuppressed(ex);
        }
    }
}
