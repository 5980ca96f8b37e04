package io.pyfleet.bench;

import io.pyfleet.client.Call;
import io.pyfleet.client.Fleet;
import java.util.List;
import java.util.Map;

/**
 * {@code tcp_call_async_per_s}: {@link CallAsync}'s pipelined calls (the same window) from one thread
 * through one TCP connection to a node in its own JVM; against {@code call_async_per_s}.
 */
final class TcpCallAsync implements BenchCase {
    static final String RATE = "tcp_call_async_per_s";

    @Override
    public String name() {
        return "tcp_call_async";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.of(RATE, Unit.PER_SECOND, CallAsync.RATE));
    }

    @Override
    public Map<String, Double> run(BenchContext context, Pass pass) throws Exception {
        Fleet remote = context.remotes(1).get(0);
        int n = pass.size(200_000, 50_000);
        Loops.Rate rate = Loops.pipelined(n, CallAsync.WINDOW, pass.limit(),
                () -> remote.submit(Call.operator("add", WorkerProcessLatency.ARGS)));
        return Map.of(RATE, rate.perSecond());
    }
}
