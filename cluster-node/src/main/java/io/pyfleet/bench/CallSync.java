package io.pyfleet.bench;

import io.pyfleet.client.Fleet;
import java.util.List;
import java.util.Map;

/**
 * {@code call_sync_p50_us}, {@code call_sync_p99_us}: {@code fleet.operator("add", 1, 2)} on the embedded
 * node, one call at a time: the whole path a user's call takes (ask, router, worker actor, process).
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
        long[] samples = Loops.latencies(pass.size(20_000, 5_000), () -> {
            Object sum = fleet.operator("add", 1, 2);
            if (!Long.valueOf(3).equals(sum)) {
                throw new BenchFailure("operator.add(1, 2) returned " + sum);
            }
        });
        double[] p = Loops.p50p99Micros(samples);
        return Map.of(P50, p[0], P99, p[1]);
    }
}
