package io.pyfleet.bench;

import io.pyfleet.client.Fleet;
import java.util.List;
import java.util.Map;

/**
 * {@code tcp_call_sync_p50_us}, {@code tcp_call_sync_p99_us}: {@link CallSync}'s call, one at a time,
 * through the thin client over one TCP connection (loopback) to a node in its own JVM; against the same
 * call on the embedded fleet, in the same run.
 */
final class TcpCallSync implements BenchCase {
    static final String P50 = "tcp_call_sync_p50_us";
    static final String P99 = "tcp_call_sync_p99_us";

    @Override
    public String name() {
        return "tcp_call_sync";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.of(P50, Unit.MICROS, CallSync.P50), Metric.of(P99, Unit.MICROS, CallSync.P99));
    }

    @Override
    public Map<String, Double> run(BenchContext context, Pass pass) throws Exception {
        Fleet remote = context.remotes(1).get(0);
        return Loops.addLatencies(P50, P99, pass.size(20_000, 5_000), () -> remote.operator("add", 1, 2));
    }
}
