package org.inlinetls.appliance.daemon;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.agrona.concurrent.status.CountersReader;
import org.inlinetls.packet.counter.LatencyHistogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The management endpoint: {@code GET /metrics} renders every counter of the daemon's counters file in the
 * Prometheus text exposition format (version 0.0.4), {@code GET /healthz} answers 200 while the daemon's agents run
 * and 503 otherwise. Plain HTTP on one thread of its own (role {@code metrics}), off the data path: it only reads the
 * shared counters, as {@code appliance stats} does. No key material is ever among them.
 * <p>
 * Names: {@code outside frames_in} becomes {@code inline_tls_port_frames_in_total{side="outside"}},
 * {@code outside malformed truncated ethernet} becomes {@code inline_tls_port_malformed_total{side="outside",
 * reason="truncated_ethernet"}}, {@code direct flows_opened} becomes {@code inline_tls_direct_flows_opened_total};
 * the journal's occupancy ({@code journal active_flows}, ...) are gauges without the suffix. The agents' per-frame
 * processing times ({@link LatencyHistogram}) make one histogram family, {@value #LATENCY_FAMILY}, in seconds, with
 * an {@code agent} label ({@code bridge}, {@code worker-0}, ...): cumulative {@code _bucket}s whose {@code +Inf} equals
 * {@code _count}, and {@code _sum}.
 */
final class MetricsServer implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);
    private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    /** The histogram family of the agents' per-frame processing times. */
    static final String LATENCY_FAMILY = "inline_tls_frame_processing_seconds";

    private final HttpServer server;
    private final CountersReader counters;
    private final BooleanSupplier healthy;

    MetricsServer(final InetSocketAddress address, final CountersReader counters, final BooleanSupplier healthy)
        throws IOException
    {
        this.counters = counters;
        this.healthy = healthy;
        server = HttpServer.create(address, 16);
        server.createContext("/metrics", this::onMetrics);
        server.createContext("/healthz", this::onHealth);
        server.setExecutor(Executors.newSingleThreadExecutor(new PinnedThreadFactory("metrics",
            org.inlinetls.appliance.config.ApplianceConfig.Cpus.UNPINNED)));
        server.start();
        LOG.info("metrics: http://{}:{}/metrics and /healthz", address.getAddress().getHostAddress(),
            server.getAddress().getPort());
    }

    /** The port it listens on (the configured one, or the one the system chose for port 0). */
    int port()
    {
        return server.getAddress().getPort();
    }

    private void onMetrics(final HttpExchange exchange) throws IOException
    {
        try (exchange)
        {
            if (!"GET".equals(exchange.getRequestMethod()))
            {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            reply(exchange, 200, render(counters));
        }
    }

    private void onHealth(final HttpExchange exchange) throws IOException
    {
        try (exchange)
        {
            final boolean ok = healthy.getAsBoolean();
            reply(exchange, ok ? 200 : 503, ok ? "ok\n" : "agents stopped\n");
        }
    }

    private static void reply(final HttpExchange exchange, final int status, final String body) throws IOException
    {
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody())
        {
            out.write(bytes);
        }
    }

    /** The Prometheus text of every counter: one family per name, its HELP and TYPE once, then its samples. */
    static String render(final CountersReader counters)
    {
        final Map<String, List<String>> families = new LinkedHashMap<>();
        final Map<String, String> types = new LinkedHashMap<>();
        final Map<String, String> help = new LinkedHashMap<>();
        final Map<String, LatencySamples> latency = new LinkedHashMap<>();
        counters.forEach((id, typeId, key, label) ->
        {
            final long value = counters.getCounterValue(id);
            if (typeId == LatencyHistogram.BUCKET_TYPE_ID || typeId == LatencyHistogram.SUM_TYPE_ID)
            {
                // "latency <agent> frame_..."
                final String agent = label.substring(LatencyHistogram.LABEL_PREFIX.length(), label.lastIndexOf(' '));
                final LatencySamples samples = latency.computeIfAbsent(agent, a -> new LatencySamples());
                if (typeId == LatencyHistogram.SUM_TYPE_ID)
                {
                    samples.sumNs = value;
                }
                else
                {
                    samples.boundsNs.add(key.getLong(0));
                    samples.counts.add(value);
                }
                return;
            }
            final int space = label.indexOf(' ');
            final String scope = space < 0 ? "daemon" : label.substring(0, space);
            final String rest = space < 0 ? label : label.substring(space + 1);
            final boolean gauge = typeId == DirectCountersPublisher.JOURNAL_GAUGE_TYPE_ID;
            final String name;
            final String labels;
            if ("outside".equals(scope) || "inside".equals(scope))
            {
                if (rest.startsWith("malformed ") && !rest.startsWith("malformed_"))
                {
                    name = "inline_tls_port_malformed_total";
                    labels = "{side=\"" + scope + "\",reason=\"" + sanitize(rest.substring("malformed ".length())) +
                        "\"}";
                }
                else
                {
                    name = "inline_tls_port_" + sanitize(rest) + (gauge ? "" : "_total");
                    labels = "{side=\"" + scope + "\"}";
                }
            }
            else if ("flows".equals(scope) && rest.indexOf(' ') > 0)
            {
                // "flows <mode> <state>"
                name = "inline_tls_flows";
                labels = "{mode=\"" + sanitize(rest.substring(0, rest.indexOf(' '))) + "\",state=\"" +
                    sanitize(rest.substring(rest.indexOf(' ') + 1)) + "\"}";
            }
            else if ("handshake_failures".equals(scope) && rest.split(" ").length == 3)
            {
                // "handshake_failures <mode> <sent|received|none> <alert>"
                final String[] parts = rest.split(" ");
                name = "inline_tls_handshake_failures_total";
                labels = "{mode=\"" + sanitize(parts[0]) + "\",by=\"" + sanitize(parts[1]) + "\",alert=\"" +
                    sanitize(parts[2]) + "\"}";
            }
            else
            {
                name = "inline_tls_" + sanitize(scope) + "_" + sanitize(rest) + (gauge ? "" : "_total");
                labels = "";
            }
            families.computeIfAbsent(name, n -> new ArrayList<>()).add(name + labels + " " + value);
            types.putIfAbsent(name, gauge ? "gauge" : "counter");
            help.putIfAbsent(name, "inline-tls counter '" + (name.contains("port_malformed") ?
                "<side> malformed <reason>" : "inline_tls_flows".equals(name) ? "flows <mode> <state>" :
                "inline_tls_handshake_failures_total".equals(name) ?
                "handshake_failures <mode> <sent: the alert the appliance sent | received: the client's> <alert>" :
                label.replace('\\', '/').replace('\n', ' ')) + "'");
        });
        final StringBuilder text = new StringBuilder(8192);
        for (final Map.Entry<String, List<String>> family : families.entrySet())
        {
            final String name = family.getKey();
            text.append("# HELP ").append(name).append(' ').append(help.get(name)).append('\n');
            text.append("# TYPE ").append(name).append(' ').append(types.get(name)).append('\n');
            for (final String sample : family.getValue())
            {
                text.append(sample).append('\n');
            }
        }
        renderLatency(latency, text);
        return text.toString();
    }

    /** One histogram's bucket counts (in counter order: ascending bounds, +Inf last) and sum, as read. */
    private static final class LatencySamples
    {
        final List<Long> boundsNs = new ArrayList<>();
        final List<Long> counts = new ArrayList<>();
        long sumNs;
    }

    private static void renderLatency(final Map<String, LatencySamples> latency, final StringBuilder text)
    {
        if (latency.isEmpty())
        {
            return;
        }
        text.append("# HELP ").append(LATENCY_FAMILY).append(" Engine time per frame (parse, classify, decrypt or ")
            .append("encrypt, rewrite, queue for transmit), per agent\n");
        text.append("# TYPE ").append(LATENCY_FAMILY).append(" histogram\n");
        for (final Map.Entry<String, LatencySamples> entry : latency.entrySet())
        {
            final String agent = "agent=\"" + entry.getKey().replaceAll("[^A-Za-z0-9_.-]", "_") + "\"";
            final LatencySamples samples = entry.getValue();
            long cumulative = 0;
            for (int i = 0; i < samples.counts.size(); i++)
            {
                cumulative += samples.counts.get(i);
                final long boundNs = samples.boundsNs.get(i);
                text.append(LATENCY_FAMILY).append("_bucket{").append(agent).append(",le=\"")
                    .append(boundNs == Long.MAX_VALUE ? "+Inf" : seconds(boundNs)).append("\"} ")
                    .append(cumulative).append('\n');
            }
            text.append(LATENCY_FAMILY).append("_sum{").append(agent).append("} ").append(seconds(samples.sumNs))
                .append('\n');
            text.append(LATENCY_FAMILY).append("_count{").append(agent).append("} ").append(cumulative)
                .append('\n');
        }
    }

    /** Nanoseconds as plain decimal seconds ({@code 128} -> {@code 0.000000128}), exact. */
    static String seconds(final long nanos)
    {
        return BigDecimal.valueOf(nanos, 9).stripTrailingZeros().toPlainString();
    }

    private static String sanitize(final String text)
    {
        final String lower = text.toLowerCase(Locale.ROOT);
        final StringBuilder out = new StringBuilder(lower.length());
        for (int i = 0; i < lower.length(); i++)
        {
            final char c = lower.charAt(i);
            out.append((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ? c : '_');
        }
        return out.toString();
    }

    @Override
    public void close()
    {
        server.stop(0);
        ((java.util.concurrent.ExecutorService)server.getExecutor()).shutdownNow();
    }
}
