package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.node.TestPython;
import io.pyfleet.protocol.Gateway;
import io.pyfleet.protocol.Incoming;
import io.pyfleet.protocol.Messages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway as an attacker or a broken client meets it, over real loopback sockets to a
 * real node: nothing but the right handshake gets a call run, bad frames cost the node
 * nothing and close only their own connection.
 */
class GatewayWireTest {
    private static NodeServer node;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() {
        node = TestNodes.start(2, Map.of("pyfleet.gateway.idle-timeout", "2s",
                "pyfleet.gateway.heartbeat-interval", "500ms", "pyfleet.gateway.handshake-timeout", "2s",
                "pyfleet.gateway.allow", List.of("math.*", "fleettest.*", "builtins.len")));
    }

    @AfterAll
    static void stop() {
        node.stop();
    }

    /** A marker file a call would create: proof that no Python code ran. */
    private Path marker(String name) {
        return tmp.resolve(name);
    }

    /** fleettest.mark(directory, key) writes directory/key: a call that ran leaves it. */
    private static List<Object> markArgs(Path marker) {
        return List.of(marker.getParent().toString(), marker.getFileName().toString());
    }

    private static void assertAuthError(Incoming m) {
        assertEquals(Messages.ERROR, m.type());
        assertEquals(0, m.id());
        assertEquals("auth", ((RemoteError) m.body()).kind());
    }

    @Test
    void theRightTokenGetsCallsServed() throws IOException {
        try (WireClient c = new WireClient(node.address())) {
            Incoming welcome = c.handshake(TestNodes.TOKEN);
            assertEquals(Gateway.WELCOME, welcome.type());
            Map<?, ?> body = (Map<?, ?>) welcome.body();
            assertArrayEquals(Gateway.nodeMac(TestNodes.TOKEN, c.clientNonce), (byte[]) body.get("mac"),
                    "the node proves it holds the token");
            c.request(7, "call", "math.sqrt", List.of(16.0));
            c.request(8, "call", "math.factorial", List.of(20));
            Incoming a = c.read();
            Incoming b = c.read();
            Map<Long, Object> byId = Map.of(a.id(), a.body(), b.id(), b.body());
            assertEquals(4.0, byId.get(7L));
            assertEquals(2432902008176640000L, byId.get(8L));
        }
    }

    @Test
    void noTokenWrongTokenAndGarbageAreRefusedAndNothingRuns() throws IOException {
        Path ran = marker("ran-unauthenticated");
        byte[] request = Messages.request(1, "call", "fleettest.mark", markArgs(ran), null, null);
        try (WireClient c = new WireClient(node.address())) {
            c.challenge();
            c.send(request); // a request instead of the auth
            assertAuthError(c.read());
            assertTrue(c.closedByNode());
        }
        try (WireClient c = new WireClient(node.address())) {
            assertAuthError(c.handshake("wrong-token-0123456789abcdef"));
            assertTrue(c.closedByNode());
        }
        try (WireClient c = new WireClient(node.address())) {
            c.challenge();
            c.out.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            c.out.flush();
            assertAuthError(c.read());
            assertTrue(c.closedByNode());
        }
        try (WireClient c = new WireClient(node.address())) {
            c.challenge(); // and then silence: the handshake deadline closes it
            long t0 = System.nanoTime();
            assertAuthError(c.read());
            assertTrue(c.closedByNode());
            assertTrue(System.nanoTime() - t0 < 10_000_000_000L);
        }
        assertTrue(Files.notExists(ran), "no Python code ran for an unauthenticated client");
    }

    @Test
    void aReplayedHandshakeIsRefused() throws IOException {
        byte[] recorded;
        try (WireClient first = new WireClient(node.address())) {
            first.challenge();
            recorded = Gateway.clientMac(TestNodes.TOKEN, first.nodeNonce);
            first.sendAuth(recorded);
            assertEquals(Gateway.WELCOME, first.read().type());
        }
        try (WireClient replay = new WireClient(node.address())) {
            replay.challenge();
            replay.sendAuth(recorded); // an eavesdropper's copy of the first answer
            assertAuthError(replay.read());
            assertTrue(replay.closedByNode());
        }
    }

