package io.pyfleet.bench;

import io.pyfleet.client.Fleet;
import io.pyfleet.client.PyArray;
import java.util.List;
import java.util.Map;

/**
 * {@code tcp_array_gbps}: the thin client reading a 64 MiB float64 result that the node keeps (a
 * remote array): its bytes pulled over one TCP connection (loopback) in 1 MiB chunks, four in flight;
 * timed from the first read to the last byte, against {@code memcpy_gbps}.
 */
final class TcpArrayPull implements BenchCase {
    static final String GBPS = "tcp_array_gbps";
    private static final int ELEMENTS = 8 << 20;

    @Override
    public String name() {
        return "tcp_array";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.of(GBPS, Unit.GBPS, ArrayMemcpy.GBPS));
    }

    @Override
    public Map<String, Double> run(BenchContext context, Pass pass) {
        Fleet remote = context.remotes(1).get(0);
        int rounds = pass.size(8, 2);
        long nanos = 0;
        for (int r = 0; r < rounds; r++) {
            try (PyArray a = (PyArray) remote.call("numpy.ones", ELEMENTS)) {
                long t0 = System.nanoTime();
                double[] d = a.toDoubles();
                nanos += System.nanoTime() - t0;
                if (d.length != ELEMENTS || d[ELEMENTS - 1] != 1.0) {
                    throw new IllegalStateException("the pulled array is wrong");
                }
            }
        }
        return Map.of(GBPS, 8.0 * ELEMENTS * rounds / nanos);
    }
}
