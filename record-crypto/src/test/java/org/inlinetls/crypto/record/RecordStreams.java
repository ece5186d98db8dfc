package org.inlinetls.crypto.record;

import org.inlinetls.crypto.suite.CipherSuite;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Test helpers: random keys, record streams made by the encoder, random segmentations, and a recording listener.
 */
final class RecordStreams
{
    private RecordStreams()
    {
    }

    /** Keys for one direction of a suite, derived from a seed. */
    static RecordProtection protection(final CipherSuite suite, final long seed)
    {
        final Random random = new Random(seed);
        final byte[] key = new byte[suite.keyLength()];
        final byte[] iv = new byte[suite.fixedIvLength()];
        random.nextBytes(key);
        random.nextBytes(iv);
        return new RecordProtection(suite, key, iv);
    }

    /** A stream of application-data records and where each starts, with their contents concatenated. */
    static final class Stream
    {
        final ByteArrayOutputStream wire = new ByteArrayOutputStream();
        final ByteArrayOutputStream plain = new ByteArrayOutputStream();
        final List<Integer> recordStarts = new ArrayList<>();
        final List<Integer> plainStarts = new ArrayList<>();
        final List<Integer> contentLengths = new ArrayList<>();

        byte[] wire()
        {
            return wire.toByteArray();
        }

        byte[] plain()
        {
            return plain.toByteArray();
        }

        /** Index of the record holding wire byte {@code position}. */
        int recordAt(final int position)
        {
            int record = 0;
            while (record + 1 < recordStarts.size() && recordStarts.get(record + 1) <= position)
            {
                record++;
            }
            return record;
        }
    }

    static Stream applicationRecords(
        final RecordEncoder encoder, final Random random, final int records, final long firstSequence)
    {
        final Stream stream = new Stream();
        final byte[] out = new byte[RecordEncoder.MAX_CONTENT_LENGTH + 64];
        for (int i = 0; i < records; i++)
        {
            final int length = contentLength(random);
            final byte[] content = new byte[length];
            random.nextBytes(content);
            if (random.nextInt(8) == 0 && length > 0)
            {
                content[length - 1] = 0;
            }
            stream.recordStarts.add(stream.wire.size());
            stream.plainStarts.add(stream.plain.size());
            stream.contentLengths.add(length);
            final int written = encoder.encode(ContentType.APPLICATION_DATA, content, 0, length, firstSequence + i,
                out, 0);
            stream.wire.write(out, 0, written);
            stream.plain.write(content, 0, length);
        }
        return stream;
    }

    private static int contentLength(final Random random)
    {
        switch (random.nextInt(5))
        {
            case 0:
                return random.nextInt(4);
            case 1:
                return 1 + random.nextInt(100);
            case 2:
                return 1000 + random.nextInt(500);
            case 3:
                return RecordEncoder.MAX_CONTENT_LENGTH - random.nextInt(3);
            default:
                return random.nextInt(RecordEncoder.MAX_CONTENT_LENGTH + 1);
        }
    }

    /** Random cut points for a stream: mostly MSS-like, some 1-byte runs, some big. */
    static int[] segmentation(final Random random, final int length)
    {
        final List<Integer> cuts = new ArrayList<>();
        int position = 0;
        final int style = random.nextInt(4);
        while (position < length)
        {
            final int size;
            switch (style)
            {
                case 0:
                    size = 1 + random.nextInt(3);
                    break;
                case 1:
                    size = 1448;
                    break;
                case 2:
                    size = random.nextInt(10) == 0 ? 1 : 1 + random.nextInt(3000);
                    break;
                default:
                    size = 1 + random.nextInt(20000);
                    break;
            }
            position = Math.min(length, position + size);
            cuts.add(position);
        }
        return cuts.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Records every callback. */
    static final class Recorder implements RecordListener
    {
        final ByteArrayOutputStream plain = new ByteArrayOutputStream();
        final List<Long> authenticated = new ArrayList<>();
        final List<int[]> records = new ArrayList<>();
        final List<byte[]> recordContents = new ArrayList<>();

        @Override
        public void onPlaintext(final byte[] buffer, final int offset, final int length)
        {
            plain.write(buffer, offset, length);
        }

        @Override
        public void onRecord(final int contentType, final byte[] buffer, final int offset, final int length)
        {
            records.add(new int[]{contentType, length});
            final byte[] copy = new byte[length];
            System.arraycopy(buffer, offset, copy, 0, length);
            recordContents.add(copy);
        }

        @Override
        public void onRecordAuthenticated(final long sequence, final int contentType)
        {
            authenticated.add(sequence);
        }
    }
}
