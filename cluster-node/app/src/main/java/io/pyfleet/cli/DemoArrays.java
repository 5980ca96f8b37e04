package io.pyfleet.cli;

import io.pyfleet.client.Fleet;
import io.pyfleet.client.NumPy;
import io.pyfleet.client.PoolStats;
import io.pyfleet.client.PyArray;
import java.io.IOException;
import java.nio.DoubleBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The demo's exact resonance curve, computed with the NumPy table on arrays the node owns: a fine
 * grid of frequencies, the amplitude formula term by term (each step a worker call whose inputs it
 * maps and whose result the node adopts, so no array crosses a pipe), the peak found in place by
 * Java through a view, and a thinned copy for the chart. It counts what the workers read and wrote
 * through their pipes (from /proc/PID/io) against the array bytes the calls used.
 */
final class DemoArrays {
    /** Frequencies on the fine grid: 16 MB per float64 array. */
    static final int POINTS = 2_000_000;
    /** Points of the curve the chart draws. */
    static final int CHART_POINTS = 400;

    /** The thinned curve for the chart, and the lines that describe the computation. */
    record Curve(double[] omega, double[] amplitude, List<String> report) {
    }

    private DemoArrays() {
    }

    static Curve compute(Fleet fleet, double zeta, double omegaMin, double omegaMax) {
        NumPy np = NumPy.on(fleet);
        fleet.identical("pyfleet.numpy_api.zeros", 1); // every worker imports the module first: its file reads aside
        long[] io0 = pipeBytes(fleet.stats());
        long used = 0;
        long bytes = (long) POINTS * Double.BYTES;
        List<PyArray> made = new ArrayList<>();
        try {
            PyArray omega = keep(made, np.linspace(omegaMin, omegaMax, POINTS));
            used += bytes;
            PyArray w2 = keep(made, np.square(omega));
            used += 2 * bytes;
            PyArray stiffness = keep(made, np.subtract(1.0, w2));
            used += 2 * bytes;
            PyArray damping = keep(made, np.multiply(omega, 2 * zeta));
            used += 2 * bytes;
            PyArray s2 = keep(made, np.square(stiffness));
            used += 2 * bytes;
            PyArray d2 = keep(made, np.square(damping));
            used += 2 * bytes;
            PyArray amplitude = keep(made, np.divide(1.0, np.sqrt(keep(made, np.add(s2, d2)))));
            used += 3 * bytes + 2 * bytes + 2 * bytes; // add, sqrt, divide
            long peak = np.argmax(amplitude);
            used += bytes;
            long[] io1 = pipeBytes(fleet.stats());

            // Java reads the result where it is: a view of the node's memory, no copy
            DoubleBuffer view = amplitude.doubleBuffer();
            double peakAmplitude = view.get((int) peak);
            double peakOmega = omega.doubleBuffer().get((int) peak);
            double half = peakAmplitude / Math.sqrt(2);
            int lo = (int) peak;
            int hi = (int) peak;
            while (lo > 0 && view.get(lo) > half) {
                lo--;
            }
            while (hi < POINTS - 1 && view.get(hi) > half) {
                hi++;
            }
            double bandwidth = omega.doubleBuffer().get(hi) - omega.doubleBuffer().get(lo);

            long step = POINTS / CHART_POINTS;
            double[] chartOmega = np.slice(omega, NumPy.range(0L, null, step)).toDoubles();
            double[] chartAmplitude = np.slice(amplitude, NumPy.range(0L, null, step)).toDoubles();

            List<String> lines = new ArrayList<>();
            lines.add(String.format(java.util.Locale.ROOT, "  exact curve on node-owned arrays: %,d frequencies, %.1f MB per "
                    + "array, 10 NumPy calls using %.0f MB of array data;", POINTS, bytes / 1e6, used / 1e6));
            lines.add(io1 == null || io0 == null ? "  (the workers' pipe traffic is not readable on this system)"
                    : String.format(java.util.Locale.ROOT, "  the workers' pipes carried %,d bytes for them (%.5f%% of "
                            + "the array bytes; /proc/PID/io), shared memory the rest", io1[0] - io0[0],
                            100.0 * (io1[0] - io0[0]) / used));
            lines.add(String.format(java.util.Locale.ROOT, "  read by Java in place (a view, no copy): peak A = %.4f at "
                    + "w = %.5f, half-power bandwidth %.4f (Q = %.2f)", peakAmplitude, peakOmega, bandwidth,
                    peakOmega / bandwidth));
            return new Curve(chartOmega, chartAmplitude, lines);
        } finally {
            made.forEach(PyArray::close);
        }
    }

    private static PyArray keep(List<PyArray> made, PyArray a) {
        made.add(a);
        return a;
    }

    /** The bytes every worker has read and written through system calls (its pipe, mostly), or null. */
    private static long[] pipeBytes(PoolStats stats) {
        long total = 0;
        for (PoolStats.WorkerStats w : stats.workers()) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(w.pid()), "io"))) {
                    if (line.startsWith("rchar:") || line.startsWith("wchar:")) {
                        total += Long.parseLong(line.substring(6).trim());
                    }
                }
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
        return new long[] {total};
    }
}
