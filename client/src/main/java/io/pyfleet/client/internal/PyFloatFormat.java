package io.pyfleet.client.internal;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Formats floating-point numbers as Python's {@code repr} does: the shortest decimal that reads back as
 * the same number (the nearest such one when several have that length), in positional notation when
 * the decimal exponent is from -4 to 15 ({@code 0.0001}, {@code 123456789012345.0}) and in scientific
 * notation otherwise ({@code 1e-05}, {@code 1e+16}, {@code 1.5e+300}); an integral value keeps a
 * {@code .0}.
 *
 * <p>Java's {@code Double.toString} is not enough: it writes exponents differently ({@code 1.0E10})
 * and before Java 19 sometimes gives more digits than the shortest.
 */
public final class PyFloatFormat {
    private PyFloatFormat() {
    }

    /** Python's {@code repr(float)}: {@code nan}, {@code inf} and {@code -inf} for the special values. */
    public static String repr(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return 1 / d < 0 ? "-0.0" : "0.0";
        }
        return format(shortestDecimal(d));
    }

    /**
     * The shortest decimal that reads back as {@code d} (the nearest such one when several have that
     * length), stripped of trailing zeros: the digits Python's repr and NumPy's unique mode print.
     *
     * @param d a finite, non-zero double
     * @return the decimal, with the sign of {@code d}
     */
    public static BigDecimal shortestDecimal(double d) {
        // For a normal double, two decimals of at most 15 digits are further apart than its rounding
        // interval is wide, so at most one of each length reads back as d: a round-tripping decimal of up
        // to 15 digits (such as Double.toString's, when it is that short) is the shortest one. Subnormals
        // are spaced more coarsely and are searched from one digit up.
        boolean normal = Math.abs(d) >= Double.MIN_NORMAL;
        if (normal) {
            BigDecimal quick = new BigDecimal(Double.toString(d)).stripTrailingZeros();
            if (quick.precision() <= DOUBLE_UNIQUE_DIGITS) {
                return quick;
            }
        }
        BigDecimal exact = new BigDecimal(d);
        for (int digits = normal ? DOUBLE_UNIQUE_DIGITS : 1; digits < 17; digits++) {
            BigDecimal r = shortest(exact, digits, s -> Double.parseDouble(s) == d);
            if (r != null) {
                return r.stripTrailingZeros();
            }
        }
        return exact.round(new MathContext(17, RoundingMode.HALF_EVEN)).stripTrailingZeros();
    }

    /**
     * The shortest repr of a single-precision value, as NumPy prints a {@code float32}: {@code 0.1}
     * for {@code float32(0.1)}, not the 0.10000000149011612 its double widening would give.
     */
    public static String repr(float f) {
        if (Float.isNaN(f) || Float.isInfinite(f) || f == 0) {
            return repr((double) f);
        }
        return format(shortestDecimal(f));
    }

    /**
     * {@link #shortestDecimal(double)} among single-precision values.
     *
     * @param f a finite, non-zero float
     * @return the decimal, with the sign of {@code f}
     */
    public static BigDecimal shortestDecimal(float f) {
        boolean normal = Math.abs(f) >= Float.MIN_NORMAL;
        if (normal) {
            BigDecimal quick = new BigDecimal(Float.toString(f)).stripTrailingZeros();
            if (quick.precision() <= FLOAT_UNIQUE_DIGITS) {
                return quick;
            }
        }
        BigDecimal exact = new BigDecimal(f);
        for (int digits = normal ? FLOAT_UNIQUE_DIGITS : 1; digits < 9; digits++) {
            BigDecimal r = shortest(exact, digits, s -> Float.parseFloat(s) == f);
            if (r != null) {
                return r.stripTrailingZeros();
            }
        }
        return exact.round(new MathContext(9, RoundingMode.HALF_EVEN)).stripTrailingZeros();
    }

    /** Decimals of up to this many digits are sparser than normal doubles: 10^-15 is over 2^-52. */
    private static final int DOUBLE_UNIQUE_DIGITS = 15;

    /** Decimals of up to this many digits are sparser than normal floats: 10^-6 is over 2^-23. */
    private static final int FLOAT_UNIQUE_DIGITS = 6;

    private interface RoundTrip {
        boolean test(String decimal);
    }

    /**
     * The {@code digits}-digit decimal nearest to {@code exact} if it reads back as the same number;
     * else the other neighbour if that one does (possible next to a power of two, where the rounding
     * interval is lopsided); else null. Started at the unique-digits length, the first hit is the
     * shortest decimal that reads back, stripped of trailing zeros.
     */
    private static BigDecimal shortest(BigDecimal exact, int digits, RoundTrip roundTrip) {
        BigDecimal nearest = exact.round(new MathContext(digits, RoundingMode.HALF_EVEN));
        if (roundTrip.test(nearest.toString())) {
            return nearest;
        }
        int c = nearest.compareTo(exact);
        if (c == 0) {
            return null;
        }
        BigDecimal other = exact.round(new MathContext(digits, c > 0 ? RoundingMode.FLOOR : RoundingMode.CEILING));
        return roundTrip.test(other.toString()) ? other : null;
    }

    /** Lays out a non-zero decimal the way Python's float repr does. */
    static String format(BigDecimal value) {
        BigDecimal v = value.stripTrailingZeros();
        String digits = v.unscaledValue().abs().toString();
        int n = digits.length();
        int exponent = n - 1 - v.scale(); // the value is d.ddd x 10^exponent
        StringBuilder sb = new StringBuilder(n + 8);
        if (v.signum() < 0) {
            sb.append('-');
        }
        if (exponent < -4 || exponent >= 16) {
            sb.append(digits.charAt(0));
            if (n > 1) {
                sb.append('.').append(digits, 1, n);
            }
            sb.append('e').append(exponent < 0 ? '-' : '+');
            int abs = Math.abs(exponent);
            if (abs < 10) {
                sb.append('0');
            }
            sb.append(abs);
        } else if (exponent < 0) {
            sb.append("0.");
            sb.append("0".repeat(-exponent - 1));
            sb.append(digits);
        } else if (exponent + 1 >= n) {
            sb.append(digits).append("0".repeat(exponent + 1 - n)).append(".0");
        } else {
            sb.append(digits, 0, exponent + 1).append('.').append(digits, exponent + 1, n);
        }
        return sb.toString();
    }
}
