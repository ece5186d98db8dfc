package org.inlinetls.appliance.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.appliance.config.ConfigChanges;
import org.inlinetls.appliance.config.ConfigException;
import org.inlinetls.appliance.config.ConfigLoader;
import org.inlinetls.handshake.cert.CertificateStoreException;
import org.inlinetls.modes.ModeChange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hot reload of the configuration file, run by the conductor (never on the data path): on SIGHUP
 * ({@link #requestReload()}, which always reloads and re-reads the certificates) or when the watched file's bytes
 * change (events debounced by {@link #DEBOUNCE_NS}, for {@link #MAX_DEBOUNCE_NS} at most), the file is loaded and
 * validated;
 * an invalid file is rejected with its file, line and reason and the running configuration stays. A valid one is
 * compared with the running configuration ({@link ConfigChanges}): settings that need a restart are logged and kept,
 * the certificate store reloads, and the modes' engines get their new services as one {@link ModeChange} through the
 * bridge's proxy (new flows follow them at once, in whatever mode their service now has; flows in flight finish in the
 * mode and on the service they started with, unless no mode serves their service any more: then they are reset on both
 * legs).
 */
final class ConfigReloader implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(ConfigReloader.class);
    /** Quiet time after the last event before the file is read: editors and tools write in several steps. */
    static final long DEBOUNCE_NS = 300_000_000L;
    /**
     * Longest wait after the first event: the watched directory may hold files written all the time (an export, a
     * log), whose events alone would postpone the reload for as long as they are written.
     */
    static final long MAX_DEBOUNCE_NS = 1_000_000_000L;
    private static final long WATCH_POLL_INTERVAL_NS = 50_000_000L;
    private static final int COUNTER_TYPE_ID = 200;
    private static final int MAX_FILE_BYTES = 1 << 20;

    private final Path file;
    private final DirectWiring direct;
    private final XdpIntercepts xdp;
    private final ConfigFileWatcher watcher;
    private final AtomicCounter applied;
    private final AtomicCounter rejected;
    private volatile boolean reloadRequested;
    /** Written by the conductor only; volatile for readers on other threads (tests, diagnostics). */
    private volatile ApplianceConfig running;
    private byte[] lastBytes;
    private ModeChange pendingChange;
    private boolean pendingWarned;
    private boolean changePending;
    private long quietDeadlineNs;
    private long firstEventNs;
    private long nextWatchPollNs;

    /**
     * @param running the configuration the daemon started with.
     * @param direct  the direct mode to hand services to, or null when the daemon runs without services.
     */
    ConfigReloader(final ApplianceConfig running, final DirectWiring direct, final CountersManager counters)
    {
        this(running, direct, counters, null);
    }

    /**
     * @param xdp the XDP program's intercept keys, rebuilt from the services of each reload, or null when the
     *            daemon does not run on the xdp driver.
     */
    ConfigReloader(final ApplianceConfig running, final DirectWiring direct, final CountersManager counters,
        final XdpIntercepts xdp)
    {
        this.running = running;
        this.file = running.source();
        this.direct = direct;
        this.xdp = xdp;
        this.applied = counters.newCounter("config reloads_applied", COUNTER_TYPE_ID);
        this.rejected = counters.newCounter("config reloads_rejected", COUNTER_TYPE_ID);
        this.lastBytes = read(file);
        ConfigFileWatcher created = null;
        try
        {
            created = new ConfigFileWatcher(file);
        }
        catch (final IOException ex)
        {
            LOG.warn("not watching {} ({}): SIGHUP still reloads it", file, ex.getMessage());
        }
        this.watcher = created;
    }

    /** Asks for a reload on the conductor's next cycle, changed or not; safe from a signal handler. */
    void requestReload()
    {
        reloadRequested = true;
    }

    /** One conductor duty-cycle step. */
    int doWork(final long nowNs)
    {
        int work = 0;
        if (null != pendingChange)
        {
            work += offerPending();
        }
        if (reloadRequested)
        {
            reloadRequested = false;
            changePending = false;
            reload("SIGHUP", true);
            work++;
        }
        if (null != watcher && nowNs - nextWatchPollNs >= 0)
        {
            nextWatchPollNs = nowNs + WATCH_POLL_INTERVAL_NS;
            if (watcher.pollChanged())
            {
                if (!changePending)
                {
                    changePending = true;
                    firstEventNs = nowNs;
                }
                quietDeadlineNs = Math.min(nowNs + DEBOUNCE_NS, firstEventNs + MAX_DEBOUNCE_NS);
                work++;
            }
        }
        if (changePending && nowNs - quietDeadlineNs >= 0)
        {
            changePending = false;
            reload("file changed", false);
            work++;
        }
        return work;
    }

    /** @return the configuration in force: the last good one, with settings that need a restart as started. */
    ApplianceConfig running()
    {
        return running;
    }

    private void reload(final String trigger, final boolean always)
    {
        final byte[] bytes = read(file);
        if (!always && Arrays.equals(bytes, lastBytes))
        {
            return; // another file of the directory, or the same bytes written again
        }
        lastBytes = bytes;
        final ApplianceConfig loaded;
        try
        {
            loaded = ConfigLoader.load(file);
        }
        catch (final ConfigException ex)
        {
            reject(ex.getMessage());
            return;
        }
        final ConfigChanges changes = ConfigChanges.between(running, loaded, null != direct);
        final String xdpRefusal = null == xdp ? null : XdpIntercepts.refusal(changes.effective());
        if (null != xdpRefusal)
        {
            reject(file + ": the daemon runs on the xdp I/O driver, which cannot serve it: " + xdpRefusal +
                "; restart with io.driver: ring");
            return;
        }
        if (null != direct)
        {
            final DirectWiring.Reload reload;
            try
            {
                reload = direct.prepareReload(changes.effective());
            }
            catch (final IOException | CertificateStoreException | RuntimeException ex)
            {
                reject(file + ": " + ex.getMessage());
                return;
            }
            direct.commit(reload);
            pendingChange = reload.change(); // a newer change supersedes one not handed over yet: both are whole
            offerPending();
        }
        if (null != xdp)
        {
            try
            {
                xdp.apply(changes.effective());
            }
            catch (final IOException | RuntimeException ex)
            {
                LOG.error("xdp: updating the intercept keys failed ({}): the flows of the services whose keys are " +
                    "missing ride the kernel bridge; in force: {}", ex.getMessage(), xdp.applied());
            }
        }
        if (!changes.needsRestart().isEmpty())
        {
            LOG.warn("needs a restart, ignored: {}", String.join(", ", changes.needsRestart()));
        }
        running = changes.effective();
        applied.increment();
        LOG.info("config reloaded ({}): {}", trigger, changes.summary());
    }

    private void reject(final String reason)
    {
        rejected.increment();
        LOG.error("reload rejected: {}; the last good configuration stays active", reason);
    }

    private int offerPending()
    {
        if (direct.modeChanges().offer(pendingChange))
        {
            pendingChange = null;
            pendingWarned = false;
            return 1;
        }
        if (!pendingWarned)
        {
            pendingWarned = true;
            LOG.warn("the data path has not taken the previous service changes yet ({} refused offers): offering " +
                "the new one again every cycle", direct.modeChanges().failedOffers());
        }
        return 0;
    }

    /** The file's bytes, or null when it cannot be read now (mid-rename, or gone: the load says why). */
    private static byte[] read(final Path file)
    {
        try
        {
            return Files.size(file) > MAX_FILE_BYTES ? null : Files.readAllBytes(file);
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    @Override
    public void close()
    {
        if (null != watcher)
        {
            watcher.close();
        }
    }
}
