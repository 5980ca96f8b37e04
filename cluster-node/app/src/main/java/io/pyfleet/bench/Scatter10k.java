package io.pyfleet.bench;

import io.pyfleet.client.Fleet;
import io.pyfleet.client.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code scatter_10k_per_s}: {@code fleet.scatter("operator.add", ...)} of {@value #TASKS} argument lists,
 * results gathered in order; tasks per second over a few scatters per run.
 */
final class Scatter10k implements BenchCase {
    static final String RATE = "scatter_10k_per_s";
    static final int TASKS = 10_000;

    @Override
    public String name() {
        return "scatter_10k";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.of(RATE, Unit.PER_SECOND));
    }

    @Override
    public Map<String, Double> run(BenchContext context, Pass pass) {
        Fleet fleet = context.fleet();
        List<List<Long>> sets = new ArrayList<>(TASKS);
        for (long i = 0; i < TASKS; i++) {
            sets.add(List.of(i, 1L));
        }
        int scatters = pass.size(3, 2);
        long elapsed = 0;
        for (int s = 0; s < scatters; s++) {
            long t0 = System.nanoTime();
            List<Outcome> outcomes = fleet.scatter("operator.add", sets);
            elapsed += System.nanoTime() - t0;
            check(outcomes);
        }
        return Map.of(RATE, Stats.perSecond((long) scatters * TASKS, elapsed));
    }

    private static void check(List<Outcome> outcomes) {
        if (outcomes.size() != TASKS) {
            throw new BenchFailure("scatter of " + TASKS + " returned " + outcomes.size() + " outcomes");
        }
        for (int i = 0; i < TASKS; i++) {
            Outcome o = outcomes.get(i);
            if (!o.isOk() || !Long.valueOf(i + 1L).equals(o.value())) {
                throw new BenchFailure("scatter item " + i + " ended with "
                        + (o.isOk() ? o.value() : o.error().toString()) + ", not " + (i + 1));
            }
        }
    }
}
