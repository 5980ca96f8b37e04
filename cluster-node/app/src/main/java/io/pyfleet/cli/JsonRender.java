package io.pyfleet.cli;

import io.pyfleet.client.DType;
import io.pyfleet.client.NdArray;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.PyComplex;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.client.PyObject;
import io.pyfleet.client.PyTuple;
import io.pyfleet.client.PythonException;
import io.pyfleet.client.internal.PyFloatFormat;
import io.pyfleet.client.internal.RemoteError;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Writes a value of pyfleet's value model as JSON text, laid out as Python's {@code json.dumps} does by
 * default: on one line, {@code ", "} between items and {@code ": "} after keys, non-ASCII characters as
 * {@code \}{@code uXXXX} escapes.
 *
 * <ul>
 *   <li>None, bool, str as themselves; int exactly, whatever its size ({@link BigInteger} digits);</li>
 *   <li>float as Python's {@code repr} writes it ({@code 1.0}, {@code 0.1}, {@code 1e+16}); JSON has no
 *       NaN or infinities, so those become the strings {@code "NaN"}, {@code "Infinity"},
 *       {@code "-Infinity"};</li>
 *   <li>list, tuple, set as arrays; dict as an object whose non-string keys are written as their own
 *       JSON text ({@code {"1": ..., "[1, 2]": ...}});</li>
 *   <li>bytes as a base64 string;</li>
 *   <li>date, time, datetime as ISO-8601 strings as Python's {@code isoformat()} writes them
 *       ({@code "1923-04-02"}, {@code "10:15:00"}, {@code "2024-01-02T03:04:05.250000+00:00"}); timedelta
 *       as an ISO-8601 duration ({@code "PT1H30M"});</li>
 *   <li>NumPy arrays as arrays nested by shape (a 0-d array as its single element); bool, int, uint,
 *       float and complex dtypes, a complex element as {@code [re, im]}, a float32 element by its
 *       shortest repr;</li>
 *   <li>complex as {@code {"real": re, "imag": im}};</li>
 *   <li>an error value as {@code {"error": {"type": ..., "message": ...}}};</li>
 *   <li>any other Python object (a handle) as {@code {"type": qualified type, "repr": its repr()}}, the
 *       repr fetched through the function given to the constructor.</li>
 * </ul>
 */
public final class JsonRender {
    // Hand-written: json.dumps' layout (repr floats, "NaN" strings, ", " and ": ", lowercase \\u escapes) is not Jackson's.
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final Function<PyObject, String> repr;

    /**
     * @param repr gives the {@code repr()} of a Python object that came back as a handle, e.g.
     *             {@code o -> (String) fleet.builtin("repr", o)}
     */
    public JsonRender(Function<PyObject, String> repr) {
        this.repr = Objects.requireNonNull(repr, "repr");
    }

    /** A renderer for values that hold no handles: a handle's repr shows as null. */
    public static JsonRender withoutRepr() {
        return new JsonRender(o -> null);
    }

