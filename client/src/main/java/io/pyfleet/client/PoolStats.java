package io.pyfleet.client;

import java.time.Duration;
import java.util.List;

/**
 * A snapshot of a pool.
 *
 * @param node     node name
 * @param uptime   how long the node's pool has run
 * @param workers  one entry per worker slot
 * @param queued   calls waiting in the node queue
 * @param failed   why the pool gave up, or null while it is healthy
 */
public record PoolStats(String node, Duration uptime, List<WorkerStats> workers, int queued, String failed) {

    /**
     * One worker slot.
     *
     * @param id        worker id, e.g. {@code w1}
     * @param pid       current process id, or -1 while it is (re)starting
     * @param ready     serving calls
     * @param inFlight  calls sent to it and not yet answered
     * @param calls     calls it answered (values and errors)
     * @param errors    calls that ended in an error
     * @param busy      summed time from sending a call to its answer
     * @param restarts  how many times the slot's process was restarted
     * @param rssBytes  the process's resident memory in bytes, or -1 when unknown (no process, not Linux)
     */
    public record WorkerStats(String id, long pid, boolean ready, int inFlight, long calls, long errors,
            Duration busy, int restarts, long rssBytes) {
    }

    /**
     * The calls every worker answered, summed.
     *
     * @return the sum of {@link WorkerStats#calls()}
     */
    public long totalCalls() {
        return workers.stream().mapToLong(WorkerStats::calls).sum();
    }
}
