package io.pyfleet.client.internal;

import io.pyfleet.client.DType;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An array printed as NumPy's {@code repr} prints it with its default print options: {@code array([1., 2.])},
 * {@code array([1, 2], dtype=int32)}, rows on lines of their own, line wrapping at 75 characters, and
 * arrays of over 1000 elements summarised with {@code ...} (three items at each edge of every axis)
 * and their shape. The layout follows NumPy's {@code arrayprint}; float digits follow its Dragon4
 * modes (the shortest digits that read back, at most 8 after the point, padded to a common width,
 * scientific notation when the magnitudes call for it). Only the elements shown are read, so a huge
 * array prints in the time a small one takes.
 */
public final class NumPyRepr {
    /** NumPy's {@code linewidth}. */
    private static final int LINE_WIDTH = 75;
    /** NumPy's {@code threshold}: more elements than this are summarised. */
    private static final int THRESHOLD = 1000;
    /** NumPy's {@code edgeitems}. */
    private static final int EDGE_ITEMS = 3;
    /** NumPy's {@code precision}: digits after the point at most. */
    private static final int PRECISION = 8;
    private static final String PREFIX = "array(";
    private static final String SEPARATOR = ", ";

    private NumPyRepr() {
    }

    /**
     * The repr of an array.
     *
     * @param dtype its element type
     * @param shape its dimensions (empty for 0-d)
     * @param views little-endian views covering its C-order bytes, each holding whole elements
     * @return what {@code repr(numpy.asarray(x))} gives in Python
     */
    public static String repr(DType dtype, long[] shape, List<ByteBuffer> views) {
        ArrayElements elements = new ArrayElements(dtype, views);
        long size = 1;
        for (long d : shape) {
            size *= d;
        }
        boolean summarize = size > THRESHOLD;
        String body;
        if (size == 0) {
            body = "[]";
        } else {
            long[] strides = new long[shape.length];
            long stride = 1;
            for (int i = shape.length - 1; i >= 0; i--) {
                strides[i] = stride;
                stride *= shape[i];
            }
            Layout layout = new Layout(shape, strides, summarize);
            List<Long> shown = new ArrayList<>();
            layout.shown(0, 0, shown);
            layout.format = formatter(elements, shown, shape.length == 0);
            // the closing parenthesis takes one column of the line
            body = layout.recurse(0, 0, " ".repeat(1 + PREFIX.length()), LINE_WIDTH - 1);
        }
        List<String> extras = new ArrayList<>(2);
        if (size == 0 && !(shape.length == 1 && shape[0] == 0) || summarize) {
            extras.add("shape=" + tuple(shape));
        }
        if (!implied(dtype) || size == 0) {
            extras.add("dtype=" + dtype.numpyName());
        }
        if (extras.isEmpty()) {
            return PREFIX + body + ")";
        }
        String array = PREFIX + body + ",";
        String extra = String.join(", ", extras) + ")";
        int lastLine = array.length() - (array.lastIndexOf('\n') + 1);
        String spacer = lastLine + extra.length() + 1 > LINE_WIDTH ? "\n" + " ".repeat(PREFIX.length()) : " ";
        return array + spacer + extra;
    }

    /** The dtypes NumPy's repr leaves unsaid: their values show them. */
    private static boolean implied(DType t) {
        return t == DType.INT64 || t == DType.FLOAT64 || t == DType.COMPLEX128 || t == DType.BOOL;
    }

    /** A shape as Python writes a tuple: {@code (2000,)}, {@code (0, 3)}. */
    private static String tuple(long[] shape) {
        if (shape.length == 1) {
            return "(" + shape[0] + ",)";
        }
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return sb.append(')').toString();
    }

    /** Formats the element at a flat index. */
    private interface Format {
        String format(long index);
    }

    /** NumPy's {@code _formatArray}: nested brackets, separators, wrapping and summaries. */
    private static final class Layout {
        private final long[] shape;
        private final long[] strides;
        private final boolean summarize;
        Format format;

        Layout(long[] shape, long[] strides, boolean summarize) {
            this.shape = shape;
            this.strides = strides;
            this.summarize = summarize;
        }

        private boolean summary(int axis) {
            return summarize && 2L * EDGE_ITEMS < shape[axis];
        }

        /** The flat indices of the elements shown, in order: what the number formats are fitted to. */
        void shown(int axis, long offset, List<Long> out) {
            if (axis == shape.length) {
                out.add(offset);
                return;
            }
            long n = shape[axis];
            if (summary(axis)) {
                for (long i = 0; i < EDGE_ITEMS; i++) {
                    shown(axis + 1, offset + i * strides[axis], out);
                }
                for (long i = n - EDGE_ITEMS; i < n; i++) {
                    shown(axis + 1, offset + i * strides[axis], out);
                }
            } else {
                for (long i = 0; i < n; i++) {
                    shown(axis + 1, offset + i * strides[axis], out);
                }
            }
        }

