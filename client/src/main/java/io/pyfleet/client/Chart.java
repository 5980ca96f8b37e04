package io.pyfleet.client;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a chart shows, for {@link Plots}: line and scatter series, a title, axis labels and ranges.
 * Immutable; made with {@link #line}, {@link #scatter} or {@link #builder()}. A series' {@code x} and
 * {@code y} are anything the worker can turn into a 1-d float array: {@code double[]}, {@code long[]},
 * a {@code List} of numbers, an {@link NdArray}, a {@link PyObject} holding an array. Java arrays are
 * sent as they are when the chart is drawn, not copied when it is built.
 */
public final class Chart {
    private final List<Map<String, Object>> series;
    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final double[] xRange;
    private final double[] yRange;

    private Chart(Builder b) {
        if (b.series.isEmpty()) {
            throw new IllegalArgumentException("a chart needs at least one series");
        }
        this.series = Collections.unmodifiableList(new ArrayList<>(b.series));
        this.title = b.title;
        this.xLabel = b.xLabel;
        this.yLabel = b.yLabel;
        this.xRange = b.xRange;
        this.yRange = b.yRange;
    }

    /**
     * A chart of one line through the points (x, y).
     *
     * @param x the x values, or null for 0, 1, 2, ...
     * @param y the y values
     * @return the chart
     */
    public static Chart line(Object x, Object y) {
        return builder().line(null, x, y).build();
    }

    /**
     * A chart of the points (x, y).
     *
     * @param x the x values, or null for 0, 1, 2, ...
     * @param y the y values
     * @return the chart
     */
    public static Chart scatter(Object x, Object y) {
        return builder().scatter(null, x, y).build();
    }

    /**
     * A builder of a chart with several series, a title, labels or fixed ranges.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The series as the worker reads them ({@code pyfleet.plots}).
     *
     * @return one map per series: {@code kind}, {@code label}, {@code x}, {@code y}; unmodifiable
     */
    public List<Map<String, Object>> series() {
        return series;
    }

    /**
     * The chart's title.
     *
     * @return the title, or null
     */
    public String title() {
        return title;
    }

    /**
     * The x axis's label.
     *
     * @return the label, or null
     */
    public String xLabel() {
        return xLabel;
    }

    /**
     * The y axis's label.
     *
     * @return the label, or null
     */
    public String yLabel() {
        return yLabel;
    }

    /**
     * The fixed x range.
     *
     * @return {@code {low, high}} (a copy), or null when it fits the data
     */
    public double[] xRange() {
        return xRange == null ? null : xRange.clone();
    }

    /**
     * The fixed y range.
     *
     * @return {@code {low, high}} (a copy), or null when it fits the data
     */
    public double[] yRange() {
        return yRange == null ? null : yRange.clone();
    }

    /** Builds a {@link Chart}. */
    public static final class Builder {
        private final List<Map<String, Object>> series = new ArrayList<>();
        private String title;
        private String xLabel;
        private String yLabel;
        private double[] xRange;
        private double[] yRange;

        private Builder() {
        }

        /**
         * The chart's title.
         *
         * @param text the title; null: none
         * @return this builder
         */
        public Builder title(String text) {
            this.title = text;
            return this;
        }

        /**
         * The x axis's label.
         *
         * @param text the label; null: none
         * @return this builder
         */
        public Builder xLabel(String text) {
            this.xLabel = text;
            return this;
        }

        /**
         * The y axis's label.
         *
         * @param text the label; null: none
         * @return this builder
         */
        public Builder yLabel(String text) {
            this.yLabel = text;
            return this;
        }

        /**
         * Fixes the x range instead of fitting it to the data.
         *
         * @param low  the left end
         * @param high the right end, above {@code low}
         * @return this builder
         * @throws IllegalArgumentException when the range is not finite with low &lt; high
         */
        public Builder xRange(double low, double high) {
            this.xRange = range(low, high);
            return this;
        }

        /**
         * Fixes the y range instead of fitting it to the data (e.g. to start at zero).
         *
         * @param low  the bottom
         * @param high the top, above {@code low}
         * @return this builder
         * @throws IllegalArgumentException when the range is not finite with low &lt; high
         */
        public Builder yRange(double low, double high) {
            this.yRange = range(low, high);
            return this;
        }

        /**
         * Adds a line through the points in order.
         *
         * @param label the legend's text, or null for none
         * @param x     the x values, or null for 0, 1, 2, ...
         * @param y     the y values
         * @return this builder
         */
        public Builder line(String label, Object x, Object y) {
            return add("line", label, x, y);
        }

        /**
         * Adds points, marked one by one.
         *
         * @param label the legend's text, or null for none
         * @param x     the x values, or null for 0, 1, 2, ...
         * @param y     the y values
         * @return this builder
         */
        public Builder scatter(String label, Object x, Object y) {
            return add("scatter", label, x, y);
        }

        /**
         * The chart.
         *
         * @return the chart
         * @throws IllegalArgumentException when it has no series
         */
        public Chart build() {
            return new Chart(this);
        }

        private Builder add(String kind, String label, Object x, Object y) {
            Objects.requireNonNull(y, "y");
            Map<String, Object> s = new HashMap<>();
            s.put("kind", kind);
            s.put("y", y);
            if (x != null) {
                s.put("x", x);
            }
            if (label != null) {
                s.put("label", label);
            }
            series.add(Collections.unmodifiableMap(s));
            return this;
        }

        private static double[] range(double low, double high) {
            if (!(low < high) || !Double.isFinite(low) || !Double.isFinite(high)) {
                throw new IllegalArgumentException("a range must be finite with low < high, got " + low + ", " + high);
            }
            return new double[] {low, high};
        }
    }
}
