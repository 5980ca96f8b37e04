package io.pyfleet.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.BindException;
import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.FleetClosedException;
import io.pyfleet.client.NotAllowedException;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.PoolInfo;
import io.pyfleet.client.PoolSpec;
import io.pyfleet.client.PoolStartException;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.client.PyObject;
import io.pyfleet.client.PythonException;
import io.pyfleet.client.StaleHandleException;
import io.pyfleet.client.UnknownPoolException;
import io.pyfleet.client.internal.ApiAccess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Named Python pools, the same suite for every {@link Fleet}: a pool with a virtual environment of
 * its own and a module only on its path serves calls (its interpreter, its path, its objects),
 * is resized and stopped; specs that cannot start are {@link PoolStartException}s naming the node
 * and the cause, with nothing left running; an unknown pool is a typed error. Real CPython.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class PoolsContract {
    private static final String MARKER = "FLAVOR = 'from-the-pool'\n\ndef twice(x):\n    return 2 * x\n";

    private Path tmp;
    private Path venv;
    private Path python;
    private Path markerDir;
    private Fleet fleet;

    /** A fleet with this many default workers (the test modules on their path). */
    protected abstract Fleet open(int workers);

    /** The name of the node the fleet talks to. */
    protected abstract String nodeName();

    @BeforeAll
    void setUp(@TempDir Path dir) throws Exception {
        tmp = dir;
        venv = tmp.resolve("venv");
        python = TestVenv.create(venv);
        markerDir = TestVenv.module(tmp.resolve("marker"), "poolmarker", MARKER);
        fleet = open(1);
    }

    @AfterAll
    void tearDown() {
        if (fleet != null) {
            fleet.close();
        }
    }

    private static CallOptions in(String pool) {
        return CallOptions.builder().pool(pool).build();
    }

    private Object call(String pool, String function, Object... args) {
        return Fleet.join(fleet.submit(Call.function(function, List.of(args), Map.of()).with(in(pool))));
    }

    /** The module only the pool has on its path. */
    public interface Marker {
        long twice(long x);
    }

    @Test
    void aPoolWithItsOwnVirtualEnvironmentServesIsResizedAndStopped() throws Exception {
        PoolInfo started = fleet.startPool(PoolSpec.builder("venv-a", python.toString()).pythonPath(markerDir.toString())
                .environment("POOL_FLAVOR", "a").requires("poolmarker", "json").build());
        assertEquals(new PoolInfo("venv-a", nodeName(), 1, 1, python.toString()), started);
        assertEquals(List.of("default", "venv-a"), fleet.nodes().get(0).pools(), "the node lists its pools");

        // Its interpreter, its path and its environment; the default pool has none of them.
        assertEquals(venv.toString(), Fleet.join(fleet.submit(Call.constant("sys.prefix", null).with(in("venv-a")))));
        assertNotEquals(venv.toString(), fleet.constant("sys.prefix"));
        assertEquals("from-the-pool", Fleet.join(fleet.submit(Call.constant("poolmarker.FLAVOR", null)
                .with(in("venv-a")))));
        PythonException notThere = assertThrows(PythonException.class, () -> fleet.constant("poolmarker.FLAVOR"));
        assertTrue(notThere.getMessage().contains("poolmarker"), notThere.getMessage());
        assertEquals("a", call("venv-a", "os.getenv", "POOL_FLAVOR"));
        assertEquals(null, fleet.call("os.getenv", "POOL_FLAVOR"));

        // A binding looks its module up where its calls run: in the pool its options name.
        Marker marker = fleet.bind(Marker.class, "poolmarker", in("venv-a"));
        assertEquals(8L, marker.twice(4));
        BindException notInDefault = assertThrows(BindException.class, () -> fleet.bind(Marker.class, "poolmarker"));
        assertTrue(notInDefault.getMessage().startsWith("cannot bind Marker to poolmarker: "
                + "builtins.ModuleNotFoundError: No module named 'poolmarker' (not on the workers' sys.path: "),
                notInDefault.getMessage());

        // Its objects stay in it: calls on them go back there without naming the pool.
        PyObject window = (PyObject) Fleet.join(fleet.submit(Call.init("collections.deque", List.of(List.of(1, 2)),
                Map.of()).with(in("venv-a"))));
        assertTrue(ApiAccess.handle(window).node().endsWith("/venv-a"), ApiAccess.handle(window).node());
        fleet.method(window, "append", 3);
        assertEquals(3L, fleet.builtin("len", window));
        assertEquals(List.of(1L, 2L, 3L), fleet.builtin("list", window));

        List<PoolInfo> pools = fleet.pools(null);
        assertEquals(List.of(PoolSpec.DEFAULT_POOL, "venv-a"), pools.stream().map(PoolInfo::name).toList());
        assertEquals(1, pools.get(1).ready());

        fleet.resizePool(null, "venv-a", 2);
        awaitReady("venv-a", 2);
        List<Outcome> pids = Fleet.join(fleet.identicalAsync(Call.function("os.getpid", List.of(), Map.of())
                .with(in("venv-a"))));
        Set<Long> distinct = new HashSet<>();
        pids.forEach(o -> distinct.add((Long) o.get()));
        assertEquals(2, distinct.size(), pids.toString());
        assertEquals(List.of(2L, 4L, 6L), Fleet.join(fleet.scatterAsync("poolmarker.twice",
                List.of(List.of(1), List.of(2), List.of(3)), in("venv-a"))).stream().map(Outcome::get).toList());

        // Stopping fails its call in flight (it may have run), forgets its objects and stops its workers.
        CompletableFuture<Object> sleeping = fleet.submit(Call.function("time.sleep", List.of(30), Map.of())
                .with(in("venv-a")));
        Thread.sleep(200);
        fleet.stopPool(null, "venv-a");
        ExecutionException ended = assertThrows(ExecutionException.class, () -> sleeping.get(10, TimeUnit.SECONDS));
        FleetClosedException closed = assertInstanceOf(FleetClosedException.class, ended.getCause());
        assertTrue(closed.mayHaveRun(), closed.getMessage());
        for (Long pid : distinct) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "worker " + pid + " lives");
        }
        assertThrows(UnknownPoolException.class, () -> call("venv-a", "os.getpid"));
        assertThrows(StaleHandleException.class, () -> fleet.builtin("len", window));
        assertEquals(List.of(PoolSpec.DEFAULT_POOL), fleet.pools(null).stream().map(PoolInfo::name).toList());
        assertEquals(3L, fleet.operator("add", 1, 2)); // the default pool serves on
    }

    @Test
    void aMissingInterpreterIsAPoolStartErrorNamingTheNode() {
        String missing = tmp.resolve("no-venv/bin/python").toString();
        PoolStartException e = assertThrows(PoolStartException.class,
                () -> fleet.startPool(PoolSpec.builder("nopython", missing).build()));
        assertTrue(e.getMessage().contains("node " + nodeName()) && e.getMessage().contains(missing), e.getMessage());
        PoolStartException onPath = assertThrows(PoolStartException.class,
                () -> fleet.startPool(PoolSpec.builder("nopython", "no-such-python-pyfleet").build()));
        assertTrue(onPath.getMessage().contains("node " + nodeName())
                && onPath.getMessage().contains("no-such-python-pyfleet"), onPath.getMessage());
        assertOnlyTheDefaultPool();
    }

    @Test
    void workersThatDieAtStartAreAPoolStartError() throws Exception {
        Path dies = tmp.resolve("dies-at-start");
        Files.writeString(dies, "#!/bin/sh\necho 'this interpreter is broken' >&2\nexit 3\n");
        Files.setPosixFilePermissions(dies, PosixFilePermissions.fromString("rwxr-xr-x"));
        PoolStartException e = assertThrows(PoolStartException.class,
                () -> fleet.startPool(PoolSpec.builder("broken", dies.toString()).workers(2).build()));
        assertTrue(e.getMessage().contains("node " + nodeName()) && e.getMessage().contains("could not start"),
                e.getMessage());
        assertOnlyTheDefaultPool();
    }

    @Test
    void aMissingRequiredPackageIsAPoolStartErrorAndLeavesNothingRunning() {
        PoolStartException e = assertThrows(PoolStartException.class, () -> fleet.startPool(
                PoolSpec.builder("needs-numpy-x", python.toString()).requires("no_such_package_pyfleet").build()));
        assertTrue(e.getMessage().contains("node " + nodeName()) && e.getMessage().contains("no_such_package_pyfleet")
                && e.getMessage().contains("ModuleNotFoundError"), e.getMessage());
        assertOnlyTheDefaultPool();
        assertThrows(UnknownPoolException.class, () -> call("needs-numpy-x", "os.getpid"));
    }

    @Test
    void anUnknownPoolIsATypedErrorAndNothingRuns() {
        UnknownPoolException e = assertThrows(UnknownPoolException.class, () -> call("nope", "os.getpid"));
        assertTrue(e.getMessage().contains("'nope'") && e.getMessage().contains(nodeName()), e.getMessage());
        assertThrows(UnknownPoolException.class, () -> Fleet.join(fleet.identicalAsync(
                Call.function("os.getpid", List.of(), Map.of()).with(in("nope")))));
        assertThrows(UnknownPoolException.class, () -> Fleet.join(fleet.scatterAsync("os.getpid",
                List.of(List.of()), in("nope"))));
        assertThrows(UnknownPoolException.class, () -> fleet.resizePool(null, "nope", 2));
        assertThrows(UnknownPoolException.class, () -> fleet.bind(Marker.class, "poolmarker", in("nope")));
        assertThrows(UnknownPoolException.class, () -> fleet.stopPool(null, "nope"));
        assertThrows(NotAllowedException.class, () -> fleet.stopPool(null, PoolSpec.DEFAULT_POOL));
        // the default pool answers to its name too
        assertInstanceOf(Long.class, call(PoolSpec.DEFAULT_POOL, "os.getpid"));
    }

    @Test
    void aNameThatRunsAlreadyIsRefused() {
        fleet.startPool(PoolSpec.builder("twice", python.toString()).build());
        try {
            PoolStartException e = assertThrows(PoolStartException.class,
                    () -> fleet.startPool(PoolSpec.builder("twice", python.toString()).build()));
            assertTrue(e.getMessage().contains("runs already"), e.getMessage());
            assertEquals(1, fleet.pools(null).stream().filter(p -> p.name().equals("twice")).count());
            assertInstanceOf(Long.class, call("twice", "os.getpid")); // the first one serves on
        } finally {
            fleet.stopPool(null, "twice");
        }
    }

    @Test
    void aPoolStoppedAsItGrowsLeavesNoWorkerRunning() throws Exception {
        fleet.startPool(PoolSpec.builder("grows", python.toString()).build());
        String owner = (String) call("grows", "os.getenv", "PYFLEET_NODE");
        assertTrue(owner.endsWith("/grows"), owner);
        fleet.resizePool(null, "grows", 3);
        fleet.stopPool(null, "grows"); // the two new workers are still starting
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        List<Long> left = workersOf(owner);
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
            left = workersOf(owner);
        }
        assertEquals(List.of(), left, "workers of the stopped pool still run");
    }

    /** Processes whose environment says they serve {@code owner} (Linux: /proc/PID/environ). */
    private static List<Long> workersOf(String owner) throws Exception {
        byte[] wanted = ("PYFLEET_NODE=" + owner + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        List<Long> found = new java.util.ArrayList<>();
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(d -> d.getFileName().toString().matches("\\d+")).toList()) {
                byte[] env;
                try {
                    env = Files.readAllBytes(p.resolve("environ"));
                } catch (java.io.IOException e) {
                    continue; // gone, or not ours
                }
                if (indexOf(env, wanted) >= 0) {
                    found.add(Long.parseLong(p.getFileName().toString()));
                }
            }
        }
        return found;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private void assertOnlyTheDefaultPool() {
        assertEquals(List.of(PoolSpec.DEFAULT_POOL), fleet.pools(null).stream().map(PoolInfo::name).toList());
    }

    private void awaitReady(String pool, int workers) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            for (PoolInfo p : fleet.pools(null)) {
                if (p.name().equals(pool) && p.ready() >= workers && p.workers() == workers) {
                    return;
                }
            }
            Thread.sleep(20);
        }
        throw new PyFleetException("pool " + pool + " did not reach " + workers + " ready workers");
    }
}
