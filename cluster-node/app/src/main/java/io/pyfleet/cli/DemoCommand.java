package io.pyfleet.cli;

import io.pyfleet.client.Chart;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.Plots;
import io.pyfleet.client.PoolStats.WorkerStats;
import io.pyfleet.client.PoolStats;
import io.pyfleet.client.PythonException;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code pyfleet demo}: starts an embedded node and traces the resonance curve of a driven, damped
 * oscillator by scatter/gather over its workers. Each task (pyfleet.demo_tasks.resonance_point, shipped
 * in the worker package) integrates an ensemble of oscillators at one driving frequency with NumPy and
 * measures the steady-state amplitude; the demo draws the measured points over the exact curve (in a worker,
 * with pyfleet.plots: plotext in the terminal, matplotlib for {@code --png}) and shows how the work spread
 * over the workers.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = PyfleetVersion.class,
        sortOptions = false,
        description = {
            "Runs the demo: a resonance sweep of a driven, damped oscillator, one NumPy simulation per "
                    + "driving frequency, scattered over an embedded node's workers; then a chart of the "
                    + "results against theory (optionally also as a PNG image) and per-worker statistics.",
            ""})
public final class DemoCommand implements Callable<Integer> {
    static final String TASK = "pyfleet.demo_tasks.resonance_point";
    static final double ZETA = 0.1;
    static final double OMEGA_MIN = 0.2;
    static final double OMEGA_MAX = 2.0;
    /** The terminal chart's size in characters, and the PNG's in pixels. */
    static final int CHART_WIDTH = 80;
    static final int CHART_HEIGHT = 24;
    static final int PNG_WIDTH = 1000;
    static final int PNG_HEIGHT = 600;

    /** How progress shows on stderr ({@code --progress lines}: the CLI reads enum values in any case). */
    enum Progress { AUTO, BAR, LINES, OFF }

    @ParentCommand
    PyfleetCli cli;

    @Spec
    CommandSpec spec;

    @Mixin
    PoolOptions pool;

    @Option(names = "--tasks", paramLabel = "N", defaultValue = "48",
            description = "Driving frequencies to simulate, one task each (default: ${DEFAULT-VALUE}).")
    int tasks;

    @Option(names = "--ensemble", paramLabel = "N", defaultValue = "4096",
            description = "Oscillators per task, integrated together as NumPy vectors (default: ${DEFAULT-VALUE}).")
    int ensemble;

    @Option(names = "--progress", paramLabel = "MODE",
            description = "Progress on stderr: auto (a bar on a terminal, else lines), bar, lines, off "
                    + "(default: auto).")
    Progress progress = Progress.AUTO;

