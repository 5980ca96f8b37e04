package io.pyfleet.bench;

import io.pyfleet.client.NdArray;
import io.pyfleet.node.embedded.EmbeddedNode;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * {@code array_pipe_gbps}: the baseline of {@code array_to_python_gbps}: the same 128 MiB
 * float64 {@code double[]} made a NumPy array in a worker by value, through the protocol pipe.
 */
final class ArrayPipe implements BenchCase {
    static final String GBPS = "array_pipe_gbps";
    private static final int N = ArrayMemcpy.BYTES / 8;

    @Override
    public String name() {
        return "array_pipe";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.of(GBPS, Unit.GBPS, ArrayMemcpy.GBPS));
    }

    @Override
    public Map<String, Double> run(BenchContext context, Pass pass) {
        EmbeddedNode fleet = context.byValueFleet();
        double[] data = new double[N];
        Arrays.fill(data, 1.5);
        int rounds = pass.size(3, 1);
        long t0 = System.nanoTime();
        for (int r = 0; r < rounds; r++) {
            Object len = fleet.call("builtins.len", NdArray.ofDoubles(data));
            if (!Long.valueOf(N).equals(len)) {
                throw new BenchFailure("the worker sees " + len + " elements");
            }
        }
        return Map.of(GBPS, (double) ArrayMemcpy.BYTES * rounds / (System.nanoTime() - t0));
    }
}
