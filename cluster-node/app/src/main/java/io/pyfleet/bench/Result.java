package io.pyfleet.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Objects;

/**
 * One line of the benchmark's output: a case's median over its runs, with their min and max, and
 * where the case has a baseline measured in the same run, that baseline's value, name and the
 * ratio value / baseline.
 *
 * <pre>{"case":"call_sync_p50_us","value":81.3,"unit":"us","min":80.2,"max":84.9,"runs":5,
 * "baseline":62.1,"baseline_case":"floor_pipe_echo_us","ratio":1.309}</pre>
 *
 * @param name          the case, e.g. {@code call_sync_p50_us}
 * @param value         the median of the runs
 * @param unit          as written ({@code us}, {@code ms}, {@code per_s}, {@code GB/s}); an earlier run's
 *                      output may carry units this version does not know
 * @param min           the lowest run
 * @param max           the highest run
 * @param runs          how many runs were counted (warm-up excluded)
 * @param baseline      the baseline's value in the same run, or null
 * @param baselineCase  the baseline's case name, or null
 * @param ratio         value / baseline, or null
 */
public record Result(String name, double value, String unit, double min, double max, int runs, Double baseline,
        String baselineCase, Double ratio) {
    /** Figures are BigDecimals rounded by {@link #figure}: written plain, never with an exponent. */
    private static final JsonMapper JSON = JsonMapper.builder().enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
            .build();
    private static final MathContext FIGURES = new MathContext(4);

    public Result {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(unit, "unit");
    }

    /** A result without a baseline. */
    public static Result of(String name, double value, String unit, double min, double max, int runs) {
        return new Result(name, value, unit, min, max, runs, null, null, null);
    }

    /** The same result compared with {@code base} (the baseline's result in the same run). */
    public Result against(Result base) {
        if (base == null || base.value == 0 || !Double.isFinite(base.value)) {
            return new Result(name, value, unit, min, max, runs, null, null, null);
        }
        return new Result(name, value, unit, min, max, runs, base.value, base.name, value / base.value);
    }

    /** The result as one line of JSON, numbers rounded to 4 significant figures (whole numbers from 1000 up). */
    public String toJsonLine() {
        ObjectNode line = JSON.createObjectNode().put("case", name).put("value", figure(value)).put("unit", unit)
                .put("min", figure(min)).put("max", figure(max)).put("runs", runs);
        if (baseline != null) {
            line.put("baseline", figure(baseline)).put("baseline_case", baselineCase).put("ratio", figure(ratio));
        }
        try {
            return JSON.writeValueAsString(line);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads one output line.
     *
     * @throws IllegalArgumentException when the line is not a JSON object with at least a string
     *     {@code case}, a number {@code value} and a string {@code unit}
     */
    public static Result parse(String line) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        JsonNode name = node.get("case");
        JsonNode value = node.get("value");
        JsonNode unit = node.get("unit");
        if (name == null || !name.isTextual() || value == null || !value.isNumber() || unit == null
                || !unit.isTextual()) {
            throw new IllegalArgumentException("a result needs \"case\" (string), \"value\" (number) and "
                    + "\"unit\" (string)");
        }
        double v = value.asDouble();
        return new Result(name.asText(), v, unit.asText(), optional(node, "min", v), optional(node, "max", v),
                node.path("runs").asInt(0), nullable(node, "baseline"),
                node.hasNonNull("baseline_case") ? node.get("baseline_case").asText() : null,
                nullable(node, "ratio"));
    }

    private static double optional(JsonNode node, String field, double fallback) {
        JsonNode n = node.get(field);
        return n != null && n.isNumber() ? n.asDouble() : fallback;
    }

    private static Double nullable(JsonNode node, String field) {
        JsonNode n = node.get(field);
        return n != null && n.isNumber() ? n.asDouble() : null;
    }

    /** A figure as JSON: 4 significant figures, whole from 1000 up, no exponent; null when not finite. */
    static String number(double v) {
        BigDecimal d = figure(v);
        return d == null ? "null" : d.toPlainString();
    }

    /** {@code v} to 4 significant figures (whole from 1000 up), trailing zeros dropped; null when not finite. */
    private static BigDecimal figure(Double v) {
        if (v == null || !Double.isFinite(v)) {
            return null;
        }
        BigDecimal d = new BigDecimal(v);
        d = Math.abs(v) >= 1000 ? d.setScale(0, RoundingMode.HALF_EVEN) : d.round(FIGURES);
        return d.stripTrailingZeros();
    }
}
