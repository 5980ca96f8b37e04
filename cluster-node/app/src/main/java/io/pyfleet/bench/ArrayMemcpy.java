package io.pyfleet.bench;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

/**
 * {@code memcpy_gbps}: Java copying 128 MiB between two direct buffers, the bound of any array
 * copy on this machine (the baseline of the array cases).
 */
final class ArrayMemcpy implements BenchCase {
    static final String GBPS = "memcpy_gbps";
    static final int BYTES = 128 << 20;

    @Override
    public String name() {
        return "memcpy";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.of(GBPS, Unit.GBPS));
    }

    @Override
    public Map<String, Double> run(BenchContext context, Pass pass) {
        ByteBuffer from = ByteBuffer.allocateDirect(BYTES);
        ByteBuffer to = ByteBuffer.allocateDirect(BYTES);
        for (int i = 0; i < BYTES; i += 4096) {
            from.put(i, (byte) i);
            to.put(i, (byte) 0);
        }
        int rounds = pass.size(10, 3);
        long t0 = System.nanoTime();
        for (int r = 0; r < rounds; r++) {
            to.clear();
            to.put(from.duplicate().clear());
        }
        long nanos = System.nanoTime() - t0;
        return Map.of(GBPS, (double) BYTES * rounds / nanos);
    }
}
