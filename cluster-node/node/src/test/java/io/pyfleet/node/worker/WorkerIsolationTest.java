package io.pyfleet.node.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.CallTimeoutException;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.client.PythonException;
import io.pyfleet.client.WorkerLostException;
import io.pyfleet.node.Eventually;
import io.pyfleet.node.TestFleets;
import io.pyfleet.node.TestPython;
import io.pyfleet.node.config.PyfleetSettings;
import io.pyfleet.node.embedded.EmbeddedNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Workers that user code cannot subvert (issue 8), seen from the node: the command line and
 * environment WorkerLauncher builds, forks, events after their call, crash reports, limits.
 */
class WorkerIsolationTest {

    private static WorkerOptions options(String id) {
        return WorkerOptions.of(TestPython.interpreter(), id).withPythonPath(List.of(TestPython.testModules()));
    }

    private static Object call(WorkerProcess worker, String function, Object... args) {
        return worker.call("call", function, List.of(args), null, null);
    }

    // -- a clean start ----------------------------------------------------------------------

    @Test
    void modulesPlantedInTheWorkingDirectoryDoNotLoad(@TempDir Path dir) throws Exception {
        Path marker = dir.resolve("planted-module-ran");
        String plant = "open(" + pyString(marker.toString()) + ", 'w').write(__name__)\n";
        Files.writeString(dir.resolve("platform.py"), plant);
        Files.writeString(dir.resolve("msgpack.py"), plant);
        Files.createDirectories(dir.resolve("pyfleet"));
        Files.writeString(dir.resolve("pyfleet/__init__.py"), plant);
        Files.writeString(dir.resolve("pyfleet/worker.py"), plant);
        try (WorkerProcess worker = WorkerProcess.start(options("wcwd").withWorkingDirectory(dir))) {
            assertEquals(dir.toString(), call(worker, "os.getcwd"));
            List<?> path = (List<?>) worker.call("const", "sys.path", null, null, null);
            assertEquals(WorkerPackage.directory().toString(), path.get(0));
            assertEquals(TestPython.testModules().toString(), path.get(1));
            assertFalse(path.contains("") || path.contains(dir.toString()) || path.contains("."), path.toString());
            assertEquals(worker.hello().python(), call(worker, "platform.python_version"));
        }
        assertFalse(Files.exists(marker), () -> "a planted module ran in the worker: " + read(marker));
    }

    @Test
    void theNodesEnvironmentStaysInTheNode() {
        Map<String, String> node = Map.of("PYFLEET_TEST_SECRET", "s3cret", "AWS_SECRET_ACCESS_KEY", "k",
                "PATH", "/usr/bin:/bin", "LC_ALL", "C.UTF-8", "OMP_NUM_THREADS", "4", "PYTHONPATH", "/elsewhere",
                "HOME", "/home/someone");
        WorkerOptions options = options("wenv").withEnvironment(Map.of("CONFIGURED", "yes", "OMP_NUM_THREADS", "1"))
                .withLimits(1L << 30, 64, 500);
        Map<String, String> env = WorkerLauncher.builder(options, node).environment();
        assertNull(env.get("PYFLEET_TEST_SECRET"));
        assertNull(env.get("AWS_SECRET_ACCESS_KEY"));
        assertNull(env.get("PYTHONPATH"), "the worker's path comes from the command line");
        assertEquals("/usr/bin:/bin", env.get("PATH"));
        assertEquals("C.UTF-8", env.get("LC_ALL"));
        assertEquals("/home/someone", env.get("HOME"));
        assertEquals("1", env.get("OMP_NUM_THREADS"), "configured over inherited");
        assertEquals("yes", env.get("CONFIGURED"));
        assertEquals(Long.toString(1L << 30), env.get("PYFLEET_MEMORY_LIMIT"));
        assertEquals("64", env.get("PYFLEET_PROCESS_LIMIT"));
        assertEquals("500", env.get("PYFLEET_OOM_SCORE_ADJ"));
        assertEquals("wenv", env.get("PYFLEET_WORKER_ID"));
        List<String> command = WorkerLauncher.builder(options, node).command();
        assertEquals(List.of(TestPython.interpreter(), "-c", WorkerLauncher.BOOTSTRAP,
                WorkerPackage.directory().toString(), TestPython.testModules().toString()), command);
    }

    @Test
    void aRealWorkerSeesOnlyTheAllowedEnvironment() {
        Optional<String> secret = System.getenv().keySet().stream()
                .filter(name -> !WorkerLauncher.inherited(name, WorkerOptions.DEFAULT_INHERITED_ENVIRONMENT))
                .filter(name -> !name.startsWith("PYFLEET_"))
                .sorted().findFirst();
        try (WorkerProcess worker = WorkerProcess.start(options("wenv2")
                .withEnvironment(Map.of("CONFIGURED", "yes")))) {
            assertEquals("yes", call(worker, "fleettest.env", "CONFIGURED"));
            assertEquals(System.getenv("PATH"), call(worker, "fleettest.env", "PATH"));
            assumeTrue(secret.isPresent(), "the node's environment has no variable outside the allow-list");
            assertNull(call(worker, "fleettest.env", secret.get()), secret.get() + " reached the worker");
        }
    }

