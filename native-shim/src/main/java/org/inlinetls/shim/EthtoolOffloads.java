package org.inlinetls.shim;

import static org.inlinetls.shim.LinuxConstants.EOPNOTSUPP;
import static org.inlinetls.shim.LinuxConstants.EPERM;
import static org.inlinetls.shim.LinuxConstants.SIOCETHTOOL;
import static org.inlinetls.shim.StructLayout.ETHTOOL_VALUE_CMD_OFFSET;
import static org.inlinetls.shim.StructLayout.ETHTOOL_VALUE_DATA_OFFSET;
import static org.inlinetls.shim.StructLayout.ETHTOOL_VALUE_SIZE;
import static org.inlinetls.shim.StructLayout.IFREQ_DATA_OFFSET;
import static org.inlinetls.shim.StructLayout.IFREQ_NAME_OFFSET;
import static org.inlinetls.shim.StructLayout.IFREQ_SIZE;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

import jnr.ffi.Pointer;

/**
 * The offload half of {@link NetDevice}: reads and changes offloads through the kernel's named features
 * ({@link EthtoolFeatures}) or, where those are missing, the legacy ethtool get/set commands, and remembers what it
 * changed so it can put it back. Not thread-safe; NetDevice serialises calls.
 *
 * <p>With named features only the {@code requested} bits of the offloads asked for are written and restored; what
 * the kernel switches as a consequence (TSO while TX checksumming is off) follows by itself.
 */
final class EthtoolOffloads
{
    private final String ifName;
    private final int controlFd;
    private final EthtoolFeatures features;
    /** Legacy path: the state each offload had before this object first changed it. */
    private final EnumMap<Offload, Boolean> originals = new EnumMap<>(Offload.class);
    /** Named path: the requested bit each feature had before this object first changed it. */
    private final TreeMap<Integer, Boolean> featureOriginals = new TreeMap<>();
    /** Named path: whether each changed offload was on before this object first changed it. */
    private final EnumMap<Offload, Boolean> featureOffloadOriginals = new EnumMap<>(Offload.class);

    EthtoolOffloads(final String ifName, final int controlFd, final boolean namedFeatures)
    {
        this.ifName = ifName;
        this.controlFd = controlFd;
        this.features = namedFeatures ? EthtoolFeatures.load(ifName, controlFd) : null;
    }

    /**
     * @return true when offloads are handled through named features, false for the legacy commands.
     */
    boolean usesNamedFeatures()
    {
        return features != null;
    }

    Map<Offload, Boolean> read() throws NativeIoException
    {
        if (features != null)
        {
            final EthtoolFeatures.Snapshot snapshot = readFeatures();
            final Map<Offload, Boolean> result = new EnumMap<>(Offload.class);
            for (final Offload offload : Offload.values())
            {
                result.put(offload, snapshot.active().intersects(features.featuresOf(offload)));
            }
            return result;
        }
        final Map<Offload, Boolean> result = new EnumMap<>(Offload.class);
        for (final Offload offload : Offload.values())
        {
            final int data = ethtool(offload.getCommand(), 0);
            if (data < 0)
            {
                throw failure(offload, offload.getCommand(), -data);
            }
            result.put(offload, offload.isOn(data));
        }
        return result;
    }

    OffloadReport disable(final Set<Offload> offloads) throws NativeIoException
    {
        final Set<Offload> targets = offloads.isEmpty() ? EnumSet.noneOf(Offload.class) : EnumSet.copyOf(offloads);
        return features != null ? disableFeatures(targets) : apply(Offload.values(), targets, o -> false);
    }

    OffloadReport restore() throws NativeIoException
    {
        if (features != null)
        {
            return restoreFeatures();
        }
        final Offload[] all = Offload.values();
        final Offload[] reverse = new Offload[all.length];
        for (int i = 0; i < all.length; i++)
        {
            reverse[i] = all[all.length - 1 - i];
        }
        final Set<Offload> targets = originals.isEmpty() ?
            EnumSet.noneOf(Offload.class) : EnumSet.copyOf(originals.keySet());
        final Map<Offload, Boolean> wanted = new EnumMap<>(originals);
        return apply(reverse, targets, wanted::get);
    }

    private OffloadReport disableFeatures(final Set<Offload> targets) throws NativeIoException
    {
        final EthtoolFeatures.Snapshot before = readFeatures();
        final BitSet valid = new BitSet();
        for (final Offload offload : targets)
        {
            final BitSet owned = features.featuresOf(offload);
            for (int i = owned.nextSetBit(0); i >= 0; i = owned.nextSetBit(i + 1))
            {
                // requested-but-inactive counts too: it would come back on when what it depends on does
                if (before.available().get(i) && (before.requested().get(i) || before.active().get(i)))
                {
                    valid.set(i);
                    featureOriginals.putIfAbsent(i, before.requested().get(i));
                    featureOffloadOriginals.putIfAbsent(offload, before.active().intersects(owned));
                }
            }
        }
        final int rc = valid.isEmpty() ? 0 : features.write(valid, new BitSet());
        final EthtoolFeatures.Snapshot after = readFeatures();
        final Map<Offload, Boolean> wanted = new EnumMap<>(Offload.class);
        targets.forEach(o -> wanted.put(o, false));
        return featureReport(wanted, before, after, rc, "ETHTOOL_SFEATURES");
    }

