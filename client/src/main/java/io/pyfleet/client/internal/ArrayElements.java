package io.pyfleet.client.internal;

import io.pyfleet.client.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * An array's elements read out of its little-endian C-order bytes: the one set of conversion rules
 * behind {@code NdArray.toDoubles()}, {@code PyArray.toDoubles()} and the rest, and the reads that
 * printing needs. The bytes come as views that cover the array in order, each holding whole
 * elements (one view unless the array is over 2 GiB).
 *
 * <p>The rules: an element converts to the Java type asked for by its value. {@code toDoubles} and
 * {@code toFloats} take any real dtype (rounding to the nearest double or float), {@code toDoubles}
 * a complex one too (real and imaginary parts interleaved). {@code toLongs}, {@code toInts},
 * {@code toShorts} and {@code toBooleans} take booleans and integers only; a value the Java type
 * cannot hold is an {@link ArithmeticException} (a {@code uint64} over {@link Long#MAX_VALUE}, a
 * {@code uint16} over 32767 for shorts); the raw bits of any dtype are the array's bytes.
 */
public final class ArrayElements {
    private final DType dtype;
    private final ByteBuffer[] views;
    /** The first element of each view, and the element count after the last. */
    private final long[] starts;

    /**
     * @param dtype the element type
     * @param views little-endian views covering the array in order, each holding whole elements
     */
    public ArrayElements(DType dtype, List<ByteBuffer> views) {
        this.dtype = dtype;
        this.views = new ByteBuffer[views.size()];
        this.starts = new long[views.size() + 1];
        long at = 0;
        for (int i = 0; i < this.views.length; i++) {
            ByteBuffer v = views.get(i).slice().order(ByteOrder.LITTLE_ENDIAN);
            this.views[i] = v;
            starts[i] = at;
            at += v.remaining() / dtype.itemSize();
        }
        starts[this.views.length] = at;
    }

    /** The element type. */
    public DType dtype() {
        return dtype;
    }

    /** The number of elements. */
    public long size() {
        return starts[views.length];
    }

    // ---------------------------------------------------------------------------------- one element

    /** The view holding element {@code i}. */
    private int viewOf(long i) {
        if (views.length == 1) {
            return 0;
        }
        int lo = 0;
        int hi = views.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (starts[mid] <= i) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    private int byteAt(int view, long i, int part) {
        return (int) (i - starts[view]) * dtype.itemSize() + part;
    }

    /** Element {@code i} of a boolean or integer array as a long: a {@code uint64} gives its bits. */
    public long bits(long i) {
        int v = viewOf(i);
        ByteBuffer b = views[v];
        int at = byteAt(v, i, 0);
        return switch (dtype) {
            case BOOL -> b.get(at) != 0 ? 1 : 0;
            case INT8 -> b.get(at);
            case UINT8 -> b.get(at) & 0xffL;
            case INT16 -> b.getShort(at);
            case UINT16 -> b.getShort(at) & 0xffffL;
            case INT32 -> b.getInt(at);
            case UINT32 -> b.getInt(at) & 0xffffffffL;
            case INT64, UINT64 -> b.getLong(at);
            case FLOAT32, FLOAT64, COMPLEX128 -> throw new IllegalStateException("a " + name(dtype)
                    + " array has no integer elements");
        };
    }

    /** Element {@code i} of a real array as a double; the real part of a complex one. */
    public double real(long i) {
        int v = viewOf(i);
        ByteBuffer b = views[v];
        int at = byteAt(v, i, 0);
        return switch (dtype) {
            case FLOAT64, COMPLEX128 -> b.getDouble(at);
            case FLOAT32 -> b.getFloat(at);
            case UINT64 -> unsignedToDouble(b.getLong(at));
            default -> bits(i);
        };
    }

    /** The imaginary part of element {@code i}; 0 for a real array. */
    public double imag(long i) {
        if (dtype != DType.COMPLEX128) {
            return 0;
        }
        int v = viewOf(i);
        return views[v].getDouble(byteAt(v, i, 8));
    }

    /** Element {@code i} of a {@code float32} array. */
    public float float32(long i) {
        int v = viewOf(i);
        return views[v].getFloat(byteAt(v, i, 0));
    }

    /** Element {@code i} of a boolean or integer array in decimal, as Python writes it. */
    public String integerText(long i) {
        long b = bits(i);
        return dtype == DType.UINT64 ? Long.toUnsignedString(b) : Long.toString(b);
    }

    private static double unsignedToDouble(long v) {
        return v >= 0 ? v : ((v >>> 1) | (v & 1)) * 2.0;
    }

    // ---------------------------------------------------------------------------------- whole arrays

    /** The elements as doubles; a complex array gives real and imaginary parts interleaved. */
    public double[] toDoubles() {
        if (dtype == DType.FLOAT64 || dtype == DType.COMPLEX128) {
            double[] out = new double[length(size() * (dtype == DType.COMPLEX128 ? 2 : 1))];
            int at = 0;
            for (ByteBuffer v : views) {
                int n = v.remaining() / 8;
                v.duplicate().order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(out, at, n);
                at += n;
            }
            return out;
        }
        double[] out = new double[length(size())];
        for (int i = 0; i < out.length; i++) {
            out[i] = real(i);
        }
        return out;
    }

    /**
     * The elements as floats, from a real dtype.
     *
     * @throws IllegalStateException for a complex array
     */
    public float[] toFloats() {
        if (dtype == DType.COMPLEX128) {
            throw new IllegalStateException("toFloats() needs a real array, not " + name(dtype));
        }
        float[] out = new float[length(size())];
        if (dtype == DType.FLOAT32) {
            int at = 0;
            for (ByteBuffer v : views) {
                int n = v.remaining() / 4;
                v.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out, at, n);
                at += n;
            }
            return out;
        }
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) real(i);
        }
        return out;
    }

    /**
     * The elements as longs, from a boolean or integer dtype.
     *
     * @throws IllegalStateException for a floating or complex array
     * @throws ArithmeticException   for a {@code uint64} value over {@link Long#MAX_VALUE}
     */
    public long[] toLongs() {
        integral("toLongs()");
        long[] out = new long[length(size())];
        if (dtype == DType.INT64) {
            int at = 0;
            for (ByteBuffer v : views) {
                int n = v.remaining() / 8;
                v.duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out, at, n);
                at += n;
            }
            return out;
        }
        for (int i = 0; i < out.length; i++) {
            long b = bits(i);
            if (dtype == DType.UINT64 && b < 0) {
                throw overflow(i, "a long");
            }
            out[i] = b;
        }
        return out;
    }

    /**
     * The elements as ints, from a boolean or integer dtype.
     *
     * @throws IllegalStateException for a floating or complex array
     * @throws ArithmeticException   for a value outside the int range
     */
    public int[] toInts() {
        integral("toInts()");
        int[] out = new int[length(size())];
        if (dtype == DType.INT32) {
            int at = 0;
            for (ByteBuffer v : views) {
                int n = v.remaining() / 4;
                v.duplicate().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out, at, n);
                at += n;
            }
            return out;
        }
        for (int i = 0; i < out.length; i++) {
            long b = bits(i);
            if (b != (int) b || dtype == DType.UINT64 && b < 0) {
                throw overflow(i, "an int");
            }
            out[i] = (int) b;
        }
        return out;
    }

    /**
     * The elements as shorts, from a boolean or integer dtype.
     *
     * @throws IllegalStateException for a floating or complex array
     * @throws ArithmeticException   for a value outside the short range
     */
    public short[] toShorts() {
        integral("toShorts()");
        short[] out = new short[length(size())];
        if (dtype == DType.INT16) {
            int at = 0;
            for (ByteBuffer v : views) {
                int n = v.remaining() / 2;
                v.duplicate().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(out, at, n);
                at += n;
            }
            return out;
        }
        for (int i = 0; i < out.length; i++) {
            long b = bits(i);
            if (b != (short) b || dtype == DType.UINT64 && b < 0) {
                throw overflow(i, "a short");
            }
            out[i] = (short) b;
        }
        return out;
    }

    /**
     * The elements as booleans (non-zero is true), from a boolean or integer dtype.
     *
     * @throws IllegalStateException for a floating or complex array
     */
    public boolean[] toBooleans() {
        integral("toBooleans()");
        boolean[] out = new boolean[length(size())];
        for (int i = 0; i < out.length; i++) {
            out[i] = bits(i) != 0;
        }
        return out;
    }

    /** The raw little-endian C-order bytes. */
    public byte[] toBytes() {
        long total = size() * dtype.itemSize();
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("the array has " + total + " bytes, more than a Java array holds");
        }
        byte[] out = new byte[(int) total];
        int at = 0;
        for (ByteBuffer v : views) {
            int n = v.remaining();
            v.duplicate().get(out, at, n);
            at += n;
        }
        return out;
    }

    private void integral(String what) {
        if (!dtype.isIntegral()) {
            throw new IllegalStateException(what + " needs a boolean or integer array, not " + name(dtype)
                    + " (toDoubles() converts it)");
        }
    }

    private ArithmeticException overflow(long i, String type) {
        return new ArithmeticException(name(dtype) + " value " + integerText(i) + " overflows " + type);
    }

    private static int length(long n) {
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("the array has " + n + " elements, more than a Java array holds: "
                    + "read it through buffers()");
        }
        return (int) n;
    }

    private static String name(DType t) {
        return t.numpyName();
    }

    /**
     * {@code shape}, or 1-d of {@code length} elements when it is empty: the shape of an array made from a
     * Java array, checked to hold exactly {@code length} elements.
     *
     * @param length the Java array's length
     * @param shape  the shape asked for (empty: 1-d)
     * @return a copy of the shape to use
     * @throws IllegalArgumentException for a negative dimension, or a shape of another element count
     */
    public static long[] shapeOf(long length, long[] shape) {
        if (shape.length == 0) {
            return new long[] {length};
        }
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + java.util.Arrays.toString(shape));
            }
            n *= d;
        }
        if (n != length) {
            throw new IllegalArgumentException("shape " + java.util.Arrays.toString(shape) + " holds " + n
                    + " elements, the data " + length);
        }
        return shape.clone();
    }
}
