package io.pyfleet.bench;

import io.pyfleet.client.PyArray;
import io.pyfleet.node.embedded.EmbeddedNode;
import java.nio.DoubleBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A 128 MiB float64 array in node memory: {@code array_to_java_gbps} (a worker's array copied
 * out to a {@code double[]}), {@code array_to_python_gbps} (a {@code double[]} copied into node
 * memory and mapped by a worker as a NumPy array), {@code array_view_us} (a {@code DoubleBuffer}
 * view of it, constant time whatever the size).
 */
final class ArrayCopies implements BenchCase {
    static final String TO_JAVA = "array_to_java_gbps";
    static final String TO_PYTHON = "array_to_python_gbps";
    static final String VIEW = "array_view_us";
    private static final int N = ArrayMemcpy.BYTES / 8;

    @Override
    public String name() {
        return "array_copies";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.of(TO_JAVA, Unit.GBPS, ArrayMemcpy.GBPS), Metric.of(TO_PYTHON, Unit.GBPS, ArrayMemcpy.GBPS),
                Metric.of(VIEW, Unit.MICROS));
    }

    @Override
    public Map<String, Double> run(BenchContext context, Pass pass) {
        EmbeddedNode fleet = context.fleet();
        double[] data = new double[N];
        Arrays.fill(data, 1.5);
        int rounds = pass.size(5, 2);
        long toJava = 0;
        long toPython = 0;
        long views = 0;
        int viewCount = 1000;
        for (int r = 0; r < rounds; r++) {
            try (PyArray made = fleet.callArray("numpy.full", N, 2.5)) {
                long t0 = System.nanoTime();
                double[] out = made.toDoubles();
                toJava += System.nanoTime() - t0;
                if (out[N - 1] != 2.5) {
                    throw new BenchFailure("wrong value copied out: " + out[N - 1]);
                }
                t0 = System.nanoTime();
                for (int i = 0; i < viewCount; i++) {
                    DoubleBuffer view = made.doubleBuffer();
                    if (view.capacity() != N) {
                        throw new BenchFailure("a view of " + view.capacity() + " doubles");
                    }
                }
                views += System.nanoTime() - t0;
            }
            long t0 = System.nanoTime();
            try (PyArray in = fleet.array(data)) {
                Object len = fleet.call("builtins.len", in); // the worker maps it as a NumPy array
                toPython += System.nanoTime() - t0;
                if (!Long.valueOf(N).equals(len)) {
                    throw new BenchFailure("the worker sees " + len + " elements");
                }
            }
        }
        double bytes = (double) ArrayMemcpy.BYTES * rounds;
        return Map.of(TO_JAVA, bytes / toJava, TO_PYTHON, bytes / toPython, VIEW,
                views / 1000.0 / rounds / viewCount);
    }
}
