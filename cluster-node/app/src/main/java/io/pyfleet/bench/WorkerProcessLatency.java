package io.pyfleet.bench;

import io.pyfleet.node.worker.WorkerProcess;
import java.util.List;
import java.util.Map;

/**
 * {@code worker_process_p50_us}, {@code worker_process_p99_us}: {@code operator.add(1, 2)} through a bare
 * {@link WorkerProcess} (no actors), one call at a time: encoding, the real worker's decoding and
 * dispatch, the reply's decoding and the future's completion, over the floor's pipe.
 */
final class WorkerProcessLatency implements BenchCase {
    static final String P50 = "worker_process_p50_us";
    static final String P99 = "worker_process_p99_us";
    static final List<Long> ARGS = List.of(1L, 2L);

    @Override
    public String name() {
        return "worker_process";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.of(P50, Unit.MICROS, PipeEchoLatency.P50),
                Metric.of(P99, Unit.MICROS, PipeEchoLatency.P50));
    }

    @Override
    public Map<String, Double> run(BenchContext context, Pass pass) throws Exception {
        WorkerProcess worker = context.worker();
        return Loops.addLatencies(P50, P99, pass.size(20_000, 5_000),
                () -> worker.call("operator", "add", ARGS, null, null));
    }
}
