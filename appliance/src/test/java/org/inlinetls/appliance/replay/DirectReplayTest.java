package org.inlinetls.appliance.replay;

import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.appliance.config.ConfigLoader;
import org.inlinetls.handshake.CapturedHandshake;
import org.inlinetls.handshake.keylog.KeyLogFile;
import org.inlinetls.handshake.keylog.RecordOpener;
import org.inlinetls.packet.engine.Side;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lab capture of test-pcaps (a TLS 1.3 download and a TLS 1.2 upload through the appliance in direct mode, both
 * legs captured at the appliance, with the run's key log) replayed through the engine: the plaintext it sends to the
 * server must be the plaintext the live appliance sent, byte for byte, per flow in sequence order; the records it
 * sends to the client must open with the key log's secrets to the server's reply, and be the live records.
 */
class DirectReplayTest
{
    static final Path PCAPS = Path.of("../test-pcaps");
    static final Path OUTSIDE = PCAPS.resolve("https-direct-outside.pcap");
    static final Path INSIDE = PCAPS.resolve("https-direct-inside.pcap");
    static final Path KEY_LOG = PCAPS.resolve("https-direct.keylog");
    static final Path CONFIG = PCAPS.resolve("https-direct.yaml");
    private static final int HANDSHAKES = 2;

    @TempDir
    Path dir;

    private ApplianceCapture capture;
    private KeyLogFile keyLog;
    private ApplianceConfig config;

    @BeforeEach
    void load() throws Exception
    {
        config = ConfigLoader.load(CONFIG);
        capture = ApplianceCapture.load(OUTSIDE, INSIDE, -1);
        keyLog = KeyLogFile.read(KEY_LOG);
    }

    @AfterEach
    void destroy()
    {
        keyLog.destroy();
    }

    @Test
    void shouldSendTheServerTheLivePlaintextAndTheClientRecordsThatOpenToTheServersReply() throws Exception
    {
        final Path out = dir.resolve("out.pcap");
        final DirectReplay.Result result = DirectReplay.run(config, capture, keyLog, out, 1);
        assertEquals(List.of(), result.handshakeFailures());
        assertEquals(HANDSHAKES, result.handshakes());
        assertEquals(result.framesIn(), result.latencyNs().getTotalCount(), "one latency sample per frame in");

        final long clientMac = capture.clientMac();
        final List<ApplianceCapture.Frame> replayed = ApplianceCapture.readFrames(out, Side.OUTSIDE);
        final List<ApplianceCapture.Frame> live = capture.frames();

        // what the live appliance sent to the server, and what the replay sent
        final ClientStreams livePlain = ClientStreams.of(live, f -> f.leg() == Side.INSIDE && !f.entering(), false);
        final ClientStreams replayPlain = ClientStreams.of(replayed,
            f -> ApplianceCapture.sourceMac(f.bytes()) == clientMac, false);
        // the client's TLS stream, the server's plaintext replies, the live and the replayed records to the client
        final ClientStreams clientCipher = ClientStreams.of(live, f -> f.leg() == Side.OUTSIDE && f.entering(), false);
        final ClientStreams serverPlain = ClientStreams.of(live, f -> f.leg() == Side.INSIDE && f.entering(), true);
        final ClientStreams liveToClient = ClientStreams.of(live, f -> f.leg() == Side.OUTSIDE && !f.entering(), true);
        final ClientStreams replayToClient = ClientStreams.of(replayed,
            f -> ApplianceCapture.sourceMac(f.bytes()) != clientMac, true);

        final long[] clients = clientCipher.clients();
        assertEquals(HANDSHAKES, clients.length);
        boolean sawGet = false;
        boolean sawPut = false;
        for (final long client : clients)
        {
            final int address = (int)(client >>> 16);
            final int port = (int)(client & 0xFFFF);
            final byte[] expectedPlain = livePlain.stream(address, port);
            final byte[] actualPlain = replayPlain.stream(address, port);
            assertTrue(expectedPlain.length > 0, "the capture holds the plaintext to the server");
            assertArrayEquals(expectedPlain, actualPlain, "plaintext to the server, client port " + port);
            final String request = new String(actualPlain, StandardCharsets.ISO_8859_1);
            sawGet |= request.startsWith("GET /replay-6k.bin ");
            sawPut |= request.startsWith("PUT /upload/replay-4k.bin ") && request.endsWith(uploadBody());

            final byte[] toClient = replayToClient.stream(address, port);
            final byte[] reply = serverPlain.stream(address, port);
            assertTrue(reply.length > 0 && new String(reply, StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 2"));
            assertArrayEquals(reply, openServerRecords(toClient, clientCipher.stream(address, port)),
                "the records to the client open to the server's reply, client port " + port);
            assertArrayEquals(liveToClient.stream(address, port), toClient,
                "the replay's records to the client are the live ones, client port " + port);
        }
        assertTrue(sawGet && sawPut, "the TLS 1.3 download and the TLS 1.2 upload");
    }

    /** The application data of the appliance's records after its handshake, opened with the key log's secrets. */
    private byte[] openServerRecords(final byte[] toClient, final byte[] fromClient) throws Exception
    {
        final byte[] clientRandom = Arrays.copyOfRange(fromClient, 11, 43);
        final CapturedHandshake handshake = CapturedHandshake.parse(toClient, toClient.length, clientRandom, keyLog);
        final RecordOpener opener = handshake.newServerOpener();
        final ByteArrayOutputStream plain = new ByteArrayOutputStream();
        int at = handshake.secondFlightEnd();
        while (at + 5 <= toClient.length)
        {
            final int length = ((toClient[at + 3] & 0xFF) << 8) | (toClient[at + 4] & 0xFF);
            if (at + 5 + length > toClient.length)
            {
                break;
            }
            final byte[] content = opener.open(toClient, at);
            assertNotNull(content, "record at " + at + " opens with the logged secrets");
            if (opener.contentType() == 23)
            {
                plain.writeBytes(content);
            }
            at += 5 + length;
        }
        assertEquals(toClient.length, at, "whole records only");
        opener.destroy();
        handshake.destroy();
        return plain.toByteArray();
    }

    static String uploadBody()
    {
        final StringBuilder body = new StringBuilder();
        for (int i = 0; i < 512; i++)
        {
            body.append(String.format("u%06d%n", i));
        }
        return body.toString();
    }

    @Test
    void shouldReplayTheCaptureSeveralTimesAsNewFlows() throws Exception
    {
        final DirectReplay.Result result = DirectReplay.run(config, capture, keyLog, dir.resolve("out3.pcap"), 3);
        assertEquals(List.of(), result.handshakeFailures());
        assertEquals(3 * HANDSHAKES, result.handshakes());
        assertTrue(result.counters().matches("(?s).*flows_established +6\\b.*"), result.counters());
    }
}
