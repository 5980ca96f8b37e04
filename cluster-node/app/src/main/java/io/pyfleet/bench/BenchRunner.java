package io.pyfleet.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Runs a {@link BenchCases.Plan}: each case once for warm-up (not counted), then its counted runs; each
 * metric is reported as the median of its runs with their min and max, and where it has a baseline,
 * against that baseline's median in the same run. Results go to the sink as soon as their case ends; a
 * case that fails is reported and the others go on.
 */
public final class BenchRunner {

    /** A case that produced no figures, and why. */
    public record Failure(String caseName, Throwable error) {
    }

    /** Every figure reported, and the cases that failed. */
    public record Summary(List<Result> results, List<Failure> failures) {
    }

    /** What the runner says while it works: a line per step, and whether it is a passing step. */
    public interface Progress {
        /**
         * @param line       e.g. {@code bench: call_sync 3/5 runs}
         * @param overwritable true for a step that the next line supersedes (a terminal may overwrite it)
         */
        void report(String line, boolean overwritable);
    }

    private final boolean quick;
    private final Progress progress;

    public BenchRunner(boolean quick, Progress progress) {
        this.quick = quick;
        this.progress = progress;
    }

    public Summary run(BenchCases.Plan plan, BenchContext context, Consumer<Result> sink) {
        Map<String, Result> measured = new HashMap<>();
        List<Result> reported = new ArrayList<>();
        List<Failure> failures = new ArrayList<>();
        for (BenchCase c : plan.cases()) {
            List<Metric> metrics = c.metrics();
            int runs = c.runs(quick);
            double[][] values = new double[metrics.size()][runs];
            try {
                progress.report("bench: " + c.name() + " warm-up", true);
                checked(c, c.run(context, new BenchCase.Pass(quick, true, 0)));
                for (int r = 0; r < runs; r++) {
                    Map<String, Double> run = checked(c, c.run(context, new BenchCase.Pass(quick, false, r + 1)));
                    StringBuilder shown = new StringBuilder();
                    for (int m = 0; m < metrics.size(); m++) {
                        values[m][r] = run.get(metrics.get(m).name());
                        shown.append(m == 0 ? "" : ", ").append(Result.number(values[m][r])).append(' ')
                                .append(metrics.get(m).unit());
                    }
                    progress.report(String.format(Locale.ROOT, "bench: %s %d/%d runs (%s)", c.name(), r + 1, runs,
                            shown), r + 1 < runs);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failures.add(new Failure(c.name(), e));
                progress.report("bench: interrupted", false);
                break;
            } catch (Exception | Error e) {
                failures.add(new Failure(c.name(), e));
                progress.report("bench: " + c.name() + " FAILED: " + e, false);
                continue;
            }
            for (int m = 0; m < metrics.size(); m++) {
                Metric metric = metrics.get(m);
                Result result = aggregate(metric, values[m]);
                measured.put(metric.name(), result);
                if (plan.metrics().contains(metric.name())) {
                    Result shown = metric.baseline() == null ? result : result.against(measured.get(metric.baseline()));
                    reported.add(shown);
                    sink.accept(shown);
                }
            }
        }
        return new Summary(List.copyOf(reported), List.copyOf(failures));
    }

    private static Map<String, Double> checked(BenchCase c, Map<String, Double> run) {
        for (Metric m : c.metrics()) {
            Double v = run.get(m.name());
            if (v == null || !Double.isFinite(v)) {
                throw new BenchFailure("case " + c.name() + " gave no finite value for " + m.name() + ": " + v);
            }
        }
        return run;
    }

    /** A metric's result from its runs' values: median, min, max (no baseline yet). */
    static Result aggregate(Metric metric, double[] runs) {
        return Result.of(metric.name(), Stats.median(runs), metric.unit().symbol(), Stats.min(runs), Stats.max(runs),
                runs.length);
    }
}
