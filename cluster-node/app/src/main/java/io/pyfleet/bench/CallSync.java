package io.pyfleet.bench;

import io.pyfleet.client.Fleet;
import java.util.List;
import java.util.Map;

/**
 * {@code call_sync_p50_us}, {@code call_sync_p99_us}: {@code fleet.operator("add", 1, 2)} on the embedded
 * node, one call at a time: the whole path a user's call takes (a direct lane into a free worker, or
 * the router when calls queue).
 */
final class CallSync implements BenchCase {
    static final String P50 = "call_sync_p50_us";
    static final String P99 = "call_sync_p99_us";

    @Override
    public String name() {
        return "call_sync";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.of(P50, Unit.MICROS, PipeEchoLatency.P50),
                Metric.of(P99, Unit.MICROS, PipeEchoLatency.P50));
    }

    @Override
    public Map<String, Double> run(BenchContext context, Pass pass) throws Exception {
        Fleet fleet = context.fleet();
        return Loops.addLatencies(P50, P99, pass.size(20_000, 5_000), () -> fleet.operator("add", 1, 2));
    }
}
