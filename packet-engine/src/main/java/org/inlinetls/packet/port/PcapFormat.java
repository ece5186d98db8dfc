package org.inlinetls.packet.port;

/**
 * Layout of the classic libpcap file format (pcap-savefile(5)), microsecond and nanosecond variants.
 * <pre>
 * Global header (24 bytes, in the byte order the magic number reveals):
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 magic (a1b2c3d4 us / a1b23c4d ns)             |
 *  +-------------------------------+-------------------------------+
 *  |        version major (2)      |       version minor (4)       |
 *  +-------------------------------+-------------------------------+
 *  |                        thiszone (0)                           |
 *  |                        sigfigs (0)                            |
 *  |                        snaplen                                |
 *  |                        link type (1 = Ethernet)               |
 *  +---------------------------------------------------------------+
 * Record header (16 bytes) then incl_len bytes of frame:
 *  |  ts seconds  |  ts micro- or nanoseconds  |  incl_len  |  orig_len  |
 * </pre>
 */
public final class PcapFormat
{
    public static final int MAGIC_MICROS = 0xa1b2c3d4;
    public static final int MAGIC_NANOS = 0xa1b23c4d;
    public static final int MAGIC_MICROS_SWAPPED = 0xd4c3b2a1;
    public static final int MAGIC_NANOS_SWAPPED = 0x4d3cb2a1;

    public static final int GLOBAL_HEADER_LENGTH = 24;
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_MAJOR_OFFSET = 4;
    public static final int VERSION_MINOR_OFFSET = 6;
    public static final int THISZONE_OFFSET = 8;
    public static final int SIGFIGS_OFFSET = 12;
    public static final int SNAPLEN_OFFSET = 16;
    public static final int LINKTYPE_OFFSET = 20;

    public static final int RECORD_HEADER_LENGTH = 16;
    public static final int TS_SEC_OFFSET = 0;
    public static final int TS_FRACTION_OFFSET = 4;
    public static final int INCL_LEN_OFFSET = 8;
    public static final int ORIG_LEN_OFFSET = 12;

    /** LINKTYPE_ETHERNET from the tcpdump.org link-layer header type registry. */
    public static final int LINKTYPE_ETHERNET = 1;
    public static final int VERSION_MAJOR = 2;
    public static final int VERSION_MINOR = 4;

    /** Largest record this reader accepts; larger incl_len means a corrupt file. */
    public static final int MAX_RECORD_LENGTH = 262_144;

    /** Timestamp resolution of a file. */
    public enum Resolution
    {
        MICROS(MAGIC_MICROS, 1_000),
        NANOS(MAGIC_NANOS, 1);

        private final int magic;
        private final int nanosPerUnit;

        Resolution(final int magic, final int nanosPerUnit)
        {
            this.magic = magic;
            this.nanosPerUnit = nanosPerUnit;
        }

        public int magic()
        {
            return magic;
        }

        /** Sub-second part of an epoch-nanosecond timestamp in this resolution's unit. */
        public int fraction(final long epochNs)
        {
            return (int)(Math.floorMod(epochNs, 1_000_000_000L) / nanosPerUnit);
        }

        public long toNanos(final long seconds, final long fraction)
        {
            return seconds * 1_000_000_000L + fraction * nanosPerUnit;
        }
    }

    private PcapFormat()
    {
    }
}
