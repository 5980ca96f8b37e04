package io.pyfleet.client;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A NumPy array by value (ext 8): a dtype from {@link #DTYPES}, a shape, and the
 * elements' C-order little-endian bytes. Immutable: the constructor copies the shape and the data, and
 * {@link #shape()} and {@link #data()} return copies; {@link #buffer()} is a read-only view.
 * Equality compares dtype, shape and data bytes.
 *
 * @param dtype the NumPy {@code descr}, e.g. {@code <f8}
 * @param shape the dimensions, each non-negative (empty for a 0-d array)
 * @param data  exactly {@code size() * itemSize()} bytes
 */
public record NdArray(String dtype, long[] shape, byte[] data) {
    /** The dtypes the wire carries, as NumPy {@code descr} strings (see {@link DType}). */
    public static final List<String> DTYPES = DType.DESCRS;

    /** At most this many dimensions, as in NumPy. */
    public static final int MAX_DIMS = 64;

    /**
     * Validates and copies.
     *
     * @param dtype the NumPy {@code descr}, e.g. {@code <f8}
     * @param shape the dimensions, each non-negative (empty for a 0-d array)
     * @param data  exactly {@code size() * itemSize()} bytes
     * @throws IllegalArgumentException for an unknown dtype, a negative dimension, or a data length that
     *                                  does not match the shape
     */
    public NdArray {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(data, "data");
        shape = shape.clone();
        long expected = byteLength(dtype, shape);
        if (expected != data.length) {
            throw new IllegalArgumentException("ndarray " + dtype + " of shape " + Arrays.toString(shape)
                    + " needs " + expected + " data bytes, got " + data.length);
        }
        data = data.clone();
    }

    /**
     * The item size in bytes of a dtype.
     *
     * @param dtype a NumPy {@code descr}
     * @return its size, or -1 if it is not one of {@link #DTYPES}
     */
    public static int itemSize(String dtype) {
        DType t = DType.ofDescr(dtype);
        return t == null ? -1 : t.itemSize();
    }

    /**
     * The dtype as a {@link DType}.
     *
     * @return the dtype
     */
    public DType type() {
        return DType.parse(dtype);
    }

    /**
     * The data length {@code dtype} and {@code shape} call for.
     *
     * @param dtype a NumPy {@code descr}
     * @param shape the dimensions
     * @return the length in bytes
     * @throws IllegalArgumentException for an unknown dtype, too many or negative dimensions, or a size
     *                                  over {@link Integer#MAX_VALUE} bytes
     */
    public static long byteLength(String dtype, long[] shape) {
        int itemSize = DType.parse(dtype).itemSize();
        if (shape.length > MAX_DIMS) {
            throw new IllegalArgumentException("ndarray has " + shape.length + " dimensions, at most " + MAX_DIMS);
        }
        boolean empty = false;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative ndarray dimension in " + Arrays.toString(shape));
            }
            empty |= d == 0;
        }
        if (empty) {
            return 0;
        }
        long n = itemSize;
        for (long d : shape) {
            if (n > Integer.MAX_VALUE / d) {
                throw new IllegalArgumentException("ndarray of shape " + Arrays.toString(shape) + " is too large");
            }
            n *= d;
        }
        return n;
    }

    /**
     * A {@code <f8} array of {@code values}.
     *
     * @param values the elements, in C order
     * @param shape  the dimensions; none: 1-d of {@code values.length}
     * @return the array (a copy)
     */
    public static NdArray ofDoubles(double[] values, long... shape) {
        byte[] b = new byte[Math.multiplyExact(values.length, 8)];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().put(values);
        return new NdArray(DType.FLOAT64.descr(), shapeOf(values.length, shape), b);
    }

    /**
     * A {@code <f4} array of {@code values}.
     *
     * @param values the elements, in C order
     * @param shape  the dimensions; none: 1-d of {@code values.length}
     * @return the array (a copy)
     */
    public static NdArray ofFloats(float[] values, long... shape) {
        byte[] b = new byte[Math.multiplyExact(values.length, 4)];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values);
        return new NdArray(DType.FLOAT32.descr(), shapeOf(values.length, shape), b);
    }

    /**
     * A {@code <i8} array of {@code values}.
     *
     * @param values the elements, in C order
     * @param shape  the dimensions; none: 1-d of {@code values.length}
     * @return the array (a copy)
     */
    public static NdArray ofLongs(long[] values, long... shape) {
        byte[] b = new byte[Math.multiplyExact(values.length, 8)];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().put(values);
        return new NdArray(DType.INT64.descr(), shapeOf(values.length, shape), b);
    }

    /**
     * A {@code <i4} array of {@code values}.
     *
     * @param values the elements, in C order
     * @param shape  the dimensions; none: 1-d of {@code values.length}
     * @return the array (a copy)
     */
    public static NdArray ofInts(int[] values, long... shape) {
        byte[] b = new byte[Math.multiplyExact(values.length, 4)];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().put(values);
        return new NdArray(DType.INT32.descr(), shapeOf(values.length, shape), b);
    }

    /**
     * A {@code <i2} array of {@code values}.
     *
     * @param values the elements, in C order
     * @param shape  the dimensions; none: 1-d of {@code values.length}
     * @return the array (a copy)
     */
    public static NdArray ofShorts(short[] values, long... shape) {
        byte[] b = new byte[Math.multiplyExact(values.length, 2)];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().put(values);
        return new NdArray(DType.INT16.descr(), shapeOf(values.length, shape), b);
    }

    /**
     * A {@code |i1} array of {@code values} (a {@code byte[]} passed alone to a call goes as Python bytes).
     *
     * @param values the elements, in C order
     * @param shape  the dimensions; none: 1-d of {@code values.length}
     * @return the array (a copy)
     */
    public static NdArray ofBytes(byte[] values, long... shape) {
        return new NdArray(DType.INT8.descr(), shapeOf(values.length, shape), values);
    }

    /**
     * An array of any dtype from the remaining bytes of {@code data} (C order, little-endian).
     *
     * @param dtype the elements' type
     * @param data  the elements' bytes, from its position to its limit (read, not moved)
     * @param shape the dimensions (none: a 0-d array of one element)
     * @return the array (a copy)
     * @throws IllegalArgumentException when the byte count does not match the shape
     */
    public static NdArray of(DType dtype, ByteBuffer data, long... shape) {
        byte[] b = new byte[data.remaining()];
        data.duplicate().get(b);
        return new NdArray(dtype.descr(), shape, b);
    }

    /**
     * A {@code |b1} array of {@code values}.
     *
     * @param values the elements, in C order
     * @param shape  the dimensions; none: 1-d of {@code values.length}
     * @return the array (a copy)
     */
    public static NdArray ofBooleans(boolean[] values, long... shape) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = values[i] ? (byte) 1 : 0;
        }
        return new NdArray(DType.BOOL.descr(), shapeOf(values.length, shape), b);
    }

    private static long[] shapeOf(int length, long[] shape) {
        return shape.length == 0 ? new long[] {length} : shape;
    }

    /**
     * The dimensions.
     *
     * @return a copy of them (empty for a 0-d array)
     */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /**
     * The elements' bytes; {@link #buffer()} avoids the copy.
     *
     * @return a copy of them, C order, little-endian
     */
    @Override
    public byte[] data() {
        return data.clone();
    }

    /**
     * The dimensions themselves, not a copy: for the wire codec, which must not change them.
     *
     * @return the array's own shape; do not change it
     */
    public long[] shapeRef() {
        return shape;
    }

    /**
     * The data itself, not a copy: for the wire codec, which must not change it.
     *
     * @return the array's own bytes; do not change them
     */
    public byte[] dataRef() {
        return data;
    }

    /**
     * A read-only little-endian view of the data.
     *
     * @return a view, no copy
     */
    public ByteBuffer buffer() {
        return ByteBuffer.wrap(data).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * The number of dimensions.
     *
     * @return 0 for a 0-d array
     */
    public int ndim() {
        return shape.length;
    }

    /**
     * The number of elements: the product of the shape.
     *
     * @return the count (1 for a 0-d array)
     */
    public long size() {
        return data.length / itemSize();
    }

    /**
     * The size of one element in bytes.
     *
     * @return the dtype's item size
     */
    public int itemSize() {
        return itemSize(dtype);
    }

    /**
     * The elements as doubles, converted from any dtype; a {@code <c16} array gives real and imaginary
     * parts interleaved ({@code 2 * size()} values).
     *
     * @return a new array, C order
     */
    public double[] toDoubleArray() {
        ByteBuffer bb = buffer();
        switch (type()) {
            case FLOAT64, COMPLEX128 -> {
                double[] out = new double[data.length / 8];
                bb.asDoubleBuffer().get(out);
                return out;
            }
            case FLOAT32 -> {
                double[] out = new double[data.length / 4];
                for (int i = 0; i < out.length; i++) {
                    out[i] = bb.getFloat(i * 4);
                }
                return out;
            }
            case UINT64 -> {
                double[] out = new double[data.length / 8];
                for (int i = 0; i < out.length; i++) {
                    long v = bb.getLong(i * 8);
                    out[i] = v >= 0 ? v : ((v >>> 1) | (v & 1)) * 2.0;
                }
                return out;
            }
            default -> {
                double[] out = new double[(int) size()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = integer(bb, i);
                }
                return out;
            }
        }
    }

    /**
     * The elements as floats: {@code <f4} exactly, other real dtypes converted.
     *
     * @return a new array, C order
     * @throws IllegalStateException for a complex dtype
     */
    public float[] toFloatArray() {
        if (type() == DType.FLOAT32) {
            float[] out = new float[data.length / 4];
            buffer().asFloatBuffer().get(out);
            return out;
        }
        if (type() == DType.COMPLEX128) {
            throw new IllegalStateException("toFloatArray() on a complex array");
        }
        double[] d = toDoubleArray();
        float[] out = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = (float) d[i];
        }
        return out;
    }

    /**
     * The elements as longs, from a boolean or integer dtype.
     *
     * @return a new array, C order
     * @throws IllegalStateException for a floating or complex dtype
     * @throws ArithmeticException for a {@code <u8} value over {@link Long#MAX_VALUE}
     */
    public long[] toLongArray() {
        ByteBuffer bb = buffer();
        if (type() == DType.INT64) {
            long[] out = new long[data.length / 8];
            bb.asLongBuffer().get(out);
            return out;
        }
        long[] out = new long[(int) size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = integer(bb, i);
        }
        return out;
    }

    /**
     * The elements as ints, from a boolean or integer dtype.
     *
     * @return a new array, C order
     * @throws IllegalStateException for a floating or complex dtype
     * @throws ArithmeticException for a value outside the int range
     */
    public int[] toIntArray() {
        ByteBuffer bb = buffer();
        if (type() == DType.INT32) {
            int[] out = new int[data.length / 4];
            bb.asIntBuffer().get(out);
            return out;
        }
        int[] out = new int[(int) size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.toIntExact(integer(bb, i));
        }
        return out;
    }

    /**
     * The elements of an {@code <i2} or {@code <u2} array, bits exact.
     *
     * @return a new array, C order
     * @throws IllegalStateException for another dtype
     */
    public short[] toShortArray() {
        if (type() != DType.INT16 && type() != DType.UINT16) {
            throw new IllegalStateException("toShortArray() needs an int16 or uint16 array, not " + dtype);
        }
        short[] out = new short[data.length / 2];
        buffer().asShortBuffer().get(out);
        return out;
    }

    /**
     * The elements as booleans (non-zero is true), from a boolean or integer dtype.
     *
     * @return a new array, C order
     * @throws IllegalStateException for a floating or complex dtype
     */
    public boolean[] toBooleanArray() {
        ByteBuffer bb = buffer();
        boolean[] out = new boolean[(int) size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = integer(bb, i) != 0;
        }
        return out;
    }

    private long integer(ByteBuffer bb, int i) {
        return switch (type()) {
            case BOOL -> bb.get(i) != 0 ? 1 : 0;
            case INT8 -> bb.get(i);
            case UINT8 -> bb.get(i) & 0xffL;
            case INT16 -> bb.getShort(i * 2);
            case UINT16 -> bb.getShort(i * 2) & 0xffffL;
            case INT32 -> bb.getInt(i * 4);
            case UINT32 -> bb.getInt(i * 4) & 0xffffffffL;
            case INT64 -> bb.getLong(i * 8);
            case UINT64 -> {
                long v = bb.getLong(i * 8);
                if (v < 0) {
                    throw new ArithmeticException("uint64 value " + Long.toUnsignedString(v) + " overflows a long");
                }
                yield v;
            }
            case FLOAT32, FLOAT64, COMPLEX128 -> throw new IllegalStateException("ndarray of dtype " + dtype
                    + " is not of a boolean or integer dtype");
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NdArray a && dtype.equals(a.dtype) && Arrays.equals(shape, a.shape)
                && Arrays.equals(data, a.data);
    }

    @Override
    public int hashCode() {
        return (dtype.hashCode() * 31 + Arrays.hashCode(shape)) * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "NdArray[dtype=" + dtype + ", shape=" + Arrays.toString(shape) + ", " + data.length + " bytes]";
    }
}
