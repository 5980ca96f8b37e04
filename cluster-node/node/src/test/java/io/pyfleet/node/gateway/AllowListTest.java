package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigException;
import io.pyfleet.client.NotAllowedException;
import io.pyfleet.client.PyTuple;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The rules of pyfleet.gateway.allow, op by op. */
class AllowListTest {

    private static final AllowList ALL = new AllowList(List.of("*"));
    private static final AllowList NARROW = new AllowList(List.of("numpy.*", "math.sqrt", "builtins.len",
            "operator.add", "collections.OrderedDict"));

    private static void allowed(AllowList list, String op, Object target, Object... args) {
        assertDoesNotThrow(() -> list.check(op, target, Arrays.asList(args)), op + " " + target);
    }

    private static NotAllowedException refused(AllowList list, String op, Object target, Object... args) {
        NotAllowedException e = assertThrows(NotAllowedException.class,
                () -> list.check(op, target, Arrays.asList(args)), op + " " + target);
        assertTrue(e.getMessage().contains("pyfleet.gateway.allow"), e.getMessage());
        return e;
    }

    @Test
    void starLetsEveryKnownOpThrough() {
        assertTrue(ALL.allowsEverything());
        for (String op : List.of("call", "const", "init", "import", "scatter", "builtin", "operator", "versions",
                "release", "stats", "resize")) {
            allowed(ALL, op, "os.system");
        }
        allowed(ALL, "method", 1L, "__class__");
        allowed(ALL, "attr", 1L, "__dict__");
        allowed(ALL, "identical", null, "call", "os.system", List.of());
        refused(ALL, "map", "os.system");
        assertThrows(NotAllowedException.class, () -> ALL.check(null, null, null));
        // "*" anywhere in the list is allow-all
        assertTrue(new AllowList(List.of("math.sqrt", "*")).allowsEverything());
    }

    @Test
    void dottedNamesExactlyOrUnderAModule() {
        allowed(NARROW, "call", "math.sqrt", 2.0);
        NotAllowedException e = refused(NARROW, "call", "math.floor", 2.0);
        assertTrue(e.getMessage().contains("math.floor") && e.getMessage().contains("call"), e.getMessage());
        refused(NARROW, "call", "math");
        refused(NARROW, "call", "math.sqrt.x");
        allowed(NARROW, "call", "numpy.linalg.norm");
        allowed(NARROW, "import", "numpy");
        allowed(NARROW, "const", "numpy.pi");
        refused(NARROW, "import", "numpyx");
        refused(NARROW, "call", "numpyx.f");
        allowed(NARROW, "init", "collections.OrderedDict");
        refused(NARROW, "init", "collections.Counter");
        refused(NARROW, "const", "os.sep");
        refused(NARROW, "call", 42L);
        refused(NARROW, "call", null);
        refused(NARROW, "call", "");
    }

    @Test
    void builtinsAndOperatorsAreCheckedInTheirModule() {
        allowed(NARROW, "builtin", "len", List.of());
        NotAllowedException e = refused(NARROW, "builtin", "eval", "1");
        assertTrue(e.getMessage().contains("builtins.eval"), e.getMessage());
        allowed(NARROW, "operator", "add", 1L, 2L);
        assertTrue(refused(NARROW, "operator", "mul", 1L, 2L).getMessage().contains("operator.mul"));
        allowed(new AllowList(List.of("builtins.*")), "builtin", "open", "x");
    }

    @Test
    void membersStartingWithAnUnderscoreAreRefusedUnlessStar() {
        allowed(NARROW, "method", 7L, "reshape", 2L, 3L);
        allowed(NARROW, "attr", 7L, "shape");
        NotAllowedException e = refused(NARROW, "method", 7L, "__class__");
        assertTrue(e.getMessage().contains("__class__") && e.getMessage().contains("method"), e.getMessage());
        refused(NARROW, "attr", 7L, "__globals__");
        refused(NARROW, "attr", 7L, "_private");
        refused(NARROW, "method", 7L); // no name to check
        refused(NARROW, "method", 7L, 3L);
        assertThrows(NotAllowedException.class, () -> NARROW.check("attr", 7L, null));
    }

