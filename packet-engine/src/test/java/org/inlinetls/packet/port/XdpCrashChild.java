package org.inlinetls.packet.port;

import java.net.InetAddress;

import org.inlinetls.shim.NetNamespace;
import org.inlinetls.shim.xdp.InterceptMatch;
import org.inlinetls.shim.xdp.XdpAttachMode;
import org.inlinetls.shim.xdp.XdpProgram;
import org.inlinetls.shim.xdp.XskSocket;

/**
 * A stand-in daemon for {@link XdpFailClosedTest}, run in its own JVM so that it can be killed with SIGKILL: attaches
 * the program to an interface of a namespace, registers an AF_XDP socket on queue 0, adds destination keys, prints
 * {@code READY <program id>} and waits (exits without cleaning up when its standard input ends).
 *
 * <p>Arguments: namespace, interface, then {@code address:port} destination keys (IPv4).
 */
public final class XdpCrashChild
{
    private XdpCrashChild()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final String ifName = args[1];
        final XdpProgram program = XdpProgram.load();
        final XskSocket socket;
        try (NetNamespace.Entered ignored = NetNamespace.enter(args[0]))
        {
            program.attach(ifName, XdpAttachMode.DRIVER);
            socket = XskSocket.open(ifName, 0, XskSocket.Config.defaults().frameCount(256).fillRingSize(128)
                .completionRingSize(128).rxRingSize(128).txRingSize(128));
        }
        program.registerSocket(ifName, 0, socket.fd());
        for (int i = 2; i < args.length; i++)
        {
            final int colon = args[i].lastIndexOf(':');
            program.intercept(ifName, InterceptMatch.DESTINATION, InetAddress.getByName(args[i].substring(0, colon)),
                Integer.parseInt(args[i].substring(colon + 1)));
        }
        System.out.println("READY " + program.programId());
        System.out.flush();
        while (System.in.read() >= 0)
        {
            Thread.onSpinWait();
        }
        Runtime.getRuntime().halt(3); // like a crash: nothing closed by us
    }
}
