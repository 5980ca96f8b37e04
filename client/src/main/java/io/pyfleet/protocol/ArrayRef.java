package io.pyfleet.protocol;

import io.pyfleet.client.DType;
import java.util.Arrays;
import java.util.Objects;

/**
 * The description of an array whose bytes stay in shared memory on this host (ext 12): what
 * crosses a worker's pipe instead of the bytes.
 *
 * @param dtype  the element type
 * @param shape  the dimensions (empty for 0-d)
 * @param source where the memory is opened: {@code /proc/<pid>/fd/<n>} of the process that holds it
 * @param keeper to a worker: the name the opened file must have (a check that the descriptor
 *               still names the same memory), a String; from a worker: the {@link io.pyfleet.client.internal.Handle}
 *               of what keeps the memory open there until the node has opened it
 */
public record ArrayRef(DType dtype, long[] shape, String source, Object keeper) {
    /** At most this many dimensions, as in NumPy. */
    public static final int MAX_DIMS = 64;

    public ArrayRef {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(source, "source");
        shape = shape.clone();
        byteLength(dtype, shape);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The size in bytes, as a long (arrays in shared memory may exceed 2 GiB). */
    public long byteLength() {
        return byteLength(dtype, shape);
    }

    /**
     * Bytes an array of {@code dtype} and {@code shape} takes.
     *
     * @throws IllegalArgumentException for a negative dimension, too many dimensions or a size past a long
     */
    public static long byteLength(DType dtype, long[] shape) {
        if (shape.length > MAX_DIMS) {
            throw new IllegalArgumentException("array has " + shape.length + " dimensions, at most " + MAX_DIMS);
        }
        long n = dtype.itemSize();
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative array dimension in " + Arrays.toString(shape));
            }
        }
        for (long d : shape) {
            if (d == 0) {
                return 0;
            }
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("array of shape " + Arrays.toString(shape) + " is too large", e);
            }
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ArrayRef r && dtype == r.dtype && Arrays.equals(shape, r.shape)
                && source.equals(r.source) && Objects.equals(keeper, r.keeper);
    }

    @Override
    public int hashCode() {
        return Objects.hash(dtype, Arrays.hashCode(shape), source, keeper);
    }

    @Override
    public String toString() {
        return "ArrayRef[" + dtype.descr() + " " + Arrays.toString(shape) + " at " + source + "]";
    }
}
