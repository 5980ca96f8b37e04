package io.pyfleet.cli;

import com.typesafe.config.Config;
import io.pyfleet.bench.BenchCase;
import io.pyfleet.bench.BenchCases;
import io.pyfleet.bench.BenchContext;
import io.pyfleet.bench.BenchRunner;
import io.pyfleet.bench.Comparison;
import io.pyfleet.bench.Metric;
import io.pyfleet.node.config.PyfleetSettings;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * {@code pyfleet bench}: the benchmark suite on an embedded node. One JSON object per figure on stdout,
 * progress on stderr, and with {@code --compare} each figure's change against an earlier run.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = PyfleetVersion.class,
        sortOptions = false,
        description = {
            "Runs the benchmark suite on an embedded node and prints one JSON object per figure on stdout:",
            "  {\"case\", \"value\", \"unit\", \"min\", \"max\", \"runs\"[, \"baseline\", \"baseline_case\", \"ratio\"]}",
            "value is the median of the counted runs (a warm-up run comes first and is not counted), min and max "
                    + "their extremes; a case compared with a baseline measured in the same run carries the "
                    + "baseline's value and name and ratio = value / baseline. Units: us and ms (lower is "
                    + "better), per_s (higher is better). Progress goes to stderr.",
            "",
            "The floor cases time a ten-line Python echo loop (python -m pyfleet.echo) over a pipe with the "
                    + "workers' interpreter: what any call to Python must cost at least.",
            ""},
        footer = {"", "Examples:",
            "  pyfleet bench --quick",
            "  pyfleet bench --out before.jsonl",
            "  pyfleet bench --compare before.jsonl",
            "  pyfleet bench --case call_sync_p50_us --workers 2",
            "  pyfleet bench --list"})
public final class BenchCommand implements Callable<Integer> {
    /** Restart intensity for the bench's node: restart_ms kills workers on purpose. */
    static final int MAX_RESTARTS = 1000;
    /** The restart window: restart_ms waits longer than this between kills, so each meets a fresh back-off. */
    static final String RESTART_WINDOW = "500ms";

    @ParentCommand
    PyfleetCli cli;

    @Spec
    CommandSpec spec;

    @Option(names = "--quick", description = "Smaller and fewer runs (3 per case): under a minute in all.")
    boolean quick;

    @Option(names = "--case", paramLabel = "NAME",
            description = "Run only this case (repeatable), plus the baselines it is compared with. NAME is a "
                    + "figure such as call_sync_p50_us, or a case such as call_sync for all its figures. "
                    + "See --list.")
    List<String> cases = new ArrayList<>();

    @Option(names = "--compare", paramLabel = "FILE",
            description = "An earlier run's output (JSON lines): after the run, print each figure's change "
                    + "against it on stderr, e.g. 'call_sync_p50_us  41.2 -> 38.9 us  -5.6%%  (better)'.")
    Path compare;

    @Mixin
    PoolOptions pool;

    @Option(names = "--out", paramLabel = "FILE",
            description = "Also write the JSON lines to FILE (replaced). Nothing is written by default.")
    Path outFile;

    @Option(names = "--list", description = "List the cases, their units and baselines, and exit.")
    boolean list;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BenchCases.Plan plan;
        try {
            plan = BenchCases.plan(BenchCases.all(), cases);
        } catch (IllegalArgumentException e) {
            throw usage("--case: " + e.getMessage());
        }
        if (list) {
            printList(out);
            return 0;
        }
        Comparison.Earlier earlier = readEarlier(err);

        Map<String, Object> settings = pool.settings();
        settings.put("pyfleet.supervision.max-restarts", MAX_RESTARTS);
        settings.put("pyfleet.supervision.within", RESTART_WINDOW);
        Config config = cli.config(settings);
        PyfleetSettings pyfleet = PyfleetSettings.from(config);

        boolean terminal = ProgressBar.stderrIsTerminal();
        BenchRunner.Progress progress = (line, overwritable) -> {
            if (terminal) {
                err.print("\r\033[K" + line + (overwritable ? "" : "\n"));
            } else {
                err.println(line);
            }
            err.flush();
        };
        long t0 = System.nanoTime();
        err.printf(Locale.ROOT, "bench: %s run of %d case%s on %d cores (%s %s, Java %s); pool of %d workers; "
                        + "Python: %s%n", quick ? "quick" : "full", plan.cases().size(),
                plan.cases().size() == 1 ? "" : "s", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"), System.getProperty("os.arch"), System.getProperty("java.version"),
                pyfleet.pool().size(), pyfleet.worker().interpreter());
        double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        if (load >= Runtime.getRuntime().availableProcessors()) {
            err.printf(Locale.ROOT, "bench: warning: the machine is busy (load average %.2f on %d cores): "
                    + "the figures will be noisy%n", load, Runtime.getRuntime().availableProcessors());
        }
        err.flush();

        BenchRunner.Summary summary;
        try (BufferedWriter file = openOut(); BenchContext context = new BenchContext(config,
                line -> progress.report(line, false))) {
            summary = new BenchRunner(quick, progress).run(plan, context, result -> {
                String line = result.toJsonLine();
                out.println(line);
                out.flush();
                if (file != null) {
                    try {
                        file.write(line);
                        file.newLine();
                        file.flush();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            });
        }
        err.printf(Locale.ROOT, "bench: %d figure%s in %.1f s%s%n", summary.results().size(),
                summary.results().size() == 1 ? "" : "s", (System.nanoTime() - t0) / 1e9,
                summary.failures().isEmpty() ? "" : "; failed: " + String.join(", ",
                        summary.failures().stream().map(BenchRunner.Failure::caseName).toList()));
        if (earlier != null) {
            err.println("bench: against " + compare + ":");
            Comparison.lines(earlier.results(), summary.results()).forEach(l -> err.println("  " + l));
        }
        err.flush();
        return summary.failures().isEmpty() ? 0 : Failures.FAILED;
    }

    /** The earlier run to compare with, read before anything starts so that a bad file fails fast. */
    private Comparison.Earlier readEarlier(PrintWriter err) {
        if (compare == null) {
            return null;
        }
        Comparison.Earlier earlier;
        try {
            earlier = Comparison.read(compare);
        } catch (java.nio.file.NoSuchFileException e) {
            throw usage("--compare: no such file: " + compare);
        } catch (IOException e) {
            throw usage("--compare: cannot read " + compare + ": " + e);
        }
        if (earlier.results().isEmpty()) {
            throw usage("--compare: " + compare + " holds no results (one JSON object per line, as bench prints)"
                    + (earlier.problems().isEmpty() ? "" : "; " + earlier.problems().get(0)));
        }
        earlier.problems().forEach(p -> err.println("bench: --compare " + compare + ", skipped " + p));
        return earlier;
    }

    private BufferedWriter openOut() throws IOException {
        if (outFile == null) {
            return null;
        }
        Path parent = outFile.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        return Files.newBufferedWriter(outFile, StandardCharsets.UTF_8);
    }

    private void printList(PrintWriter out) {
        out.printf(Locale.ROOT, "%-26s %-6s %-26s %s%n", "case", "unit", "baseline", "runs (full/quick)");
        for (BenchCase c : BenchCases.all()) {
            for (Metric m : c.metrics()) {
                out.printf(Locale.ROOT, "%-26s %-6s %-26s %d/%d%n", m.name(), m.unit(),
                        m.baseline() == null ? "-" : m.baseline(), c.runs(false), c.runs(true));
            }
        }
        out.flush();
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
