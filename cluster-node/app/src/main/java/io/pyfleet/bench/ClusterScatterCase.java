package io.pyfleet.bench;

import io.pyfleet.client.Fleet;
import io.pyfleet.client.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code cluster_scatter_1node_ms}, {@code cluster_scatter_3nodes_ms}: a scatter of {@value #ITEMS} calls
 * that each sleep 10 ms, through a thin client of node 1, on a node of two workers alone and on a cluster
 * of three such nodes (each node in a JVM of its own). The ideal ratio is 1/3.
 */
final class ClusterScatterCase implements BenchCase {
    static final String ONE = "cluster_scatter_1node_ms";
    static final String THREE = "cluster_scatter_3nodes_ms";
    static final int ITEMS = 600;

    @Override
    public String name() {
        return "cluster_scatter";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.of(ONE, Unit.MILLIS), Metric.of(THREE, Unit.MILLIS, ONE));
    }

    @Override
    public int runs(boolean quick) {
        return 3;
    }

    @Override
    public Map<String, Double> run(BenchContext context, Pass pass) throws Exception {
        Fleet one = context.cluster("solo", 1, 2).client();
        Fleet three = context.cluster("trio", 3, 2).client();
        List<List<?>> items = new ArrayList<>();
        for (int i = 0; i < ITEMS; i++) {
            items.add(List.of(0.01));
        }
        return Map.of(ONE, time(one, items), THREE, time(three, items));
    }

    private static double time(Fleet fleet, List<List<?>> items) {
        long t0 = System.nanoTime();
        List<Outcome> outcomes = fleet.scatter("time.sleep", items);
        double ms = (System.nanoTime() - t0) / 1e6;
        for (Outcome o : outcomes) {
            if (!o.isOk()) {
                throw new BenchFailure("a scatter item failed: " + o.error());
            }
        }
        return ms;
    }
}
