/**
 * Flow logic of the direct, load-balancing and full-proxy modes (DESIGN §1, §6), and the classifier that runs
 * several modes' engines on one bridge ({@link org.inlinetls.modes.ServiceModeClassifier}).
 */
package org.inlinetls.modes;
