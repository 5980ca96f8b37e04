package io.pyfleet.bench;

import io.pyfleet.client.Call;
import io.pyfleet.client.Fleet;
import java.util.List;
import java.util.Map;

/**
 * {@code call_async_threads_per_s}: N caller threads (N = the pool size) on the embedded
 * {@link Fleet}, each keeping {@value #WINDOW} {@code fleet.submit(operator.add(1, 2))} calls in
 * flight; calls per second, all together, against {@link PoolFloor}'s bare workers. A run is
 * 200,000 calls per thread (quick: 50,000), or fewer when it reaches the time limit.
 */
final class CallAsyncThreads implements BenchCase {
    static final String RATE = "call_async_threads_per_s";
    static final int WINDOW = PoolFloor.WINDOW;

    @Override
    public String name() {
        return "call_async_threads";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.of(RATE, Unit.PER_SECOND, PoolFloor.RATE));
    }

    @Override
    public Map<String, Double> run(BenchContext context, Pass pass) throws Exception {
        Fleet fleet = context.fleet();
        int n = pass.size(200_000, 50_000);
        Loops.Rate rate = Loops.parallel(fleet.poolSize(), i -> Loops.pipelinedUnchecked(n, WINDOW, pass.limit(),
                () -> fleet.submit(Call.operator("add", WorkerProcessLatency.ARGS))));
        return Map.of(RATE, rate.perSecond());
    }
}
