package io.pyfleet.bench;

import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.Fleet;
import java.util.List;
import java.util.Map;

/**
 * {@code cluster_call_local_p50_us}, {@code cluster_call_remote_p50_us} (and p99s): {@code operator.add}
 * through a thin client of node 1 of a three-node cluster, served by node 1, and named onto node 2 (node 1
 * forwards it over Artery and relays the answer).
 */
final class ClusterCallOnNode implements BenchCase {
    static final String LOCAL_P50 = "cluster_call_local_p50_us";
    static final String LOCAL_P99 = "cluster_call_local_p99_us";
    static final String REMOTE_P50 = "cluster_call_remote_p50_us";
    static final String REMOTE_P99 = "cluster_call_remote_p99_us";

    @Override
    public String name() {
        return "cluster_call";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.of(LOCAL_P50, Unit.MICROS), Metric.of(LOCAL_P99, Unit.MICROS),
                Metric.of(REMOTE_P50, Unit.MICROS, LOCAL_P50), Metric.of(REMOTE_P99, Unit.MICROS, LOCAL_P99));
    }

    @Override
    public Map<String, Double> run(BenchContext context, Pass pass) throws Exception {
        BenchContext.Cluster trio = context.cluster("trio", 3, 2);
        Fleet fleet = trio.client();
        Call local = Call.operator("add", List.of(1, 2)).with(CallOptions.builder().on(trio.members().get(0).name()).build());
        Call remote = Call.operator("add", List.of(1, 2)).with(CallOptions.builder().on(trio.members().get(1).name()).build());
        int n = pass.size(10_000, 2_000);
        Map<String, Double> a = Loops.addLatencies(LOCAL_P50, LOCAL_P99, n, () -> Fleet.join(fleet.submit(local)));
        Map<String, Double> b = Loops.addLatencies(REMOTE_P50, REMOTE_P99, n, () -> Fleet.join(fleet.submit(remote)));
        Map<String, Double> all = new java.util.HashMap<>(a);
        all.putAll(b);
        return all;
    }
}
