package org.inlinetls.shim;

import static org.inlinetls.shim.LinuxConstants.AF_NETLINK;
import static org.inlinetls.shim.LinuxConstants.IFLA_PROMISCUITY;
import static org.inlinetls.shim.LinuxConstants.NETLINK_ROUTE;
import static org.inlinetls.shim.LinuxConstants.NLMSG_ERROR;
import static org.inlinetls.shim.LinuxConstants.NLM_F_REQUEST;
import static org.inlinetls.shim.LinuxConstants.RTM_GETLINK;
import static org.inlinetls.shim.LinuxConstants.RTM_NEWLINK;
import static org.inlinetls.shim.LinuxConstants.SOCK_CLOEXEC;
import static org.inlinetls.shim.LinuxConstants.SOCK_RAW;
import static org.inlinetls.shim.StructLayout.IFINFOMSG_INDEX_OFFSET;
import static org.inlinetls.shim.StructLayout.IFINFOMSG_SIZE;
import static org.inlinetls.shim.StructLayout.NLMSGHDR_FLAGS_OFFSET;
import static org.inlinetls.shim.StructLayout.NLMSGHDR_LEN_OFFSET;
import static org.inlinetls.shim.StructLayout.NLMSGHDR_SEQ_OFFSET;
import static org.inlinetls.shim.StructLayout.NLMSGHDR_SIZE;
import static org.inlinetls.shim.StructLayout.NLMSGHDR_TYPE_OFFSET;
import static org.inlinetls.shim.StructLayout.RTATTR_LEN_OFFSET;
import static org.inlinetls.shim.StructLayout.RTATTR_SIZE;
import static org.inlinetls.shim.StructLayout.RTATTR_TYPE_OFFSET;
import static org.inlinetls.shim.StructLayout.netlinkAlign;

import jnr.ffi.Pointer;

/**
 * A minimal rtnetlink client: one NETLINK_ROUTE socket, RTM_GETLINK for one interface, one attribute read.
 *
 * <p>Used because the promiscuity count (what {@code ip -d link} prints as {@code promiscuity N}) is the only
 * place the kernel reports promiscuous mode taken through a packet-socket membership: SIOCGIFFLAGS and
 * {@code ip link} show IFF_PROMISC only when it was set administratively.
 */
final class RtNetlink implements AutoCloseable
{
    /** Large enough for one RTM_NEWLINK with statistics (VF lists are not requested). */
    private static final int RECEIVE_BUFFER_BYTES = 64 * 1024;

    private final int fd;
    private final Pointer request = LibC.allocate(NLMSGHDR_SIZE + IFINFOMSG_SIZE);
    private final Pointer reply = LibC.allocate(RECEIVE_BUFFER_BYTES);
    private int sequence;

    /**
     * Opens the socket in the calling thread's network namespace, where it stays.
     */
    RtNetlink() throws NativeIoException
    {
        fd = LibC.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE, "AF_NETLINK, NETLINK_ROUTE");
    }

    /**
     * @return the interface's IFLA_PROMISCUITY count.
     */
    int promiscuity(final int ifIndex, final String ifName) throws NativeIoException
    {
        final int seq = ++sequence;
        final int length = NLMSGHDR_SIZE + IFINFOMSG_SIZE;
        request.setMemory(0, length, (byte)0);
        request.putInt(NLMSGHDR_LEN_OFFSET, length);
        request.putShort(NLMSGHDR_TYPE_OFFSET, (short)RTM_GETLINK);
        request.putShort(NLMSGHDR_FLAGS_OFFSET, (short)NLM_F_REQUEST);
        request.putInt(NLMSGHDR_SEQ_OFFSET, seq);
        request.putInt(NLMSGHDR_SIZE + IFINFOMSG_INDEX_OFFSET, ifIndex);
        LibC.send(fd, request, length, "RTM_GETLINK " + ifName);

        while (true)
        {
            final int received = (int)LibC.recv(fd, reply, RECEIVE_BUFFER_BYTES, "RTM_GETLINK " + ifName);
            int offset = 0;
            while (offset + NLMSGHDR_SIZE <= received)
            {
                final int msgLength = reply.getInt(offset + NLMSGHDR_LEN_OFFSET);
                final int type = reply.getShort(offset + NLMSGHDR_TYPE_OFFSET) & 0xFFFF;
                if (msgLength < NLMSGHDR_SIZE || offset + msgLength > received)
                {
                    throw new IllegalStateException("malformed rtnetlink reply for " + ifName);
                }
                if (reply.getInt(offset + NLMSGHDR_SEQ_OFFSET) == seq)
                {
                    if (type == NLMSG_ERROR)
                    {
                        final int errno = -reply.getInt(offset + NLMSGHDR_SIZE);
                        throw new NativeIoException("RTM_GETLINK(" + ifName + ")", errno, LibC.strerror(errno));
                    }
                    if (type == RTM_NEWLINK)
                    {
                        return findU32(offset + NLMSGHDR_SIZE + IFINFOMSG_SIZE, offset + msgLength, ifName);
                    }
                }
                offset += netlinkAlign(msgLength);
            }
        }
    }

    private int findU32(final int attributesStart, final int end, final String ifName)
    {
        int offset = attributesStart;
        while (offset + RTATTR_SIZE <= end)
        {
            final int attrLength = reply.getShort(offset + RTATTR_LEN_OFFSET) & 0xFFFF;
            final int attrType = reply.getShort(offset + RTATTR_TYPE_OFFSET) & 0x3FFF; // drop NLA_F_NESTED/BYTEORDER
            if (attrLength < RTATTR_SIZE)
            {
                break;
            }
            if (attrType == IFLA_PROMISCUITY)
            {
                return reply.getInt(offset + RTATTR_SIZE);
            }
            offset += netlinkAlign(attrLength);
        }
        throw new IllegalStateException("kernel sent no IFLA_PROMISCUITY for " + ifName);
    }

    @Override
    public void close() throws NativeIoException
    {
        LibC.close(fd, "AF_NETLINK socket");
    }
}