    private OffloadReport restoreFeatures() throws NativeIoException
    {
        final EthtoolFeatures.Snapshot before = readFeatures();
        final BitSet valid = new BitSet();
        final BitSet requested = new BitSet();
        featureOriginals.forEach((i, on) ->
        {
            valid.set(i);
            requested.set(i, on);
        });
        final int rc = valid.isEmpty() ? 0 : features.write(valid, requested);
        final EthtoolFeatures.Snapshot after = readFeatures();
        final OffloadReport report =
            featureReport(new EnumMap<>(featureOffloadOriginals), before, after, rc, "ETHTOOL_SFEATURES (restore)");
        featureOriginals.entrySet().removeIf(e -> after.requested().get(e.getKey()) == e.getValue());
        featureOffloadOriginals.keySet().removeIf(o -> !features.featuresOf(o).intersects(bits(featureOriginals)));
        return report;
    }

    private OffloadReport featureReport(final Map<Offload, Boolean> wanted, final EthtoolFeatures.Snapshot before,
        final EthtoolFeatures.Snapshot after, final int rc, final String call) throws NativeIoException
    {
        if (rc == -EPERM)
        {
            throw new NativeIoException("ioctl(SIOCETHTOOL " + call + ", " + ifName + ")", EPERM, LibC.strerror(EPERM));
        }
        final List<OffloadReport.Entry> entries = new ArrayList<>();
        for (final Map.Entry<Offload, Boolean> w : wanted.entrySet())
        {
            final BitSet owned = features.featuresOf(w.getKey());
            final boolean on = after.active().intersects(owned);
            String error = rc < 0 ? describe(-rc) : null;
            if (error == null && on != w.getValue())
            {
                error = "the kernel kept it " + (on ? "on" : "off") + ": " + stillDiffering(owned, after, w.getValue());
            }
            entries.add(entry(w.getKey(), w.getValue(), before.active().intersects(owned), on, error));
        }
        return new OffloadReport(ifName, entries);
    }

    private String stillDiffering(final BitSet owned, final EthtoolFeatures.Snapshot after, final boolean wanted)
    {
        final StringBuilder sb = new StringBuilder();
        for (int i = owned.nextSetBit(0); i >= 0; i = owned.nextSetBit(i + 1))
        {
            if (after.active().get(i) != wanted)
            {
                sb.append(sb.length() == 0 ? "" : ", ").append(features.name(i))
                    .append(after.available().get(i) ? "" : " [fixed]");
            }
        }
        return sb.toString();
    }

    private EthtoolFeatures.Snapshot readFeatures() throws NativeIoException
    {
        final int[] errno = new int[1];
        final EthtoolFeatures.Snapshot snapshot = features.read(errno);
        if (snapshot == null)
        {
            throw new NativeIoException("ioctl(SIOCETHTOOL ETHTOOL_GFEATURES, " + ifName + ")", errno[0],
                LibC.strerror(errno[0]));
        }
        return snapshot;
    }

    private static BitSet bits(final Map<Integer, Boolean> map)
    {
        final BitSet result = new BitSet();
        map.keySet().forEach(result::set);
        return result;
    }

    /**
     * Sets each target offload to its wanted state in {@code order}, then reads everything back: the read-back, not
     * the return code, decides the outcome, because the kernel may accept a change and keep the feature on.
     *
     * @throws NativeIoException only for EPERM, which would fail every offload alike.
     */
    private OffloadReport apply(final Offload[] order, final Set<Offload> targets, final Predicate<Offload> wanted)
        throws NativeIoException
    {
        final Map<Offload, Integer> before = readRaw();
        final Map<Offload, String> errors = new EnumMap<>(Offload.class);
        for (final Offload offload : order)
        {
            final int data = before.get(offload);
            if (!targets.contains(offload) || data < 0 || offload.isOn(data) == wanted.test(offload))
            {
                continue;
            }
            // re-read: an earlier change in this loop may have moved a shared flags word or a dependent feature
            final int current = ethtool(offload.getCommand(), 0);
            final int rc = current < 0 ? current :
                ethtool(offload.setCommand(), offload.withState(current, wanted.test(offload)));
            if (rc == -EPERM)
            {
                throw failure(offload, offload.setCommand(), EPERM);
            }
            if (rc < 0)
            {
                errors.put(offload, describe(-rc));
            }
        }
        final Map<Offload, Integer> after = readRaw();
        rememberOriginals(before, after);
        final List<OffloadReport.Entry> entries = new ArrayList<>();
        for (final Offload offload : Offload.values())
        {
            if (targets.contains(offload))
            {
                final OffloadReport.Entry e =
                    entry(offload, wanted.test(offload), before.get(offload), after.get(offload), errors.get(offload));
                entries.add(e);
                if (Boolean.valueOf(e.wanted()).equals(e.after()) &&
                    Boolean.valueOf(e.wanted()).equals(originals.get(offload)))
                {
                    originals.remove(offload); // back at its original state: nothing left to restore
                }
            }
        }
        return new OffloadReport(ifName, entries);
    }

