package io.pyfleet.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The registry of cases, in the order they run: every baseline before the cases compared with it.
 * Adding a case is one line here (and its class).
 */
public final class BenchCases {
    private BenchCases() {
    }

    /** Every case, in run order. */
    public static List<BenchCase> all() {
        return List.of(
                new PipeEchoLatency(),
                new PipeEchoThroughput(),
                new WorkerProcessLatency(),
                new WorkerProcessThroughput(),
                new CallSync(),
                new CallAsync(),
                new PoolFloor(),
                new CallAsyncThreads(),
                new Scatter10k(),
                new IdenticalCall(),
                new TcpEchoLatency(),
                new TcpCallSync(),
                new TcpMethodSync(),
                new TcpCallAsync(),
                new TcpCallAsyncConnections(),
                new ArrayMemcpy(),
                new ArrayPipe(),
                new ArrayCopies(),
                new ArrayHandoff(),
                new TcpArrayPull(),
                new TcpArrayUpload(),
                new NumpyMultiply8mb(),
                new ClusterScatterCase(),
                new ClusterCallOnNode(),
                // kills the nodes it starts: after the other cluster cases
                new ClusterJoinAndLoss(),
                // kills workers: last, so that no other case measures a pool that is recovering
                new Restart());
    }

    /**
     * What to run: the cases, in registry order, and the metrics to report, in output order.
     *
     * @param cases    the cases to run
     * @param metrics  the metric names to report
     */
    public record Plan(List<BenchCase> cases, Set<String> metrics) {
    }

    /**
     * The plan for {@code wanted} names (metric names such as {@code call_sync_p99_us}, or case names
     * such as {@code call_sync} for all its metrics), with the baselines they need, transitively;
     * everything when {@code wanted} is empty.
     *
     * @throws IllegalArgumentException for a name no case has, or a registry whose baseline is missing
     *     or measured after the case that needs it
     */
    public static Plan plan(List<BenchCase> registry, Collection<String> wanted) {
        Map<String, BenchCase> byMetric = new LinkedHashMap<>();
        Map<String, Metric> metrics = new LinkedHashMap<>();
        for (BenchCase c : registry) {
            for (Metric m : c.metrics()) {
                if (m.baseline() != null && !byMetric.containsKey(m.baseline())) {
                    throw new IllegalArgumentException("case " + m.name() + " has baseline " + m.baseline()
                            + ", which no earlier case measures");
                }
                if (byMetric.putIfAbsent(m.name(), c) != null) {
                    throw new IllegalArgumentException("two cases measure " + m.name());
                }
                metrics.put(m.name(), m);
            }
        }
        Set<String> chosen = new LinkedHashSet<>();
        if (wanted.isEmpty()) {
            chosen.addAll(metrics.keySet());
        }
        for (String name : wanted) {
            List<String> named = new ArrayList<>();
            if (metrics.containsKey(name)) {
                named.add(name);
            } else {
                registry.stream().filter(c -> c.name().equals(name))
                        .forEach(c -> c.metrics().forEach(m -> named.add(m.name())));
            }
            if (named.isEmpty()) {
                throw new IllegalArgumentException("no case is named '" + name + "'; the cases are: "
                        + String.join(", ", metrics.keySet()));
            }
            for (String n : named) {
                for (String m = n; m != null; m = metrics.get(m).baseline()) {
                    chosen.add(m); // the metric, its baseline, the baseline's baseline...
                }
            }
        }
        List<BenchCase> cases = new ArrayList<>();
        Set<String> ordered = new LinkedHashSet<>();
        for (BenchCase c : registry) {
            boolean needed = false;
            for (Metric m : c.metrics()) {
                if (chosen.contains(m.name())) {
                    ordered.add(m.name());
                    needed = true;
                }
            }
            if (needed) {
                cases.add(c);
            }
        }
        return new Plan(List.copyOf(cases), java.util.Collections.unmodifiableSet(ordered));
    }
}