    @Test
    void scatterChecksItsFunction() {
        allowed(NARROW, "scatter", "math.sqrt", List.of(List.of(1.0), List.of(4.0)));
        refused(NARROW, "scatter", "os.system", List.of(List.of("true")));
    }

    @Test
    void identicalChecksItsInnerCall() {
        allowed(NARROW, "identical", null, "call", "numpy.random.seed", List.of(1L), null, null);
        allowed(NARROW, "identical", null, "versions", null, null);
        assertTrue(refused(NARROW, "identical", null, "call", "os.system", List.of("true")).getMessage()
                .contains("os.system"));
        refused(NARROW, "identical", null, "attr", 1L, List.of("__class__"));
        refused(NARROW, "identical", null, "identical", null, List.of("call", "math.sqrt", List.of()));
        refused(NARROW, "identical", null, "scatter", "math.sqrt", List.of());
        refused(NARROW, "identical", null, "call");
        refused(NARROW, "identical", null, "call", "math.sqrt", "not a list");
        // the gateway may also recurse itself: check is the same for the inner call
        allowed(NARROW, "call", "numpy.random.seed", 1L);
    }

    @Test
    void aLookupNeedsOneAllowedNamePerGroupAndSeesOnlyThose() {
        List<List<String>> groups = List.of(List.of("toHTML", "to_html"), List.of("sqrt"), List.of("linalg.norm"));
        allowed(NARROW, "lookup", "numpy", groups);
        assertEquals(List.of(groups), NARROW.visible("lookup", "numpy", List.of(groups)), "all of numpy is allowed");
        AllowList snakeOnly = new AllowList(List.of("m.to_html", "m.sqrt", "m.linalg.*"));
        allowed(snakeOnly, "lookup", "m", groups);
        assertEquals(List.of(List.of(List.of("to_html"), List.of("sqrt"), List.of("linalg.norm"))),
                snakeOnly.visible("lookup", "m", List.of(groups)), "the worker is asked only about allowed names");
        NotAllowedException e = refused(NARROW, "lookup", "math", groups);
        assertEquals("math.toHTML or math.to_html, math.linalg.norm are not in pyfleet.gateway.allow "
                + "(op lookup: binding math)", e.getMessage(), "math.sqrt is allowed: the other two are named");
        refused(NARROW, "lookup", "os", List.of(List.of("getpid")));
        refused(NARROW, "lookup", "numpy", List.of(List.of("_private")));
        refused(NARROW, "lookup", null, groups);
        refused(NARROW, "lookup", "numpy", List.of(List.of()));
        refused(NARROW, "lookup", "os", List.of()); // no group: it would import os, and allowed nothing
        allowed(ALL, "lookup", "os", List.of());
        refused(NARROW, "lookup", "numpy", List.of(List.of(1L)));
        refused(NARROW, "lookup", "numpy");
        refused(NARROW, "lookup", "numpy", "sqrt");
        allowed(ALL, "lookup", "os", List.of(List.of("getpid")));
        assertEquals(List.of(groups), ALL.visible("lookup", "m", List.of(groups)));
        List<Object> args = List.of(1L);
        assertSame(args, snakeOnly.visible("call", "m.sqrt", args), "other ops' args are left as they are");
        // identical could run a lookup on every worker, unnarrowed: only with "*"
        refused(NARROW, "identical", null, "lookup", "numpy", List.of(groups));
        allowed(ALL, "identical", null, "lookup", "numpy", List.of(groups));
    }

    @Test
    void bookkeepingOpsAlwaysPassAndResizeOnlyWithStar() {
        allowed(NARROW, "versions", null);
        allowed(NARROW, "release", null, 1L, 2L);
        allowed(NARROW, "stats", null);
        NotAllowedException e = refused(NARROW, "resize", null, 4L);
        assertTrue(e.getMessage().contains("resize"), e.getMessage());
        allowed(ALL, "resize", null, 4L);
        AllowList empty = new AllowList(List.of());
        allowed(empty, "versions", null);
        refused(empty, "call", "math.sqrt");
    }