    @Test
    void closingStdoutBreaksNeitherLaterPrintsNorCalls() {
        try (WorkerProcess worker = WorkerProcess.start(options("wfd"))) {
            assertEquals(1L, call(worker, "fleettest.close_fd", 1));
            assertEquals("after", call(worker, "fleettest.say", "after"));
            assertEquals(2L, call(worker, "fleettest.close_fd", 2));
            assertEquals("again", call(worker, "fleettest.say", "again"));
            assertEquals(42L, worker.call("operator", "mul", List.of(6, 7), null, null));
        }
    }

    // -- the process tree -------------------------------------------------------------------------

    @Test
    void aWorkerLeadsItsOwnProcessGroup() {
        try (WorkerProcess worker = WorkerProcess.start(options("wpg"))) {
            long pid = worker.pid();
            assertEquals(List.of(pid, pid, pid), call(worker, "fleettest.process_group"));
        }
    }

    @Test
    void aForkedChildNeverAnswersACall() {
        try (EmbeddedNode fleet = TestFleets.start(1)) {
            List<Outcome> outcomes = fleet.scatter("builtins.eval",
                    List.of(List.of("__import__('os').fork()"), List.of("1"), List.of("2"), List.of("3")));
            assertTrue(outcomes.stream().allMatch(Outcome::isOk), outcomes.toString());
            long child = (Long) outcomes.get(0).value();
            assertTrue(child > 0, "the parent's answer is the child's pid, not the child's 0: " + outcomes);
            assertEquals(List.of(1L, 2L, 3L), outcomes.subList(1, 4).stream().map(Outcome::value).toList());
            assertEquals(0L, fleet.call("fleettest.wait_child", child));
        }
    }

    @Test
    void aForkedChildRaisingSystemExitDoesNotServe() {
        try (EmbeddedNode fleet = TestFleets.start(1)) {
            long child = (Long) fleet.call("fleettest.fork_and_exit", 3);
            assertEquals(3L, fleet.call("fleettest.wait_child", child));
            long pid = fleet.stats().workers().get(0).pid();
            for (int i = 0; i < 50; i++) {
                assertEquals(pid, fleet.call("os.getpid"), "every call is answered by the worker itself");
            }
        }
    }

    @Test
    void aLongLivedForkedChildDoesNotDelayATimeout() {
        try (EmbeddedNode fleet = TestFleets.start(1)) {
            long child = (Long) fleet.call("fleettest.fork_sleeper", 30.0);
            assertTrue(child > 0);
            Call slow = Call.function("time.sleep", List.of(30), Map.of())
                    .with(CallOptions.builder().timeout(Duration.ofSeconds(1)).build());
            long started = System.nanoTime();
            PyFleetException e = assertThrows(PyFleetException.class, () -> Fleet.join(fleet.submit(slow)));
            long elapsedMs = (System.nanoTime() - started) / 1_000_000;
            assertInstanceOf(CallTimeoutException.class, e);
            assertTrue(elapsedMs < 2000, "outcome after " + elapsedMs + " ms, not within the timeout + 1 s");
        }
    }

    @Test
    void aSubprocessEndsWithItsKilledWorker() {
        try (EmbeddedNode fleet = TestFleets.start(1)) {
            long sleeper = (Long) fleet.call("fleettest.start_sleeper", 120.0);
            assertTrue(alive(sleeper));
            fleet.killWorker("w1");
            Eventually.await(Duration.ofSeconds(5), () -> !alive(sleeper),
                    () -> "subprocess " + sleeper + " outlived its killed worker");
        }
    }

    @Test
    void aSubprocessEndsWhenTheNodeStops() {
        long sleeper;
        try (EmbeddedNode fleet = TestFleets.start(1)) {
            sleeper = (Long) fleet.call("fleettest.start_sleeper", 120.0);
            assertTrue(alive(sleeper));
        }
        Eventually.await(Duration.ofSeconds(5), () -> !alive(sleeper),
                () -> "subprocess " + sleeper + " outlived the node's stop");
    }

