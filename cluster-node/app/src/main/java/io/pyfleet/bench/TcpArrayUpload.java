package io.pyfleet.bench;

import io.pyfleet.client.Fleet;
import io.pyfleet.client.PyArray;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * {@code tcp_array_upload_gbps}: the thin client sending a 64 MiB float64 array to the node's memory
 * with {@code fleet.array(...)} over one TCP connection (loopback), in 1 MiB chunks, four in flight;
 * timed from the call to its return, when the node holds every byte, against {@code memcpy_gbps}.
 */
final class TcpArrayUpload implements BenchCase {
    static final String GBPS = "tcp_array_upload_gbps";
    private static final int ELEMENTS = 8 << 20;

    @Override
    public String name() {
        return "tcp_array_upload";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.of(GBPS, Unit.GBPS, ArrayMemcpy.GBPS));
    }

    @Override
    public Map<String, Double> run(BenchContext context, Pass pass) {
        Fleet remote = context.remotes(1).get(0);
        double[] data = new double[ELEMENTS];
        Arrays.fill(data, 1.0);
        int rounds = pass.size(8, 2);
        long nanos = 0;
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            try (PyArray a = remote.array(data)) {
                nanos += System.nanoTime() - t0;
                if (r == 0 && !Double.valueOf(ELEMENTS).equals(remote.call("numpy.sum", a))) {
                    throw new IllegalStateException("the uploaded array is wrong");
                }
            }
        }
        return Map.of(GBPS, 8.0 * ELEMENTS * rounds / nanos);
    }
}