    @Test
    void poolListAlwaysPassesAndPoolChangesOnlyWithStar() {
        allowed(NARROW, "pool_list", null);
        for (String op : List.of("pool_start", "pool_resize", "pool_stop")) {
            NotAllowedException e = refused(NARROW, op, "sci", 2L);
            assertTrue(e.getMessage().contains(op) && e.getMessage().contains("pyfleet.gateway.allow"), e.getMessage());
            allowed(ALL, op, "sci", 2L);
        }
    }

    @Test
    void unknownOpsAreRefused() {
        assertTrue(refused(NARROW, "map", "math.sqrt").getMessage().contains("map"));
        refused(NARROW, "imap", "math.sqrt");
        refused(NARROW, "exec", "x");
        assertThrows(NotAllowedException.class, () -> NARROW.check(null, "math.sqrt", List.of()));
    }

    @Test
    void malformedPatternsAreRefusedAtConstruction() {
        for (String bad : List.of("", "a..b", "*.x", ".a", "a.", ".*", "np*", "numpy.*.x", "a b", "numpy.**")) {
            ConfigException e = assertThrows(ConfigException.class, () -> new AllowList(List.of("math.sqrt", bad)), bad);
            assertTrue(e.getMessage().contains("pyfleet.gateway.allow"), e.getMessage());
        }
        assertFalse(new AllowList(List.of("a.b.*", "c")).allowsEverything());
    }

    private static final AllowList WIDE = new AllowList(List.of("builtins.*", "operator.*", "string.*", "inspect.*",
            "numpy.*", "pydoc.*", "math.*"));

    @Test
    void walkersAreRefusedWhateverTheListNames() {
        for (String name : List.of("format", "getattr", "vars", "globals", "locals", "eval", "exec", "compile",
                "setattr", "delattr", "str.format", "str.format_map")) {
            NotAllowedException e = refused(WIDE, "builtin", name, "x");
            assertTrue(e.getMessage().contains("builtins." + name) && e.getMessage().contains("[\"*\"]"),
                    e.getMessage());
        }
        refused(WIDE, "operator", "attrgetter", "__globals__");
        refused(WIDE, "operator", "methodcaller", "x");
        refused(WIDE, "call", "operator.attrgetter", "x");
        refused(WIDE, "const", "operator.attrgetter");
        refused(WIDE, "init", "string.Formatter");
        refused(WIDE, "init", "string.Template", "$x");
        refused(WIDE, "call", "string.Formatter.vformat", "{0}", List.of(), Map.of());
        refused(WIDE, "call", "inspect.getattr_static", 1L, "x");
        refused(WIDE, "call", "inspect.getmembers", 1L);
        refused(WIDE, "call", "inspect.classify_class_attrs", 1L);
        refused(WIDE, "call", "pydoc.locate", "os.system");
        refused(WIDE, "scatter", "builtins.str.format", List.of(List.of("{0}", 1L)));
        refused(WIDE, "identical", null, "call", "builtins.getattr", List.of(1L, "x"), null, null);
        refused(WIDE, "lookup", "builtins", List.of(List.of("getattr")));
        refused(WIDE, "call", "inspect.currentframe.f_globals");
        refused(WIDE, "const", "x.gi_frame.f_back.y");
        // a walker's name as a module in the middle is not a walk: numpy.lib.format is numpy's file format
        allowed(WIDE, "call", "numpy.lib.format.open_memmap", "x.npy");
        allowed(WIDE, "operator", "add", 1L, 2L);
        allowed(WIDE, "builtin", "len", "abc");
        assertTrue(WIDE.allows("string.capwords") && !WIDE.allows("string.Template"));
        // allow-all is not a sandbox: everything passes
        allowed(ALL, "builtin", "getattr", 1L, "__class__");
        allowed(ALL, "method", "{0.__class__}", "format", 1L);
    }

