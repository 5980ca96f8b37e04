package io.pyfleet.bench;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code floor_pipe_echo_per_s}: the same echo, pipelined: a writer thread writes batches of
 * {@value #BATCH} frames (one flush each) while this thread reads the echoes; frames per second.
 */
final class PipeEchoThroughput implements BenchCase {
    static final String RATE = "floor_pipe_echo_per_s";
    static final int BATCH = 1_000;

    @Override
    public String name() {
        return "floor_pipe_echo_batched";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.of(RATE, Unit.PER_SECOND));
    }

    @Override
    public Map<String, Double> run(BenchContext context, Pass pass) throws Exception {
        EchoProcess echo = context.echo();
        byte[] frame = PipeEchoLatency.addFrame();
        int n = pass.size(500_000, 100_000);
        AtomicReference<Throwable> writeFailure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                for (int sent = 0; sent < n; ) {
                    int batch = Math.min(BATCH, n - sent);
                    for (int i = 0; i < batch; i++) {
                        echo.write(frame);
                    }
                    echo.flush();
                    sent += batch;
                }
            } catch (Exception e) {
                writeFailure.set(e);
            }
        }, "bench-echo-writer");
        writer.setDaemon(true);
        long t0 = System.nanoTime();
        writer.start();
        for (int i = 0; i < n; i++) {
            echo.read();
        }
        long elapsed = System.nanoTime() - t0;
        writer.join();
        if (writeFailure.get() != null) {
            throw new BenchFailure("writing to the echo loop failed: " + writeFailure.get(), writeFailure.get());
        }
        return Map.of(RATE, Stats.perSecond(n, elapsed));
    }
}
