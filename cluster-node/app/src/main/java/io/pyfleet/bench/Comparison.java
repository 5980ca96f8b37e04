package io.pyfleet.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code --compare}: an earlier run's output against this run's, one line per case of this run:
 * <pre>call_sync_p50_us      41.2 -> 38.9      -5.6%  (better)</pre>
 * Which way is better comes from the unit. Changes under {@value #SAME_PERCENT}% are "same".
 */
public final class Comparison {
    /** Changes smaller than this (in percent) are reported as "same". */
    static final double SAME_PERCENT = 1.0;

    /** An earlier run: its results by case, and what could not be read. */
    public record Earlier(Map<String, Result> results, List<String> problems) {
    }

    private Comparison() {
    }

    /** Reads an earlier run's output (JSON lines) from a file. */
    public static Earlier read(Path file) throws IOException {
        return parse(Files.readAllLines(file, StandardCharsets.UTF_8));
    }

    /**
     * Reads an earlier run's output: one JSON object per line; blank lines are skipped, other
     * lines that are not results are reported in {@link Earlier#problems()}; a case given twice
     * counts with its last line.
     */
    public static Earlier parse(List<String> lines) {
        Map<String, Result> results = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            try {
                Result r = Result.parse(line);
                results.put(r.name(), r);
            } catch (IllegalArgumentException e) {
                problems.add("line " + (i + 1) + ": " + e.getMessage());
            }
        }
        return new Earlier(results, problems);
    }

    /** One line per result of {@code now}, in its order, set against the same case of {@code before}. */
    public static List<String> lines(Map<String, Result> before, List<Result> now) {
        int width = 4;
        for (Result r : now) {
            width = Math.max(width, r.name().length());
        }
        List<String> out = new ArrayList<>(now.size());
        for (Result r : now) {
            out.add(line(before.get(r.name()), r, width));
        }
        return out;
    }

    /** {@code name  old -> new  change  (verdict)}. */
    static String line(Result old, Result now, int width) {
        String name = String.format(Locale.ROOT, "%-" + width + "s", now.name());
        String fresh = Result.number(now.value()) + " " + now.unit();
        if (old == null) {
            return String.format(Locale.ROOT, "%s  %12s -> %-16s %8s  (new)", name, "-", fresh, "");
        }
        String was = Result.number(old.value());
        if (!old.unit().equals(now.unit())) {
            return String.format(Locale.ROOT, "%s  %12s -> %-16s %8s  (unit changed from %s)", name,
                    was + " " + old.unit(), fresh, "", old.unit());
        }
        if (old.value() == 0) {
            return String.format(Locale.ROOT, "%s  %12s -> %-16s %8s  (was 0)", name, was, fresh, "");
        }
        double percent = (now.value() - old.value()) / Math.abs(old.value()) * 100;
        return String.format(Locale.ROOT, "%s  %12s -> %-16s %+7.1f%%  (%s)", name, was, fresh, percent,
                verdict(percent, Unit.direction(now.unit())));
    }

    /** "better", "worse", "same" or "changed" (unit of unknown direction) for a change in percent. */
    static String verdict(double percent, int direction) {
        if (Math.abs(percent) < SAME_PERCENT) {
            return "same";
        }
        if (direction == 0) {
            return "changed";
        }
        return (percent > 0) == (direction > 0) ? "better" : "worse";
    }
}
