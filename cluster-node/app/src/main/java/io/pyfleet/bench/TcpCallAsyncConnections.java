package io.pyfleet.bench;

import io.pyfleet.client.Call;
import io.pyfleet.client.Fleet;
import java.util.List;
import java.util.Map;

/**
 * {@code tcp_call_async_connections_per_s}: {@link CallAsyncThreads} over TCP: one caller thread and one
 * connection per worker of the pool (one per core by default), each keeping the same window in flight;
 * against {@code call_async_threads_per_s}.
 */
final class TcpCallAsyncConnections implements BenchCase {
    static final String RATE = "tcp_call_async_connections_per_s";

    @Override
    public String name() {
        return "tcp_call_async_connections";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.of(RATE, Unit.PER_SECOND, CallAsyncThreads.RATE));
    }

    @Override
    public Map<String, Double> run(BenchContext context, Pass pass) throws Exception {
        int connections = context.settings().pool().size();
        List<Fleet> remotes = context.remotes(connections);
        int n = pass.size(200_000, 50_000);
        Loops.Rate rate = Loops.parallel(connections, i -> Loops.pipelinedUnchecked(n, CallAsyncThreads.WINDOW,
                pass.limit(), () -> remotes.get(i).submit(Call.operator("add", WorkerProcessLatency.ARGS))));
        return Map.of(RATE, rate.perSecond());
    }
}
