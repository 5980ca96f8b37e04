package io.pyfleet.node.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.CallTimeoutException;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyTuple;
import io.pyfleet.client.PythonException;
import io.pyfleet.client.StaleHandleException;
import io.pyfleet.client.WorkerLostException;
import io.pyfleet.client.internal.Handle;
import io.pyfleet.node.TestPython;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** WorkerProcess against a real CPython worker: the LFE py seed table, death, floods, timeouts. */
class WorkerProcessTest {
    private WorkerProcess worker;

    @BeforeEach
    void start() {
        worker = WorkerProcess.start(WorkerOptions.of(TestPython.interpreter(), "wt")
                .withPythonPath(List.of(TestPython.testModules())));
    }

    @AfterEach
    void stop() {
        worker.close();
    }

    private Object run(String op, Object target, List<?> args, Map<String, ?> kwargs, Map<String, ?> opts)
            throws Exception {
        try {
            return worker.submit(op, target, args, kwargs, opts).get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    private Object call(String name, Object... args) throws Exception {
        return run("call", name, List.of(args), null, null);
    }

    private Object op(String operator, Object... args) throws Exception {
        return run("operator", operator, List.of(args), null, null);
    }

    @Test
    void helloReportsVersions() {
        Hello hello = worker.hello();
        assertEquals(1, hello.protocol());
        assertEquals(worker.pid(), hello.pid());
        assertTrue(hello.python().startsWith("3."), hello.python());
        assertNotNull(hello.numpy(), "the test interpreter has NumPy");
        assertEquals("wt", hello.workerId());
    }

    @Test
    void seedTableModuleCallsAndConstants() throws Exception {
        assertEquals(42L, run("call", "builtins.int", List.of("101010"), Map.of("base", 2), null));
        assertEquals(Math.PI, run("const", "math.pi", null, null, null));
        assertEquals(Math.PI, run("const", "math.pi", null, null, Map.of("coerce", "float")));
        assertEquals(3L, run("const", "math.pi", null, null, Map.of("coerce", "int")));
        assertEquals("3.141592653589793", run("const", "math.pi", null, null, Map.of("coerce", "str")));
        assertEquals(Boolean.TRUE, call("os.path.isdir", "/tmp"));
        assertEquals(65536.0, call("math.pow", 2, 16));
    }

    @Test
    void seedTableDatesAsValuesAndHandles() throws Exception {
        Object date = run("init", "datetime.date", List.of(1923, 4, 2), null, null);
        assertEquals(LocalDate.of(1923, 4, 2), date);
        Object handle = run("init", "datetime.date", List.of(1923, 4, 2), null, Map.of("ret", "handle"));
        Handle h = assertInstanceOf(Handle.class, handle);
        assertEquals("datetime.date", h.type());
        for (Object subject : List.of(date, handle)) {
            assertEquals(1923L, run("attr", subject, List.of("year"), null, null));
            assertEquals("1923.04.02", run("method", subject, List.of("strftime", "%Y.%m.%d"), null, null));
        }
    }

    @Test
    void seedTableDatetimeHandlesSubtract() throws Exception {
        Map<String, String> asHandle = Map.of("ret", "handle");
        Object earlier = run("call", "datetime.datetime", List.of(2014, 12, 23, 23, 14, 37, 677463), null, asHandle);
        Object later = run("call", "datetime.datetime", List.of(2014, 12, 23, 23, 21, 25, 714474), null, asHandle);
        Object diff = op("sub", later, earlier);
        assertEquals(Duration.ofSeconds(408, 37011000), diff);
        assertEquals(408L, run("attr", diff, List.of("seconds"), null, null));
    }

    @Test
    void seedTableBuiltins() throws Exception {
        assertEquals(new BigInteger("481229803398374426442198455156736"), run("builtin", "pow", List.of(6, 42), null, null));
        assertEquals(0.66667, run("builtin", "round", List.of(0.666666667, 5), null, null));
        Object range = run("builtin", "range", List.of(7, 42), null, null);
        assertInstanceOf(Handle.class, range, "a range has no value encoding");
        assertEquals(35L, run("builtin", "len", List.of(range), null, null));
        assertEquals(List.of(1L, 2L, 3L, 4L), run("builtin", "list", List.of(new PyTuple(List.of(1, 2, 3, 4))), null, null));
        assertEquals(Boolean.TRUE, run("builtin", "any", List.of(List.of(true, false)), null, null));
        assertEquals(Boolean.FALSE, run("builtin", "all", List.of(List.of(true, false)), null, null));
    }

    @Test
    void seedTableOperators() throws Exception {
        assertEquals(42L, op("add", 37, 5));
        assertEquals(42L, op("mul", 7, 6));
        assertEquals(42L, op("sub", -108, -150));
        assertEquals(42.0, op("truediv", 462, 11));
        assertEquals(42L, op("floordiv", 462, 11));
        assertEquals(true, op("gt", 7, 6));
        assertEquals(false, op("le", 7, 6));
        assertEquals(true, op("eq", 42, 42));
        assertEquals(12L, op("and_", 60, 13));
        assertEquals(61L, op("or_", 60, 13));
        assertEquals(49L, op("xor", 60, 13));
        assertEquals(-61L, op("inv", 60));
        assertEquals(15L, op("rshift", 60, 2));
        assertEquals(240L, op("lshift", 60, 2));
    }

    @Test
    void seedTableUserDictWithKeywords() throws Exception {
        Object dict = run("init", "collections.UserDict", null, Map.of("a", 1, "b", 2), null);
        Handle h = assertInstanceOf(Handle.class, dict);
        assertEquals("collections.UserDict", h.type());
        assertEquals(Map.of("a", 1L, "b", 2L), run("builtin", "dict", List.of(dict), null, null));
    }

    @Test
    void pythonExceptionsAreTypedAndTheWorkerGoesOn() throws Exception {
        PythonException e = assertThrows(PythonException.class, () -> call("fleettest.boom", "bad input"));
        assertEquals("builtins.ValueError", e.pythonType());
        assertEquals("bad input", e.pythonMessage());
        assertTrue(e.pythonTraceback().contains("in boom"), e.pythonTraceback());
        PythonException missing = assertThrows(PythonException.class, () -> call("no_such_module.f"));
        assertEquals("builtins.ModuleNotFoundError", missing.pythonType());
        assertEquals(3L, op("add", 1, 2));
    }

    @Test
    void releasedHandlesAreStale() throws Exception {
        Handle h = (Handle) run("builtin", "object", null, null, null);
        assertEquals(1L, run("release", null, List.of(h.id()), null, null));
        assertThrows(StaleHandleException.class, () -> run("builtin", "repr", List.of(h), null, null));
    }

    @Test
    void eventsAndStreamedGeneratorsArriveBeforeTheReply() throws Exception {
        List<Object> events = Collections.synchronizedList(new ArrayList<>());
        Object reply = worker.submit("call", "fleettest.progress", List.of(3), null, null, events::add, null)
                .get(10, TimeUnit.SECONDS);
        assertEquals("done", reply);
        assertEquals(3, events.size());
        assertEquals(Map.of("step", 2L, "of", 3L), events.get(2));
        events.clear();
        Object count = worker.submit("call", "fleettest.countdown", List.of(4), null, Map.of("stream", true),
                events::add, null).get(10, TimeUnit.SECONDS);
        assertEquals(4L, count);
        assertEquals(List.of(4L, 3L, 2L, 1L), events);
    }

    @Test
    void aMegabyteOnStdoutDoesNotDisturbTheProtocol() throws Exception {
        CompletableFuture<Object> flood = worker.submit("call", "fleettest.flood_stdout", List.of(1 << 20),
                null, null);
        CompletableFuture<Object> after = worker.submit("operator", "add", List.of(40, 2), null, null);
        assertEquals((long) (1 << 20), flood.get(20, TimeUnit.SECONDS));
        assertEquals(42L, after.get(20, TimeUnit.SECONDS));
        assertTrue(worker.isAlive());
    }

    @Test
    void pipelinedCallsAnswerInOrder() throws Exception {
        List<CompletableFuture<Object>> futures = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            futures.add(worker.submit("operator", "add", List.of(i, 1), null, null));
        }
        for (int i = 0; i < futures.size(); i++) {
            assertEquals((long) i + 1, futures.get(i).get(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void killDashNineMidCallFailsTheCallerWithinASecond() throws Exception {
        CompletableFuture<Object> started = new CompletableFuture<>();
        CompletableFuture<Object> sleeping = worker.submit("call", "fleettest.started_then_sleep", List.of(30),
                null, null, started::complete, null);
        CompletableFuture<Object> queued = worker.submit("operator", "add", List.of(1, 2), null, null);
        assertEquals(Map.of("started", worker.pid()), started.get(5, TimeUnit.SECONDS), "the call runs");
        long killedAt = System.nanoTime();
        new ProcessBuilder("kill", "-9", Long.toString(worker.pid())).start().waitFor();
        ExecutionException e = assertThrows(ExecutionException.class, () -> sleeping.get(1, TimeUnit.SECONDS));
        long tookMs = (System.nanoTime() - killedAt) / 1_000_000;
        WorkerLostException lost = assertInstanceOf(WorkerLostException.class, e.getCause());
        assertFalse(lost instanceof NotStartedException);
        assertTrue(lost.getMessage().contains("wt") && lost.getMessage().contains("signal 9"), lost.getMessage());
        assertTrue(tookMs < 1000, "took " + tookMs + " ms");
        ExecutionException q = assertThrows(ExecutionException.class, () -> queued.get(1, TimeUnit.SECONDS));
        assertInstanceOf(NotStartedException.class, q.getCause(), "the queued call never ran");
        assertThrows(ExecutionException.class,
                () -> worker.submit("operator", "add", List.of(1, 2), null, null).get(1, TimeUnit.SECONDS));
        assertEquals(137, worker.exited().get(1, TimeUnit.SECONDS).code());
    }

    @Test
    void aCallOverItsTimeoutKillsTheWorker() throws Exception {
        CompletableFuture<Object> slow = worker.submit("call", "time.sleep", List.of(30), null, null, null,
                Duration.ofMillis(300));
        ExecutionException e = assertThrows(ExecutionException.class, () -> slow.get(5, TimeUnit.SECONDS));
        assertInstanceOf(CallTimeoutException.class, e.getCause());
        assertTrue(worker.exited().get(2, TimeUnit.SECONDS).signalled());
    }

    @Test
    void aTimeoutCountsFromWhenTheCallStarts() throws Exception {
        CompletableFuture<Object> first = worker.submit("call", "fleettest.sleep_then", List.of(0.4, "a"),
                null, null, null, Duration.ofSeconds(5));
        CompletableFuture<Object> second = worker.submit("call", "fleettest.sleep_then", List.of(0.2, "b"),
                null, null, null, Duration.ofMillis(500));
        assertEquals("a", first.get(5, TimeUnit.SECONDS));
        assertEquals("b", second.get(5, TimeUnit.SECONDS), "the wait behind the first call is not counted");
    }

    @Test
    void anOversizeCallIsRefusedBeforeAnythingIsWritten() throws Exception {
        WorkerProcess small = WorkerProcess.start(new WorkerOptions(TestPython.interpreter(), List.of(), Map.of(),
                null, Duration.ofSeconds(30), Duration.ofSeconds(2), 4096, 0, "local", "small", 0));
        try {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> small.submit("call", "len", List.of(new byte[8192]), null, null).get(5, TimeUnit.SECONDS));
            assertInstanceOf(ProtocolException.class, e.getCause());
            assertEquals(3L, small.submit("operator", "add", List.of(1, 2), null, null).get(5, TimeUnit.SECONDS));
        } finally {
            small.close();
        }
    }

    @Test
    void aMissingInterpreterIsAClearStartError() {
        WorkerStartException e = assertThrows(WorkerStartException.class,
                () -> WorkerProcess.start(WorkerOptions.of("/nonexistent/python3", "nope")));
        assertTrue(e.getMessage().contains("/nonexistent/python3"), e.getMessage());
    }

    @Test
    void anInterpreterWithoutMsgpackNamesTheFix(@TempDir Path dir) throws Exception {
        // -S drops site-packages: the interpreter runs but has no msgpack.
        Path bare = TestPython.wrapper(dir, "-S");
        WorkerStartException e = assertThrows(WorkerStartException.class,
                () -> WorkerProcess.start(WorkerOptions.of(bare.toString(), "bare")));
        // The wrapper is a shell script: the interpreter as given, and as it resolved (sys.executable).
        String python = e.getMessage().replaceFirst("(?s)^.*?\\((/[^,]+), Python .*$", "$1");
        assertTrue(e.getMessage().startsWith("the workers' Python interpreter '" + bare + "' (" + python + ", Python "
                + TestPython.version() + ") lacks msgpack, which every worker needs. Install it into that interpreter ("
                + python + " -m pip install msgpack; numpy too for arrays)"), e.getMessage());
    }

    @Test
    void theBootstrapRefusesAnOlderPythonWithItsVersion(@TempDir Path dir) throws Exception {
        // The test interpreter is new enough, so the minimum is raised for this test: the same program otherwise.
        String later = WorkerLauncher.BOOTSTRAP.replace("(3, 11)", "(3, 99)").replace("requires=3.11", "requires=3.99");
        assertTrue(!later.equals(WorkerLauncher.BOOTSTRAP), "the bootstrap checks the version first");
        Process p = new ProcessBuilder(TestPython.interpreter(), "-c", later, WorkerPackage.directory().toString())
                .start();
        StderrTail stderr = new StderrTail(p.getErrorStream(), new WorkerOutput("old"), "test-stderr");
        stderr.start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        stderr.awaitEnd(5000);
        assertEquals(ExitStatus.PYTHON_TOO_OLD, p.exitValue());
        WorkerStartException e = WorkerLauncher.startFailure(WorkerOptions.of(TestPython.interpreter(), "old"),
                new ExitStatus(p.exitValue(), null), stderr);
        assertTrue(e.getMessage().matches("the workers' Python interpreter '" + java.util.regex.Pattern.quote(
                TestPython.interpreter()) + "' \\((/\\S+, )?Python " + java.util.regex.Pattern.quote(TestPython.version())
                + "\\) is older than Python 3\\.99, the oldest pyfleet's worker runs on\\. Point pyfleet at a Python "
                + "3\\.99\\+ with msgpack, such as a virtual environment \\(python3\\.99 -m venv .*"), e.getMessage());
    }
}
