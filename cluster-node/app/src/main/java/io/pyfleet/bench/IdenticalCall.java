package io.pyfleet.bench;

import io.pyfleet.client.Fleet;
import io.pyfleet.client.Outcome;
import java.util.List;
import java.util.Map;

/** {@code identical_call_us}: {@code fleet.identical("operator.add", 1, 2)} on every worker of the pool, p50. */
final class IdenticalCall implements BenchCase {
    static final String P50 = "identical_call_us";

    @Override
    public String name() {
        return "identical_call";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.of(P50, Unit.MICROS, CallSync.P50));
    }

    @Override
    public Map<String, Double> run(BenchContext context, Pass pass) throws Exception {
        Fleet fleet = context.fleet();
        int workers = fleet.poolSize();
        long[] samples = Loops.latencies(pass.size(5_000, 1_000), () -> {
            List<Outcome> outcomes = fleet.identical("operator.add", 1, 2);
            if (outcomes.size() != workers || !outcomes.stream().allMatch(o -> o.isOk() && Long.valueOf(3).equals(o.value()))) {
                throw new BenchFailure("identical operator.add(1, 2) on " + workers + " workers returned " + outcomes);
            }
        });
        return Map.of(P50, Stats.micros(Stats.percentile(samples, 50)));
    }
}
