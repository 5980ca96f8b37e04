package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pyfleet.client.Fleet;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.PyObject;
import io.pyfleet.client.StaleHandleException;
import io.pyfleet.client.internal.ApiAccess;
import io.pyfleet.client.internal.Handle;
import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.protocol.Incoming;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Objects are capabilities of the connection that received them. Two clients of one node over
 * TCP: B replays A's handle, forges handles from the parts of its own (ids do not count up) and
 * releases A's object; each is refused with the same bytes as a call on an object B released
 * itself, and A's object is untouched.
 */
class ObjectCapabilityTest {
    private static final long PROBE = 900; // the id of every refused request, so their answers compare as bytes

    @Test
    void anotherConnectionCanNeitherUseNorForgeNorReleaseAnObject() throws Exception {
        try (NodeServer node = TestNodes.start(1, Map.of());
                WireClient a = new WireClient(node.address()); WireClient b = new WireClient(node.address())) {
            a.handshake(TestNodes.TOKEN);
            b.handshake(TestNodes.TOKEN);
            Handle secret = newDeque(a, 1);
            a.request(2, "method", secret, List.of("append", "A's secret"));
            assertEquals(null, WireClient.ok(a.read(), 2));

            // B's own object, released: the answer every refusal below must match byte for byte
            Handle own = newDeque(b, 1);
            b.request(2, "release", null, List.of(own));
            assertEquals(1L, WireClient.ok(b.read(), 2));
            byte[] released = refused(b, "method", own, List.of("append", 1L));
            RemoteError why = error(Incoming.parse(released));
            assertEquals("stale_handle", why.kind());
            assertEquals(SessionObjects.NOT_HELD, why.message());

            // replayed: read it, append to it, pass it as an argument, index it
            assertArrayEquals(released, refused(b, "method", secret, List.of("pop")), "B replays A's handle");
            assertArrayEquals(released, refused(b, "method", secret, List.of("append", "B's")));
            assertArrayEquals(released, refused(b, "call", "builtins.len", List.of(secret)), "as an argument");
            assertArrayEquals(released, refused(b, "call", "builtins.len", List.of(List.of(Map.of("x", secret)))),
                    "nested in B's values");
            assertArrayEquals(released, refused(b, "attr", secret, List.of("maxlen")));
            assertArrayEquals(released, refused(b, "scatter", "builtins.len", List.of(List.of(List.of(secret)))),
                    "in a scatter item");
            assertArrayEquals(released, refused(b, "identical", null,
                    List.of("call", "builtins.len", List.of(secret), Map.of(), Map.of())), "in an identical call");

            // forged from B's own parts: the ids next to its own; A's next object's (had B learnt it); A's, retyped
            Handle mine = newDeque(b, 3);
            Handle next = newDeque(a, 3);
            assertEquals(mine.worker(), next.worker(), "one worker");
            assertNotEquals(mine.id() + 1, next.id(), "ids do not count up: B's own do not name A's next object");
            for (long id : new long[] {mine.id() + 1, mine.id() - 1, next.id()}) {
                Handle forged = new Handle(mine.node(), mine.worker(), mine.generation(), id, mine.type());
                assertArrayEquals(released, refused(b, "method", forged, List.of("append", 1L)), "forged: " + id);
            }
            Handle otherType = new Handle(secret.node(), secret.worker(), secret.generation(), secret.id(),
                    "builtins.object");
            assertArrayEquals(released, refused(b, "method", otherType, List.of("pop")), "A's, retyped");

            // B's release of A's objects answers as any release and releases nothing
            b.request(4, "release", null, List.of(secret, next));
            assertEquals(2L, WireClient.ok(b.read(), 4), "the reply names the handles sent, as for its own");
            a.request(4, "builtin", "len", List.of(secret));
            assertEquals(1L, WireClient.ok(a.read(), 4), "A's object survives B's release");
            a.request(5, "method", secret, List.of("pop"));
            assertEquals("A's secret", WireClient.ok(a.read(), 5), "and holds only what A put there");
            a.request(6, "builtin", "len", List.of(next));
            assertEquals(0L, WireClient.ok(a.read(), 6), "A's next object too");

            // B's own objects work as they did, also passed into its scatter items
            b.request(5, "method", mine, List.of("append", 7L));
            assertEquals(null, WireClient.ok(b.read(), 5));
            b.request(6, "scatter", "builtins.len", List.of(List.of(List.of(mine), List.of(mine))));
            assertEquals(List.of(List.of(0L, 1L), List.of(0L, 1L)), WireClient.ok(b.read(), 6));

            // A released its object: A gets the same answer as B
            a.request(7, "release", null, List.of(secret));
            assertEquals(1L, WireClient.ok(a.read(), 7));
            assertArrayEquals(released, refused(a, "method", secret, List.of("pop")));
        }
    }

    @Test
    void objectsPassBetweenCallsOfOneFleetAndNoOtherOverTheClient() throws Exception {
        try (NodeServer node = TestNodes.start(2, Map.of());
                Fleet a = Fleet.connect(TestNodes.TOKEN, "127.0.0.1:" + node.address().getPort());
                Fleet b = Fleet.connect(TestNodes.TOKEN, "127.0.0.1:" + node.address().getPort())) {
            PyObject deque = assertInstanceOf(PyObject.class, a.init("collections.deque"));
            a.method(deque, "append", "secret");
            List<Outcome> lengths = a.scatter("builtins.len", List.of(List.of(deque), List.of(deque)));
            assertEquals(List.of(1L, 1L), lengths.stream().map(Outcome::value).toList(), "into A's scatter items");
            Handle h = ApiAccess.handle(deque);
            StaleHandleException e = assertThrows(StaleHandleException.class, () -> b.method(h, "pop"));
            assertEquals(SessionObjects.NOT_HELD, e.getMessage());
            assertEquals(1L, a.builtin("len", deque), "untouched");
        }
    }

    /** A new {@code collections.deque} of the client's: the handle its answer carries. */
    private static Handle newDeque(WireClient c, long id) throws IOException {
        c.request(id, "init", "collections.deque", List.of());
        return assertInstanceOf(Handle.class, WireClient.ok(c.read(), id));
    }

    /** Sends the request with id {@link #PROBE} and returns its answer's bytes, which must be an error. */
    private static byte[] refused(WireClient c, String op, Object target, List<?> args) throws IOException {
        return c.refused(PROBE, op, target, args, null);
    }

    private static RemoteError error(Incoming m) {
        return assertInstanceOf(RemoteError.class, m.body());
    }
}