        String recurse(int axis, long offset, String hanging, int width) {
            if (axis == shape.length) {
                return format.format(offset);
            }
            String nextHanging = hanging + " ";
            int nextWidth = width - 1; // the "]" of this level
            long n = shape[axis];
            long stride = strides[axis];
            boolean summary = summary(axis);
            long leading = summary ? EDGE_ITEMS : 0;
            long trailing = summary ? EDGE_ITEMS : n;
            StringBuilder s = new StringBuilder();
            if (axis == shape.length - 1) {
                int elementWidth = width - 1; // room for the "," or "]" after an element
                String line = hanging;
                for (long i = 0; i < leading; i++) {
                    line = extend(s, line, recurse(axis + 1, offset + i * stride, nextHanging, nextWidth),
                            elementWidth, hanging) + SEPARATOR;
                }
                if (summary) {
                    line = extend(s, line, "...", elementWidth, hanging) + SEPARATOR;
                }
                for (long i = trailing; i > 1; i--) {
                    line = extend(s, line, recurse(axis + 1, offset + (n - i) * stride, nextHanging, nextWidth),
                            elementWidth, hanging) + SEPARATOR;
                }
                line = extend(s, line, recurse(axis + 1, offset + (n - 1) * stride, nextHanging, nextWidth),
                        elementWidth, hanging);
                s.append(line);
            } else {
                String lineSeparator = "," + "\n".repeat(shape.length - axis - 1);
                for (long i = 0; i < leading; i++) {
                    s.append(hanging).append(recurse(axis + 1, offset + i * stride, nextHanging, nextWidth))
                            .append(lineSeparator);
                }
                if (summary) {
                    s.append(hanging).append("...").append(lineSeparator);
                }
                for (long i = trailing; i > 1; i--) {
                    s.append(hanging).append(recurse(axis + 1, offset + (n - i) * stride, nextHanging, nextWidth))
                            .append(lineSeparator);
                }
                s.append(hanging).append(recurse(axis + 1, offset + (n - 1) * stride, nextHanging, nextWidth));
            }
            return "[" + s.substring(hanging.length()) + "]";
        }

        /** Adds a word to the line, first starting a new line when it would not fit (unless the line is empty). */
        private static String extend(StringBuilder s, String line, String word, int width, String nextPrefix) {
            if (line.length() + word.length() > width && line.length() > nextPrefix.length()) {
                s.append(line.stripTrailing()).append('\n');
                line = nextPrefix;
            }
            return line + word;
        }
    }

    // ---------------------------------------------------------------------------------- elements

    private static Format formatter(ArrayElements e, List<Long> shown, boolean scalar) {
        DType t = e.dtype();
        switch (t.kind()) {
            case BOOL -> {
                String yes = scalar ? "True" : " True";
                return i -> e.bits(i) != 0 ? yes : "False";
            }
            case SIGNED, UNSIGNED -> {
                int width = 0;
                for (long i : shown) {
                    width = Math.max(width, e.integerText(i).length());
                }
                int w = width;
                return i -> pad(e.integerText(i), w);
            }
            case FLOAT -> {
                boolean f32 = t == DType.FLOAT32;
                double[] values = new double[shown.size()];
                for (int k = 0; k < values.length; k++) {
                    values[k] = e.real(shown.get(k));
                }
                FloatFormat f = new FloatFormat(values, f32, false);
                return i -> f.format(e.real(i));
            }
            case COMPLEX -> {
                double[] re = new double[shown.size()];
                double[] im = new double[shown.size()];
                for (int k = 0; k < re.length; k++) {
                    re[k] = e.real(shown.get(k));
                    im[k] = e.imag(shown.get(k));
                }
                FloatFormat real = new FloatFormat(re, false, false);
                FloatFormat imag = new FloatFormat(im, false, true);
                return i -> {
                    String r = real.format(e.real(i));
                    String m = imag.format(e.imag(i));
                    int end = m.stripTrailing().length(); // the "j" goes before the padding
                    return r + m.substring(0, end) + "j" + m.substring(end);
                };
            }
            default -> throw new IllegalStateException("no format for " + t);
        }
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : " ".repeat(width - s.length()) + s;
    }

    /**
     * NumPy's {@code FloatingFormat} in its default mode ({@code maxprec}, precision 8): fitted to the
     * values shown, it picks positional or scientific notation and the paddings that align them.
     */
    static final class FloatFormat {
        private final boolean f32;
        private final boolean plus;
        private final boolean scientific;
        private int padLeft;
        private int padRight;
        private int precision = PRECISION;
        private int exponentDigits = -1;

