package io.pyfleet.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.BindException;
import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.Chart;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.Kw;
import io.pyfleet.client.NdArray;
import io.pyfleet.client.NumPy;
import io.pyfleet.client.Plots;
import io.pyfleet.client.PyName;
import io.pyfleet.client.PyObject;
import io.pyfleet.client.PyTuple;
import io.pyfleet.client.PythonException;
import io.pyfleet.client.ResultTypeException;
import io.pyfleet.client.internal.bind.Binding;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Fleet#bind}: a Python test module (python/tests/workerlib/bindtest.py) bound to a Java
 * interface, and {@link Plots}, which are drawn through a binding; on real workers, embedded and over TCP
 * (a subclass says how to open the fleet). The plots need matplotlib and plotext in the test interpreter.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BindContract {
    private Fleet fleet;

    /** A fleet of one worker (module state is per worker), the test modules on its path. */
    protected abstract Fleet open();

    protected Fleet fleet() {
        if (fleet == null) {
            fleet = open();
        }
        return fleet;
    }

    /** Closes the fleet {@link #open()} gave (and whatever it runs on). */
    protected void close(Fleet opened) {
        opened.close();
    }

    @AfterAll
    void closeFleet() {
        if (fleet != null) {
            close(fleet);
        }
    }

    @Test
    void aBoundCallsFailurePointsAtThePythonLineAndAtTheCaller() throws Exception {
        FailureStacks.Failing api = fleet().bind(FailureStacks.Failing.class, "fleettest");
        StackTraceElement caller = null;
        try {
            caller = FailureStacks.nextLine();
            api.failDeep(1);
            org.junit.jupiter.api.Assertions.fail("fail_deep returned");
        } catch (PythonException e) {
            FailureStacks.assertSync(e, 1, caller); // no proxy or binding frame between Python and the caller
        }
        Throwable async = api.failDeepAsync(2).handle((v, t) -> t).get(30, java.util.concurrent.TimeUnit.SECONDS);
        FailureStacks.assertAsync(FailureStacks.unwrap(async), 2);
    }

    /** Every return kind; most over {@code identity}, so the Java side says what comes back. */
    public interface Lib {
        void nothing(Object x);

        @PyName("last_seen")
        Object lastSeen();

        @PyName("identity")
        Object object(Object x);

        @PyName("identity")
        boolean bool(Object x);

        @PyName("identity")
        Boolean boxedBool(Object x);

        @PyName("identity")
        long int64(Object x);

        @PyName("identity")
        int int32(Object x);

        @PyName("identity")
        Integer boxedInt(Object x);

        @PyName("identity")
        short int16(Object x);

        @PyName("identity")
        byte int8(Object x);

        @PyName("identity")
        double float64(Object x);

        @PyName("identity")
        float float32(Object x);

        @PyName("identity")
        char character(Object x);

        @PyName("identity")
        BigInteger bigInteger(Object x);

        @PyName("identity")
        String string(Object x);

        @PyName("identity")
        byte[] bytes(Object x);

        @PyName("identity")
        List<?> list(Object x);

        @PyName("identity")
        List<String> strings(Object x);

        @PyName("identity")
        Map<String, Double> map(Object x);

        @PyName("identity")
        Set<Long> set(Object x);

        @PyName("identity")
        PyTuple tuple(Object x);

        double[] vector(int n);

        @PyName("vector")
        NdArray array(int n);

        @PyName("vector")
        float[] floats(int n);

        @PyName("ivector")
        long[] longs(int n);

        @PyName("ivector")
        int[] ints(int n);

        boolean[] flags();

        @PyName("identity")
        double[] doublesFromList(Object x);

        @PyName("identity")
        long[] longsFromList(Object x);

        @PyName("identity")
        boolean[] booleansFromList(Object x);

        @PyName("matrix")
        double[] matrixAsVector();

        @PyName("uvector")
        long[] unsignedOverflow();

        PyObject counter(String text);

        long power(long base, @Kw("exp") Long exp, @Kw("mod") Long mod);

        String join(@Kw("sep") String sep, String... parts);

        CompletableFuture<Double> total(double[] values, @Kw("scale") double scale);

        @PyName("counter")
        CompletableFuture<PyObject> counterAsync(String text);

        @PyName("identity")
        CompletableFuture<Integer> int32Async(Object x);

        @PyName("nothing")
        CompletableFuture<Void> nothingAsync(Object x);

        default double twice(double x) {
            return 2 * float64(x);
        }
    }

    /** The README's example, as written there. */
    public interface Stats {
        double mean(List<?> data);

        double medianGrouped(List<?> data, @Kw("interval") Double interval);

        List<Double> quantiles(List<?> data, @Kw("n") int n);

        CompletableFuture<Double> stdev(List<?> data);

        default double range(List<Double> d) {
            return java.util.Collections.max(d) - java.util.Collections.min(d);
        }
    }

    /** NumPy functions whose results are large: over 1 MiB an embedded fleet answers with a node array. */
    public interface Big {
        double[] ones(long n);

        @PyName("ones") NdArray onesArray(long n);
    }

    @Test
    void largeArrayResultsConvertToJavaArraysOnEitherFleet() {
        Big big = fleet().bind(Big.class, "numpy");
        double[] ones = big.ones(200_000);
        assertEquals(200_000, ones.length);
        assertEquals(1.0, ones[199_999]);
        assertEquals(200_000, big.onesArray(200_000).toDoubles().length);
    }

    @Test
    void theReadmeExample() {
        Stats stats = fleet().bind(Stats.class, "statistics");
        assertEquals(2.5, stats.mean(List.of(1, 2, 3, 4)));
        assertEquals(2.0, stats.medianGrouped(List.of(1, 2, 2, 3), null));
        assertEquals(List.of(1.25, 2.5, 3.75), stats.quantiles(List.of(1, 2, 3, 4), 4));
        assertEquals(Math.sqrt(5.0 / 3), Fleet.join(stats.stdev(List.of(1, 2, 3, 4))), 1e-12);
        assertEquals(3.0, stats.range(List.of(1.0, 4.0)));
    }

    @Test
    void valuesComeBackAsTheDeclaredTypes() {
        Lib lib = fleet().bind(Lib.class, "bindtest");
        assertEquals(List.of(1L, "a"), lib.object(List.of(1, "a")));
        assertTrue(lib.bool(true));
        assertNull(lib.boxedBool(null));
        assertEquals(1L << 40, lib.int64(1L << 40));
        assertEquals(-7, lib.int32(-7));
        assertEquals(42, lib.boxedInt(42));
        assertEquals((short) 300, lib.int16(300));
        assertEquals((byte) -5, lib.int8(-5));
        assertEquals(2.5, lib.float64(2.5));
        assertEquals(3.0, lib.float64(3), "a Python int is a double");
        assertEquals(0.5f, lib.float32(0.5));
        assertEquals('x', lib.character("x"));
        assertEquals(BigInteger.TWO.pow(70), lib.bigInteger(BigInteger.TWO.pow(70)));
        assertEquals(BigInteger.valueOf(5), lib.bigInteger(5));
        assertEquals("héllo", lib.string("héllo"));
        assertArrayEquals(new byte[] {0, 1, -1}, lib.bytes(new byte[] {0, 1, -1}));
        assertEquals(List.of(1L, 2L), lib.list(PyTuple.of(1, 2)), "a tuple fits a List");
        assertEquals(List.of("a", "b"), lib.strings(List.of("a", "b")));
        assertEquals(Map.of("a", 1.0, "b", 2.5), lib.map(Map.of("a", 1, "b", 2.5)));
        assertEquals(Set.of(1L, 2L), lib.set(Set.of(1, 2)));
        assertEquals(PyTuple.of(1L, "two"), lib.tuple(PyTuple.of(1, "two")));
        assertEquals(14.0, lib.twice(7), "a default method runs as Java");
    }

    @Test
    void arraysComeBackFromNdArraysAndFromLists() {
        Lib lib = fleet().bind(Lib.class, "bindtest");
        assertArrayEquals(new double[] {0, 1, 2}, lib.vector(3));
        NdArray a = lib.array(4);
        assertEquals(io.pyfleet.client.DType.FLOAT64, a.dtype());
        assertArrayEquals(new long[] {4}, a.shape());
        assertArrayEquals(new float[] {0, 1}, lib.floats(2));
        assertArrayEquals(new long[] {0, 1, 2}, lib.longs(3));
        assertArrayEquals(new int[] {0, 1, 2, 3}, lib.ints(4));
        assertArrayEquals(new boolean[] {true, false, true}, lib.flags());
        assertArrayEquals(new double[] {1, 2.5}, lib.doublesFromList(List.of(1, 2.5)));
        assertArrayEquals(new long[] {1, 2}, lib.longsFromList(PyTuple.of(1, 2)));
        assertArrayEquals(new boolean[] {false, true}, lib.booleansFromList(List.of(false, true)));
        assertArrayEquals(new double[0], lib.vector(0));
    }

    @Test
    void voidKeywordsVarargsAndHandles() {
        Lib lib = fleet().bind(Lib.class, "bindtest");
        lib.nothing("side effect");
        assertEquals("side effect", lib.lastSeen());
        assertEquals(1024L, lib.power(2, 10L, null));
        assertEquals(4L, lib.power(2, null, null), "a null keyword is left out: Python's default applies");
        assertEquals(24L, lib.power(2, 10L, 1000L));
        assertEquals("a+b+c", lib.join("+", "a", "b", "c"));
        assertEquals("x-y", lib.join(null, "x", "y"));
        try (PyObject counter = lib.counter("abracadabra")) {
            assertEquals("collections.Counter", counter.type());
            assertEquals(5L, fleet().call("operator.getitem", counter, "a"));
        }
        PythonException e = assertThrows(PythonException.class, () -> lib.power(2, 10L, 0L));
        assertTrue(e.getMessage().contains("ValueError"), e.getMessage());
    }

    @Test
    void asyncMethodsReturnFutures() throws Exception {
        Lib lib = fleet().bind(Lib.class, "bindtest");
        CompletableFuture<Double> total = lib.total(new double[] {1, 2, 3}, 2.0);
        assertEquals(12.0, Fleet.join(total));
        try (PyObject counter = Fleet.join(lib.counterAsync("aab"))) {
            assertEquals(2L, fleet().call("operator.getitem", counter, "a"));
        }
        assertNull(Fleet.join(lib.nothingAsync("async")));
        assertEquals("async", lib.lastSeen());
        assertEquals(7, Fleet.join(lib.int32Async(7)));
        ResultTypeException e = assertThrows(ResultTypeException.class, () -> Fleet.join(lib.int32Async("seven")));
        assertEquals("Lib.int32Async(Object)", e.method());
        assertEquals("java.lang.Integer", e.declaredType());
    }

    @Test
    void aResultThatDoesNotFitIsAResultTypeException() {
        Lib lib = fleet().bind(Lib.class, "bindtest");
        ResultTypeException e = assertThrows(ResultTypeException.class, () -> lib.int32("abc"));
        assertEquals("Lib.int32(Object)", e.method());
        assertEquals("int", e.declaredType());
        assertEquals("str 'abc'", e.returned());
        assertEquals("Lib.int32(Object) declares int but Python returned str 'abc'", e.getMessage());
        assertMismatch("out of the int range", () -> lib.int32(1L << 40));
        assertMismatch("int 300 (out of the byte range)", () -> lib.int8(300));
        assertMismatch("None (None for a primitive)", () -> lib.float64(null));
        assertMismatch("declares boolean but Python returned int 1", () -> lib.bool(1));
        assertMismatch("declares double but Python returned bool true", () -> lib.float64(true));
        assertMismatch("declares java.util.List<java.lang.String> but Python returned list [1]",
                () -> lib.strings(List.of(1)));
        assertMismatch("numpy.ndarray of dtype <f8 and shape [2, 3] (a Java array takes a 1-d array only",
                lib::matrixAsVector);
        assertMismatch("<f8 and shape [3] (elements that are not integers)", () -> lib.longsFromList(lib.array(3)));
        assertMismatch("uint64 value 18446744073709551615 overflows a long", lib::unsignedOverflow);
        assertMismatch("declares double[] but Python returned list [1, a]", () -> lib.doublesFromList(List.of(1, "a")));
        assertMismatch("declares java.lang.String but Python returned bytes 2 bytes", () -> lib.string(new byte[2]));
        assertMismatch("declares char but Python returned str 'xy' (not one character)", () -> lib.character("xy"));
    }

    private static void assertMismatch(String expected, Supplier<?> call) {
        ResultTypeException e = assertThrows(ResultTypeException.class, call::get);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    /** An unsupported return type. */
    public interface Bad {
        Optional<String> maybe();
    }

    /** A method with two keywords of one name. */
    public interface TwiceKw {
        Object f(@Kw("a") Object x, @Kw("a") Object y);
    }

    @Test
    void bindingChecksTheInterfaceAtOnce() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> fleet().bind(Bad.class, "bindtest"));
        assertTrue(e.getMessage().startsWith("Bad.maybe(): pyfleet cannot return java.util.Optional<java.lang.String>"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> fleet().bind(TwiceKw.class, "bindtest"));
        assertTrue(e.getMessage().contains("@Kw names must be unique"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> fleet().bind(String.class, "bindtest"));
        assertTrue(e.getMessage().contains("is not an interface"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> fleet().bind(Lib.class, " "));
    }

    /** Java names that find their Python snake_case names; the exact name wins where both exist. */
    public interface Names {
        long failDeep(int n);

        String toHTML(String text);

        String getX2();

        String bothWays();

        @PyName("both_ways")
        String snake();
    }

    @Test
    void camelCaseNamesFindSnakeCaseFunctionsAndTheExactNameWins() {
        Names names = fleet().bind(Names.class, "bindtest");
        assertEquals(-3L, names.failDeep(3));
        assertEquals("<p>hi</p>", names.toHTML("hi"));
        assertEquals("x2", names.getX2());
        assertEquals("exact", names.bothWays(), "bindtest has bothWays and both_ways: the exact name wins");
        assertEquals("snake", names.snake());
        assertEquals("fail_deep", Binding.snakeCase("failDeep"));
        assertEquals("median_grouped", Binding.snakeCase("medianGrouped"));
        assertEquals("to_html", Binding.snakeCase("toHTML"));
        assertEquals("get_x2", Binding.snakeCase("getX2"));
        assertEquals("parse_html_string", Binding.snakeCase("parseHTMLString"));
        assertEquals("log10", Binding.snakeCase("log10"));
        assertEquals("arctan2", Binding.snakeCase("arctan2"));
    }

    /** A dotted {@code @PyName} relative to the bound module. */
    public interface Norms {
        @PyName("linalg.norm")
        double norm(double[] x);
    }

    @Test
    void aDottedPyNameReachesIntoTheModule() {
        assertEquals(5.0, fleet().bind(Norms.class, "numpy").norm(new double[] {3, 4}));
    }

    /** A typo, a name that does not exist, a constant: three methods that cannot be bound, and one that can. */
    public interface Model {
        long failDepp(int n);

        long failDeep(int n);

        @PyName("LIMIT")
        long limit();

        Object nothingLikeThis();
    }

    @Test
    void bindingNamesEveryMethodTheModuleLacksInOneError() {
        BindException e = assertThrows(BindException.class, () -> fleet().bind(Model.class, "bindtest"));
        assertEquals("cannot bind Model to bindtest: "
                + "bindtest has no function for Model.failDepp(int) (looked for failDepp, fail_depp); "
                + "bindtest.LIMIT (a builtins.int) is not callable, for Model.limit(); "
                + "bindtest has no function for Model.nothingLikeThis() (looked for nothingLikeThis, "
                + "nothing_like_this)", e.getMessage());
        assertEquals(3, e.problems().size(), e.problems().toString());
    }

    @Test
    void aModuleThatDoesNotImportFailsTheBindWithItsImportError() {
        BindException e = assertThrows(BindException.class, () -> fleet().bind(Names.class, "bindbroken"));
        // The worker's ModuleNotFoundError carries the remedy (pyfleet.advice), and the bind error its message.
        assertTrue(e.getMessage().startsWith("cannot bind Names to bindbroken: builtins.ModuleNotFoundError: "
                + "No module named 'no_such_module_pyfleet_bindtest' (needed to import bindbroken, and the workers' "
                + "interpreter lacks it: "), e.getMessage());
        PythonException cause = assertInstanceOf(PythonException.class, e.getCause());
        assertTrue(cause.pythonTraceback().contains("bindbroken.py"), cause.pythonTraceback());
        e = assertThrows(BindException.class, () -> fleet().bind(Names.class, "no_such_module_pyfleet"));
        assertTrue(e.getMessage().startsWith("cannot bind Names to no_such_module_pyfleet: builtins.ModuleNotFoundError: "
                + "No module named 'no_such_module_pyfleet' (not on the workers' sys.path: add the directory that holds "
                + "it with EmbeddedFleet.builder().pythonPath(...) or pyfleet.worker.python-path"), e.getMessage());
    }

    /** A bad {@code @PyName} is refused before anything is looked up. */
    public interface BadName {
        @PyName("linalg..norm")
        double norm(double[] x);
    }

    @Test
    void aBadPyNameIsRefusedBeforeAnyLookup() {
        // A module that does not exist: a lookup made first would fail the bind with a BindException for it.
        // (Counting worker calls instead raced with other tests' objects released by the Cleaner.)
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> fleet().bind(BadName.class, "no_such_module_pyfleet"));
        assertTrue(e.getMessage().startsWith("BadName.norm(double[]): @PyName must be a Python name"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> fleet().bind(Bad.class, "no_such_module_pyfleet"),
                "an interface that cannot be bound is refused before the module is looked up");
    }

    /** Calls the one worker of the fleet has answered. */
    private long workerCalls() {
        return fleet().stats().workers().stream().mapToLong(w -> w.calls()).sum();
    }

    /**
     * The worker call count once nothing else moves it: objects other tests dropped are released by the
     * Cleaner (a call each) at a GC, so collect them first and wait until the count holds still.
     */
    private long quietWorkerCalls() {
        System.gc();
        long last = workerCalls();
        long stillSince = System.nanoTime();
        long deadline = stillSince + 10_000_000_000L;
        while (System.nanoTime() - stillSince < 300_000_000L && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            long now = workerCalls();
            if (now != last) {
                last = now;
                stillSince = System.nanoTime();
            }
        }
        return last;
    }

    @Test
    void bindingIsOneRoundTripAndCallsDoNoLookupOfTheirOwn() {
        long before = quietWorkerCalls();
        Names names = fleet().bind(Names.class, "bindtest");
        Eventually.await(java.time.Duration.ofSeconds(5), () -> workerCalls() == before + 1,
                () -> "one worker call for the bind: " + (workerCalls() - before));
        names.failDeep(1);
        names.bothWays();
        Eventually.await(java.time.Duration.ofSeconds(5), () -> workerCalls() == before + 3,
                () -> "one worker call per call: " + (workerCalls() - before));
        NumPy.on(fleet());
        Eventually.await(java.time.Duration.ofSeconds(5), () -> workerCalls() == before + 4,
                () -> "NumPy.on is one round trip: " + (workerCalls() - before));
        Plots.on(fleet());
        Eventually.await(java.time.Duration.ofSeconds(5), () -> workerCalls() == before + 5,
                () -> "Plots.on is one round trip: " + (workerCalls() - before));
    }

    @Test
    void objectMethodsAreTheProxysOwn() {
        Lib lib = fleet().bind(Lib.class, "bindtest");
        Lib other = fleet().bind(Lib.class, "bindtest");
        assertEquals(lib, lib);
        assertFalse(lib.equals(other));
        assertEquals(System.identityHashCode(lib), lib.hashCode());
        assertEquals("pyfleet binding of " + Lib.class.getName() + " to the Python module bindtest", lib.toString());
        assertInstanceOf(Lib.class, lib);
    }

    // --- plots ----------------------------------------------------------------------------------------------

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    /** Width and height from a PNG's header chunk, after checking the signature and that IHDR comes first. */
    private static int[] pngSize(byte[] png) {
        assertTrue(png.length > 24, "a PNG of " + png.length + " bytes");
        assertArrayEquals(PNG_SIGNATURE, java.util.Arrays.copyOf(png, 8));
        ByteBuffer b = ByteBuffer.wrap(png);
        assertEquals(13, b.getInt(8), "IHDR length");
        assertEquals("IHDR", new String(png, 12, 4, java.nio.charset.StandardCharsets.US_ASCII));
        return new int[] {b.getInt(16), b.getInt(20)};
    }

    private static Chart waves() {
        double[] x = new double[50];
        double[] y = new double[50];
        for (int i = 0; i < x.length; i++) {
            x[i] = i / 8.0;
            y[i] = Math.sin(x[i]);
        }
        return Chart.builder().title("waves").xLabel("t").yLabel("sin t").yRange(-1.5, 1.5)
                .line("sin", x, y).scatter("samples", new long[] {0, 2, 4}, List.of(0.0, 0.9, -0.75)).build();
    }

    @Test
    void aPngComesBackWithTheRequestedSize(@TempDir Path dir) throws IOException {
        Plots plots = Plots.on(fleet());
        assertArrayEquals(new int[] {640, 480}, pngSize(plots.png(waves(), 640, 480)));
        assertArrayEquals(new int[] {333, 201}, pngSize(plots.png(Chart.scatter(new double[] {1, 2}, new double[] {2, 1}),
                333, 201)));
        Path file = plots.png(waves(), 800, 500, dir.resolve("waves.png"));
        assertArrayEquals(new int[] {800, 500}, pngSize(Files.readAllBytes(file)));
    }

    @Test
    void aTerminalPlotHasTheRequestedWidthAndHeight() {
        Plots plots = Plots.on(fleet());
        for (int[] size : new int[][] {{80, 24}, {41, 13}, {120, 30}}) {
            String text = plots.terminal(waves(), size[0], size[1]);
            String[] lines = text.split("\n", -1);
            assertEquals(size[1], lines.length, text);
            for (String line : lines) {
                assertEquals(size[0], line.length(), text);
            }
            assertTrue(text.contains("waves") && text.contains("samples"), text);
            assertFalse(lines[size[1] - 1].isBlank(), "drawn to the full height, not padded: " + text);
        }
        String ascii = plots.terminal(Chart.line(null, new double[] {1, 4, 9, 16}), 40, 10, true);
        assertTrue(ascii.chars().allMatch(c -> c < 128), ascii);
        assertEquals(10, ascii.split("\n", -1).length);
    }

    @Test
    void plotDataMayBeAnArrayThatStaysInItsWorker() {
        try (PyObject x = (PyObject) Fleet.join(fleet().submit(Call.function("numpy.linspace", List.of(0.0, 1.0, 30),
                Map.of()).with(CallOptions.builder().asHandle().build())))) {
            String text = Plots.on(fleet()).terminal(Chart.scatter(x, x), 50, 12);
            assertEquals(12, text.split("\n", -1).length);
            assertArrayEquals(new int[] {200, 100}, pngSize(Plots.on(fleet()).png(Chart.line(x, x), 200, 100)));
        }
    }

    @Test
    void badPlotInputIsAClearError() {
        Plots plots = Plots.on(fleet());
        PythonException e = assertThrows(PythonException.class, () -> plots.terminal(waves(), 5, 24));
        assertTrue(e.getMessage().contains("ValueError") && e.getMessage().contains("terminal plot width must be"),
                e.getMessage());
        e = assertThrows(PythonException.class, () -> plots.png(Chart.line(new double[] {1, 2}, new double[] {1}), 100, 100));
        assertTrue(e.getMessage().contains("x has 2 points and y has 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Chart.builder().build());
        assertThrows(IllegalArgumentException.class, () -> Chart.builder().yRange(1, 1));
    }
}