    private void rememberOriginals(final Map<Offload, Integer> before, final Map<Offload, Integer> after)
    {
        for (final Offload offload : Offload.values())
        {
            final int b = before.get(offload);
            final int a = after.get(offload);
            if (b >= 0 && a >= 0 && offload.isOn(b) != offload.isOn(a))
            {
                originals.putIfAbsent(offload, offload.isOn(b)); // includes knock-on changes (TSO with TX csum)
            }
        }
    }

    private static OffloadReport.Entry entry(
        final Offload offload, final boolean wanted, final int before, final int after, final String error)
    {
        if (before < 0 || after < 0)
        {
            return new OffloadReport.Entry(offload, wanted, before < 0 ? null : offload.isOn(before),
                after < 0 ? null : offload.isOn(after), OffloadReport.Outcome.FAILED,
                "cannot read: " + describe(before < 0 ? -before : -after));
        }
        return entry(offload, wanted, offload.isOn(before), offload.isOn(after),
            error != null || offload.isOn(after) == wanted ? error :
                "the kernel accepted the change but kept it " + (offload.isOn(after) ? "on" : "off"));
    }

    private static OffloadReport.Entry entry(
        final Offload offload, final boolean wanted, final boolean before, final boolean after, final String error)
    {
        if (after == wanted)
        {
            return new OffloadReport.Entry(offload, wanted, before, after,
                before == wanted ? OffloadReport.Outcome.UNCHANGED : OffloadReport.Outcome.CHANGED, "");
        }
        // EOPNOTSUPP, or a change the kernel accepted but did not make, is the driver's limit; other errnos failures
        final boolean unsupported = error == null || error.startsWith("the kernel")
            || error.startsWith(LibC.errnoName(EOPNOTSUPP));
        return new OffloadReport.Entry(offload, wanted, before, after,
            unsupported ? OffloadReport.Outcome.NOT_SUPPORTED : OffloadReport.Outcome.FAILED,
            error == null ? "" : error);
    }

    /** Every offload's raw ethtool data word, or {@code -errno} where it cannot be read. */
    private Map<Offload, Integer> readRaw()
    {
        final Map<Offload, Integer> result = new EnumMap<>(Offload.class);
        for (final Offload offload : Offload.values())
        {
            result.put(offload, ethtool(offload.getCommand(), 0));
        }
        return result;
    }

    /**
     * One SIOCETHTOOL round trip with a {@code struct ethtool_value}.
     *
     * @return the {@code data} the kernel returned, or {@code -errno}. Bit 31 is dropped to keep that convention
     * unambiguous: the commands used return 0/1 or ETH_FLAG_* bits, the highest of which is bit 28 (RXHASH).
     */
    private int ethtool(final int command, final int data)
    {
        final Pointer value = LibC.allocate(ETHTOOL_VALUE_SIZE);
        value.putInt(ETHTOOL_VALUE_CMD_OFFSET, command);
        value.putInt(ETHTOOL_VALUE_DATA_OFFSET, data);
        final Pointer ifr = ifreq(ifName);
        ifr.putPointer(IFREQ_DATA_OFFSET, value);
        final int rc = LibC.ioctlOrErrno(controlFd, SIOCETHTOOL, ifr);
        return rc < 0 ? rc : value.getInt(ETHTOOL_VALUE_DATA_OFFSET) & 0x7FFF_FFFF;
    }

    private NativeIoException failure(final Offload offload, final int command, final int errno)
    {
        return new NativeIoException("ioctl(SIOCETHTOOL cmd 0x" + Integer.toHexString(command) + " " + offload
            + ", " + ifName + ")", errno, LibC.strerror(errno));
    }

    private static String describe(final int errno)
    {
        return LibC.errnoName(errno) + " (" + LibC.strerror(errno) + ")";
    }

    /**
     * @return a zeroed {@code struct ifreq} naming the interface (the zeroes supply the terminating NUL).
     */
    static Pointer ifreq(final String ifName)
    {
        final Pointer ifr = LibC.allocate(IFREQ_SIZE);
        final byte[] name = ifName.getBytes(StandardCharsets.US_ASCII);
        ifr.put(IFREQ_NAME_OFFSET, name, 0, name.length);
        return ifr;
    }
}
