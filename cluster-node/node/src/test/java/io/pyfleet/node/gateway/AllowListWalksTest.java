package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.Kwargs;
import io.pyfleet.client.NotAllowedException;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.PyObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Attribute walks under a narrow {@code pyfleet.gateway.allow}, as an attacker tries them, over TCP to a real
 * node: {@code str.format} fields, {@code getattr}, {@code attrgetter}, {@code vars}, {@code globals}, frames...
 * Each is refused with NotAllowedException before anything runs; honest calls go on as before.
 */
class AllowListWalksTest {

    /** The attack: a format field walks from math.sqrt to os.environ. */
    private static final String ENVIRON =
            "{0.__self__.__loader__.create_module.__globals__[sys].modules[os].environ}";

    private static NotAllowedException refused(String what, Supplier<Object> attempt) {
        Object got;
        try {
            got = attempt.get();
        } catch (NotAllowedException e) {
            assertTrue(e.getMessage().contains("pyfleet.gateway.allow"), what + ": " + e.getMessage());
            return e;
        } catch (CompletionException e) {
            if (e.getCause() instanceof NotAllowedException n) {
                return n;
            }
            throw e;
        } catch (RuntimeException e) {
            throw new AssertionError(what + ": expected NotAllowedException, got " + e, e);
        }
        String shown = String.valueOf(got);
        throw new AssertionError(what + " ran and returned " + shown.substring(0, Math.min(120, shown.length())));
    }

    @Test
    void formatOnAStringValueDoesNotWalkFromAnAllowedFunctionToTheEnvironment() {
        try (Fleet narrow = TestNodes.remote(1, Map.of("pyfleet.gateway.allow", List.of("math.*", "builtins.len")))) {
            Object sqrt = narrow.submit(Call.constant("math.sqrt", null)
                    .with(CallOptions.builder().asHandle().build())).join();
            assertInstanceOf(PyObject.class, sqrt);
            long t0 = System.nanoTime();
            NotAllowedException e = refused("method format", () -> narrow.method(ENVIRON, "format", sqrt));
            long refusedIn = System.nanoTime() - t0;
            assertTrue(e.getMessage().contains("format"), e.getMessage());
            System.out.printf("allow-list: method format refused in %.2f ms: %s%n", refusedIn / 1e6, e.getMessage());
            // the honest client of the same node is served as before
            assertEquals(4.0, narrow.call("math.sqrt", 16.0));
            assertEquals(3L, narrow.builtin("len", "abc"));
            assertEquals("ABC", narrow.method("abc", "upper"));
            assertEquals(5L, narrow.builtin("len", "{0:>}"), "a string with braces but no walk is a value like any");
        }
    }

