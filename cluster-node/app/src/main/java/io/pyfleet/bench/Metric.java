package io.pyfleet.bench;

import java.util.Objects;

/**
 * One figure a case reports: its name (the {@code case} of the JSON line), its unit, and the
 * figure of the same run it is compared with, if any.
 *
 * @param name      e.g. {@code call_sync_p50_us}
 * @param unit      the unit, which also says which way is better
 * @param baseline  the name of the baseline metric, measured earlier in the same run, or null
 */
public record Metric(String name, Unit unit, String baseline) {

    public Metric {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(unit, "unit");
    }

    public static Metric of(String name, Unit unit) {
        return new Metric(name, unit, null);
    }

    public static Metric of(String name, Unit unit, String baseline) {
        return new Metric(name, unit, baseline);
    }
}
