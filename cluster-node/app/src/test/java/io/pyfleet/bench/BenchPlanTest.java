package io.pyfleet.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The registry, --case selection with baselines, and the runner's aggregation, with fake cases. */
class BenchPlanTest {

    /** A case that returns fixed values per run, counting its calls. */
    static class Fake implements BenchCase {
        final String name;
        final List<Metric> metrics;
        final double[] values;
        final List<BenchCase.Pass> passes = new ArrayList<>();
        RuntimeException failure;

        Fake(String name, List<Metric> metrics, double... values) {
            this.name = name;
            this.metrics = metrics;
            this.values = values;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public List<Metric> metrics() {
            return metrics;
        }

        @Override
        public Map<String, Double> run(BenchContext context, Pass pass) {
            if (failure != null) {
                throw failure;
            }
            passes.add(pass);
            Map<String, Double> out = new HashMap<>();
            double v = pass.warmUp() ? 1e9 : values[pass.index() - 1];
            for (int i = 0; i < metrics.size(); i++) {
                out.put(metrics.get(i).name(), v * (i + 1));
            }
            return out;
        }
    }

    private final Fake floor = new Fake("floor", List.of(Metric.of("floor_us", Unit.MICROS)), 10, 12, 11, 9, 10);
    private final Fake sync = new Fake("sync", List.of(Metric.of("sync_p50_us", Unit.MICROS, "floor_us"),
            Metric.of("sync_p99_us", Unit.MICROS, "floor_us")), 20, 30, 25, 21, 22);
    private final Fake ident = new Fake("ident", List.of(Metric.of("ident_us", Unit.MICROS, "sync_p50_us")),
            50, 50, 50, 50, 50);
    private final Fake alone = new Fake("alone", List.of(Metric.of("alone_per_s", Unit.PER_SECOND)), 1, 2, 3, 4, 5);
    private final List<BenchCase> registry = List.of(floor, sync, ident, alone);

    @Test
    void everythingWhenNothingIsNamed() {
        BenchCases.Plan plan = BenchCases.plan(registry, List.of());
        assertEquals(registry, plan.cases());
        assertEquals(List.of("floor_us", "sync_p50_us", "sync_p99_us", "ident_us", "alone_per_s"),
                List.copyOf(plan.metrics()));
    }

    @Test
    void aCaseBringsItsBaselinesTransitively() {
        BenchCases.Plan plan = BenchCases.plan(registry, List.of("ident_us"));
        assertEquals(List.of(floor, sync, ident), plan.cases());
        assertEquals(List.of("floor_us", "sync_p50_us", "ident_us"), List.copyOf(plan.metrics()));
    }

    @Test
    void aCaseNameMeansAllItsMetrics() {
        BenchCases.Plan plan = BenchCases.plan(registry, List.of("sync"));
        assertEquals(List.of(floor, sync), plan.cases());
        assertEquals(List.of("floor_us", "sync_p50_us", "sync_p99_us"), List.copyOf(plan.metrics()));
        assertEquals(List.of("alone_per_s"), List.copyOf(BenchCases.plan(registry, List.of("alone_per_s")).metrics()));
    }

    @Test
    void unknownNamesAndBrokenRegistriesAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BenchCases.plan(registry, List.of("nope")));
        assertTrue(e.getMessage().contains("floor_us, sync_p50_us"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BenchCases.plan(List.of(ident, floor, sync), List.of()));
        assertThrows(IllegalArgumentException.class, () -> BenchCases.plan(List.of(floor, floor), List.of()));
    }

    @Test
    void theRealRegistryIsWellFormed() {
        BenchCases.Plan plan = BenchCases.plan(BenchCases.all(), List.of());
        assertTrue(plan.metrics().containsAll(List.of("floor_pipe_echo_us", "floor_pipe_echo_per_s",
                "worker_process_p50_us", "worker_process_p99_us", "worker_process_per_s", "call_sync_p50_us",
                "call_sync_p99_us", "call_async_per_s", "scatter_10k_per_s", "identical_call_us", "restart_ms")));
        BenchCases.Plan one = BenchCases.plan(BenchCases.all(), List.of("identical_call_us"));
        assertEquals(List.of("floor_pipe_echo_us", "call_sync_p50_us", "identical_call_us"), List.copyOf(one.metrics()));
    }

    @Test
    void runnerReportsMediansMinMaxAndRatios() {
        List<String> progress = new ArrayList<>();
        List<Result> sink = new ArrayList<>();
        BenchRunner runner = new BenchRunner(false, (line, overwritable) -> progress.add(line));
        BenchRunner.Summary s = runner.run(BenchCases.plan(registry, List.of("ident_us")), null, sink::add);
        assertEquals(sink, s.results());
        assertTrue(s.failures().isEmpty());
        assertEquals(List.of("floor_us", "sync_p50_us", "ident_us"), sink.stream().map(Result::name).toList());
        Result f = sink.get(0);
        assertEquals(10, f.value());
        assertEquals(9, f.min());
        assertEquals(12, f.max());
        assertEquals(5, f.runs());
        assertEquals(null, f.ratio());
        Result p50 = sink.get(1);
        assertEquals(22, p50.value());
        assertEquals(2.2, p50.ratio(), 1e-12);
        assertEquals("floor_us", p50.baselineCase());
        assertEquals(50.0 / 22, sink.get(2).ratio(), 1e-12);
        // a warm-up, then the counted runs
        assertTrue(floor.passes.get(0).warmUp());
        assertEquals(6, floor.passes.size());
        assertEquals(5, floor.passes.get(5).index());
        assertTrue(progress.contains("bench: sync 3/5 runs (25 us, 50 us)"), progress.toString());
    }

    @Test
    void aFailedCaseIsReportedAndTheOthersGoOn() {
        sync.failure = new BenchFailure("boom");
        List<Result> sink = new ArrayList<>();
        BenchRunner.Summary s = new BenchRunner(true, (l, o) -> { }).run(BenchCases.plan(registry, List.of()), null,
                sink::add);
        assertEquals(List.of("floor_us", "ident_us", "alone_per_s"), sink.stream().map(Result::name).toList());
        assertEquals(null, sink.get(1).ratio()); // its baseline failed
        assertEquals(1, s.failures().size());
        assertEquals("sync", s.failures().get(0).caseName());
        assertEquals(3, sink.get(0).runs()); // quick
    }

    @Test
    void aMissingValueFailsTheCase() {
        Fake bad = new Fake("bad", List.of(Metric.of("bad_us", Unit.MICROS)), 1, 2, 3) {
            @Override
            public Map<String, Double> run(BenchContext context, Pass pass) {
                return Map.of();
            }
        };
        BenchRunner.Summary s = new BenchRunner(true, (l, o) -> { }).run(BenchCases.plan(List.of(bad), List.of()),
                null, r -> { });
        assertEquals(1, s.failures().size());
    }
}