        FloatFormat(double[] data, boolean f32, boolean plus) {
            this.f32 = f32;
            this.plus = plus;
            double[] finite = Arrays.stream(data).filter(Double::isFinite).toArray();
            double[] nonZero = Arrays.stream(finite).filter(x -> x != 0).map(Math::abs).toArray();
            boolean sci = false;
            if (nonZero.length > 0) {
                double max = Arrays.stream(nonZero).max().getAsDouble();
                double min = Arrays.stream(nonZero).min().getAsDouble();
                if (f32) { // NumPy compares float32 scalars with its Python-float cut-offs in float32
                    float mx = (float) max;
                    float mn = (float) min;
                    sci = mx >= 1e6f || mn < 1e-4f || mx / mn > 1000f;
                } else {
                    sci = max >= 1e8 || min < 1e-4 || max / min > 1000;
                }
            }
            this.scientific = sci;
            if (finite.length > 0 && sci) {
                int exp = 0;
                for (double x : finite) {
                    String s = scientific(x, PRECISION, 0, true, 0, -1);
                    int e = s.indexOf('e');
                    int dot = s.indexOf('.');
                    exp = Math.max(exp, s.length() - e - 2);
                    padLeft = Math.max(padLeft, dot);
                    padRight = Math.max(padRight, e - dot - 1);
                }
                precision = padRight;
                exponentDigits = exp;
                padRight = exponentDigits + 2 + precision;
            } else if (finite.length > 0) {
                for (double x : finite) {
                    String s = positional(x, 0, 0);
                    int dot = s.indexOf('.');
                    padLeft = Math.max(padLeft, dot);
                    padRight = Math.max(padRight, s.length() - dot - 1);
                }
            }
            if (finite.length != data.length) {
                boolean negativeInfinity = plus || Arrays.stream(data).anyMatch(x -> x == Double.NEGATIVE_INFINITY);
                int offset = padRight + 1;
                padLeft = Math.max(padLeft, Math.max(3 - offset, 3 + (negativeInfinity ? 1 : 0) - offset));
            }
        }

        String format(double x) {
            if (!Double.isFinite(x)) {
                String s = Double.isNaN(x) ? (plus ? "+" : "") + "nan" : (x < 0 ? "-" : plus ? "+" : "") + "inf";
                return pad(s, padLeft + padRight + 1);
            }
            return scientific ? scientific(x, precision, precision, false, padLeft, exponentDigits)
                    : positional(x, padLeft, padRight);
        }

        private String sign(double x) {
            return (Double.doubleToRawLongBits(x) < 0) ? "-" : plus ? "+" : "";
        }

        private BigDecimal shortest(double x) {
            return f32 ? PyFloatFormat.shortestDecimal((float) Math.abs(x)) : PyFloatFormat.shortestDecimal(Math.abs(x));
        }

        /**
         * Dragon4 positional, unique digits, at most {@link #PRECISION} after the point (the exact
         * value rounded half-even there when the shortest needs more), trailing zeros trimmed but the
         * point kept, padded to {@code left} characters before the point and {@code right} after it.
         */
        private String positional(double x, int left, int right) {
            String digits = "0";
            String fraction = "";
            if (x != 0) {
                BigDecimal d = shortest(x);
                if (d.scale() > PRECISION) {
                    d = new BigDecimal(Math.abs(x)).setScale(PRECISION, RoundingMode.HALF_EVEN);
                }
                d = d.stripTrailingZeros();
                if (d.signum() != 0) {
                    String plain = d.toPlainString();
                    int dot = plain.indexOf('.');
                    digits = dot < 0 ? plain : plain.substring(0, dot);
                    fraction = dot < 0 ? "" : plain.substring(dot + 1);
                }
            }
            return pad(sign(x) + digits, left) + "." + fraction + " ".repeat(Math.max(0, right - fraction.length()));
        }

        /**
         * Dragon4 scientific, unique digits: at most {@code max} after the point (the exact value
         * rounded half-even there when the shortest needs more) and at least {@code min} (the exact
         * value's further digits); {@code trim}: trailing zeros trimmed, the point kept. The part
         * before the point padded to {@code left}, the exponent to {@code exponent} digits (at least 2).
         */
        private String scientific(double x, int max, int min, boolean trim, int left, int exponent) {
            String digits = "0";
            int exp = 0;
            if (x != 0) {
                BigDecimal d = shortest(x);
                int after = d.precision() - 1;
                if (after > max) {
                    d = new BigDecimal(Math.abs(x)).round(new MathContext(max + 1, RoundingMode.HALF_EVEN));
                } else if (after < min) {
                    d = new BigDecimal(Math.abs(x)).round(new MathContext(min + 1, RoundingMode.HALF_EVEN));
                }
                digits = d.unscaledValue().toString();
                exp = digits.length() - 1 - d.scale();
            }
            String rest = digits.substring(1);
            if (trim) {
                int end = rest.length();
                while (end > 0 && rest.charAt(end - 1) == '0') {
                    end--;
                }
                rest = rest.substring(0, end);
            } else if (rest.length() < min) {
                rest = rest + "0".repeat(min - rest.length());
            } else if (rest.length() > max) {
                rest = rest.substring(0, max); // zeros of a carry: 9.99 rounded up is 1.00
            }
            String e = Integer.toString(Math.abs(exp));
            int width = Math.max(2, exponent);
            return pad(sign(x) + digits.charAt(0), left) + "." + rest + "e" + (exp < 0 ? "-" : "+")
                    + "0".repeat(Math.max(0, width - e.length())) + e;
        }
    }
}
