package org.inlinetls.appliance.daemon;

import java.io.IOException;
import java.net.Inet4Address;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.handshake.HandshakeConfig;
import org.inlinetls.handshake.cert.CertificateStore;
import org.inlinetls.handshake.cert.CertificateStoreException;
import org.inlinetls.handshake.session.ChronicleSessionStore;
import org.inlinetls.handshake.session.HeapSessionStore;
import org.inlinetls.handshake.session.SessionStore;
import org.inlinetls.handshake.session.TicketKeys;
import org.inlinetls.modes.direct.DirectEngine;
import org.inlinetls.modes.direct.FrameOut;
import org.inlinetls.packet.counter.CounterDescriptor;
import org.inlinetls.packet.counter.PortCounters;
import org.inlinetls.packet.port.PacketPort;
import org.inlinetls.seqdb.FlowJournal;

/**
 * Builds the direct mode from the configuration: the certificate store and TLS policy as a {@link HandshakeConfig},
 * the flow journal, and the {@link DirectEngine} that sends through the bridge's own ports.
 */
final class DirectWiring implements AutoCloseable
{
    private static final long FIN_LINGER_NS = 2_000_000_000L;

    private final List<AutoCloseable> resources = new ArrayList<>();
    final DirectEngine engine;
    final FlowJournal journal;

    /**
     * @param outsideCounters counted as the bridge counts what it forwards: frames the direct mode builds are
     *                        frames out (or transmit failures) of their port too.
     */
    DirectWiring(final ApplianceConfig config, final PacketPort outside, final PacketPort inside,
        final PortCounters outsideCounters, final PortCounters insideCounters)
        throws IOException, CertificateStoreException
    {
        final List<DirectEngine.Service> services = new ArrayList<>();
        boolean passNonTls = false;
        for (final ApplianceConfig.Service service : config.services())
        {
            if (service.mode() != ApplianceConfig.ServiceMode.DIRECT)
            {
                throw new IOException("service '" + service.name() + "': mode " + service.mode() +
                    " is not implemented yet (only direct)");
            }
            if (!(service.listen().getAddress() instanceof Inet4Address))
            {
                throw new IOException("service '" + service.name() + "': only IPv4 services are implemented so far");
            }
            final int address = ByteBuffer.wrap(service.listen().getAddress().getAddress()).getInt();
            services.add(new DirectEngine.Service(address, service.listen().getPort(), service.backendPort()));
            passNonTls |= service.onNonTls() == ApplianceConfig.NonTlsAction.PASS;
        }
        final ApplianceConfig.Tls tls = config.tls();
        final SecureRandom random = new SecureRandom();
        final HandshakeConfig.Builder handshake = HandshakeConfig.builder(CertificateStore.open(config.certificates()))
            .suites(tls.suites())
            .allowCbc(tls.allowCbc())
            .minimumVersion(tls.minVersion())
            .groups(tls.groups().toArray(new org.inlinetls.handshake.KeyShareGroup[0]))
            .alpnProtocols(tls.alpn().toArray(new String[0]))
            .random(random)
            .sessionLifetimeMs(tls.sessionTickets().lifetimeSec() * 1_000L)
            .tickets(tls.sessionTickets().enabled())
            .sessionIds(tls.sessionCache().enabled());
        if (tls.allowCbc())
        {
            handshake.cbcSuites(tls.cbcSuites().toArray(new org.inlinetls.crypto.cbc.CbcSuite[0]));
        }
        if (tls.sessionTickets().enabled())
        {
            handshake.ticketKeys(new TicketKeys(32, tls.sessionTickets().rotationIntervalSec() * 1_000L,
                System::currentTimeMillis, random));
        }
        if (tls.sessionCache().enabled())
        {
            final SessionStore store = null == tls.sessionCache().path() ?
                new HeapSessionStore(tls.sessionCache().maxEntries()) :
                ChronicleSessionStore.open(tls.sessionCache().path(), tls.sessionCache().maxEntries(),
                    System::currentTimeMillis);
            resources.add(store);
            handshake.sessionStore(store);
        }
        journal = FlowJournal.open(config.journal().toJournalConfig(tls.allowCbc()));
        resources.add(journal);
        final FrameOut out = new FrameOut()
        {
            @Override
            public boolean toClient(final org.agrona.DirectBuffer buffer, final int offset, final int length)
            {
                return counted(outside.send(buffer, offset, length), outsideCounters, length);
            }

            @Override
            public boolean toServer(final org.agrona.DirectBuffer buffer, final int offset, final int length)
            {
                return counted(inside.send(buffer, offset, length), insideCounters, length);
            }
        };
        // SACK translation stays off until a lab failure is understood: with it on, one SIGKILL + restart run under
        // 3% loss + 3% reordering ended in a reset; off, SACK-permitted is stripped from the SYNs (slower under loss)
        engine = new DirectEngine(new DirectEngine.Settings(services, handshake.build(), tls.integrity(), passNonTls,
            tls.allowCbc() ? DirectEngine.Settings.CBC_MAX_RECORD_OVERHEAD :
                DirectEngine.Settings.AEAD_MAX_RECORD_OVERHEAD,
            config.journal().idleTimeoutSec() * 1_000_000_000L, FIN_LINGER_NS, false), journal, out);
    }

    private static boolean counted(final boolean sent, final PortCounters counters, final int length)
    {
        if (sent)
        {
            counters.get(CounterDescriptor.FRAMES_OUT).incrementRelease();
            counters.get(CounterDescriptor.BYTES_OUT).getAndAddRelease(length);
        }
        else
        {
            counters.get(CounterDescriptor.TX_FAILED).incrementRelease();
        }
        return sent;
    }

    @Override
    public void close()
    {
        for (int i = resources.size() - 1; i >= 0; i--)
        {
            try
            {
                resources.get(i).close();
            }
            catch (final Exception ignored)
            {
                // closing what is left; nothing more to do
            }
        }
    }
}
