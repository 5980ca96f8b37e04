package io.pyfleet.bench;

import io.pyfleet.node.worker.WorkerProcess;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code pool_floor_per_s}: what the workers of a pool can do with no node around them: N bare
 * {@link WorkerProcess}es (N = the pool size), each driven by its own thread with
 * {@value #WINDOW} {@code operator.add(1, 2)} calls in flight; calls per second, all together.
 * A run is 200,000 calls per worker (quick: 50,000), or fewer when it reaches the time limit.
 */
final class PoolFloor implements BenchCase {
    static final String RATE = "pool_floor_per_s";
    static final int WINDOW = 500;

    @Override
    public String name() {
        return "pool_floor";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.of(RATE, Unit.PER_SECOND, null));
    }

    @Override
    public Map<String, Double> run(BenchContext context, Pass pass) throws Exception {
        List<WorkerProcess> workers = context.workers(context.settings().pool().size());
        int n = pass.size(200_000, 50_000);
        Loops.Rate rate = Loops.parallel(workers.size(), i -> Loops.pipelinedUnchecked(n, WINDOW, pass.limit(),
                () -> workers.get(i).submit("operator", "add", WorkerProcessLatency.ARGS, null, null)));
        return Map.of(RATE, rate.perSecond());
    }

    static List<WorkerProcess> start(BenchContext context, int count) {
        List<WorkerProcess> workers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            workers.add(WorkerProcess.start(context.settings().workerOptions("floor" + (i + 1), 1)));
        }
        return workers;
    }
}
