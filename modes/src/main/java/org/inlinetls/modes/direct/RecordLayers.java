package org.inlinetls.modes.direct;

import org.inlinetls.crypto.cbc.CbcSuite;
import org.inlinetls.crypto.record.CbcRecordDecoder;
import org.inlinetls.crypto.record.CbcRecordEncoder;
import org.inlinetls.crypto.record.IntegrityMode;
import org.inlinetls.crypto.record.RecordDecoder;
import org.inlinetls.crypto.record.RecordEncoder;
import org.inlinetls.crypto.record.RecordProtection;
import org.inlinetls.crypto.record.SegmentDecoder;
import org.inlinetls.crypto.record.SegmentEncoder;
import org.inlinetls.crypto.suite.CipherSuite;

/**
 * Rebuilds a flow's record layer from the raw keys its journal entry holds (after a restart); the state within the
 * stream comes from a checkpoint afterwards.
 */
final class RecordLayers
{
    private RecordLayers()
    {
    }

    /** @return true when the suite code is one the record layer implements. */
    static boolean isKnown(final int suiteCode)
    {
        return null != CipherSuite.forCode(suiteCode) || null != CbcSuite.forCode(suiteCode);
    }

    static SegmentDecoder decoder(final int suiteCode, final byte[] key, final byte[] iv, final byte[] macKey,
        final IntegrityMode mode, final byte[] scratch)
    {
        final CipherSuite suite = CipherSuite.forCode(suiteCode);
        if (null != suite)
        {
            return new RecordDecoder(new RecordProtection(suite, key, iv), mode, scratch);
        }
        return new CbcRecordDecoder(CbcSuite.forCode(suiteCode), key, macKey, scratch);
    }

    static SegmentEncoder encoder(final int suiteCode, final byte[] key, final byte[] iv, final byte[] macKey)
    {
        final CipherSuite suite = CipherSuite.forCode(suiteCode);
        if (null != suite)
        {
            return new RecordEncoder(new RecordProtection(suite, key, iv));
        }
        return new CbcRecordEncoder(CbcSuite.forCode(suiteCode), key, macKey);
    }
}
