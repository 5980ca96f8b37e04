package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.PoolStats;
import io.pyfleet.protocol.Gateway;
import io.pyfleet.protocol.Incoming;
import io.pyfleet.protocol.Messages;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * An authenticated client sending 3,000 random and mutated frames: every frame gets exactly
 * one answer (its reply, a protocol error with its id, or an error with id 0 when not even
 * its id reads) and the connection serves on; never a hang. A well-behaved client is served
 * throughout, and no worker is harmed (the node decodes and checks every request first).
 */
class GatewayFuzzTest {
    private static final int FRAMES = 3_000;

    /** A valid request, then mutated: flipped bytes, cut short, junk appended, or random bytes. */
    private static byte[] frame(Random random, long id) {
        List<Object> variants = List.of("math.sqrt", "builtins.len", "fleettest.echo", "", "no.such.thing");
        byte[] valid = Messages.request(id, random.nextBoolean() ? "call" : "builtin",
                variants.get(random.nextInt(variants.size())), List.of(random.nextInt(100), "x"),
                random.nextBoolean() ? Map.of("k", List.of(1, 2.5)) : null,
                random.nextBoolean() ? Map.of("timeout_ms", 1000) : null);
        switch (random.nextInt(5)) {
            case 0 -> {
                return valid;
            }
            case 1 -> {
                byte[] flipped = valid.clone();
                for (int i = 0; i < 1 + random.nextInt(3); i++) {
                    flipped[random.nextInt(flipped.length)] ^= (byte) (1 << random.nextInt(8));
                }
                return flipped;
            }
            case 2 -> {
                return Arrays.copyOf(valid, 1 + random.nextInt(valid.length - 1));
            }
            case 3 -> {
                byte[] longer = Arrays.copyOf(valid, valid.length + 1 + random.nextInt(8));
                longer[valid.length] = (byte) random.nextInt(256);
                return longer;
            }
            default -> {
                byte[] junk = new byte[1 + random.nextInt(64)];
                random.nextBytes(junk);
                return junk;
            }
        }
    }

    @Test
    void everyGarbageFrameIsAnsweredAndTheConnectionServesOn() throws Exception {
        try (NodeServer node = TestNodes.start(2, Map.of("pyfleet.gateway.allow",
                List.of("math.*", "builtins.len", "fleettest.echo")))) {
            List<Long> pids = node.fleet().stats().workers().stream().map(PoolStats.WorkerStats::pid).toList();
            Random random = new Random(20261129);
            int byId = 0;
            int outOfCall = 0;
            try (WireClient good = new WireClient(node.address()); WireClient fuzz = new WireClient(node.address())) {
                assertEquals(Gateway.WELCOME, good.handshake(TestNodes.TOKEN).type());
                assertEquals(Gateway.WELCOME, fuzz.handshake(TestNodes.TOKEN).type());
                for (int sent = 1; sent <= FRAMES; sent++) {
                    fuzz.send(frame(random, sent));
                    Incoming m = fuzz.read(); // exactly one answer per frame, never a hang (socket timeout)
                    assertTrue(m.type() == Messages.REPLY || m.type() == Messages.ERROR, () -> "type " + m.type());
                    if (m.id() == 0) {
                        outOfCall++;
                    } else {
                        byId++;
                    }
                    if (sent % 500 == 0) {
                        good.request(sent, "call", "math.sqrt", List.of(16.0));
                        assertEquals(4.0, good.read().body(), "the well-behaved client is served");
                    }
                }
                fuzz.request(FRAMES + 1, "call", "math.sqrt", List.of(9.0));
                assertEquals(3.0, fuzz.read().body(), "the garbled connection still serves");
                fuzz.out.writeInt(0); // an empty frame breaks the framing rules: that closes it
                fuzz.out.flush();
                assertEquals(Messages.ERROR, fuzz.read().type());
                assertTrue(fuzz.closedByNode());
            }
            assertTrue(byId > FRAMES / 3 && outOfCall > 0, byId + " answered by id, " + outOfCall + " with id 0");
            assertEquals(pids, node.fleet().stats().workers().stream().map(PoolStats.WorkerStats::pid).toList(),
                    "no worker was harmed");
            System.out.printf("gateway fuzz: %d frames, %d answered by id, %d with id 0%n", FRAMES, byId, outOfCall);
        }
    }
}
