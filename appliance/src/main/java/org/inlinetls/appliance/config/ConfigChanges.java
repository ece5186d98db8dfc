package org.inlinetls.appliance.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a reloaded configuration changes against the running one, split into what a running daemon applies (services
 * in every mode and their modes, load-balancing pools and health checks, certificates, the TLS policy of new
 * handshakes, the full-proxy memory budget and timeouts) and what needs a restart (interfaces, I/O, NIC, threading,
 * malformed-frame policy, faults, runtime directory and counters interval, journal, key log export, metrics, the
 * full-proxy buffer size, and the TLS settings the record layer or the session stores depend on), and the
 * {@link #effective()} configuration: the new one with every setting that needs a restart kept at its running value.
 */
public final class ConfigChanges
{
    private final ApplianceConfig effective;
    private final List<String> needsRestart = new ArrayList<>();
    private final List<String> servicesAdded = new ArrayList<>();
    private final List<String> servicesRemoved = new ArrayList<>();
    private final List<String> servicesChanged = new ArrayList<>();
    private final boolean certificatesChanged;
    private final boolean tlsChanged;

    private ConfigChanges(final ApplianceConfig running, final ApplianceConfig loaded, final boolean servicesReloadable)
    {
        restartIf(!running.outside().equals(loaded.outside()), "interfaces.outside");
        restartIf(!running.inside().equals(loaded.inside()), "interfaces.inside");
        restartIf(!running.io().equals(loaded.io()), "io");
        restartIf(!running.nic().equals(loaded.nic()), "nic");
        restartIf(!running.threading().equals(loaded.threading()), "threading");
        restartIf(running.malformed() != loaded.malformed(), "malformed");
        restartIf(!running.faults().equals(loaded.faults()), "faults");
        restartIf(!running.runtimeDirectory().equals(loaded.runtimeDirectory()), "runtime.directory");
        restartIf(running.countersLogIntervalSec() != loaded.countersLogIntervalSec(),
            "runtime.countersLogIntervalSec");
        restartIf(!running.journal().equals(loaded.journal()), "journal");
        // the buffers of a full-proxy flow are sized once (pooled flows and stages, the memory accounting of flows
        // in flight); the budget, idle timeout and TIME-WAIT apply at once
        restartIf(running.fullProxy().bufferKb() != loaded.fullProxy().bufferKb(), "fullProxy.bufferKb");
        final ApplianceConfig.FullProxy fullProxy = new ApplianceConfig.FullProxy(loaded.fullProxy().memoryBudgetMb(),
            running.fullProxy().bufferKb(), loaded.fullProxy().idleTimeoutSec(), loaded.fullProxy().timeWaitMs());
        restartIf(!running.switching().equals(loaded.switching()), "switching");
        restartIf(!running.export().equals(loaded.export()), "export");
        restartIf(!running.metrics().equals(loaded.metrics()), "metrics");

        final ApplianceConfig.Tls was = running.tls();
        final ApplianceConfig.Tls now = loaded.tls();
        // CBC sizes the journal's checkpoints and the MSS clamp; the session stores hold state of their own
        final boolean cbcChanges = was.allowCbc() != now.allowCbc();
        restartIf(cbcChanges, "tls.allowCbc");
        restartIf(was.integrity() != now.integrity(), "tls.integrity");
        restartIf(!was.sessionTickets().equals(now.sessionTickets()), "tls.sessionTickets");
        restartIf(!was.sessionCache().equals(now.sessionCache()), "tls.sessionCache");
        // the engine's SYN handling is set at start
        restartIf(was.sack() != now.sack(), "tls.sack");
        final ApplianceConfig.Tls tls = new ApplianceConfig.Tls(now.minVersion(), now.suites(),
            cbcChanges ? was.cbcSuites() : now.cbcSuites(), was.allowCbc(), now.groups(), now.alpn(), was.integrity(),
            was.sessionTickets(), was.sessionCache(), was.sack());
        tlsChanged = !tls.equals(was);

        final boolean servicesDiffer = !running.services().equals(loaded.services());
        restartIf(servicesDiffer && !servicesReloadable, "services (the daemon started without any: the modes' " +
            "engines and the journal are set up at start)");
        final List<ApplianceConfig.Service> services =
            servicesDiffer && servicesReloadable ? loaded.services() : running.services();
        diffServices(running.services(), services);
        certificatesChanged = !running.certificates().equals(loaded.certificates());

        effective = new ApplianceConfig(running.source(), running.outside(), running.inside(), running.io(),
            running.nic(), running.threading(), running.malformed(), running.faults(), running.runtimeDirectory(),
            running.countersLogIntervalSec(), tls, loaded.certificates(), services, running.journal(),
            running.export(), running.metrics(), fullProxy, running.switching());
    }

    /**
     * Compares a configuration loaded from the file with the running one.
     *
     * @param servicesReloadable false when the running daemon has no direct mode to give services to.
     */
    public static ConfigChanges between(final ApplianceConfig running, final ApplianceConfig loaded,
        final boolean servicesReloadable)
    {
        return new ConfigChanges(Objects.requireNonNull(running), Objects.requireNonNull(loaded), servicesReloadable);
    }

    private void restartIf(final boolean changed, final String what)
    {
        if (changed)
        {
            needsRestart.add(what);
        }
    }

    private void diffServices(final List<ApplianceConfig.Service> was, final List<ApplianceConfig.Service> now)
    {
        final Map<String, ApplianceConfig.Service> before = new LinkedHashMap<>();
        was.forEach(service -> before.put(service.name(), service));
        for (final ApplianceConfig.Service service : now)
        {
            final ApplianceConfig.Service old = before.remove(service.name());
            if (null == old)
            {
                servicesAdded.add(service.name());
            }
            else if (!old.equals(service))
            {
                servicesChanged.add(service.name());
            }
        }
        servicesRemoved.addAll(before.keySet());
    }

    /** @return the configuration to run: the loaded one with every setting that needs a restart at its old value. */
    public ApplianceConfig effective()
    {
        return effective;
    }

    /** @return the settings that differ but need a restart (kept at their running values), in file order. */
    public List<String> needsRestart()
    {
        return List.copyOf(needsRestart);
    }

    /** @return names of services the reload adds. */
    public List<String> servicesAdded()
    {
        return List.copyOf(servicesAdded);
    }

    /** @return names of services the reload removes (their flows are reset). */
    public List<String> servicesRemoved()
    {
        return List.copyOf(servicesRemoved);
    }

    /** @return names of services whose settings change (new flows only). */
    public List<String> servicesChanged()
    {
        return List.copyOf(servicesChanged);
    }

    /** @return whether the certificate list changed (the files are re-read on every reload regardless). */
    public boolean certificatesChanged()
    {
        return certificatesChanged;
    }

    /** @return whether the TLS policy of new handshakes changes. */
    public boolean tlsChanged()
    {
        return tlsChanged;
    }

    /** @return one line for the log, e.g. {@code services +b -c ~a, certificates, tls}; "nothing" when none. */
    public String summary()
    {
        final List<String> parts = new ArrayList<>();
        if (!servicesAdded.isEmpty() || !servicesRemoved.isEmpty() || !servicesChanged.isEmpty())
        {
            final StringBuilder text = new StringBuilder("services");
            servicesAdded.forEach(name -> text.append(" +").append(name));
            servicesRemoved.forEach(name -> text.append(" -").append(name));
            servicesChanged.forEach(name -> text.append(" ~").append(name));
            parts.add(text.toString());
        }
        if (certificatesChanged)
        {
            parts.add("certificates");
        }
        if (tlsChanged)
        {
            parts.add("tls");
        }
        return parts.isEmpty() ? "nothing" : String.join(", ", parts);
    }
}
