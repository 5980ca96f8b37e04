package io.pyfleet.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ComparisonTest {

    @Test
    void readsJsonLinesSkippingBlanksAndReportingJunk() {
        Comparison.Earlier e = Comparison.parse(List.of(
                "{\"case\":\"call_sync_p50_us\",\"value\":41.2,\"unit\":\"us\",\"min\":40,\"max\":44,\"runs\":5}",
                "",
                "   ",
                "bench: call_sync 3/5 runs (41.2 us)",
                "{\"case\":\"call_async_per_s\",\"value\":90000,\"unit\":\"per_s\"}",
                "{\"case\":\"call_sync_p50_us\",\"value\":42.5,\"unit\":\"us\"}"));
        assertEquals(List.of("call_sync_p50_us", "call_async_per_s"), List.copyOf(e.results().keySet()));
        assertEquals(42.5, e.results().get("call_sync_p50_us").value()); // the last line of a case counts
        assertEquals(1, e.problems().size());
        assertTrue(e.problems().get(0).startsWith("line 4: "), e.problems().get(0));
    }

    @Test
    void readsAFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("before.jsonl");
        Files.writeString(file, Result.of("restart_ms", 107.8, "ms", 100, 120, 7).toJsonLine() + "\n");
        Comparison.Earlier e = Comparison.read(file);
        assertEquals(107.8, e.results().get("restart_ms").value());
        assertTrue(e.problems().isEmpty());
    }

    @Test
    void lowerIsBetterForTimes() {
        String line = Comparison.line(result("call_sync_p50_us", 41.2, "us"), result("call_sync_p50_us", 38.9, "us"),
                16);
        assertTrue(line.startsWith("call_sync_p50_us "), line);
        assertTrue(line.contains("41.2 -> 38.9 us"), line);
        assertTrue(line.contains("-5.6%"), line);
        assertTrue(line.endsWith("(better)"), line);
        assertTrue(Comparison.line(result("restart_ms", 100, "ms"), result("restart_ms", 150, "ms"), 10)
                .endsWith("+50.0%  (worse)"));
    }

    @Test
    void higherIsBetterForRates() {
        assertTrue(Comparison.line(result("call_async_per_s", 90_000, "per_s"),
                result("call_async_per_s", 120_000, "per_s"), 16).endsWith("+33.3%  (better)"));
        assertTrue(Comparison.line(result("x_gbps", 2.0, "GB/s"), result("x_gbps", 1.0, "GB/s"), 8)
                .endsWith("-50.0%  (worse)"));
    }

    @Test
    void smallChangesAreTheSameAndUnknownUnitsJustChange() {
        assertTrue(Comparison.line(result("a_us", 100, "us"), result("a_us", 100.5, "us"), 4).endsWith("(same)"));
        assertTrue(Comparison.line(result("a", 100, "furlongs"), result("a", 120, "furlongs"), 4).endsWith("(changed)"));
    }

    @Test
    void newCasesAndChangedUnits() {
        assertTrue(Comparison.line(null, result("tcp_call_sync_p50_us", 50, "us"), 20).endsWith("(new)"));
        assertTrue(Comparison.line(result("a", 1, "ms"), result("a", 1000, "us"), 4).endsWith("(unit changed from ms)"));
        assertTrue(Comparison.line(result("a", 0, "us"), result("a", 3, "us"), 4).endsWith("(was 0)"));
    }

    @Test
    void oneLinePerCaseOfThisRunInItsOrder() {
        Map<String, Result> before = Map.of("b_us", result("b_us", 10, "us"), "gone_us", result("gone_us", 1, "us"));
        List<String> lines = Comparison.lines(before, List.of(result("b_us", 20, "us"), result("a_per_s", 5, "per_s")));
        assertEquals(2, lines.size());
        assertTrue(lines.get(0).startsWith("b_us "), lines.get(0));
        assertTrue(lines.get(0).endsWith("(worse)"), lines.get(0));
        assertTrue(lines.get(1).startsWith("a_per_s "), lines.get(1));
        assertTrue(lines.get(1).endsWith("(new)"), lines.get(1));
    }

    @Test
    void directionFromTheUnit() {
        assertEquals(-1, Unit.direction("us"));
        assertEquals(-1, Unit.direction("ms"));
        assertEquals(-1, Unit.direction("ns"));
        assertEquals(+1, Unit.direction("per_s"));
        assertEquals(+1, Unit.direction("GB/s"));
        assertEquals(+1, Unit.direction("calls/s"));
        assertEquals(0, Unit.direction("widgets"));
        assertEquals(0, Unit.direction(null));
        for (Unit u : Unit.values()) {
            assertEquals(u.higherIsBetter() ? 1 : -1, Unit.direction(u.symbol()), u.name());
        }
    }

    @Test
    void verdicts() {
        assertEquals("same", Comparison.verdict(0.9, -1));
        assertEquals("same", Comparison.verdict(-0.9, 1));
        assertEquals("better", Comparison.verdict(-5, -1));
        assertEquals("worse", Comparison.verdict(5, -1));
        assertEquals("better", Comparison.verdict(5, 1));
        assertEquals("worse", Comparison.verdict(-5, 1));
        assertEquals("changed", Comparison.verdict(5, 0));
    }

    private static Result result(String name, double value, String unit) {
        return Result.of(name, value, unit, value, value, 5);
    }
}