    @Option(names = "--png", paramLabel = "FILE",
            description = "Also writes the chart as a PNG image of " + PNG_WIDTH + " x " + PNG_HEIGHT + " pixels to FILE "
                    + "(drawn by a worker with matplotlib).")
    Path png;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        checkOptions();
        long t0 = System.nanoTime();
        try (Fleet fleet = cli.startFleet(pool)) {
            Map<String, Object> versions = fleet.versions();
            PoolStats before = fleet.stats();
            double startSeconds = seconds(System.nanoTime() - t0);
            header(out, fleet.poolSize(), before.node(), versions, startSeconds);
            out.flush();

            double[] omegas = new double[tasks];
            for (int i = 0; i < tasks; i++) {
                omegas[i] = tasks == 1 ? 1.0 : OMEGA_MIN + (OMEGA_MAX - OMEGA_MIN) * i / (tasks - 1);
            }
            long sweepStart = System.nanoTime();
            List<Map<?, ?>> results = sweep(fleet, omegas, progress, err);
            double sweepSeconds = seconds(System.nanoTime() - sweepStart);
            PoolStats after = fleet.stats();

            DemoArrays.Curve curve = DemoArrays.compute(fleet, ZETA, OMEGA_MIN, OMEGA_MAX);
            report(out, Plots.on(fleet), results, curve.omega(), curve.amplitude(), before, after, sweepSeconds);
            out.println();
            curve.report().forEach(out::println);
            out.flush();
            return 0;
        }
    }

    private void checkOptions() {
        if (tasks < 1 || tasks > 100_000) {
            throw new ParameterException(spec.commandLine(), "--tasks must be from 1 to 100000, got " + tasks);
        }
        if (ensemble < 1 || ensemble > 10_000_000) {
            throw new ParameterException(spec.commandLine(), "--ensemble must be from 1 to 10000000, got " + ensemble);
        }
        // Checked before the sweep, which may take a while, not when the image is written.
        Path dir = png == null ? null : png.toAbsolutePath().getParent();
        if (dir != null && !java.nio.file.Files.isDirectory(dir)) {
            throw new ParameterException(spec.commandLine(), "--png: no such directory " + dir);
        }
    }

    private void header(PrintWriter out, int size, String node, Map<String, Object> versions, double startSeconds) {
        out.println("pyfleet demo: the resonance curve of a driven, damped oscillator");
        out.printf(Locale.ROOT, "  node %s: %d worker%s, Python %s, NumPy %s (ready in %.1f s)%n", node, size,
                size == 1 ? "" : "s", versions.getOrDefault("python", "?"),
                versions.get("numpy") == null ? "not installed" : versions.get("numpy"), startSeconds);
        out.printf(Locale.ROOT, "  x'' + 2*zeta*x' + x = cos(w*t), zeta = %s, for %d driving frequencies w%n", ZETA,
                tasks);
        out.printf(Locale.ROOT, "  from %s to %s. Each task integrates %d oscillators from random starts%n", OMEGA_MIN,
                OMEGA_MAX, ensemble);
        out.printf(Locale.ROOT, "  (RK4, vectorised in NumPy) until their transients die out, then measures%n");
        out.printf(Locale.ROOT, "  the amplitude; scatter/gather in rounds of %d, one task per worker.%n", size);
    }

    /**
     * Runs one task per frequency by scatter/gather in rounds of one task per worker, so that every
     * worker computes and its busy time is its computing time; reports progress after each round.
     */
    private List<Map<?, ?>> sweep(Fleet fleet, double[] omegas, Progress mode, PrintWriter err) {
        boolean terminal = mode == Progress.BAR || mode == Progress.AUTO && ProgressBar.stderrIsTerminal();
        ProgressBar bar = mode == Progress.OFF ? null : new ProgressBar(err, terminal, omegas.length, "tasks");
        int round = Math.max(1, fleet.poolSize());
        List<Map<?, ?>> results = new ArrayList<>(omegas.length);
        if (bar != null) {
            bar.update(0);
        }
        for (int from = 0; from < omegas.length; from += round) {
            List<List<Object>> sets = new ArrayList<>();
            for (int i = from; i < Math.min(omegas.length, from + round); i++) {
                sets.add(List.of(omegas[i], ZETA, (long) ensemble));
            }
            for (Outcome o : fleet.scatter(TASK, sets)) {
                results.add((Map<?, ?>) o.get());
            }
            if (bar != null) {
                bar.update(results.size());
            }
        }
        if (bar != null) {
            bar.finish();
        }
        return results;
    }

    private void report(PrintWriter out, Plots plots, List<Map<?, ?>> results, double[] curveX, double[] curveY, PoolStats before,
            PoolStats after, double sweepSeconds) {
        int n = results.size();
        double[] x = new double[n];
        double[] y = new double[n];
        double worst = 0;
        double spread = 0;
        int peak = 0;
        for (int i = 0; i < n; i++) {
            Map<?, ?> r = results.get(i);
            x[i] = number(r, "omega");
            y[i] = number(r, "amplitude");
            worst = Math.max(worst, Math.abs(y[i] / number(r, "theory") - 1));
            spread = Math.max(spread, number(r, "spread"));
            if (y[i] > y[peak]) {
                peak = i;
            }
        }
        double yMax = 0;
        for (double v : curveY) {
            yMax = Math.max(yMax, v);
        }
        out.println();
        Chart chart = Chart.builder()
                .title("steady-state amplitude against driving frequency")
                .xLabel("driving frequency w (natural frequency 1)")
                .yLabel("amplitude")
                .yRange(0, Math.ceil(yMax * 1.05 * 2) / 2)
                .line("theory", curveX, curveY)
                .scatter("simulated (one task each)", x, y)
                .build();
        try {
            out.println(plots.terminal(chart, CHART_WIDTH, CHART_HEIGHT, !unicodeOut()));
        } catch (PythonException e) {
            // A worker interpreter without plotext still gets the rest of the report.
            if (!e.pythonType().endsWith("ImportError") && !e.pythonType().endsWith("ModuleNotFoundError")) {
                throw e;
            }
            out.println("  (no chart: " + e.pythonMessage() + ")");
        }
        if (png != null) {
            plots.png(chart, PNG_WIDTH, PNG_HEIGHT, png);
            out.printf(Locale.ROOT, "  chart written to %s (%d x %d PNG)%n", png, PNG_WIDTH, PNG_HEIGHT);
        }
        out.println();
        double resonance = Math.sqrt(1 - 2 * ZETA * ZETA);
        double aMax = 1 / (2 * ZETA * Math.sqrt(1 - ZETA * ZETA));
        out.printf(Locale.ROOT, "  highest simulated point: A = %.4f at w = %.4f (theory there: %.4f)%n", y[peak], x[peak],
                number(results.get(peak), "theory"));
        out.printf(Locale.ROOT, "  exact peak: A = %.4f at w = sqrt(1 - 2 zeta^2) = %.4f%n", aMax, resonance);
        out.printf(Locale.ROOT, "  deviation from theory at most %.1e (relative); ensemble spread %.1e%n", worst,
                spread);

        Map<String, WorkerStats> start = new HashMap<>();
        before.workers().forEach(w -> start.put(w.id(), w));
        Map<Long, Integer> tasksByPid = new HashMap<>();
        for (Map<?, ?> r : results) {
            tasksByPid.merge(((Number) r.get("pid")).longValue(), 1, Integer::sum);
        }
        long busyNanos = 0;
        List<String[]> rows = new ArrayList<>();
        for (WorkerStats w : after.workers()) {
            WorkerStats b = start.get(w.id());
            long calls = tasksByPid.getOrDefault(w.pid(), 0);
            Duration busy = w.busy().minus(b == null ? Duration.ZERO : b.busy());
            busyNanos += busy.toNanos();
            rows.add(new String[] {w.id(), String.valueOf(w.pid()), String.valueOf(calls),
                String.format(Locale.ROOT, "%.2f s", seconds(busy.toNanos())), String.valueOf(w.restarts()),
                "#".repeat((int) Math.round(calls * 30.0 / Math.max(1, n)))});
        }
        out.printf(Locale.ROOT, "  %d tasks in %.2f s on %d workers: %.2f s of worker time, %.1fx parallel%n", n,
                sweepSeconds, after.workers().size(), seconds(busyNanos), seconds(busyNanos) / sweepSeconds);
        out.println();
        out.printf(Locale.ROOT, "  %-8s %8s %6s %9s %9s  %s%n", "worker", "pid", "tasks", "busy", "restarts", "share");
        for (String[] r : rows) {
            out.printf(Locale.ROOT, "  %-8s %8s %6s %9s %9s  %s%n", (Object[]) r);
        }
    }

    /** Whether stdout's encoding shows the chart's box-drawing and block characters (else an ASCII chart). */
    static boolean unicodeOut() {
        String stdout = System.getProperty("sun.stdout.encoding");
        Charset charset = stdout != null && Charset.isSupported(stdout) ? Charset.forName(stdout) : Charset.defaultCharset();
        return charset.newEncoder().canEncode("\u250c\u2500\u2584\u259a");
    }

    private static double number(Map<?, ?> m, String key) {
        return ((Number) m.get(key)).doubleValue();
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }
}