    @Test
    void methodAndAttributeNamesAreCheckedAsStrictlyAsFunctionNames() {
        for (String name : List.of("format", "format_map", "vformat", "get_field", "getattr", "f_globals", "gi_frame",
                "tb_frame", "f_back", "x.__class__", "x._y", "")) {
            refused(NARROW, "method", "{0}", name, 1L);
            refused(NARROW, "attr", 7L, name);
        }
        allowed(NARROW, "method", "a,b", "split", ",");
        allowed(NARROW, "method", "-", "join", List.of("a", "b"));
        allowed(NARROW, "attr", 7L, "real");
        refused(NARROW, "identical", null, "method", "{0}", List.of("format", 1L), null, null);
    }

    @Test
    void formatFieldsThatReachAPrivateNameOrAFrameAreRefusedInAnyString() {
        for (String walk : List.of("{0.__self__.__loader__.create_module.__globals__[sys].modules[os].environ}",
                "{x.__class__}", "{0[__globals__]}", "{0.gi_frame.f_globals}", "{0:{1.__class__}}", "{{0._x}}",
                "{0[a}b].__class__}", "{0[a:b]._c!r}", "{0.x]._y}", "{.__class__}", "a {0.tb_frame} b",
                "{0[0][_k]}", "{0.f_back}")) {
            NotAllowedException e = refused(NARROW, "builtin", "len", walk);
            assertTrue(e.getMessage().contains("format field"), e.getMessage());
            refused(NARROW, "method", walk, "upper"); // the target is a value too
            refused(NARROW, "call", "math.sqrt", List.of(List.of(Map.of("k", walk)))); // nested
            refused(NARROW, "call", "math.sqrt", Map.of(walk, 1L)); // a map key
            NotAllowedException k = assertThrows(NotAllowedException.class,
                    () -> NARROW.check("call", "math.sqrt", List.of(), Map.of("x", walk)));
            assertTrue(k.getMessage().contains("pyfleet.gateway.allow"), k.getMessage());
            refused(NARROW, "scatter", "math.sqrt", List.of(List.of(1.0), List.of(walk)));
            refused(NARROW, "identical", null, "call", "math.sqrt", List.of(new PyTuple(List.of(walk))), null, null);
            assertThrows(NotAllowedException.class, () -> NARROW.check("identical", null,
                    Arrays.asList("call", "math.sqrt", List.of(), Map.of("x", Set.of(walk)), null)), walk);
            allowed(ALL, "builtin", "len", walk);
        }
        for (String fine : List.of("{}", "{0}", "{0.real}", "{x[key]}", "{0:_>10}", "{0:.2f}", "{\"a\": \"x._y\"}",
                "a._b", "{0[a.__b]}", "{", "}", "{0.", "{0[", "{0[_")) {
            if (fine.equals("{0[_")) {
                refused(NARROW, "builtin", "len", fine); // an unclosed key starting with _ is read as one
                continue;
            }
            allowed(NARROW, "builtin", "len", fine);
        }
    }

    @Test
    void aListThatNamesAWalkerIsAConfigurationError() {
        for (String walker : List.of("builtins.getattr", "operator.attrgetter", "string.Template", "builtins.eval")) {
            ConfigException e = assertThrows(ConfigException.class, () -> new AllowList(List.of("math.*", walker)));
            assertTrue(e.getMessage().contains("pyfleet.gateway.allow") && e.getMessage().contains(walker)
                    && e.getMessage().contains("[\"*\"]"), e.getMessage());
        }
        assertTrue(new AllowList(List.of("builtins.getattr", "*")).allowsEverything(), "with * it is not a walk");
        AllowList formatModule = new AllowList(List.of("numpy.lib.format.*")); // a module named format is no walker
        allowed(formatModule, "call", "numpy.lib.format.open_memmap", "x.npy");
    }
}
