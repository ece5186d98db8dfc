package org.inlinetls.modes.lb;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendHealthTest
{
    @Test
    void shouldStartUpAndPublishTransitionsOnce()
    {
        final BackendHealth health = new BackendHealth(2);
        assertTrue(health.isUp(0));
        assertFalse(health.publish(0, true));
        assertTrue(health.publish(0, false));
        assertFalse(health.publish(0, false));
        assertFalse(health.isUp(0));
        assertTrue(health.isUp(1));
    }

    @Test
    void shouldInvalidateTheStampsOfFlowsOpenedBeforeABackendWentDownEvenWhenItIsBack()
    {
        final BackendHealth health = new BackendHealth(1);
        final int stamp = health.stamp(0);
        assertTrue(health.isCurrent(0, stamp));
        health.publish(0, false);
        assertFalse(health.isCurrent(0, stamp));
        assertFalse(health.isCurrent(0, health.stamp(0)), "a down backend's stamp is never current");
        health.publish(0, true);
        assertFalse(health.isCurrent(0, stamp), "down and up again between two segments: still reset");
        assertTrue(health.isCurrent(0, health.stamp(0)));
    }
}
