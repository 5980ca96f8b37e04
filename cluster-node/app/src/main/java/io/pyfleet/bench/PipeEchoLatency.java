package io.pyfleet.bench;

import io.pyfleet.protocol.Frames;
import io.pyfleet.protocol.Messages;
import java.util.List;
import java.util.Map;

/**
 * {@code floor_pipe_echo_us}: the JVM writes the exact frame of an {@code operator.add(1, 2)} request to
 * {@code python -m pyfleet.echo} and reads the echo back, one at a time on one thread: what a round
 * trip over a pipe to Python costs before any decoding or dispatch.
 */
final class PipeEchoLatency implements BenchCase {
    static final String P50 = "floor_pipe_echo_us";

    /** The frame (length prefix included) of request 1: {@code operator.add(1, 2)}. */
    static byte[] addFrame() {
        java.io.ByteArrayOutputStream frame = new java.io.ByteArrayOutputStream();
        try {
            Frames.writeRequest(frame, 1, Messages.encodeCall("operator", "add", List.of(1L, 2L), null, null).tail(),
                    Frames.DEFAULT_MAX_FRAME);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e); // a byte array does not fail
        }
        return frame.toByteArray();
    }

    @Override
    public String name() {
        return "floor_pipe_echo";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.of(P50, Unit.MICROS));
    }

    @Override
    public Map<String, Double> run(BenchContext context, Pass pass) throws Exception {
        EchoProcess echo = context.echo();
        byte[] frame = addFrame();
        long[] samples = Loops.latencies(pass.size(20_000, 5_000), () -> {
            echo.write(frame);
            echo.flush();
            echo.read();
        });
        return Map.of(P50, Stats.micros(Stats.percentile(samples, 50)));
    }
}
