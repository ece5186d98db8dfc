package org.inlinetls.modes.direct;

import static org.inlinetls.modes.direct.DirectFlow.STATE_CUT_THROUGH;

import org.agrona.DirectBuffer;
import org.inlinetls.crypto.record.SegmentDecoder;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.frame.ParsedFrame;
import org.inlinetls.seqdb.Direction;
import org.inlinetls.seqdb.FlowEntry;
import org.inlinetls.seqdb.KeyMaterial;

/**
 * Rebuilds a {@link DirectFlow} in cut-through from its journal entry after a restart: keys, positions
 * and the record layers' states from the entry and its checkpoints, addressing and timestamps from the frame that
 * brought the flow back. Control path: it allocates.
 */
final class FlowRestorer
{
    private FlowRestorer()
    {
    }

    /**
     * Rebuilds a flow in cut-through from its journal entry after a restart: keys, positions and the record
     * layer's state come from the entry and its newest checkpoints, addressing and timestamps from the frame that
     * brought it back. Flows still in their handshake are not in the journal's cut-through state and are not
     * restored.
     *
     * @return false when the entry cannot be used (the caller resets the flow).
     */
    static boolean restore(final DirectFlow flow, final FlowEntry entry, final long flowId, final DirectBuffer buffer,
        final ParsedFrame frame, final TcpHeaderFlyweight tcp, final boolean fromServer, final long nowNs)
    {
        final int suite = entry.cipherSuite();
        if (entry.state() != STATE_CUT_THROUGH || !RecordLayers.isKnown(suite) ||
            (entry.tcpOptions() & (ServerToClientProxy.OPTION_S2C_PROXIED | ClientToServerProxy.OPTION_C2S_PROXIED)) != 0 ||
            entry.ringCount(Direction.CLIENT_TO_SERVER) == 0 || entry.ringCount(Direction.SERVER_TO_CLIENT) == 0 ||
            entry.checkpointBlobLength(Direction.CLIENT_TO_SERVER,
                entry.ringCount(Direction.CLIENT_TO_SERVER) - 1) == 0)
        {
            // (a client→server frontier without state lies inside a large record held whole, e.g. a CBC record's
            // body: nothing to resume the decoder from; a small TLS 1.3 record's boundaries all carry their state)
            return false;
        }
        entry.readKey(flow.key);
        flow.id = flowId;
        flow.state = STATE_CUT_THROUGH;
        flow.finishedAtNs = 0;
        flow.closeRequested = false;
        flow.failed = false;
        flow.pendingAlert = -1;
        flow.handshake = null;
        flow.keys = null;
        flow.clientIsn = entry.clientIsn();
        flow.serverIsn = entry.serverIsn();
        final int options = entry.tcpOptions();
        flow.clientShift = options & 0xF;
        flow.serverShift = (options >>> 4) & 0xF;
        flow.timestamps = (options & DirectFlow.OPTION_TIMESTAMPS) != 0;
        flow.clientFinSeen = (options & DirectFlow.OPTION_CLIENT_FIN) != 0;
        flow.sack = (options & DirectFlow.OPTION_SACK) != 0;
        flow.sackToServerCount = 0;
        flow.sackToClientCount = 0;
        flow.clientPath.resetPartial();
        flow.serverPath.resetPartial();
        flow.s2cProxy.reset();
        flow.c2sProxy.reset();
        flow.clientMss = entry.mss(Direction.CLIENT_TO_SERVER);
        flow.serverMss = entry.mss(Direction.SERVER_TO_CLIENT);
        if (fromServer)
        {
            flow.lastServerTsval = tcp.timestampValue();
            flow.lastClientTsval = tcp.timestampEchoReply();
        }
        else
        {
            flow.lastClientTsval = tcp.timestampValue();
            flow.lastServerTsval = tcp.timestampEchoReply();
        }
        flow.takeTemplate(buffer, frame, fromServer);
        flow.clientWindowBytes = 65_535;
        flow.serverWindowBytes = 65_535;

        restoreRecordLayers(flow, entry, suite);
        restorePositions(flow, entry);

        final DirectEngine engine = flow.engine;
        if (null == flow.injected)
        {
            flow.injected = engine.newInjectedSender(flow.s2cCipherNext);
        }
        else
        {
            // nothing injected is pending: the flight was acknowledged long ago
            flow.injected.reset(flow.s2cCipherNext);
        }
        flow.recordOverhead = flow.encoder.recordLength(1024) - 1024 +
            (null == org.inlinetls.crypto.suite.CipherSuite.forCode(suite) ? 16 : 0);
        flow.lastActivityNs = nowNs;
        entry.lastActivityNs(nowNs);
        return true;
    }

