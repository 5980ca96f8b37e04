package io.pyfleet.bench;

import java.util.Locale;

/**
 * The unit a figure is in, and with it which way is better: times are better lower, rates
 * (anything per second) better higher. {@code --compare} reads the direction from the unit
 * written in an earlier run's output.
 */
public enum Unit {
    /** Microseconds. */
    MICROS("us", false),
    /** Milliseconds. */
    MILLIS("ms", false),
    /** Operations (calls, frames, tasks) per second. */
    PER_SECOND("per_s", true),
    /** Gigabytes (10^9 bytes) per second. */
    GBPS("GB/s", true);

    private final String symbol;
    private final boolean higherIsBetter;

    Unit(String symbol, boolean higherIsBetter) {
        this.symbol = symbol;
        this.higherIsBetter = higherIsBetter;
    }

    /** As written in the JSON lines. */
    public String symbol() {
        return symbol;
    }

    public boolean higherIsBetter() {
        return higherIsBetter;
    }

    /**
     * Which way is better for a unit as written in some run's output, including units this
     * version does not produce: {@code +1} higher, {@code -1} lower, {@code 0} unknown.
     */
    public static int direction(String unit) {
        if (unit == null) {
            return 0;
        }
        String u = unit.trim().toLowerCase(Locale.ROOT);
        if (u.endsWith("/s") || u.endsWith("per_s") || u.endsWith("_per_s") || u.equals("hz") || u.equals("x")) {
            return +1;
        }
        return switch (u) {
            case "ns", "us", "µs", "ms", "s", "bytes", "b", "kib", "mib" -> -1;
            default -> 0;
        };
    }

    @Override
    public String toString() {
        return symbol;
    }
}
