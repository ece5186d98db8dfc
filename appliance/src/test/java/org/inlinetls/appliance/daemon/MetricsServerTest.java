package org.inlinetls.appliance.daemon;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.inlinetls.packet.counter.CounterDescriptor;
import org.inlinetls.packet.counter.LatencyHistogram;
import org.inlinetls.packet.counter.PortCounters;
import org.inlinetls.packet.frame.FrameAnomaly;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /metrics} in the Prometheus text format (checked line by line against the format's grammar: a HELP and a
 * TYPE before each family's samples, valid names and labels, no series twice) with the values of the counters, and
 * {@code /healthz} following the agents' state; loopback only.
 */
class MetricsServerTest
{
    private static final Pattern SAMPLE = Pattern.compile(
        "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"[^\"\\\\\\n]*\"(,[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"\\\\\\n]*\")*)})? " +
        "(-?[0-9]+(\\.[0-9]+)?)");
    private static final Pattern COMMENT = Pattern.compile("# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)");

    @Test
    void shouldServeCountersInThePrometheusTextFormatAndHealth() throws Exception
    {
        final CountersManager manager = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 512)), new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 128)));
        final PortCounters outside = new PortCounters(manager, "outside");
        final PortCounters inside = new PortCounters(manager, "inside");
        outside.get(CounterDescriptor.FRAMES_IN).setOrdered(12_345);
        inside.get(CounterDescriptor.FRAMES_IN).setOrdered(678);
        outside.malformed(FrameAnomaly.values()[1]).setOrdered(3);
        manager.newCounter("direct flows_opened", DirectCountersPublisher.DIRECT_TYPE_ID).setOrdered(42);
        manager.newCounter("journal parked_flows", DirectCountersPublisher.JOURNAL_GAUGE_TYPE_ID).setOrdered(7);
        manager.newCounter("config reloads_applied", 200).setOrdered(1);

        final AtomicBoolean healthy = new AtomicBoolean(true);
        try (MetricsServer server = new MetricsServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            manager, healthy::get))
        {
            final String base = "http://127.0.0.1:" + server.port();
            final String text = get(base + "/metrics", 200);
            final Map<String, Double> samples = parse(text);
            assertEquals(12_345, samples.get("inline_tls_port_frames_in_total{side=\"outside\"}"), text);
            assertEquals(678, samples.get("inline_tls_port_frames_in_total{side=\"inside\"}"), text);
            assertEquals(42, samples.get("inline_tls_direct_flows_opened_total"), text);
            assertEquals(7, samples.get("inline_tls_journal_parked_flows"), text);
            assertEquals(1, samples.get("inline_tls_config_reloads_applied_total"), text);
            assertTrue(samples.keySet().stream().anyMatch(k ->
                k.startsWith("inline_tls_port_malformed_total{side=\"outside\",reason=\"")), text);
            assertTrue(text.contains("# TYPE inline_tls_journal_parked_flows gauge"), text);
            assertTrue(text.contains("# TYPE inline_tls_direct_flows_opened_total counter"), text);

            assertEquals("ok\n", get(base + "/healthz", 200));
            healthy.set(false);
            get(base + "/healthz", 503);
        }
    }

    @Test
    void shouldRenderEachAgentsLatencyAsACumulativeHistogramInSeconds()
    {
        final CountersManager manager = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 512)), new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 128)));
        new PortCounters(manager, "outside");
        final LatencyHistogram worker0 = new LatencyHistogram(manager, "worker-0");
        final LatencyHistogram worker1 = new LatencyHistogram(manager, "worker-1");
        manager.newCounter("direct flows_opened", DirectCountersPublisher.DIRECT_TYPE_ID).setOrdered(3);
        worker0.record(100);            // <= 128 ns
        worker0.record(1_000);          // <= 1024 ns
        worker0.record(1_024);
        worker0.record(20_000_000);     // over 16.8 ms: +Inf only
        worker1.record(300);

        final String text = MetricsServer.render(manager);
        final Map<String, Double> samples = parse(text);
        final String family = MetricsServer.LATENCY_FAMILY;
        assertTrue(text.contains("# TYPE " + family + " histogram\n"), text);
        assertEquals(1, samples.get(family + "_bucket{agent=\"worker-0\",le=\"0.000000128\"}"), text);
        assertEquals(1, samples.get(family + "_bucket{agent=\"worker-0\",le=\"0.000000512\"}"), text);
        assertEquals(3, samples.get(family + "_bucket{agent=\"worker-0\",le=\"0.000001024\"}"), text);
        assertEquals(3, samples.get(family + "_bucket{agent=\"worker-0\",le=\"0.016777216\"}"), text);
        assertEquals(4, samples.get(family + "_bucket{agent=\"worker-0\",le=\"+Inf\"}"), text);
        assertEquals(4, samples.get(family + "_count{agent=\"worker-0\"}"), text);
        assertEquals(0.020002124, samples.get(family + "_sum{agent=\"worker-0\"}"), 1e-12, text);
        assertEquals(0, samples.get(family + "_bucket{agent=\"worker-1\",le=\"0.000000256\"}"), text);
        assertEquals(1, samples.get(family + "_bucket{agent=\"worker-1\",le=\"0.000000512\"}"), text);
        assertEquals(1, samples.get(family + "_count{agent=\"worker-1\"}"), text);
        assertEquals(3, samples.get("inline_tls_direct_flows_opened_total"), text);
        // no latency counter leaks out as a plain counter family
        assertTrue(samples.keySet().stream().noneMatch(k -> k.startsWith("inline_tls_latency")), text);
        // per agent: LatencyHistogram.BUCKETS buckets, cumulative (never decreasing), then _sum and _count
        for (final String agent : new String[]{"worker-0", "worker-1"})
        {
            double previous = -1;
            int buckets = 0;
            for (final String line : text.split("\n"))
            {
                if (line.startsWith(family + "_bucket{agent=\"" + agent + "\""))
                {
                    final double value = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                    assertTrue(value >= previous, line);
                    previous = value;
                    buckets++;
                }
            }
            assertEquals(LatencyHistogram.BUCKETS, buckets, text);
        }
        assertEquals("0", MetricsServer.seconds(0));
        assertEquals("1", MetricsServer.seconds(1_000_000_000L));
        assertEquals("0.000000128", MetricsServer.seconds(128));
    }

    @Test
    void shouldOfferEveryMetricTheDashboardUses() throws Exception
    {
        final CountersManager manager = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 512)), new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 128)));
        new PortCounters(manager, "outside");
        new PortCounters(manager, "inside");
        final java.nio.file.Path directory = java.nio.file.Files.createTempDirectory(
            java.nio.file.Path.of("/dev/shm"), "itls-metrics-");
        try (org.inlinetls.seqdb.FlowJournal journal = org.inlinetls.seqdb.FlowJournal.open(
            new org.inlinetls.seqdb.JournalConfig().path(directory.resolve("journal.dat")).maxFlows(16)))
        {
            new DirectCountersPublisher(manager, journal);
        }
        finally
        {
            try (var files = java.nio.file.Files.list(directory))
            {
                for (final java.nio.file.Path file : files.toList())
                {
                    java.nio.file.Files.delete(file);
                }
            }
            java.nio.file.Files.delete(directory);
        }
        manager.newCounter("config reloads_applied", 200);
        manager.newCounter("config reloads_rejected", 200);
        manager.newCounter("export plaintext_dropped", DirectCountersPublisher.DIRECT_TYPE_ID);
        new LatencyHistogram(manager, "bridge");
        new ProxyCountersPublisher(manager, 1 << 20);
        new ModeGauges(manager, "direct", List.of("cut_through"), byState -> { },
            new org.inlinetls.handshake.HandshakeFailures()).publish();
        final Set<String> offered = new HashSet<>();
        for (final String series : parse(MetricsServer.render(manager)).keySet())
        {
            offered.add(series.contains("{") ? series.substring(0, series.indexOf('{')) : series);
        }
        final String dashboard = java.nio.file.Files.readString(java.nio.file.Path.of("../config/grafana-dashboard.json"));
        final Matcher names = Pattern.compile("inline_tls_[a-z_]+").matcher(dashboard);
        int used = 0;
        while (names.find())
        {
            used++;
            assertTrue(offered.contains(names.group()), "the dashboard uses " + names.group() + ", not offered");
        }
        assertTrue(used > 20, "the dashboard names " + used + " series");
    }

    @Test
    void shouldRenderFlowsByModeAndStateAndFailedHandshakesByAlert()
    {
        final CountersManager manager = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 512)), new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 128)));
        final org.inlinetls.handshake.HandshakeFailures failures = new org.inlinetls.handshake.HandshakeFailures();
        final org.inlinetls.handshake.ServerHandshake refused = new org.inlinetls.handshake.ServerHandshake()
        {
            @Override
            public int offer(final byte[] src, final int offset, final int length)
            {
                return 0;
            }

            @Override
            public int readOutput(final byte[] dst, final int offset, final int max)
            {
                return 0;
            }

            @Override
            public boolean isComplete()
            {
                return false;
            }

            @Override
            public boolean isFailed()
            {
                return true;
            }

            @Override
            public int alertSent()
            {
                return 40; // handshake_failure
            }

            @Override
            public org.inlinetls.handshake.NegotiatedKeys takeKeys()
            {
                return null;
            }

            @Override
            public void release()
            {
            }
        };
        failures.record(refused);
        failures.record(refused);
        final ModeGauges gauges = new ModeGauges(manager, "direct", List.of("handshake", "cut_through"),
            byState ->
            {
                byState[0] = 3;
                byState[1] = 7;
            }, failures);
        gauges.publish();
        final Map<String, Double> samples = parse(MetricsServer.render(manager));
        assertEquals(3.0, samples.get("inline_tls_flows{mode=\"direct\",state=\"handshake\"}"), samples::toString);
        assertEquals(7.0, samples.get("inline_tls_flows{mode=\"direct\",state=\"cut_through\"}"));
        assertEquals(2.0, samples.get(
            "inline_tls_handshake_failures_total{mode=\"direct\",by=\"sent\",alert=\"handshake_failure\"}"));
        assertEquals(0.0, samples.get("inline_tls_handshake_failures_total{mode=\"direct\",by=\"none\",alert=\"none\"}"));
    }

    /** Every line valid; HELP then TYPE before a family's samples; each series once. */
    private static Map<String, Double> parse(final String text)
    {
        final Map<String, Double> samples = new HashMap<>();
        final Set<String> typed = new HashSet<>();
        final Set<String> helped = new HashSet<>();
        final Set<String> histograms = new HashSet<>();
        for (final String line : text.split("\n"))
        {
            final Matcher comment = COMMENT.matcher(line);
            if (comment.matches())
            {
                final String name = comment.group(2);
                if ("HELP".equals(comment.group(1)))
                {
                    assertTrue(helped.add(name), "HELP twice for " + name);
                }
                else
                {
                    assertTrue(Set.of("counter", "gauge", "histogram").contains(comment.group(3)), line);
                    assertTrue(typed.add(name), "TYPE twice for " + name);
                    if ("histogram".equals(comment.group(3)))
                    {
                        histograms.add(name);
                    }
                }
                continue;
            }
            final Matcher sample = SAMPLE.matcher(line);
            assertTrue(sample.matches(), "not a sample line: '" + line + "'");
            final String name = sample.group(1);
            final String family = name.replaceFirst("_(bucket|sum|count)$", "");
            assertTrue(histograms.contains(family) ? !family.equals(name) : typed.contains(name),
                "sample before its TYPE (or a histogram's without _bucket, _sum or _count): " + line);
            assertTrue(!name.endsWith("_bucket") || !histograms.contains(family) || line.contains("le=\""),
                "bucket without le: " + line);
            final String series = line.substring(0, line.lastIndexOf(' '));
            assertTrue(samples.put(series, Double.parseDouble(sample.group(5))) == null, "series twice: " + series);
        }
        return samples;
    }

    private static String get(final String url, final int expectedStatus) throws Exception
    {
        final HttpURLConnection connection = (HttpURLConnection)URI.create(url).toURL().openConnection();
        connection.setConnectTimeout(5_000);
        connection.setReadTimeout(5_000);
        assertEquals(expectedStatus, connection.getResponseCode(), url);
        try (InputStream in = expectedStatus < 400 ? connection.getInputStream() : connection.getErrorStream())
        {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
