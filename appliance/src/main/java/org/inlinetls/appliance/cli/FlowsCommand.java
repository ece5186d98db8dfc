package org.inlinetls.appliance.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.appliance.config.ConfigException;
import org.inlinetls.appliance.config.ConfigLoader;
import org.inlinetls.crypto.cbc.CbcSuite;
import org.inlinetls.crypto.suite.CipherSuite;
import org.inlinetls.modes.direct.DirectEngine;
import org.inlinetls.seqdb.FlowKey;
import org.inlinetls.seqdb.JournalReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code appliance flows}: lists the intercepted flows the running daemon's journal holds, one line each: tuple,
 * state, protocol and suite, record numbers, checkpoints in flight, age and idle time. Never any key.
 */
@Command(name = "flows", mixinStandardHelpOptions = true,
    description = "List the intercepted flows in the journal of the daemon running with this config (no keys).")
public final class FlowsCommand implements Callable<Integer>
{
    @Option(names = "--config", paramLabel = "FILE", required = true, description = "The daemon's appliance.yaml.")
    private Path config;

    @Override
    public Integer call()
    {
        final ApplianceConfig loaded;
        try
        {
            loaded = ConfigLoader.load(config);
        }
        catch (final ConfigException ex)
        {
            System.err.println(ex.getMessage());
            return ApplianceMain.EXIT_USAGE;
        }
        try (JournalReader reader = JournalReader.open(loaded.journal().toJournalConfig(loaded.tls().allowCbc())))
        {
            final long now = System.nanoTime(); // CLOCK_MONOTONIC on Linux: the daemon's engine clock too
            final FlowKey key = new FlowKey();
            System.out.printf("%d flows in %s%n", reader.size(), loaded.journal().path());
            System.out.printf("%-46s %-12s %-8s %-34s %12s %12s %5s %5s %9s %9s%n", "client -> server", "state",
                "version", "suite", "client rec", "server rec", "c->s", "s->c", "age s", "idle s");
            reader.forEach(flow -> System.out.printf("%-46s %-12s %-8s %-34s %12d %12d %5d %5d %9.1f %9.1f%n",
                flow.key(key).toString(), DirectEngine.stateName(flow.state()), version(flow.tlsVersion(),
                    flow.cipherSuite()), suite(flow.cipherSuite()), flow.clientRecordSequence(),
                flow.serverRecordSequence(), flow.clientCheckpoints(), flow.serverCheckpoints(),
                (now - flow.createdNs()) / 1e9, (now - flow.lastActivityNs()) / 1e9));
            return ApplianceMain.EXIT_OK;
        }
        catch (final Exception ex)
        {
            System.err.println("cannot read the journal: " + ex.getMessage());
            return ApplianceMain.EXIT_FAILURE;
        }
    }

    private static String version(final int ordinal, final int suite)
    {
        if (suite == 0)
        {
            return "-";
        }
        final CipherSuite.TlsVersion[] versions = CipherSuite.TlsVersion.values();
        return ordinal >= 0 && ordinal < versions.length ? versions[ordinal].name() : "?";
    }

    private static String suite(final int code)
    {
        if (code == 0)
        {
            return "-";
        }
        final CipherSuite aead = CipherSuite.forCode(code);
        if (null != aead)
        {
            return aead.name();
        }
        final CbcSuite cbc = CbcSuite.forCode(code);
        return null != cbc ? cbc.name() : String.format("0x%04X", code);
    }
}
