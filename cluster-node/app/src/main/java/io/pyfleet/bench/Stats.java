package io.pyfleet.bench;

import java.util.Arrays;

/** Order statistics of samples: percentiles by nearest rank, medians, extremes. */
public final class Stats {
    private Stats() {
    }

    /**
     * The {@code p}-th percentile (0 &lt; p &lt;= 100) of {@code samples} by the nearest-rank method: the
     * smallest sample such that at least p% of the samples are at most it. Sorts {@code samples} in place.
     */
    public static long percentile(long[] samples, double p) {
        if (samples.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        if (!(p > 0 && p <= 100)) {
            throw new IllegalArgumentException("percentile must be in (0, 100], not " + p);
        }
        Arrays.sort(samples);
        return samples[rank(samples.length, p)];
    }

    /** Like {@link #percentile(long[], double)} on samples already sorted ascending. */
    public static long percentileOfSorted(long[] sorted, double p) {
        if (sorted.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        return sorted[rank(sorted.length, p)];
    }

    private static int rank(int n, double p) {
        int r = (int) Math.ceil(p / 100.0 * n) - 1;
        return Math.max(0, Math.min(n - 1, r));
    }

    /** The median: the middle value, or the mean of the two middle values of an even count. */
    public static double median(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    public static double min(double[] values) {
        return Arrays.stream(values).min().orElseThrow(() -> new IllegalArgumentException("no values"));
    }

    public static double max(double[] values) {
        return Arrays.stream(values).max().orElseThrow(() -> new IllegalArgumentException("no values"));
    }

    /** Nanoseconds as microseconds. */
    public static double micros(long nanos) {
        return nanos / 1_000.0;
    }

    /** A rate: {@code count} operations in {@code nanos}, per second. */
    public static double perSecond(long count, long nanos) {
        if (nanos <= 0) {
            throw new IllegalArgumentException("elapsed time must be positive, not " + nanos + " ns");
        }
        return count * 1e9 / nanos;
    }
}