    @Test
    void aFrameDeclaring2GiBIsRefusedAndOthersAreStillServed() throws IOException {
        long before = usedHeap();
        try (WireClient bad = new WireClient(node.address()); WireClient good = new WireClient(node.address())) {
            assertEquals(Gateway.WELCOME, bad.handshake(TestNodes.TOKEN).type());
            assertEquals(Gateway.WELCOME, good.handshake(TestNodes.TOKEN).type());
            bad.out.writeInt(0x8000_0000); // 2 GiB declared
            bad.out.write(new byte[1024]);
            bad.out.flush();
            Incoming refusal = bad.read();
            assertEquals(Messages.ERROR, refusal.type());
            assertTrue(((RemoteError) refusal.body()).message().contains("over the node's maximum frame size of "
                    + (64 << 20) + " bytes (pyfleet.gateway.max-frame-size)"), ((RemoteError) refusal.body()).message());
            assertTrue(bad.closedByNode());
            good.request(1, "call", "math.sqrt", List.of(9.0));
            assertEquals(3.0, good.read().body());
        }
        assertTrue(usedHeap() - before < 256L << 20, "the node allocated nothing like 2 GiB");
    }

    @Test
    void halfAFrameThenSilenceIsClosedAfterTheIdleTimeout() throws IOException {
        try (WireClient c = new WireClient(node.address())) {
            assertEquals(Gateway.WELCOME, c.handshake(TestNodes.TOKEN).type());
            c.out.writeInt(100);
            c.out.write(new byte[10]); // 90 bytes never come
            c.out.flush();
            long t0 = System.nanoTime();
            assertTrue(c.closedByNode());
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertTrue(seconds >= 1.5 && seconds < 10, "closed after the 2 s idle timeout, not " + seconds);
        }
    }

    @Test
    void aCallOutsideTheAllowListIsRefusedBeforeItRuns() throws IOException {
        Path ran = marker("ran-not-allowed");
        try (WireClient c = new WireClient(node.address())) {
            assertEquals(Gateway.WELCOME, c.handshake(TestNodes.TOKEN).type());
            c.request(1, "call", "os.system", List.of("touch " + ran));
            Incoming refused = c.read();
            assertEquals(Messages.ERROR, refused.type());
            assertEquals("not_allowed", ((RemoteError) refused.body()).kind());
            c.request(2, "builtin", "eval", List.of("1"));
            assertEquals("not_allowed", ((RemoteError) c.read().body()).kind());
            c.request(4, "call", "math.__loader__.get_data", List.of("/etc/hostname"));
            assertEquals("not_allowed", ((RemoteError) c.read().body()).kind(), "no dunder escape from math.*");
            c.request(3, "builtin", "len", List.of("abc"));
            assertEquals(3L, c.read().body(), "the connection serves on after a refusal");
        }
        assertTrue(Files.notExists(ran));
    }

    @Test
    void aClientThatClosesItsSideGetsTheAnswersToWhatItSent() throws IOException {
        try (WireClient c = new WireClient(node.address())) {
            assertEquals(Gateway.WELCOME, c.handshake(TestNodes.TOKEN).type());
            for (int i = 1; i <= 3; i++) {
                c.request(i, "call", "fleettest.sleep_then", List.of(0.2, i));
            }
            c.socket.shutdownOutput();
            java.util.Set<Object> answers = new java.util.HashSet<>();
            for (int i = 1; i <= 3; i++) {
                answers.add(c.read().body());
            }
            assertEquals(java.util.Set.of(1L, 2L, 3L), answers);
            assertTrue(c.closedByNode(), "then the node closes");
        }
    }

    private static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    static String interpreter() {
        return TestPython.interpreter();
    }
}