    /** The decoder and encoder, from the journal's key material; the copies are zeroed once installed. */
    private static void restoreRecordLayers(final DirectFlow flow, final FlowEntry entry, final int suite)
    {
        final DirectEngine engine = flow.engine;
        final byte[] k = new byte[32];
        final byte[] iv = new byte[12];
        final byte[] mac = new byte[32];
        for (int i = 0; i < 2; i++)
        {
            final SegmentDecoder decoder = RecordLayers.decoder(suite,
                java.util.Arrays.copyOf(k, entry.getKeyMaterial(Direction.CLIENT_TO_SERVER, KeyMaterial.KEY, k, 0)),
                java.util.Arrays.copyOf(iv, entry.getKeyMaterial(Direction.CLIENT_TO_SERVER, KeyMaterial.IV, iv, 0)),
                java.util.Arrays.copyOf(mac, entry.getKeyMaterial(Direction.CLIENT_TO_SERVER, KeyMaterial.MAC_KEY,
                    mac, 0)), engine.integrityMode(), engine.decoderScratch());
            if (i == 0)
            {
                flow.decoder = decoder;
            }
            else
            {
                flow.replayDecoder = decoder;
            }
        }
        flow.encoder = RecordLayers.encoder(suite,
            java.util.Arrays.copyOf(k, entry.getKeyMaterial(Direction.SERVER_TO_CLIENT, KeyMaterial.KEY, k, 0)),
            java.util.Arrays.copyOf(iv, entry.getKeyMaterial(Direction.SERVER_TO_CLIENT, KeyMaterial.IV, iv, 0)),
            java.util.Arrays.copyOf(mac, entry.getKeyMaterial(Direction.SERVER_TO_CLIENT, KeyMaterial.MAC_KEY, mac,
                0)));
        java.util.Arrays.fill(k, (byte)0);
        java.util.Arrays.fill(iv, (byte)0);
        java.util.Arrays.fill(mac, (byte)0);
    }

    /** Both directions' positions and the record layers' states, from the newest and oldest checkpoints. */
    private static void restorePositions(final DirectFlow flow, final FlowEntry entry)
    {
        final DirectEngine engine = flow.engine;
        final byte[] blob = engine.checkpointScratch();
        final Direction c2s = Direction.CLIENT_TO_SERVER;
        final int c2sNewest = entry.ringCount(c2s) - 1;
        flow.c2sCipherNext = entry.checkpointCipherSeq(c2s, c2sNewest);
        flow.c2sPlainNext = entry.checkpointPlainSeq(c2s, c2sNewest);
        entry.getCheckpointBlob(c2s, c2sNewest, blob, 0);
        flow.decoder.restoreCheckpoint(blob, 0);
        flow.serverAckInCipher = entry.checkpointCipherSeq(c2s, 0);
        flow.serverAckInPlain = entry.checkpointPlainSeq(c2s, 0);
        flow.ackToClient = flow.serverAckInCipher;

        final Direction s2c = Direction.SERVER_TO_CLIENT;
        final int s2cNewest = entry.ringCount(s2c) - 1;
        flow.s2cCipherNext = entry.checkpointCipherSeq(s2c, s2cNewest);
        flow.s2cPlainNext = entry.checkpointPlainSeq(s2c, s2cNewest);
        entry.getCheckpointBlob(s2c, s2cNewest, blob, 0);
        flow.s2cRecordSeq = ServerToClientPath.getLong(blob, ServerToClientPath.S2C_BLOB_SEQUENCE);
        flow.serverFinSeen = (blob[ServerToClientPath.S2C_BLOB_FLAGS] & ServerToClientPath.S2C_FLAG_FIN) != 0;
        flow.clientAckInPlain = entry.checkpointPlainSeq(s2c, 0);
        flow.ackToServer = flow.clientAckInPlain;
        // the edge offered before the restart is lost: at least everything forwarded may be resent whole
        flow.s2cEdgeToServer = flow.s2cPlainNext - (flow.serverFinSeen ? 1 : 0);
        flow.c2sRingCount = entry.ringCount(c2s);
        flow.s2cRingCount = entry.ringCount(s2c);
    }
}
