package io.pyfleet.bench;

import io.pyfleet.node.worker.WorkerProcess;
import java.util.List;
import java.util.Map;

/**
 * {@code worker_process_per_s}: pipelined {@code operator.add(1, 2)} calls on one bare {@link WorkerProcess},
 * {@value #WINDOW} in flight; calls per second of one worker. A run is 200,000 calls (quick: 50,000), or
 * fewer when it reaches {@link BenchCase.Pass#limit()} first.
 */
final class WorkerProcessThroughput implements BenchCase {
    static final String RATE = "worker_process_per_s";
    static final int WINDOW = 500;

    @Override
    public String name() {
        return "worker_process_pipelined";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.of(RATE, Unit.PER_SECOND, PipeEchoThroughput.RATE));
    }

    @Override
    public Map<String, Double> run(BenchContext context, Pass pass) throws Exception {
        WorkerProcess worker = context.worker();
        int n = pass.size(200_000, 50_000);
        Loops.Rate rate = Loops.pipelined(n, WINDOW, pass.limit(),
                () -> worker.submit("operator", "add", WorkerProcessLatency.ARGS, null, null));
        return Map.of(RATE, rate.perSecond());
    }
}
