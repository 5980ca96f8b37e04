package io.pyfleet.cli;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads a duration option: a number with a unit ({@code 500ms}, {@code 30s}, {@code 1.5s}, {@code 2m},
 * {@code 1h}, {@code 1d}; also {@code us} and {@code ns}), a bare number of seconds ({@code 30}), or an
 * ISO-8601 duration ({@code PT30S}). It must be positive.
 */
public final class DurationConverter implements ITypeConverter<Duration> {
    private static final Pattern AMOUNT = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)\\s*(ns|us|ms|s|m|min|h|d)?");

    @Override
    public Duration convert(String text) {
        return parse(text);
    }

    /** The duration {@code text} denotes; see the class comment. */
    public static Duration parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        Duration d;
        if (t.startsWith("p") || t.startsWith("-p")) {
            try {
                d = Duration.parse(t.toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                throw new TypeConversionException("'" + text + "' is not an ISO-8601 duration such as PT30S");
            }
        } else {
            Matcher m = AMOUNT.matcher(t);
            if (!m.matches()) {
                throw new TypeConversionException("'" + text + "' is not a duration such as 500ms, 30s, 2m or PT30S");
            }
            long nanosPerUnit = switch (m.group(2) == null ? "s" : m.group(2)) {
                case "ns" -> 1L;
                case "us" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m", "min" -> 60_000_000_000L;
                case "h" -> 3_600_000_000_000L;
                default -> 86_400_000_000_000L;
            };
            BigDecimal nanos = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(nanosPerUnit));
            try {
                d = Duration.ofNanos(nanos.longValueExact());
            } catch (ArithmeticException e) {
                throw new TypeConversionException("'" + text + "' is not a whole number of nanoseconds or is too long");
            }
        }
        if (d.isNegative() || d.isZero()) {
            throw new TypeConversionException("a duration must be positive, got '" + text + "'");
        }
        return d;
    }
}
