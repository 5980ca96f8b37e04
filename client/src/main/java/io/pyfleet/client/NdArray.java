package io.pyfleet.client;

import io.pyfleet.client.internal.ArrayElements;
import io.pyfleet.client.internal.NumPyRepr;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A NumPy array by value (ext 8): a {@link DType}, a shape, and the elements' C-order little-endian
 * bytes in this JVM's heap. Immutable: the factories copy what they are given, {@link #shape()} and
 * {@link #toBytes()} return copies, {@link #buffer()} is a read-only view. Equality compares dtype,
 * shape and bytes; {@link #toString()} prints the values as NumPy's {@code repr} does.
 *
 * <p>It reads as a {@link PyArray} does: the same {@code dtype()}, {@code shape()}, {@code ndim()},
 * {@code size()}, {@code byteSize()} and the same conversions ({@code toDoubles()} ... {@code toBooleans()},
 * {@code toBytes()}). An element converts by its value: a value the Java type cannot hold (a
 * {@code uint64} over {@link Long#MAX_VALUE} for {@link #toLongs()}) is an {@link ArithmeticException}.
 */
public final class NdArray {
    /** At most this many dimensions, as in NumPy. */
    public static final int MAX_DIMS = 64;

    private final DType dtype;
    private final long[] shape;
    private final byte[] data;

    /** Takes {@code shape} and {@code data} as they are (callers copy); checks they agree. */
    private NdArray(DType dtype, long[] shape, byte[] data) {
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        this.shape = Objects.requireNonNull(shape, "shape");
        this.data = Objects.requireNonNull(data, "data");
        long expected = byteLength(dtype, shape);
        if (expected != data.length) {
            throw new IllegalArgumentException("an array " + dtype.numpyName() + " of shape " + Arrays.toString(shape)
                    + " needs " + expected + " data bytes, got " + data.length);
        }
    }

    /** For the codec (through {@code ApiAccess}): an array on bytes it made and hands over, not copied. */
    static NdArray wrap(DType dtype, long[] shape, byte[] data) {
        return new NdArray(dtype, shape.clone(), data);
    }

    /** For the codec (through {@code ApiAccess}): the bytes themselves, which it must not change. */
    byte[] bytes() {
        return data;
    }

    /**
     * The byte length {@code dtype} and {@code shape} call for.
     *
     * @throws IllegalArgumentException for too many or negative dimensions, or a size over 2 GiB
     */
    private static long byteLength(DType dtype, long[] shape) {
        if (shape.length > MAX_DIMS) {
            throw new IllegalArgumentException("an array has " + shape.length + " dimensions, at most " + MAX_DIMS);
        }
        boolean empty = false;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative array dimension in " + Arrays.toString(shape));
            }
            empty |= d == 0;
        }
        if (empty) {
            return 0;
        }
        long n = dtype.itemSize();
        for (long d : shape) {
            if (n > Integer.MAX_VALUE / d) {
                throw new IllegalArgumentException("an array of shape " + Arrays.toString(shape) + " is too large "
                        + "to hold by value (2 GiB at most): make it with Fleet.array(...) in node memory");
            }
            n *= d;
        }
        return n;
    }

    /**
     * An array of any dtype from the remaining bytes of {@code data} (C order, little-endian), of {@code shape}
     * exactly (no shape: a 0-d array of one element).
     *
     * @param dtype the element type
     * @param data the elements' bytes, C order, little-endian (its remaining bytes are read)
     * @param shape the dimensions; none for 1-d
     * @return the array
     * @throws IllegalArgumentException when the bytes do not fill the shape
     */
    public static NdArray of(DType dtype, ByteBuffer data, long... shape) {
        byte[] b = new byte[data.remaining()];
        data.duplicate().get(b);
        return new NdArray(dtype, shape.clone(), b);
    }

    /**
     * A 1-d {@code float64} array of {@code values}, or of the given shape.
     *
     * @param values the elements, copied
     * @param shape the dimensions; none for 1-d
     * @return a 1-d {@code float64} array of {@code values}, or of the given shape
     * @throws IllegalArgumentException when the shape does not hold {@code values.length} elements
     */
    public static NdArray ofDoubles(double[] values, long... shape) {
        byte[] b = new byte[Math.multiplyExact(values.length, 8)];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().put(values);
        return new NdArray(DType.FLOAT64, shapeOf(values.length, shape), b);
    }

    /**
     * A 1-d {@code float32} array of {@code values}, or of the given shape.
     *
     * @param values the elements, copied
     * @param shape the dimensions; none for 1-d
     * @return a 1-d {@code float32} array of {@code values}, or of the given shape
     * @throws IllegalArgumentException when the shape does not hold {@code values.length} elements
     */
    public static NdArray ofFloats(float[] values, long... shape) {
        byte[] b = new byte[Math.multiplyExact(values.length, 4)];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values);
        return new NdArray(DType.FLOAT32, shapeOf(values.length, shape), b);
    }

    /**
     * A 1-d {@code int64} array of {@code values}, or of the given shape.
     *
     * @param values the elements, copied
     * @param shape the dimensions; none for 1-d
     * @return a 1-d {@code int64} array of {@code values}, or of the given shape
     * @throws IllegalArgumentException when the shape does not hold {@code values.length} elements
     */
    public static NdArray ofLongs(long[] values, long... shape) {
        byte[] b = new byte[Math.multiplyExact(values.length, 8)];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().put(values);
        return new NdArray(DType.INT64, shapeOf(values.length, shape), b);
    }

    /**
     * A 1-d {@code int32} array of {@code values}, or of the given shape.
     *
     * @param values the elements, copied
     * @param shape the dimensions; none for 1-d
     * @return a 1-d {@code int32} array of {@code values}, or of the given shape
     * @throws IllegalArgumentException when the shape does not hold {@code values.length} elements
     */
    public static NdArray ofInts(int[] values, long... shape) {
        byte[] b = new byte[Math.multiplyExact(values.length, 4)];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().put(values);
        return new NdArray(DType.INT32, shapeOf(values.length, shape), b);
    }

    /**
     * A 1-d {@code int16} array of {@code values}, or of the given shape.
     *
     * @param values the elements, copied
     * @param shape the dimensions; none for 1-d
     * @return a 1-d {@code int16} array of {@code values}, or of the given shape
     * @throws IllegalArgumentException when the shape does not hold {@code values.length} elements
     */
    public static NdArray ofShorts(short[] values, long... shape) {
        byte[] b = new byte[Math.multiplyExact(values.length, 2)];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().put(values);
        return new NdArray(DType.INT16, shapeOf(values.length, shape), b);
    }

    /**
     * A 1-d {@code int8} array of {@code values}, or of the given shape (a {@code byte[]} passed to a call as it
     * is goes as Python {@code bytes}, not as an array).
     *
     * @param values the elements, copied
     * @param shape the dimensions; none for 1-d
     * @return a 1-d {@code int8} array of {@code values}, or of the given shape
     * @throws IllegalArgumentException when the shape does not hold {@code values.length} elements
     */
    public static NdArray ofBytes(byte[] values, long... shape) {
        return new NdArray(DType.INT8, shapeOf(values.length, shape), values.clone());
    }

    /**
     * A 1-d {@code bool} array of {@code values}, or of the given shape.
     *
     * @param values the elements, copied
     * @param shape the dimensions; none for 1-d
     * @return a 1-d {@code bool} array of {@code values}, or of the given shape
     * @throws IllegalArgumentException when the shape does not hold {@code values.length} elements
     */
    public static NdArray ofBooleans(boolean[] values, long... shape) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = values[i] ? (byte) 1 : 0;
        }
        return new NdArray(DType.BOOL, shapeOf(values.length, shape), b);
    }

    private static long[] shapeOf(int length, long[] shape) {
        return shape.length == 0 ? new long[] {length} : shape.clone();
    }

    /**
     * The element type.
     *
     * @return the element type
     */
    public DType dtype() {
        return dtype;
    }

    /**
     * A copy of the dimensions (empty for a 0-d array).
     *
     * @return a copy of the dimensions (empty for a 0-d array)
     */
    public long[] shape() {
        return shape.clone();
    }

    /**
     * The number of dimensions.
     *
     * @return the number of dimensions
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
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /**
     * The size in bytes.
     *
     * @return the size in bytes
     */
    public long byteSize() {
        return data.length;
    }

    /**
     * The size of one element in bytes.
     *
     * @return the dtype's item size
     */
    public int itemSize() {
        return dtype.itemSize();
    }

    /**
     * A read-only little-endian view of the bytes.
     *
     * @return a read-only little-endian view of the bytes
     */
    public ByteBuffer buffer() {
        return ByteBuffer.wrap(data).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    private ArrayElements elements() {
        return new ArrayElements(dtype, List.of(buffer()));
    }

    /**
     * The elements as doubles, from any dtype; a {@code complex128} array gives real and imaginary parts
     * interleaved.
     *
     * @return the elements as doubles, from any dtype
     */
    public double[] toDoubles() {
        return elements().toDoubles();
    }

    /**
     * The elements as floats: {@code float32} exactly, other real dtypes rounded.
     *
     * @return the elements as floats
     * @throws IllegalStateException for a complex array
     */
    public float[] toFloats() {
        return elements().toFloats();
    }

    /**
     * The elements as longs, from a boolean or integer dtype.
     *
     * @return the elements as longs, from a boolean or integer dtype
     * @throws IllegalStateException for a floating or complex array
     * @throws ArithmeticException for a {@code uint64} value over {@link Long#MAX_VALUE}
     */
    public long[] toLongs() {
        return elements().toLongs();
    }

    /**
     * The elements as ints, from a boolean or integer dtype.
     *
     * @return the elements as ints, from a boolean or integer dtype
     * @throws IllegalStateException for a floating or complex array
     * @throws ArithmeticException for a value outside the int range
     */
    public int[] toInts() {
        return elements().toInts();
    }

    /**
     * The elements as shorts, from a boolean or integer dtype.
     *
     * @return the elements as shorts, from a boolean or integer dtype
     * @throws IllegalStateException for a floating or complex array
     * @throws ArithmeticException for a value outside the short range
     */
    public short[] toShorts() {
        return elements().toShorts();
    }

    /**
     * The elements as booleans (non-zero is true), from a boolean or integer dtype.
     *
     * @return the elements as booleans (non-zero is true), from a boolean or integer dtype
     * @throws IllegalStateException for a floating or complex array
     */
    public boolean[] toBooleans() {
        return elements().toBooleans();
    }

    /**
     * A copy of the raw little-endian C-order bytes, of any dtype.
     *
     * @return a copy of the raw little-endian C-order bytes, of any dtype
     */
    public byte[] toBytes() {
        return data.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NdArray a && dtype == a.dtype && Arrays.equals(shape, a.shape)
                && Arrays.equals(data, a.data);
    }

    @Override
    public int hashCode() {
        return (dtype.ordinal() * 31 + Arrays.hashCode(shape)) * 31 + Arrays.hashCode(data);
    }

    /** The values as NumPy's {@code repr} prints them: {@code array([1., 2., 3.])}, summarised past 1000 elements. */
    @Override
    public String toString() {
        return NumPyRepr.repr(dtype, shape, List.of(buffer()));
    }
}
