/**
 * Direct mode (DESIGN §1, §4, §7): the appliance's own bytes injected into the server→client sequence space.
 */
package org.inlinetls.modes.direct;
