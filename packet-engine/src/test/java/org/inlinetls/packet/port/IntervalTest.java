package org.inlinetls.packet.port;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IntervalTest
{
    @Test
    void shouldBeDueFirstThenOncePerInterval()
    {
        final Interval interval = new Interval(1_000);
        assertTrue(interval.due(-5_000), "the first call, whatever the clock reads");
        assertFalse(interval.due(-4_001));
        assertTrue(interval.due(-4_000));
        assertFalse(interval.due(-3_500));
        assertTrue(interval.due(10_000), "after a long pause: once");
        assertFalse(interval.due(10_999));
    }
}
