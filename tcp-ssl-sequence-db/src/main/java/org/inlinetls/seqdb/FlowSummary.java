package org.inlinetls.seqdb;

/**
 * What the CLI may show of a flow: tuple, mode, state, times, negotiated parameters and journal occupancy, never
 * key material or checkpoint blobs (it has no field that could hold them).
 * <p>
 * {@link FlowJournal#forEach} fills one instance per call and reuses it for each flow; copy what must outlive the
 * callback.
 */
public final class FlowSummary
{
    long id;
    int ipVersion;
    long clientAddressHigh;
    long clientAddressLow;
    int clientPort;
    long serverAddressHigh;
    long serverAddressLow;
    int serverPort;
    int mode;
    int state;
    long createdNs;
    long lastActivityNs;
    int cipherSuite;
    int tlsVersion;
    long clientRecordSequence;
    long serverRecordSequence;
    int clientCheckpoints;
    int serverCheckpoints;

    /** Fill from an entry: everything but secrets and checkpoint blobs. */
    FlowSummary fill(final long id, final FlowEntry entry)
    {
        this.id = id;
        ipVersion = entry.ipVersion();
        clientAddressHigh = entry.clientAddressHigh();
        clientAddressLow = entry.clientAddressLow();
        clientPort = entry.clientPort();
        serverAddressHigh = entry.serverAddressHigh();
        serverAddressLow = entry.serverAddressLow();
        serverPort = entry.serverPort();
        mode = entry.mode();
        state = entry.state();
        createdNs = entry.createdNs();
        lastActivityNs = entry.lastActivityNs();
        cipherSuite = entry.cipherSuite();
        tlsVersion = entry.tlsVersion();
        clientRecordSequence = entry.recordSequence(Direction.CLIENT_TO_SERVER);
        serverRecordSequence = entry.recordSequence(Direction.SERVER_TO_CLIENT);
        clientCheckpoints = entry.ringCount(Direction.CLIENT_TO_SERVER);
        serverCheckpoints = entry.ringCount(Direction.SERVER_TO_CLIENT);
        return this;
    }

    public long id()
    {
        return id;
    }

    public int ipVersion()
    {
        return ipVersion;
    }

    /**
     * The flow's tuple, client as source.
     *
     * @param key to fill.
     * @return the key.
     */
    public FlowKey key(final FlowKey key)
    {
        return key.set(ipVersion, clientAddressHigh, clientAddressLow, clientPort,
            serverAddressHigh, serverAddressLow, serverPort);
    }

    public int clientPort()
    {
        return clientPort;
    }

    public int serverPort()
    {
        return serverPort;
    }

    public int mode()
    {
        return mode;
    }

    public int state()
    {
        return state;
    }

    public long createdNs()
    {
        return createdNs;
    }

    public long lastActivityNs()
    {
        return lastActivityNs;
    }

    public int cipherSuite()
    {
        return cipherSuite;
    }

    public int tlsVersion()
    {
        return tlsVersion;
    }

    public long clientRecordSequence()
    {
        return clientRecordSequence;
    }

    public long serverRecordSequence()
    {
        return serverRecordSequence;
    }

    public int clientCheckpoints()
    {
        return clientCheckpoints;
    }

    public int serverCheckpoints()
    {
        return serverCheckpoints;
    }

    public String toString()
    {
        final StringBuilder sb = new StringBuilder(192);
        sb.append("flow ").append(Long.toHexString(id)).append(' ');
        FlowKey.appendEndpoint(sb, ipVersion, clientAddressHigh, clientAddressLow, clientPort);
        sb.append(" -> ");
        FlowKey.appendEndpoint(sb, ipVersion, serverAddressHigh, serverAddressLow, serverPort);
        sb.append(" mode=").append(mode)
            .append(" state=").append(state)
            .append(" suite=0x").append(Integer.toHexString(cipherSuite))
            .append(" version=0x").append(Integer.toHexString(tlsVersion))
            .append(" createdNs=").append(createdNs)
            .append(" lastActivityNs=").append(lastActivityNs)
            .append(" records c->s=").append(clientRecordSequence)
            .append(" s->c=").append(serverRecordSequence)
            .append(" checkpoints c->s=").append(clientCheckpoints)
            .append(" s->c=").append(serverCheckpoints);
        return sb.toString();
    }
}
