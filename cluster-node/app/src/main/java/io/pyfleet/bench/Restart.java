package io.pyfleet.bench;

import io.pyfleet.client.Outcome;
import io.pyfleet.client.PoolStats.WorkerStats;
import io.pyfleet.client.PoolStats;
import io.pyfleet.node.embedded.EmbeddedNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code restart_ms}: {@code kill -9} of one worker's process (its pid from {@code stats()}) until the pool
 * serves with that slot again: the slot is ready with a new pid (polled every millisecond) and a call on
 * every worker answers from that new pid. Includes the supervisor's first back-off
 * ({@code pyfleet.supervision.min-backoff}, 10 ms by default) and the Python start-up. Each run kills one
 * worker, taking the slots in turn, then lets the pool settle for longer than
 * {@code pyfleet.supervision.within} so that every kill meets a fresh back-off, as a first crash does.
 */
final class Restart implements BenchCase {
    static final String MILLIS = "restart_ms";
    private static final Duration LIMIT = Duration.ofSeconds(60);
    private int kills;

    @Override
    public String name() {
        return "restart";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.of(MILLIS, Unit.MILLIS));
    }

    @Override
    public int runs(boolean quick) {
        return quick ? 3 : 7;
    }

    @Override
    public Map<String, Double> run(BenchContext context, Pass pass) throws Exception {
        EmbeddedNode fleet = context.fleet();
        List<WorkerStats> workers = fleet.stats().workers();
        WorkerStats victim = workers.get(kills++ % workers.size());
        if (!victim.ready() || victim.pid() <= 0) {
            throw new BenchFailure("worker " + victim.id() + " is not serving before the kill: " + victim);
        }
        ProcessHandle process = ProcessHandle.of(victim.pid())
                .orElseThrow(() -> new BenchFailure("no process " + victim.pid() + " for worker " + victim.id()));

        long t0 = System.nanoTime();
        process.destroyForcibly(); // SIGKILL
        long deadline = t0 + LIMIT.toNanos();
        long newPid;
        while ((newPid = servingPid(fleet.stats(), victim)) < 0) {
            if (System.nanoTime() > deadline) {
                throw new BenchFailure("worker " + victim.id() + " did not come back within " + LIMIT);
            }
            Thread.sleep(1);
        }
        List<Outcome> pids = fleet.identical("os.getpid");
        long elapsed = System.nanoTime() - t0;
        long expected = newPid;
        if (pids.stream().noneMatch(o -> o.isOk() && Long.valueOf(expected).equals(o.value()))) {
            throw new BenchFailure("the restarted worker " + victim.id() + " (pid " + newPid
                    + ") did not answer: " + pids);
        }
        Thread.sleep(context.settings().supervision().within().toMillis() + 100);
        return Map.of(MILLIS, elapsed / 1e6);
    }

    /** The victim slot's new pid once it is ready again, else -1. */
    private static long servingPid(PoolStats stats, WorkerStats victim) {
        if (stats.failed() != null) {
            throw new BenchFailure("the pool failed: " + stats.failed());
        }
        for (WorkerStats w : stats.workers()) {
            if (w.id().equals(victim.id()) && w.ready() && w.pid() > 0 && w.pid() != victim.pid()) {
                return w.pid();
            }
        }
        return -1;
    }
}
