package io.pyfleet.bench;

import io.pyfleet.client.Fleet;
import io.pyfleet.client.PyObject;
import io.pyfleet.client.StaleHandleException;
import io.pyfleet.client.internal.ApiAccess;
import io.pyfleet.client.internal.Handle;
import java.util.List;
import java.util.Map;

/**
 * {@code tcp_method_sync_p50_us}, {@code tcp_method_sync_p99_us}: a method call on an object (a
 * {@code collections.deque}'s {@code __len__}), one at a time, through the thin client over TCP, against
 * {@link TcpCallSync}'s plain call in the same run: what naming an object the connection holds costs.
 * {@code tcp_refused_handle_p50_us}: the same call on that object from a second connection, which the node
 * refuses ({@code stale_handle}, an object of another connection) without a worker.
 */
final class TcpMethodSync implements BenchCase {
    static final String P50 = "tcp_method_sync_p50_us";
    static final String P99 = "tcp_method_sync_p99_us";
    static final String REFUSED = "tcp_refused_handle_p50_us";

    @Override
    public String name() {
        return "tcp_method_sync";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.of(P50, Unit.MICROS, TcpCallSync.P50), Metric.of(P99, Unit.MICROS, TcpCallSync.P99),
                Metric.of(REFUSED, Unit.MICROS, TcpCallSync.P50));
    }

    @Override
    public Map<String, Double> run(BenchContext context, Pass pass) throws Exception {
        List<Fleet> remotes = context.remotes(2);
        Fleet owner = remotes.get(0);
        Fleet other = remotes.get(1);
        int n = pass.size(20_000, 5_000);
        try (PyObject list = (PyObject) owner.init("collections.deque", List.of(1L, 2L, 3L))) {
            double[] ok = Loops.p50p99Micros(Loops.latencies(n, () -> {
                Object len = owner.method(list, "__len__");
                if (!Long.valueOf(3).equals(len)) {
                    throw new BenchFailure("len of deque([1, 2, 3]) returned " + len);
                }
            }));
            Handle foreign = ApiAccess.handle(list);
            double[] refused = Loops.p50p99Micros(Loops.latencies(n / 4, () -> {
                try {
                    other.method(foreign, "__len__");
                    throw new BenchFailure("a second connection used the first one's object");
                } catch (StaleHandleException expected) {
                    // refused, as it must be
                }
            }));
            return Map.of(P50, ok[0], P99, ok[1], REFUSED, refused[0]);
        }
    }
}