    /** The JSON text of {@code value}. */
    public String render(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value);
        return sb.toString();
    }

    /** An array with each outcome's value, or its error as {@code {"error": {"type": ..., "message": ...}}}. */
    public String renderOutcomes(List<Outcome> outcomes) {
        StringBuilder sb = new StringBuilder().append('[');
        for (int i = 0; i < outcomes.size(); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            Outcome o = outcomes.get(i);
            if (o.isOk()) {
                write(sb, o.value());
            } else {
                writeError(sb, errorType(o.error()), errorMessage(o.error()));
            }
        }
        return sb.append(']').toString();
    }

    /** The remote exception type of a Python error, else the simple name of the exception class. */
    public static String errorType(PyFleetException e) {
        return e instanceof PythonException p ? p.pythonType() : e.getClass().getSimpleName();
    }

    /** The remote message of a Python error, else the exception message. */
    public static String errorMessage(PyFleetException e) {
        return e instanceof PythonException p ? p.pythonMessage() : String.valueOf(e.getMessage());
    }

    // The value model is a fixed set of types, so one dispatch over them here is the whole renderer.
    private void write(StringBuilder sb, Object v) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String s) {
            string(sb, s);
        } else if (v instanceof Boolean b) {
            sb.append(b.booleanValue() ? "true" : "false");
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte
                || v instanceof BigInteger) {
            sb.append(v);
        } else if (v instanceof Double d) {
            floating(sb, d);
        } else if (v instanceof Float f) {
            floating32(sb, f);
        } else if (v instanceof Map<?, ?> m) {
            object(sb, m);
        } else if (v instanceof Collection<?> c) {
            array(sb, c);
        } else if (v instanceof PyTuple t) {
            array(sb, t.items());
        } else if (v instanceof Object[] a) {
            array(sb, List.of(a));
        } else if (v instanceof byte[] b) {
            string(sb, Base64.getEncoder().encodeToString(b));
        } else if (v instanceof NdArray a) {
            ndarray(sb, a);
        } else if (v instanceof io.pyfleet.client.PyArray a) {
            ndarray(sb, a.toNdArray()); // an array in node memory prints as its values, as by value
        } else if (v instanceof PyComplex c) {
            sb.append("{\"real\": ");
            floating(sb, c.real());
            sb.append(", \"imag\": ");
            floating(sb, c.imag());
            sb.append('}');
        } else if (v instanceof LocalDate d) {
            string(sb, d.toString());
        } else if (v instanceof LocalTime t) {
            string(sb, isoTime(t));
        } else if (v instanceof OffsetTime t) {
            string(sb, isoTime(t.toLocalTime()) + isoOffset(t.getOffset()));
        } else if (v instanceof LocalDateTime t) {
            string(sb, t.toLocalDate() + "T" + isoTime(t.toLocalTime()));
        } else if (v instanceof OffsetDateTime t) {
            string(sb, t.toLocalDate() + "T" + isoTime(t.toLocalTime()) + isoOffset(t.getOffset()));
        } else if (v instanceof Duration d) {
            string(sb, d.toString());
        } else if (v instanceof RemoteError e) {
            writeError(sb, e.type(), e.message());
        } else if (v instanceof PyObject o) {
            sb.append("{\"type\": ");
            string(sb, o.type());
            sb.append(", \"repr\": ");
            write(sb, reprOf(o));
            sb.append('}');
        } else {
            string(sb, v.toString());
        }
    }

    private String reprOf(PyObject o) {
        try {
            return repr.apply(o);
        } catch (PyFleetException e) {
            return "<repr failed: " + errorType(e) + ": " + errorMessage(e) + ">";
        }
    }

    private void writeError(StringBuilder sb, String type, String message) {
        sb.append("{\"error\": {\"type\": ");
        string(sb, type);
        sb.append(", \"message\": ");
        string(sb, message);
        sb.append("}}");
    }

    private void array(StringBuilder sb, Collection<?> items) {
        sb.append('[');
        boolean first = true;
        for (Object item : items) {
            if (!first) {
                sb.append(", ");
            }
            first = false;
            write(sb, item);
        }
        sb.append(']');
    }

    private void object(StringBuilder sb, Map<?, ?> map) {
        sb.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!first) {
                sb.append(", ");
            }
            first = false;
            string(sb, e.getKey() instanceof String s ? s : render(e.getKey()));
            sb.append(": ");
            write(sb, e.getValue());
        }
        sb.append('}');
    }

    private static void floating(StringBuilder sb, double d) {
        if (Double.isNaN(d)) {
            sb.append("\"NaN\"");
        } else if (Double.isInfinite(d)) {
            sb.append(d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        } else {
            sb.append(PyFloatFormat.repr(d));
        }
    }

    private static void floating32(StringBuilder sb, float f) {
        if (Float.isNaN(f) || Float.isInfinite(f)) {
            floating(sb, f);
        } else {
            sb.append(PyFloatFormat.repr(f));
        }
    }

    private static void ndarray(StringBuilder sb, NdArray a) {
        ByteBuffer data = a.buffer();
        long[] shape = a.shape();
        if (shape.length == 0) {
            element(sb, a.dtype(), data, 0);
        } else {
            nested(sb, a.dtype(), data, shape, 0, 0);
        }
    }

    /** Writes the sub-array at dimension {@code dim} starting at flat element {@code offset}. */
    private static void nested(StringBuilder sb, DType dtype, ByteBuffer data, long[] shape, int dim, long offset) {
        long stride = 1;
        for (int i = dim + 1; i < shape.length; i++) {
            stride *= shape[i];
        }
        sb.append('[');
        for (long i = 0; i < shape[dim]; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            if (dim == shape.length - 1) {
                element(sb, dtype, data, (int) (offset + i));
            } else {
                nested(sb, dtype, data, shape, dim + 1, offset + i * stride);
            }
        }
        sb.append(']');
    }

    private static void element(StringBuilder sb, DType dtype, ByteBuffer b, int i) {
        switch (dtype) {
            case BOOL -> sb.append(b.get(i) != 0 ? "true" : "false");
            case INT8 -> sb.append(b.get(i));
            case UINT8 -> sb.append(b.get(i) & 0xff);
            case INT16 -> sb.append(b.getShort(i * 2));
            case UINT16 -> sb.append(b.getShort(i * 2) & 0xffff);
            case INT32 -> sb.append(b.getInt(i * 4));
            case UINT32 -> sb.append(b.getInt(i * 4) & 0xffffffffL);
            case INT64 -> sb.append(b.getLong(i * 8));
            case UINT64 -> sb.append(Long.toUnsignedString(b.getLong(i * 8)));
            case FLOAT32 -> floating32(sb, b.getFloat(i * 4));
            case FLOAT64 -> floating(sb, b.getDouble(i * 8));
            case COMPLEX128 -> {
                sb.append('[');
                floating(sb, b.getDouble(i * 16));
                sb.append(", ");
                floating(sb, b.getDouble(i * 16 + 8));
                sb.append(']');
            }
            default -> throw new IllegalArgumentException("unsupported ndarray dtype " + dtype); // none: DType is closed
        }
    }

    /** {@code HH:MM:SS} with {@code .ffffff} when there is a fraction, as Python's {@code time.isoformat()}. */
    static String isoTime(LocalTime t) {
        StringBuilder sb = new StringBuilder(18);
        two(sb, t.getHour()).append(':');
        two(sb, t.getMinute()).append(':');
        two(sb, t.getSecond());
        int nano = t.getNano();
        if (nano != 0) {
            String digits = Integer.toString(1_000_000_000 + nano).substring(1);
            sb.append('.').append(nano % 1000 == 0 ? digits.substring(0, 6) : digits);
        }
        return sb.toString();
    }

    /** {@code +HH:MM} (with {@code :SS} when there are seconds), {@code +00:00} for UTC, as Python writes it. */
    static String isoOffset(ZoneOffset offset) {
        return offset.getTotalSeconds() == 0 ? "+00:00" : offset.getId();
    }

    private static StringBuilder two(StringBuilder sb, int v) {
        if (v < 10) {
            sb.append('0');
        }
        return sb.append(v);
    }

    /** A JSON string with Python's default escaping: control and non-ASCII characters as backslash-u. */
    static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || c > 0x7e) {
                        sb.append("\\u").append(HEX[c >> 12 & 0xf]).append(HEX[c >> 8 & 0xf])
                                .append(HEX[c >> 4 & 0xf]).append(HEX[c & 0xf]);
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