    /** Running, not a zombie (the container's init may never reap an orphan). */
    private static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (java.io.IOException gone) {
            return false;
        }
    }

    @Test
    void multiprocessingWorksInAWorker() {
        try (EmbeddedNode fleet = TestFleets.start(1)) {
            for (String method : List.of("fork", "spawn", "forkserver")) {
                assertEquals(List.of(0L, 1L, 4L, 9L), fleet.call("fleettest.multiprocessing_squares", method, 4),
                        method);
            }
        }
    }

    // -- events belong to their call -----------------------------------------------------------------

    @Test
    void anEventFromAThreadOfAnEndedCallNeverReachesAnotherCall() {
        try (EmbeddedNode fleet = TestFleets.start(1)) {
            assertEquals("started", fleet.call("fleettest.start_late_emitter"));
            List<Object> events = Collections.synchronizedList(new ArrayList<>());
            Call b = Call.function("fleettest.release_late_emitter", List.of(), Map.of())
                    .with(CallOptions.builder().onEvent(events::add).build());
            assertEquals(false, Fleet.join(fleet.submit(b)), "emit() reports the event as dropped");
            assertEquals(List.of("mine"), events);
        }
    }

    // -- crash reports ----------------------------------------------------------------------------

    @Test
    void aSegfaultReportsItsPythonTrace() {
        try (WorkerProcess worker = WorkerProcess.start(options("wsegv"))) {
            PyFleetException e = assertThrows(PyFleetException.class,
                    () -> call(worker, "fleettest.segfault"));
            assertInstanceOf(WorkerLostException.class, e);
            assertTrue(e.getMessage().contains("in segfault"), "no fault trace in: " + e.getMessage());
            assertTrue(e.getMessage().contains("killed by signal 11 (SIGSEGV) in ctypes/__init__.py line "),
                    "the fault's place is named: " + e.getMessage());
        }
    }

    @Test
    void aKilledWorkerWithAForkedGrandchildFailsItsCallerAtOnceAndTakesTheGrandchild() throws Exception {
        try (EmbeddedNode fleet = TestFleets.start(1)) {
            long pid = fleet.stats().workers().get(0).pid();
            java.util.concurrent.CompletableFuture<Object> call = fleet.callAsync(
                    "fleettest.grandchild_then_sleep", 60);
            Eventually.await(Duration.ofSeconds(10), () -> ProcessHandle.allProcesses()
                    .anyMatch(p -> p.pid() != pid && isInGroup(p.pid(), pid)
                            && ProcessHandle.of(pid).map(w -> w.children().noneMatch(c -> c.pid() == p.pid()))
                            .orElse(false)), () -> "a grandchild no longer the worker's child");
            List<Long> group = ProcessHandle.allProcesses().filter(p -> isInGroup(p.pid(), pid))
                    .map(ProcessHandle::pid).toList();
            long t0 = System.nanoTime();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> call.get(10, java.util.concurrent.TimeUnit.SECONDS));
            long millis = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertInstanceOf(WorkerLostException.class, e.getCause());
            System.out.println("kill -9 of a worker with a forked grandchild to the caller's typed error: "
                    + millis + " ms");
            assertTrue(millis < 1_000, "the error took " + millis + " ms");
            Eventually.await(Duration.ofSeconds(5), () -> group.stream().noneMatch(p -> ProcessHandle.of(p)
                    .map(ProcessHandle::isAlive).orElse(false)), () -> "the worker's group is gone: " + group);
        }
    }

    /** Whether process {@code pid} is in process group {@code pgid} (from /proc). */
    private static boolean isInGroup(long pid, long pgid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[2]) == pgid;
        } catch (Exception e) {
            return false;
        }
    }

    // -- limits -------------------------------------------------------------------------------------

    @Test
    void limitsAreOnByDefault() {
        PyfleetSettings.Worker defaults = PyfleetSettings.load().worker();
        assertTrue(defaults.memoryLimit() >= 1L << 30, "memory-limit = auto: " + defaults.memoryLimit());
        assertEquals(1024, defaults.processLimit());
        assertEquals(500, defaults.oomScoreAdj());
        assertTrue(defaults.inheritEnvironment().containsAll(List.of("PATH", "HOME", "LC_*", "OPENBLAS_*")));
        try (EmbeddedNode fleet = TestFleets.start(1)) {
            assertEquals("500", ((String) fleet.call("fleettest.read_text", "/proc/self/oom_score_adj")).strip());
        }
    }

    @Test
    void aCallOverTheMemoryLimitFailsNamingIt() {
        try (EmbeddedNode fleet = TestFleets.start(1, Map.of("pyfleet.worker.memory-limit", "256MiB"))) {
            PythonException e = assertThrows(PythonException.class,
                    () -> fleet.call("fleettest.allocate", 1L << 30));
            assertEquals("builtins.MemoryError", e.pythonType());
            assertTrue(e.getMessage().contains("pyfleet.worker.memory-limit = 256 MiB reached"), e.getMessage());
            assertEquals(5L, fleet.operator("add", 2, 3), "the worker lives on");
        }
    }

    @Test
    void aForkPastTheProcessLimitFailsNamingIt() {
        try (EmbeddedNode fleet = TestFleets.start(1, Map.of("pyfleet.worker.process-limit", 24))) {
            assertEquals(8L, fleet.call("fleettest.fork_many", 8));
            PythonException e;
            try {
                fleet.call("fleettest.fork_many", 40);
                assumeTrue(false, "the process limit is not enforced here (root without a writable pids cgroup)");
                return;
            } catch (PythonException failed) {
                e = failed;
            }
            assertEquals("builtins.BlockingIOError", e.pythonType());
            assertTrue(e.getMessage().contains("pyfleet.worker.process-limit = 24 reached"), e.getMessage());
            assertEquals(8L, fleet.call("fleettest.fork_many", 8));
        }
    }

    private static String pyString(String text) {
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return "?";
        }
    }
}
