package io.pyfleet.bench;

import io.pyfleet.client.Call;
import io.pyfleet.client.Fleet;
import java.util.List;
import java.util.Map;

/**
 * {@code call_async_per_s}: pipelined {@code fleet.submit(operator.add(1, 2))} calls over the whole pool,
 * at most {@value #WINDOW} futures in flight; calls per second. A run is 200,000 calls (quick: 50,000), or
 * fewer when it reaches {@link BenchCase.Pass#limit()} first.
 */
final class CallAsync implements BenchCase {
    static final String RATE = "call_async_per_s";
    static final int WINDOW = 2_000;

    @Override
    public String name() {
        return "call_async";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.of(RATE, Unit.PER_SECOND, PipeEchoThroughput.RATE));
    }

    @Override
    public Map<String, Double> run(BenchContext context, Pass pass) throws Exception {
        Fleet fleet = context.fleet();
        int n = pass.size(200_000, 50_000);
        Loops.Rate rate = Loops.pipelined(n, WINDOW, pass.limit(),
                () -> fleet.submit(Call.operator("add", WorkerProcessLatency.ARGS)));
        return Map.of(RATE, rate.perSecond());
    }
}
