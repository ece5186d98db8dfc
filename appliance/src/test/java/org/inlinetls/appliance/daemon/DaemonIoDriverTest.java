package org.inlinetls.appliance.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.packet.port.RingPort;
import org.inlinetls.shim.NetNamespace;
import org.inlinetls.shim.NetnsLab;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * Root-only: the daemon bridging b ⇄ c of two veth pairs a–b and c–d in a namespace of its own, with the ring driver
 * and with the ring simulated unavailable (pcap fallback). Frames go in on a and must come out on d, and back.
 */
@SuppressWarnings("try") // namespace handles are held for their scope, not referenced
class DaemonIoDriverTest
{
    private static final int TEST_ETHER_TYPE = 0x88B5;
    private static final int FRAMES = 500;
    /** Frames of the 1,000 the pcap fallback may have to carry twice (see assertBridgesBothWays). */
    private static final int PCAP_MAX_RESENDS = 10;

    @TempDir
    Path runtime;
    private NetnsLab lab;

    @BeforeEach
    void createLab() throws IOException
    {
        lab = DaemonLab.create();
    }

    @AfterEach
    void deleteLab() throws IOException
    {
        if (lab != null)
        {
            lab.close();
        }
    }

    @Test
    void shouldBridgeOnTheRingByDefault() throws Exception
    {
        final ApplianceConfig config = config("");
        assertEquals(ApplianceConfig.IoDriver.RING, config.io().driver());
        try (Daemon daemon = startInLab(config, PortOpening::new))
        {
            assertEquals(ApplianceConfig.IoDriver.RING, daemon.ioDriver());
            assertBridgesBothWays(0);
        }
    }

    @Test
    void shouldFallBackToPcapAndSaySoWhenRingsAreUnavailable() throws Exception
    {
        final Logger log = (Logger)LoggerFactory.getLogger(PortOpening.class);
        final ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        log.addAppender(appender);
        try (Daemon daemon = startInLab(config(""),
            (config, clock) -> new PortOpening(config, clock, () -> "simulated: no AF_PACKET here")))
        {
            assertEquals(ApplianceConfig.IoDriver.PCAP, daemon.ioDriver());
            assertTrue(appender.list.stream().anyMatch(e -> e.getFormattedMessage()
                    .equals("falling back to the pcap driver: simulated: no AF_PACKET here")),
                "the fallback and its reason are logged: " + appender.list);
            assertBridgesBothWays(PCAP_MAX_RESENDS);
        }
        finally
        {
            log.detachAppender(appender);
        }
    }

    @Test
    void shouldUsePcapWhenConfiguredWithoutAWarning() throws Exception
    {
        final Logger log = (Logger)LoggerFactory.getLogger(PortOpening.class);
        final ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        log.addAppender(appender);
        try (Daemon daemon = startInLab(config("io: {driver: pcap}\n"), PortOpening::new))
        {
            assertEquals(ApplianceConfig.IoDriver.PCAP, daemon.ioDriver());
            assertEquals(List.of(), appender.list);
            assertBridgesBothWays(PCAP_MAX_RESENDS);
        }
        finally
        {
            log.detachAppender(appender);
        }
    }

    private ApplianceConfig config(final String extra) throws Exception
    {
        return DaemonLab.config(runtime, extra);
    }

    private Daemon startInLab(final ApplianceConfig config,
        final BiFunction<ApplianceConfig, NanoClock, PortOpening> opening)
        throws Exception
    {
        return lab.openInside(() -> Daemon.start(config, opening));
    }

    /**
     * Numbered frames both ways must all arrive. The ring driver must lose none; libpcap (the fallback) may lose a
     * frame under CPU load (a known limit of the pcap path, which is why the ring is the default), so a frame still
     * missing after a second is sent again, at most {@code maxResends} times in all.
     */
    private void assertBridgesBothWays(final int maxResends) throws Exception
    {
        final RingPort a;
        final RingPort d;
        try (NetNamespace.Entered ignored = NetNamespace.enter(lab.name))
        {
            a = RingPort.open("a");
            d = RingPort.open("d");
        }
        try (a; d)
        {
            resends = 0;
            assertEquals(FRAMES, pass(a, d, 0), "outside to inside");
            assertEquals(FRAMES, pass(d, a, FRAMES), "inside to outside");
            assertTrue(resends <= maxResends, resends + " frames had to be sent again, at most " + maxResends);
        }
    }

    private int resends;

    /** Sends numbered frames on one port and counts the distinct numbers arriving on the other. */
    private int pass(final RingPort from, final RingPort to, final int firstNumber) throws InterruptedException
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[600]);
        for (int i = 0; i < 12; i++)
        {
            frame.putByte(i, (byte)(i < 6 ? 0x02 : 0x04)); // locally administered unicast MACs
        }
        frame.putShort(12, (short)TEST_ETHER_TYPE, ByteOrder.BIG_ENDIAN);
        final Set<Integer> seen = new HashSet<>();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        int sent = 0;
        long lastProgressNs = System.nanoTime();
        int lastSeen = 0;
        while (seen.size() < FRAMES && System.nanoTime() < deadline)
        {
            if (seen.size() != lastSeen)
            {
                lastSeen = seen.size();
                lastProgressNs = System.nanoTime();
            }
            else if (sent == FRAMES && System.nanoTime() - lastProgressNs > TimeUnit.SECONDS.toNanos(1))
            {
                for (int n = 0; n < FRAMES; n++)
                {
                    if (!seen.contains(firstNumber + n))
                    {
                        frame.putInt(14, firstNumber + n);
                        from.send(frame, 0, frame.capacity());
                        resends++;
                    }
                }
                from.flush(System.nanoTime());
                lastProgressNs = System.nanoTime();
            }
            if (sent < FRAMES && sent - seen.size() < 32)
            {
                frame.putInt(14, firstNumber + sent);
                if (from.send(frame, 0, frame.capacity()))
                {
                    sent++;
                }
                from.flush(System.nanoTime());
            }
            to.receive((buffer, offset, length, ts) ->
            {
                if (length == 600 && buffer.getShort(offset + 12, ByteOrder.BIG_ENDIAN) == (short)TEST_ETHER_TYPE &&
                    buffer.getInt(offset + 14) >= firstNumber)
                {
                    seen.add(buffer.getInt(offset + 14));
                }
            }, 64);
            Thread.onSpinWait();
        }
        return seen.size();
    }
}
