package io.pyfleet.bench;

import java.util.List;
import java.util.Map;

/**
 * One benchmark case: a measurement repeated for a warm-up and then {@link #runs} counted runs, each
 * run yielding one value per {@link Metric} (a latency case reports its p50 and p99 from the same
 * calls). The runner reports each metric's median over the runs, with their min and max.
 *
 * <p>To add a case: write a small class implementing this (see {@link CallSync}), and add one line to
 * {@link BenchCases#all()} after the cases that measure its baselines.
 */
public interface BenchCase {

    /** A short name for progress lines, e.g. {@code call_sync}. */
    String name();

    /** The figures one run yields, in output order. */
    List<Metric> metrics();

    /** Counted runs, warm-up excluded. */
    default int runs(boolean quick) {
        return quick ? 3 : 5;
    }

    /**
     * One run (or the warm-up, which is run the same way and not counted).
     *
     * @return a value for every metric of {@link #metrics()}, by metric name
     * @throws Exception when the measurement failed: the case is reported as failed and the others go on
     */
    Map<String, Double> run(BenchContext context, Pass pass) throws Exception;

    /**
     * Which run this is.
     *
     * @param quick   {@code --quick}: smaller runs
     * @param warmUp  the uncounted first run
     * @param index   1-based index of a counted run; 0 for the warm-up
     */
    record Pass(boolean quick, boolean warmUp, int index) {

        /** A size by mode: {@code full} for a full run, {@code quick} for {@code --quick}. */
        public int size(int full, int quick) {
            return this.quick ? quick : full;
        }

        /**
         * How long one run of a throughput case may go on starting work: it stops early, with the
         * rate of what it did, when the code is far slower than its size assumes.
         */
        public java.time.Duration limit() {
            return java.time.Duration.ofSeconds(quick ? 2 : 10);
        }
    }
}
