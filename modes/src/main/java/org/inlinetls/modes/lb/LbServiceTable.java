package org.inlinetls.modes.lb;

import java.util.List;

/**
 * The virtual services a configuration reload gives a running {@link LbNatStage}, built off the data path (pools,
 * health and persistence tables included) and applied on its thread ({@link LbNatStage#applyServices}). A service
 * whose settings did not change is the same {@link VirtualService} object as before (its pool's flow counts and its
 * persistence table carry on); a changed one is a new object, and the old one serves its mappings in flight.
 *
 * @param services     the virtual services new flows map to, in lookup order.
 * @param ownAddresses the appliance's own IPv4 addresses (health checks): their frames are not bridged.
 * @param handedOver   virtual addresses and ports ({@code address << 16 | port}, address unsigned) another mode served
 *                     before: a segment of no mapping to one is left to the engine (maybe a flow in flight there)
 *                     rather than answered with a RST.
 * @param removed      services of the previous table whose flows are reset (no mode serves them any more).
 */
public record LbServiceTable(List<VirtualService> services, int[] ownAddresses, long[] handedOver,
    List<VirtualService> removed)
{
    public LbServiceTable
    {
        services = List.copyOf(services);
        ownAddresses = ownAddresses.clone();
        handedOver = handedOver.clone();
        removed = List.copyOf(removed);
    }

    /** The key of a virtual address and port in {@link #handedOver()}. */
    public static long key(final int address, final int port)
    {
        return LbNatStage.addressKey(address, port);
    }
}
