package io.pyfleet.bench;

import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.PyArray;
import io.pyfleet.client.PyObject;
import io.pyfleet.node.embedded.EmbeddedNode;
import java.util.List;
import java.util.Map;

/**
 * {@code array_handoff_us}: making a worker's 1 GiB result (made in shared memory with
 * {@code pyfleet.shm.empty}) visible to Java as a {@code PyArray}: the whole call, p50. Only the
 * description crosses the pipe; the node opens and maps the worker's memfd, whatever its size.
 */
final class ArrayHandoff implements BenchCase {
    static final String P50 = "array_handoff_us";

    @Override
    public String name() {
        return "array_handoff";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.of(P50, Unit.MICROS));
    }

    @Override
    public Map<String, Double> run(BenchContext context, Pass pass) throws Exception {
        EmbeddedNode fleet = context.fleet();
        long n = (1L << 30) / 8;
        try (PyObject held = (PyObject) fleet.submit(Call.function("pyfleet.shm.empty", List.of(n), Map.of())
                .with(CallOptions.builder().asHandle().build())).get()) {
            // a view of the whole segment: handed over by a dup of its descriptor, no copy
            Call view = Call.method(held, "view", List.of(), Map.of());
            long[] samples = Loops.latencies(pass.size(500, 100), () -> {
                try (PyArray a = (PyArray) fleet.submit(view.with(CallOptions.builder().asArray().build())).get()) {
                    if (a.byteSize() != 1L << 30) {
                        throw new BenchFailure("a " + a.byteSize() + "-byte array came back");
                    }
                }
            });
            return Map.of(P50, Stats.micros(Stats.percentile(samples, 50)));
        }
    }
}
