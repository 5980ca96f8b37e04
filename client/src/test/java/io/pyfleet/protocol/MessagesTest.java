package io.pyfleet.protocol;

import static io.pyfleet.protocol.Hex.bytes;
import static io.pyfleet.protocol.Hex.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyTuple;
import io.pyfleet.client.internal.Handle;
import io.pyfleet.client.internal.RemoteError;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MessagesTest {

    @Test
    void requestLayout() {
        byte[] r = Messages.request(1, "call", "os.path.isdir", List.of("/tmp"), null, Map.of());
        assertEquals("97" + "00" + "01" + "a463616c6c" + "ad6f732e706174682e6973646972" + "91a42f746d70" + "c0" + "c0",
                hex(r));
        assertEquals("970002a5636f6e7374a76d6174682e7069c0c0c0",
                hex(Messages.request(2, "const", "math.pi", List.of(), Map.of(), null)));
    }

    @Test
    void requestRoundTripsThroughParse() {
        Handle h = new Handle("n1", "w1", 2, 9, "builtins.list");
        Map<String, Object> kwargs = new LinkedHashMap<>();
        kwargs.put("b", 2L);
        kwargs.put("a", PyTuple.of(1L));
        Incoming in = Incoming.parse(Messages.request(Long.MAX_VALUE, "method", h, List.of("append", 3L), kwargs,
                Map.of("ret", "handle")));
        assertEquals(Messages.REQUEST, in.type());
        assertEquals(Long.MAX_VALUE, in.id());
        assertEquals(List.of("method", h, List.of("append", 3L), kwargs, Map.of("ret", "handle")), in.body());
        assertThrows(IllegalArgumentException.class, () -> Messages.request(0, "call", "x", null, null, null));
        assertThrows(ProtocolException.class, () -> Messages.request(1, "call", new Object(), null, null, null));
        assertEquals("01", hex(ValueCodec.encode(1)), "the pooled buffer survives a failed request");
    }

    @Test
    void replyEventErrorLogHello() {
        Incoming reply = Incoming.parse(Messages.reply(5, List.of(1L, "x")));
        assertEquals(new Incoming(Messages.REPLY, 5, List.of(1L, "x")), reply);
        assertTrue(reply.isFinal());
        assertEquals("930105c0", hex(Messages.reply(5, null)));
        assertNull(Incoming.parse(Messages.reply(5, null)).body());
        Incoming event = Incoming.parse(Messages.event(5, 2.5));
        assertEquals(new Incoming(Messages.EVENT, 5, 2.5), event);
        assertFalse(event.isFinal());
        RemoteError err = new RemoteError("python", "builtins.ZeroDivisionError", "division by zero", "Traceback...");
        byte[] e = Messages.error(0, err);
        assertTrue(hex(e).startsWith("93020094a6707974686f6e"), hex(e));
        assertEquals(new Incoming(Messages.ERROR, 0, err), Incoming.parse(e));
        assertEquals(new Incoming(Messages.LOG, 0, List.of("stdout", "hi")), Incoming.parse(Messages.log("stdout", "hi")));
        Map<String, Object> hello = new LinkedHashMap<>();
        hello.put("protocol", 1L);
        hello.put("pid", 1234L);
        hello.put("python", "3.11.2");
        hello.put("numpy", null);
        hello.put("package", "0.1.0");
        hello.put("worker", "w-1");
        hello.put("max_frame", (long) Frames.DEFAULT_MAX_FRAME);
        assertEquals(new Incoming(Messages.HELLO, 0, hello), Incoming.parse(Messages.hello(hello)));
    }

    @Test
    void malformedMessages() {
        assertBad("01", "array");
        assertBad("91 00", "array");
        assertBad("93 0a 00 c0", "unknown message type"); // 6..9 are the gateway's
        assertBad("93 ff 00 c0", "unknown message type");
        assertBad("93 a1 31 00 c0", "unknown message type");
        assertBad("93 01 ff c0", "request id");
        assertBad("93 01 cf ffffffffffffffff c0", "request id");
        assertBad("94 01 01 c0 c0", "3 elements");
        assertBad("93 00 01 c0", "7 elements");
        assertBad("97 00 01 01 c0 c0 c0 c0", "op");
        assertBad("97 00 01 a1 78 c0 01 c0 c0", "args");
        assertBad("97 00 01 a1 78 c0 c0 90 c0", "maps");
        assertBad("93 02 01 93 a1 61 a1 62 a1 63", "an error must be");
        assertBad("93 02 01 94 a1 61 a1 62 a1 63 c0", "an error must be");
        assertBad("93 02 01 95 a1 61 a1 62 a1 63 a1 64 91 93 a1 66 01 a1 67", "an error frame must be");
        assertBad("93 04 00 91 a1 61", "log body");
        assertBad("93 05 00 90", "hello body");
        assertBad("93 01 01", "truncated");
    }

    private static void assertBad(String hex, String fragment) {
        ProtocolException e = assertThrows(ProtocolException.class, () -> Incoming.parse(bytes(hex)), hex);
        assertTrue(e.getMessage().contains(fragment), hex + ": " + e.getMessage());
    }
}