    @Test
    void everyWalkAnAttackerTriesIsRefusedEvenWhenItsModuleIsListed() {
        List<String> allow = List.of("math.*", "builtins.*", "operator.*", "string.*", "functools.*", "inspect.*");
        try (Fleet narrow = TestNodes.remote(1, Map.of("pyfleet.gateway.allow", allow))) {
            CallOptions handle = CallOptions.builder().asHandle().build();
            Object sqrt = narrow.submit(Call.constant("math.sqrt", null).with(handle)).join();
            Object math = narrow.submit(Call.constant("math", null).with(handle)).join();
            Object str = narrow.submit(Call.constant("string.ascii_letters", null).with(handle)).join();
            assertInstanceOf(PyObject.class, str);
            Map<String, Supplier<Object>> walks = new LinkedHashMap<>();
            walks.put("method format on a str", () -> narrow.method(ENVIRON, "format", sqrt));
            walks.put("method format_map", () -> narrow.method("{x.__self__}", "format_map", Map.of("x", sqrt)));
            walks.put("method format on a PyObject of a str", () -> narrow.method(str, "format", sqrt));
            walks.put("attr format (a bound str.format to pass on)", () -> narrow.attr("{0}", "format"));
            walks.put("call builtins.str.format", () -> narrow.call("builtins.str.format", ENVIRON, sqrt));
            walks.put("builtin getattr", () -> narrow.builtin("getattr", sqrt, "__self__"));
            walks.put("builtin getattr, public name", () -> narrow.builtin("getattr", math, "sqrt"));
            walks.put("builtin vars", () -> narrow.builtin("vars", math));
            walks.put("builtin globals", () -> narrow.builtin("globals"));
            walks.put("builtin eval", () -> narrow.builtin("eval", "().__class__"));
            walks.put("builtin format with a spec", () -> narrow.builtin("format", sqrt, ""));
            walks.put("operator attrgetter", () -> narrow.operator("attrgetter", "__self__"));
            walks.put("operator methodcaller", () -> narrow.operator("methodcaller", "__reduce_ex__", 2));
            walks.put("call operator.attrgetter", () -> narrow.call("operator.attrgetter", "__globals__"));
            walks.put("const operator.attrgetter (a handle for map or partial)",
                    () -> narrow.submit(Call.constant("operator.attrgetter", null).with(handle)).join());
            walks.put("call functools.partial of a walk", () -> narrow.call("functools.partial",
                    narrow.submit(Call.constant("builtins.getattr", null).with(handle)).join()));
            walks.put("string.Formatter().vformat", () -> narrow.init("string.Formatter"));
            walks.put("call string.Formatter.vformat",
                    () -> narrow.call("string.Formatter.vformat", ENVIRON, List.of(sqrt), Map.of()));
            walks.put("string.Template", () -> narrow.init("string.Template", "$x"));
            walks.put("inspect.getattr_static", () -> narrow.call("inspect.getattr_static", sqrt, "__self__"));
            walks.put("inspect.getmembers", () -> narrow.call("inspect.getmembers", math));
            walks.put("method __reduce_ex__", () -> narrow.method(sqrt, "__reduce_ex__", 2));
            walks.put("method __getattribute__", () -> narrow.method(sqrt, "__getattribute__", "__self__"));
            walks.put("a format field in an argument", () -> narrow.call("math.sqrt", "{0.__class__}"));
            walks.put("a format field in a keyword argument",
                    () -> narrow.call("math.sqrt", 1.0, Kwargs.of("x", List.of("{x[0].__globals__}"))));
            walks.put("a format field in a nested spec", () -> narrow.builtin("len", "{0:{1.__class__}}"));
            walks.put("a format field behind a bracket", () -> narrow.builtin("len", "{0[a}b].__class__}"));
            walks.put("a frame's public walk", () -> narrow.attr(
                    narrow.submit(Call.function("inspect.currentframe", List.of(), null).with(handle)).join(),
                    "f_globals"));
            walks.put("a format field through a frame", () -> narrow.builtin("len", "{0.gi_frame.f_globals}"));
            walks.put("identical method format", () -> narrow.identicalAsync(
                    Call.method(ENVIRON, "format", List.of(sqrt), null)).join());
            walks.put("scatter builtins.str.format",
                    () -> narrow.scatter("builtins.str.format", List.of(List.of(ENVIRON, sqrt))));
            walks.put("scatter with a format field", () -> narrow.scatter("math.sqrt", List.of(List.of("{0._x}"))));
            List<String> ran = new ArrayList<>();
            for (Map.Entry<String, Supplier<Object>> walk : walks.entrySet()) {
                try {
                    refused(walk.getKey(), walk.getValue());
                } catch (AssertionError e) {
                    ran.add(e.getMessage());
                }
            }
            if (!ran.isEmpty()) {
                fail(ran.size() + " of " + walks.size() + " walks were not refused:\n  " + String.join("\n  ", ran));
            }
            // what the list names is still served
            assertEquals(List.of(1.0, 2.0), narrow.scatter("math.sqrt", List.of(List.of(1.0), List.of(4.0)))
                    .stream().map(Outcome::get).toList());
            assertEquals("a-b", narrow.method("-", "join", List.of("a", "b")));
            assertEquals(3L, narrow.operator("add", 1L, 2L));
            assertEquals("Ab", narrow.call("string.capwords", "ab"));
            assertThrows(NotAllowedException.class, () -> narrow.call("os.getcwd"));
        }
    }
}
