package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.ClientOptions;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.protocol.Gateway;
import io.pyfleet.protocol.Incoming;
import io.pyfleet.protocol.Messages;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connections that have not authenticated, against a real node over loopback: they never take a token holder's
 * slot, they are closed at the handshake deadline whatever they send (TLS handshakes included), and an address
 * whose handshakes keep failing is refused for a while, others not.
 */
class HandshakeSlotsNodeTest {
    @TempDir
    Path dir;

    @Test
    void unauthenticatedConnectionsNeverTakeATokenHoldersSlot() throws Exception {
        try (NodeServer node = TestNodes.start(1, Map.of("pyfleet.gateway.max-connections", 2))) {
            List<WireClient> silent = new ArrayList<>();
            try {
                for (int i = 0; i < 20; i++) {
                    silent.add(new WireClient(node.address(), TestNodes.otherLoopback(2)));
                }
                for (WireClient s : silent) {
                    assertEquals(Gateway.CHALLENGE, s.challenge().type(), "each got its handshake");
                }
                try (WireClient a = new WireClient(node.address()); WireClient b = new WireClient(node.address())) {
                    assertEquals(Gateway.WELCOME, a.handshake(TestNodes.TOKEN).type());
                    assertEquals(Gateway.WELCOME, b.handshake(TestNodes.TOKEN).type());
                    b.request(1, "builtin", "abs", List.of(-3));
                    assertEquals(3L, b.read().body());
                    try (WireClient third = new WireClient(node.address())) {
                        Incoming refused = third.read();
                        assertEquals("overloaded", ((RemoteError) refused.body()).kind(),
                                "the two served slots are the token holders'");
                    }
                }
            } finally {
                for (WireClient s : silent) {
                    s.close();
                }
            }
        }
    }

    @Test
    void silenceAndAHelloSentSlowlyAreClosedAtTheHandshakeDeadline() throws Exception {
        try (NodeServer node = TestNodes.start(1, Map.of("pyfleet.gateway.handshake-timeout", "1s"))) {
            long t0 = System.nanoTime();
            try (WireClient silent = new WireClient(node.address()); WireClient slow = new WireClient(node.address())) {
                silent.challenge();
                slow.challenge();
                byte[] auth = new byte[40];
                auth[3] = 36;
                try {
                    for (byte b : auth) { // a byte every 200 ms: each arrival would reset an idle timer
                        slow.out.write(b);
                        slow.out.flush();
                        Thread.sleep(200);
                    }
                } catch (IOException closed) {
                    // the node closed it meanwhile, as it should
                }
                assertAuthRefusal(silent.read(), "no authentication within 1000 ms");
                assertTrue(silent.closedByNode());
                assertTrue(slow.closedByNode());
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertTrue(seconds < 9, "closed at the 1 s deadline, not after the 8 s the slow hello took: " + seconds);
        }
    }

    @Test
    void aStalledTlsHandshakeIsClosedAtTheHandshakeDeadline() throws Exception {
        GatewayTlsTest.Material m = GatewayTlsTest.material(dir, "node", "PKCS12", "-keyalg", "EC", "-groupname",
                "secp256r1");
        try (NodeServer node = TestNodes.start(1, Map.of("pyfleet.gateway.tls.enabled", true,
                "pyfleet.gateway.tls.certificate", m.certificate().toString(),
                "pyfleet.gateway.tls.private-key", m.privateKey().toString(),
                "pyfleet.gateway.handshake-timeout", "1s"))) {
            long t0 = System.nanoTime();
            try (Socket silent = new Socket(); Socket partial = new Socket()) {
                silent.connect(node.address());
                partial.connect(node.address());
                silent.setSoTimeout(10_000);
                partial.setSoTimeout(10_000);
                OutputStream out = partial.getOutputStream();
                out.write(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01}); // a ClientHello's head, and no more
                out.flush();
                assertClosed(silent.getInputStream());
                assertClosed(partial.getInputStream());
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertTrue(seconds < 5, "closed at the 1 s deadline: " + seconds);
            String address = "127.0.0.1:" + node.address().getPort();
            try (Fleet fleet = Fleet.connect(ClientOptions.builder().address(address).token(TestNodes.TOKEN)
                    .trustPem(m.certificate()).build())) {
                assertEquals(4.0, fleet.call("math.sqrt", 16.0), "a TLS client is served after the stalled ones");
            }
        }
    }

    @Test
    void anAddressWhoseHandshakesKeepFailingIsRefusedForAWhileAndOthersAreNot() throws Exception {
        try (NodeServer node = TestNodes.start(1, Map.of("pyfleet.gateway.handshake-failures-before-slowing", 3,
                "pyfleet.gateway.handshake-slowing-max", "30s", "pyfleet.gateway.handshake-timeout", "2s"))) {
            InetAddress abuser = TestNodes.otherLoopback(3);
            for (int i = 0; i < 3; i++) {
                try (WireClient wrong = new WireClient(node.address(), abuser)) {
                    assertAuthRefusal(wrong.handshake("not-the-token-0123456789"), "wrong token");
                    assertTrue(wrong.closedByNode());
                }
            }
            // From the third failure on, the address gets one try per wait (100 ms, doubling per failure): a
            // client that keeps failing meets the refusal within a few tries.
            Incoming refused = null;
            long answeredMs = 0;
            for (int i = 0; i < 20 && refused == null; i++) {
                long t0 = System.nanoTime();
                try (WireClient next = new WireClient(node.address(), abuser)) {
                    Incoming first = next.read();
                    if (first.type() == Messages.ERROR) {
                        answeredMs = (System.nanoTime() - t0) / 1_000_000;
                        refused = first;
                        long held = System.nanoTime();
                        assertTrue(next.closedByNode(), "and closed after the hold");
                        assertTrue(System.nanoTime() - held > 500_000_000L, "held open, not closed at once");
                    } else {
                        next.nodeNonce = (byte[]) ((Map<?, ?>) first.body()).get("nonce");
                        next.sendAuth(Gateway.clientMac("not-the-token-0123456789", next.nodeNonce));
                        assertAuthRefusal(next.read(), "wrong token");
                    }
                }
            }
            assertTrue(refused != null, "refused within 20 failing tries");
            RemoteError e = (RemoteError) refused.body();
            assertEquals("overloaded", e.kind());
            assertTrue(e.message().contains("too many failed handshakes from 127.0.0.3")
                    && e.message().contains("pyfleet.gateway.handshake-failures-before-slowing"), e.message());
            assertTrue(answeredMs < 1000, "answered at once: " + answeredMs + " ms");
            try (WireClient other = new WireClient(node.address())) {
                Incoming welcome = other.handshake(TestNodes.TOKEN);
                assertEquals(Gateway.WELCOME, welcome.type(), () -> "another address is served: " + welcome.body());
            }
        }
    }

    private static void assertAuthRefusal(Incoming m, String why) {
        assertEquals(Messages.ERROR, m.type(), () -> "an error: " + m);
        RemoteError e = (RemoteError) m.body();
        assertEquals("auth", e.kind());
        assertTrue(e.message().contains(why), e.message());
    }

    private static void assertClosed(InputStream in) throws IOException {
        byte[] buffer = new byte[4096];
        try {
            while (in.read(buffer) >= 0) {
                // a TLS alert, perhaps: read on to the end
            }
        } catch (java.net.SocketException reset) {
            // closed hard: closed too
        }
    }
}
