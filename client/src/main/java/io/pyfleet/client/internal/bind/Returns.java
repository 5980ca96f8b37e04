package io.pyfleet.client.internal.bind;

import io.pyfleet.client.CallOptions;
import io.pyfleet.client.DType;
import io.pyfleet.client.NdArray;
import io.pyfleet.client.PyArray;
import io.pyfleet.client.PyObject;
import io.pyfleet.client.PyTuple;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The one table of return types a bound method may declare, each with how its call is made and how a
 * result of the value model becomes that type. A new return type (an array handle, say) is one row in
 * {@link #table()}. {@code List}, {@code Set} and {@code Map} may name element types from the table
 * ({@code List<String>}, {@code Map<String, Double>}); those are converted too.
 */
public final class Returns {
    /** Turns a value of the model into the declared type; throws {@link Mismatch} when it does not fit. */
    @FunctionalInterface
    interface Converter {
        Object convert(Object value);
    }

    /**
     * One row of the table.
     *
     * @param options   the call's options for this return type (e.g. keep the result in the worker)
     * @param converter the result's conversion
     */
    record Conversion(UnaryOperator<CallOptions> options, Converter converter) {
    }

    /** A result that does not fit; the message, when there is one, says why beyond the types. */
    static final class Mismatch extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Mismatch(String why) {
            super(why, null, false, false);
        }
    }

    private static final UnaryOperator<CallOptions> PLAIN = o -> o;
    private static final UnaryOperator<CallOptions> AS_HANDLE = CallOptions::withHandle;
    private static final UnaryOperator<CallOptions> AS_ARRAY = CallOptions::withArray;

    private static final Map<Class<?>, Conversion> TABLE = table();

    private Returns() {
    }

    private static Map<Class<?>, Conversion> table() {
        Map<Class<?>, Conversion> t = new HashMap<>();
        t.put(void.class, new Conversion(PLAIN, v -> null));
        t.put(Void.class, new Conversion(PLAIN, v -> null));
        value(t, Object.class, v -> v, null);
        value(t, Boolean.class, v -> cast(Boolean.class, v), boolean.class);
        value(t, Long.class, Returns::toLong, long.class);
        value(t, Integer.class, v -> (int) ranged(v, Integer.MIN_VALUE, Integer.MAX_VALUE, "int"), int.class);
        value(t, Short.class, v -> (short) ranged(v, Short.MIN_VALUE, Short.MAX_VALUE, "short"), short.class);
        value(t, Byte.class, v -> (byte) ranged(v, Byte.MIN_VALUE, Byte.MAX_VALUE, "byte"), byte.class);
        value(t, Double.class, v -> number(v).doubleValue(), double.class);
        value(t, Float.class, v -> number(v).floatValue(), float.class);
        value(t, Character.class, Returns::toChar, char.class);
        value(t, BigInteger.class, v -> v instanceof Long l ? BigInteger.valueOf(l) : cast(BigInteger.class, v), null);
        value(t, String.class, v -> cast(String.class, v), null);
        value(t, byte[].class, v -> cast(byte[].class, v), null);
        value(t, List.class, v -> v instanceof PyTuple p ? p.items() : cast(List.class, v), null);
        value(t, PyTuple.class, v -> cast(PyTuple.class, v), null);
        value(t, Map.class, v -> cast(Map.class, v), null);
        value(t, Set.class, v -> cast(Set.class, v), null);
        // a large array comes as a PyArray on an embedded fleet: copied out, then its node memory freed
        value(t, NdArray.class, v -> cast(NdArray.class, byValue(v)), null);
        value(t, double[].class, v -> byValue(v) instanceof NdArray a ? real(a).toDoubles() : doubles(items(v)), null);
        value(t, float[].class, v -> byValue(v) instanceof NdArray a ? real(a).toFloats() : floats(items(v)), null);
        value(t, long[].class, v -> byValue(v) instanceof NdArray a ? exact(() -> integral(a).toLongs())
                : longs(items(v)), null);
        value(t, int[].class, v -> byValue(v) instanceof NdArray a ? exact(() -> integral(a).toInts())
                : ints(items(v)), null);
        value(t, boolean[].class, v -> byValue(v) instanceof NdArray a ? integral(a).toBooleans()
                : booleans(items(v)), null);
        t.put(PyObject.class, new Conversion(AS_HANDLE, nullable(v -> cast(PyObject.class, v))));
        t.put(PyArray.class, new Conversion(AS_ARRAY, Returns::toArray));
        return Map.copyOf(t);
    }

    /** A node array as an {@link NdArray} (its memory freed at once); anything else as it is. */
    private static Object byValue(Object v) {
        if (v instanceof PyArray p) {
            try (p) {
                return p.toNdArray();
            }
        }
        return v;
    }

    /** A node array as it is, an array that came by value (over TCP, or small in a collection) on the heap. */
    private static Object toArray(Object v) {
        if (v instanceof NdArray a) {
            return PyArray.of(a);
        }
        return cast(PyArray.class, v);
    }

    /**
     * The conversion for a declared return type, or null when a bound method may not declare it.
     * {@code CompletableFuture<T>} is the binder's business: it asks here for {@code T}.
     */
    static Conversion of(Type type) {
        if (type instanceof Class<?> c) {
            return TABLE.get(c);
        }
        if (!(type instanceof ParameterizedType p) || !(p.getRawType() instanceof Class<?> raw)) {
            return null;
        }
        Conversion base = TABLE.get(raw);
        Type[] args = p.getActualTypeArguments();
        if (raw == List.class || raw == Set.class) {
            Converter item = element(args[0]);
            return item == null ? null : new Conversion(PLAIN, nullable(v -> {
                Iterable<?> items = (Iterable<?>) base.converter().convert(v);
                List<Object> out = new ArrayList<>();
                items.forEach(x -> out.add(item.convert(x)));
                return raw == List.class ? out : new LinkedHashSet<>(out);
            }));
        }
        if (raw == Map.class) {
            Converter key = element(args[0]);
            Converter val = element(args[1]);
            return key == null || val == null ? null : new Conversion(PLAIN, nullable(v -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                ((Map<?, ?>) base.converter().convert(v)).forEach((k, x) -> out.put(key.convert(k), val.convert(x)));
                return out;
            }));
        }
        return null;
    }

    /** The element conversion inside a collection: any reference row but a handle, {@code ?} or a nested collection. */
    private static Converter element(Type type) {
        if (type instanceof WildcardType w && w.getLowerBounds().length == 0
                && Arrays.equals(w.getUpperBounds(), new Type[] {Object.class})) {
            return v -> v;
        }
        if (type instanceof Class<?> c && (c.isPrimitive() || c == PyObject.class || c == Void.class)) {
            return null;
        }
        if (type == PyArray.class) {
            return Returns::toArray; // inside a collection an array is not forced into node memory
        }
        Conversion c = of(type);
        return c == null || c.options() != PLAIN ? null : c.converter();
    }

    /** A short account of a value for error messages: its Python type and a clipped rendering. */
    static String describe(Object v) {
        String type = pythonType(v);
        if (v == null || v instanceof NdArray || v instanceof PyObject) {
            return type;
        }
        String text = v instanceof byte[] b ? b.length + " bytes" : String.valueOf(v);
        if (text.length() > 60) {
            text = text.substring(0, 57) + "...";
        }
        return type + " " + (v instanceof String ? "'" + text + "'" : text);
    }

    private static String pythonType(Object v) {
        if (v == null) {
            return "None";
        }
        if (v instanceof NdArray a) {
            return "numpy.ndarray of dtype " + a.dtype().descr() + " and shape " + Arrays.toString(a.shape());
        }
        if (v instanceof PyObject o) {
            return "a handle to a " + o.type();
        }
        Map<Class<?>, String> names = Map.of(Boolean.class, "bool", Long.class, "int", BigInteger.class, "int",
                Double.class, "float", String.class, "str", byte[].class, "bytes", PyTuple.class, "tuple");
        String name = names.get(v.getClass());
        if (name != null) {
            return name;
        }
        return v instanceof List ? "list" : v instanceof Map ? "dict" : v instanceof Set ? "set" : v.getClass().getName();
    }

    private static void value(Map<Class<?>, Conversion> t, Class<?> type, Converter c, Class<?> primitive) {
        t.put(type, new Conversion(PLAIN, nullable(c)));
        if (primitive != null) {
            t.put(primitive, new Conversion(PLAIN, v -> {
                if (v == null) {
                    throw new Mismatch("None for a primitive");
                }
                return c.convert(v);
            }));
        }
    }

    private static Converter nullable(Converter c) {
        return v -> v == null ? null : c.convert(v);
    }

    private static <T> T cast(Class<T> type, Object v) {
        if (!type.isInstance(v)) {
            throw new Mismatch(null);
        }
        return type.cast(v);
    }

    private static Number number(Object v) {
        if (v instanceof Long || v instanceof Double || v instanceof BigInteger) {
            return (Number) v;
        }
        throw new Mismatch(null);
    }

    private static long toLong(Object v) {
        if (v instanceof Long l) {
            return l;
        }
        if (v instanceof BigInteger b) {
            if (b.bitLength() > 63) {
                throw new Mismatch("out of the long range");
            }
            return b.longValue();
        }
        throw new Mismatch(null);
    }

    private static long ranged(Object v, long min, long max, String type) {
        long l;
        try {
            l = toLong(v);
        } catch (Mismatch e) {
            throw new Mismatch(e.getMessage() == null ? null : "out of the " + type + " range");
        }
        if (l < min || l > max) {
            throw new Mismatch("out of the " + type + " range");
        }
        return l;
    }

    private static char toChar(Object v) {
        String s = cast(String.class, v);
        if (s.length() != 1) {
            throw new Mismatch("not one character");
        }
        return s.charAt(0);
    }

    /** A 1-d array, for a Java array type. */
    private static NdArray vector(NdArray a) {
        if (a.ndim() != 1) {
            throw new Mismatch("a Java array takes a 1-d array only; declare NdArray for other shapes");
        }
        return a;
    }

    private static NdArray real(NdArray a) {
        if (vector(a).dtype().kind() == DType.Kind.COMPLEX) {
            throw new Mismatch("complex elements");
        }
        return a;
    }

    private static NdArray integral(NdArray a) {
        if (!vector(a).dtype().isIntegral()) {
            throw new Mismatch("elements that are not integers");
        }
        return a;
    }

    /** The items of a list or tuple, for a Java array type. */
    private static List<?> items(Object v) {
        return v instanceof PyTuple p ? p.items() : cast(List.class, v);
    }

    private static double[] doubles(List<?> items) {
        double[] out = new double[items.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = number(items.get(i)).doubleValue();
        }
        return out;
    }

    private static float[] floats(List<?> items) {
        float[] out = new float[items.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = number(items.get(i)).floatValue();
        }
        return out;
    }

    private static long[] longs(List<?> items) {
        long[] out = new long[items.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = toLong(items.get(i));
        }
        return out;
    }

    private static int[] ints(List<?> items) {
        int[] out = new int[items.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (int) ranged(items.get(i), Integer.MIN_VALUE, Integer.MAX_VALUE, "int");
        }
        return out;
    }

    private static boolean[] booleans(List<?> items) {
        boolean[] out = new boolean[items.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = cast(Boolean.class, items.get(i));
        }
        return out;
    }

    /** An array conversion whose elements may not fit (a uint64 over the long range, an int overflow). */
    private static Object exact(java.util.function.Supplier<Object> conversion) {
        try {
            return conversion.get();
        } catch (ArithmeticException e) {
            throw new Mismatch(e.getMessage());
        }
    }
}
