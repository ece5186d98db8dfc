package org.inlinetls.packet.counter;

/**
 * The engine's per-port counters: stable type ids and labels, exported as {@code <side> <label>}
 * (Aeron's {@code SystemCounterDescriptor} pattern). Ids never change meaning once released.
 */
public enum CounterDescriptor
{
    FRAMES_IN(1, "frames_in"),
    BYTES_IN(2, "bytes_in"),
    FRAMES_OUT(3, "frames_out"),
    BYTES_OUT(4, "bytes_out"),
    TX_FAILED(5, "tx_failed"),
    RX_ERRORS(6, "rx_errors"),
    MALFORMED_BRIDGED(7, "malformed_bridged"),
    MALFORMED_DROPPED(8, "malformed_dropped"),
    CLASSIFIER_DROPPED(9, "classifier_dropped"),
    INTERCEPTED(10, "intercepted"),
    ENGINE_ERRORS(11, "engine_errors"),
    KERNEL_DROPS(12, "kernel_drops"),
    FAULT_LOST(13, "fault_lost"),
    FAULT_REORDERED(14, "fault_reordered"),
    FAULT_DUPLICATED(15, "fault_duplicated"),
    /** Frames the port accepted for transmit and then dropped on a hard error (link down, oversize), or refused. */
    TX_ERRORS(16, "tx_errors");

    /** Type id of the per-anomaly counters ({@code <side> malformed <anomaly label>}). */
    public static final int MALFORMED_BY_REASON_TYPE_ID = 100;

    private final int typeId;
    private final String label;

    CounterDescriptor(final int typeId, final String label)
    {
        this.typeId = typeId;
        this.label = label;
    }

    public int typeId()
    {
        return typeId;
    }

    public String label()
    {
        return label;
    }
}
