package io.pyfleet.bench;

import io.pyfleet.client.NdArray;
import io.pyfleet.client.PyArray;
import io.pyfleet.node.embedded.EmbeddedNode;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * {@code numpy_multiply_8mb_value_ms} and {@code numpy_multiply_8mb_ms}: an 8 MB float64
 * {@code double[]} to {@code numpy.multiply(x, 2.0)} and back to a {@code double[]}, p50: by value
 * through the pipe both ways, and with node-owned arrays (only descriptions cross the pipe; the
 * data is copied into node memory, and the result out of it). An in-process JNI bridge (Jep) took
 * 5.7 ms on the reference machine.
 */
final class NumpyMultiply8mb implements BenchCase {
    static final String VALUE = "numpy_multiply_8mb_value_ms";
    static final String SHARED = "numpy_multiply_8mb_ms";
    private static final int N = 1 << 20;

    @Override
    public String name() {
        return "numpy_multiply_8mb";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.of(VALUE, Unit.MILLIS), Metric.of(SHARED, Unit.MILLIS, VALUE));
    }

    @Override
    public Map<String, Double> run(BenchContext context, Pass pass) throws Exception {
        double[] data = new double[N];
        Arrays.fill(data, 1.25);
        int n = pass.size(50, 10);
        EmbeddedNode byValue = context.byValueFleet();
        long[] value = Loops.latencies(n, () -> check(((NdArray) byValue.call("numpy.multiply",
                NdArray.ofDoubles(data), 2.0)).toDoubles()));
        EmbeddedNode fleet = context.fleet();
        long[] shared = Loops.latencies(n, () -> {
            try (PyArray x = fleet.array(data); PyArray y = (PyArray) fleet.call("numpy.multiply", x, 2.0)) {
                check(y.toDoubles());
            }
        });
        return Map.of(VALUE, Stats.percentile(value, 50) / 1e6, SHARED, Stats.percentile(shared, 50) / 1e6);
    }

    private static void check(double[] out) {
        if (out.length != N || out[N - 1] != 2.5) {
            throw new BenchFailure("numpy.multiply gave a wrong result");
        }
    }
}
