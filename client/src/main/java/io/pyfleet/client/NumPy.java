package io.pyfleet.client;

import java.util.Arrays;
import java.util.List;

/**
 * NumPy in Java, one line per function: {@code NumPy np = NumPy.on(fleet); PyArray x = np.linspace(0, 1, 5);}.
 * It is the module {@code pyfleet.numpy_api} (every NumPy name, plus {@link #get} and {@link #slice})
 * bound with {@link Fleet#bind}, so adding a NumPy function is one more line here. Results that are
 * arrays are {@link PyArray}s: on an embedded fleet they stay in the node's shared memory and the
 * next call maps them where they are (no copy); over TCP large ones stay on the node (pulled when
 * read), small ones come by value. Reductions without an axis return plain numbers. Arguments are
 * anything the value model carries: a PyArray, a Java array ({@code double[]}...), an {@link NdArray},
 * nested lists, numbers; a Java array over the by-value limit goes through node memory by itself, so
 * {@code np.sum(big)} works whatever its size.
 */
public interface NumPy {
    /** The value of {@link #slice}'s spec for a whole axis. */
    List<Long> ALL = Arrays.asList(null, null, null);

    /**
     * NumPy on {@code fleet}.
     *
     * @param fleet the fleet whose workers run NumPy (they need it installed)
     * @return the bound interface; it holds nothing to close
     */
    static NumPy on(Fleet fleet) {
        return fleet.bind(NumPy.class, "pyfleet.numpy_api");
    }

    /**
     * A {@link #slice} spec: {@code start:stop:step}.
     *
     * @param start the first position, null: the axis's start
     * @param stop  the end, excluded, null: the axis's end
     * @param step  the step, null: 1
     * @return the spec
     */
    static List<Long> range(Long start, Long stop, Long step) {
        return Arrays.asList(start, stop, step);
    }

    // ------------------------------------------------------------------ creation
    /**
     * An array of this shape whose elements are whatever the memory held ({@code numpy.empty}).
     *
     * @param shape its shape
     * @return a new float64 array
     */
    PyArray empty(long... shape);
    /**
     * An array of zeros ({@code numpy.zeros}).
     *
     * @param shape its shape
     * @return a new float64 array
     */
    PyArray zeros(long... shape);
    /**
     * An array of ones ({@code numpy.ones}).
     *
     * @param shape its shape
     * @return a new float64 array
     */
    PyArray ones(long... shape);
    /**
     * An array filled with one value ({@code numpy.full}).
     *
     * @param shape     its shape
     * @param fillValue the value of every element; its type gives the dtype
     * @return a new array
     */
    PyArray full(long[] shape, Object fillValue);
    /**
     * The identity matrix ({@code numpy.eye}).
     *
     * @param n its number of rows and columns
     * @return a new n x n float64 array
     */
    PyArray eye(long n);
    /**
     * The identity matrix ({@code numpy.identity}).
     *
     * @param n its number of rows and columns
     * @return a new n x n float64 array
     */
    PyArray identity(long n);
    /**
     * An uninitialised array of the shape and dtype of {@code a} ({@code numpy.empty_like}).
     *
     * @param a the array whose shape and dtype it takes
     * @return a new array
     */
    @PyName("empty_like") PyArray emptyLike(Object a);
    /**
     * An array of zeros of the shape and dtype of {@code a} ({@code numpy.zeros_like}).
     *
     * @param a the array whose shape and dtype it takes
     * @return a new array
     */
    @PyName("zeros_like") PyArray zerosLike(Object a);
    /**
     * An array of ones of the shape and dtype of {@code a} ({@code numpy.ones_like}).
     *
     * @param a the array whose shape and dtype it takes
     * @return a new array
     */
    @PyName("ones_like") PyArray onesLike(Object a);
    /**
     * An array of the shape and dtype of {@code a} filled with one value ({@code numpy.full_like}).
     *
     * @param a         the array whose shape and dtype it takes
     * @param fillValue the value of every element
     * @return a new array
     */
    @PyName("full_like") PyArray fullLike(Object a, Object fillValue);
    /**
     * An array of {@code data} ({@code numpy.array}): a Java array, nested lists, an {@link NdArray}...
     *
     * @param data the elements
     * @return a new array (a copy)
     */
    PyArray array(Object data);
    /**
     * An array of {@code data} of a given dtype ({@code numpy.array(data, dtype=...)}).
     *
     * @param data  the elements
     * @param dtype the NumPy dtype's name, e.g. {@code "float32"}
     * @return a new array (a copy)
     */
    @PyName("array") PyArray array(Object data, @Kw("dtype") String dtype);
    /**
     * {@code data} as an array, without a copy when it is one already ({@code numpy.asarray}).
     *
     * @param data the elements
     * @return the array
     */
    PyArray asarray(Object data);
    /**
     * A copy of an array ({@code numpy.copy}).
     *
     * @param a an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return a new array
     */
    PyArray copy(Object a);
    /**
     * Bytes read as an array of a dtype ({@code numpy.frombuffer}).
     *
     * @param buffer the elements' bytes, little-endian
     * @param dtype  the NumPy dtype's name, e.g. {@code "int32"}
     * @return a new 1-d array
     */
    PyArray frombuffer(byte[] buffer, @Kw("dtype") String dtype);
    /**
     * Evenly spaced values from 0 up to, not including, {@code stop} ({@code numpy.arange}).
     *
     * @param stop the end, excluded
     * @return a new 1-d array
     */
    PyArray arange(double stop);
    /**
     * Evenly spaced values from {@code start} up to, not including, {@code stop} ({@code numpy.arange}).
     *
     * @param start the first value
     * @param stop  the end, excluded
     * @param step  the difference between neighbours
     * @return a new 1-d array
     */
    PyArray arange(double start, double stop, double step);
    /**
     * {@code num} evenly spaced values from {@code start} to {@code stop}, both included ({@code numpy.linspace}).
     *
     * @param start the first value
     * @param stop  the last value
     * @param num   how many values
     * @return a new 1-d float64 array
     */
    PyArray linspace(double start, double stop, long num);
    /**
     * Coordinate matrices from coordinate vectors ({@code numpy.meshgrid}).
     *
     * @param axes one 1-d array per axis
     * @return one array per axis
     */
    List<PyArray> meshgrid(Object... axes);

    // ------------------------------------------------------------------ element-wise
    /**
     * Sine, element-wise ({@code numpy.sin}).
     *
     * @param x an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return a new array
     */
    PyArray sin(Object x);
    /**
     * Cosine, element-wise ({@code numpy.cos}).
     *
     * @param x an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return a new array
     */
    PyArray cos(Object x);
    /**
     * Tangent, element-wise ({@code numpy.tan}).
     *
     * @param x an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return a new array
     */
    PyArray tan(Object x);
    /**
     * Inverse sine, element-wise ({@code numpy.arcsin}).
     *
     * @param x an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return a new array
     */
    PyArray arcsin(Object x);
    /**
     * Inverse cosine, element-wise ({@code numpy.arccos}).
     *
     * @param x an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return a new array
     */
    PyArray arccos(Object x);
    /**
     * Inverse tangent, element-wise ({@code numpy.arctan}).
     *
     * @param x an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return a new array
     */
    PyArray arctan(Object x);
    /**
     * Hyperbolic sine, element-wise ({@code numpy.sinh}).
     *
     * @param x an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return a new array
     */
    PyArray sinh(Object x);
    /**
     * Hyperbolic cosine, element-wise ({@code numpy.cosh}).
     *
     * @param x an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return a new array
     */
    PyArray cosh(Object x);
    /**
     * Hyperbolic tangent, element-wise ({@code numpy.tanh}).
     *
     * @param x an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return a new array
     */
    PyArray tanh(Object x);
    /**
     * The exponential, element-wise ({@code numpy.exp}).
     *
     * @param x an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return a new array
     */
    PyArray exp(Object x);
    /**
     * {@code exp(x) - 1}, element-wise ({@code numpy.expm1}).
     *
     * @param x an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return a new array
     */
    PyArray expm1(Object x);
    /**
     * The natural logarithm, element-wise ({@code numpy.log}).
     *
     * @param x an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return a new array
     */
    PyArray log(Object x);
    /**
     * The base-10 logarithm, element-wise ({@code numpy.log10}).
     *
     * @param x an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return a new array
     */
    PyArray log10(Object x);
    /**
     * The base-2 logarithm, element-wise ({@code numpy.log2}).
     *
     * @param x an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return a new array
     */
    PyArray log2(Object x);
    /**
     * {@code log(1 + x)}, element-wise ({@code numpy.log1p}).
     *
     * @param x an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return a new array
     */
    PyArray log1p(Object x);
    /**
     * The square root, element-wise ({@code numpy.sqrt}).
     *
     * @param x an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return a new array
     */
    PyArray sqrt(Object x);
    /**
     * The square, element-wise ({@code numpy.square}).
     *
     * @param x an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return a new array
     */
    PyArray square(Object x);
    /**
     * The absolute value, element-wise ({@code numpy.absolute}).
     *
     * @param x an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return a new array
     */
    PyArray absolute(Object x);
    /**
     * The floor, element-wise ({@code numpy.floor}).
     *
     * @param x an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return a new array
     */
    PyArray floor(Object x);
    /**
     * The ceiling, element-wise ({@code numpy.ceil}).
     *
     * @param x an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return a new array
     */
    PyArray ceil(Object x);
    /**
     * The sum, element-wise ({@code numpy.add}).
     *
     * @param a an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @param b the other operand, an array or a number (broadcast)
     * @return a new array
     */
    PyArray add(Object a, Object b);
    /**
     * The difference {@code a - b}, element-wise ({@code numpy.subtract}).
     *
     * @param a an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @param b the other operand, an array or a number (broadcast)
     * @return a new array
     */
    PyArray subtract(Object a, Object b);
    /**
     * The product, element-wise ({@code numpy.multiply}).
     *
     * @param a an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @param b the other operand, an array or a number (broadcast)
     * @return a new array
     */
    PyArray multiply(Object a, Object b);
    /**
     * The true quotient {@code a / b}, element-wise ({@code numpy.divide}).
     *
     * @param a an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @param b the other operand, an array or a number (broadcast)
     * @return a new array
     */
    PyArray divide(Object a, Object b);
    /**
     * {@code a} to the power {@code b}, element-wise ({@code numpy.power}).
     *
     * @param a an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @param b the other operand, an array or a number (broadcast)
     * @return a new array
     */
    PyArray power(Object a, Object b);
    /**
     * The remainder of {@code a / b}, of the sign of {@code b}, element-wise ({@code numpy.mod}).
     *
     * @param a an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @param b the other operand, an array or a number (broadcast)
     * @return a new array
     */
    PyArray mod(Object a, Object b);
    /**
     * The larger of the two, element-wise ({@code numpy.maximum}).
     *
     * @param a an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @param b the other operand, an array or a number (broadcast)
     * @return a new array
     */
    PyArray maximum(Object a, Object b);
    /**
     * The smaller of the two, element-wise ({@code numpy.minimum}).
     *
     * @param a an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @param b the other operand, an array or a number (broadcast)
     * @return a new array
     */
    PyArray minimum(Object a, Object b);

    // ------------------------------------------------------------------ reductions
    /**
     * The largest element ({@code numpy.max}).
     *
     * @param a an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return the largest element
     */
    double max(Object a);
    /**
     * The largest element along an axis ({@code numpy.max(a, axis=...)}).
     *
     * @param a    an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @param axis the axis it reduces along
     * @return an array with that axis removed
     */
    @PyName("max") PyArray max(Object a, @Kw("axis") int axis);
    /**
     * The position of the largest element ({@code numpy.argmax}).
     *
     * @param a an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return its position in the flattened array
     */
    long argmax(Object a);
    /**
     * The position of the largest element along an axis ({@code numpy.argmax(a, axis=...)}).
     *
     * @param a    an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @param axis the axis it reduces along
     * @return an array with that axis removed
     */
    @PyName("argmax") PyArray argmax(Object a, @Kw("axis") int axis);
    /**
     * The smallest element ({@code numpy.min}).
     *
     * @param a an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return the smallest element
     */
    double min(Object a);
    /**
     * The smallest element along an axis ({@code numpy.min(a, axis=...)}).
     *
     * @param a    an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @param axis the axis it reduces along
     * @return an array with that axis removed
     */
    @PyName("min") PyArray min(Object a, @Kw("axis") int axis);
    /**
     * The position of the smallest element ({@code numpy.argmin}).
     *
     * @param a an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return its position in the flattened array
     */
    long argmin(Object a);
    /**
     * The position of the smallest element along an axis ({@code numpy.argmin(a, axis=...)}).
     *
     * @param a    an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @param axis the axis it reduces along
     * @return an array with that axis removed
     */
    @PyName("argmin") PyArray argmin(Object a, @Kw("axis") int axis);
    /**
     * The sum of the elements ({@code numpy.sum}).
     *
     * @param a an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return the sum
     */
    double sum(Object a);
    /**
     * The sum of the elements along an axis ({@code numpy.sum(a, axis=...)}).
     *
     * @param a    an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @param axis the axis it reduces along
     * @return an array with that axis removed
     */
    @PyName("sum") PyArray sum(Object a, @Kw("axis") int axis);
    /**
     * The cumulative sum of the flattened array ({@code numpy.cumsum}).
     *
     * @param a an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return a new 1-d array
     */
    PyArray cumsum(Object a);
    /**
     * The product of the elements ({@code numpy.prod}).
     *
     * @param a an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return the product
     */
    double prod(Object a);
    /**
     * The product of the elements along an axis ({@code numpy.prod(a, axis=...)}).
     *
     * @param a    an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @param axis the axis it reduces along
     * @return an array with that axis removed
     */
    @PyName("prod") PyArray prod(Object a, @Kw("axis") int axis);
    /**
     * The mean of the elements ({@code numpy.mean}).
     *
     * @param a an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return the mean
     */
    double mean(Object a);
    /**
     * The mean of the elements along an axis ({@code numpy.mean(a, axis=...)}).
     *
     * @param a    an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @param axis the axis it reduces along
     * @return an array with that axis removed
     */
    @PyName("mean") PyArray mean(Object a, @Kw("axis") int axis);
    /**
     * The variance of the elements ({@code numpy.var}).
     *
     * @param a an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return the variance
     */
    double var(Object a);
    /**
     * The variance of the elements along an axis ({@code numpy.var(a, axis=...)}).
     *
     * @param a    an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @param axis the axis it reduces along
     * @return an array with that axis removed
     */
    @PyName("var") PyArray var(Object a, @Kw("axis") int axis);
    /**
     * The standard deviation of the elements ({@code numpy.std}).
     *
     * @param a an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return the standard deviation
     */
    double std(Object a);
    /**
     * The standard deviation of the elements along an axis ({@code numpy.std(a, axis=...)}).
     *
     * @param a    an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @param axis the axis it reduces along
     * @return an array with that axis removed
     */
    @PyName("std") PyArray std(Object a, @Kw("axis") int axis);
    /**
     * Whether every element is true ({@code numpy.all}).
     *
     * @param a an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return true when no element is false or zero
     */
    boolean all(Object a);
    /**
     * Whether an element is true ({@code numpy.any}).
     *
     * @param a an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return true when an element is neither false nor zero
     */
    boolean any(Object a);

    // ------------------------------------------------------------------ shape
    /**
     * The same elements in another shape ({@code numpy.reshape}).
     *
     * @param a     an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @param shape the new shape, one dimension may be -1
     * @return the reshaped array
     */
    PyArray reshape(Object a, long... shape);
    /**
     * The array with its axes reversed ({@code numpy.transpose}).
     *
     * @param a an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return the transposed array
     */
    PyArray transpose(Object a);
    /**
     * The elements as a 1-d array, in C order ({@code numpy.ravel}).
     *
     * @param a an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return a 1-d array
     */
    PyArray ravel(Object a);
    /**
     * The array without its axes of length one ({@code numpy.squeeze}).
     *
     * @param a an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     * @return the squeezed array
     */
    PyArray squeeze(Object a);

    // ------------------------------------------------------------------ linear algebra, polynomials
    /**
     * The dot product ({@code numpy.dot}).
     *
     * @param a the first array
     * @param b the second array
     * @return the product
     */
    PyArray dot(Object a, Object b);
    /**
     * The matrix product ({@code numpy.matmul}).
     *
     * @param a the first matrix (or stack of matrices)
     * @param b the second
     * @return the product
     */
    PyArray matmul(Object a, Object b);
    /**
     * The least-squares polynomial fit of {@code y} over {@code x} ({@code numpy.polyfit}).
     *
     * @param x      the sample points
     * @param y      the values at them
     * @param degree the polynomial's degree
     * @return the coefficients, highest power first
     */
    PyArray polyfit(Object x, Object y, int degree);
    /**
     * A polynomial object ({@code numpy.poly1d}); it stays in its worker.
     *
     * @param coefficients the coefficients, highest power first
     * @return a handle to the polynomial
     */
    PyObject poly1d(Object coefficients);
    /**
     * A polynomial evaluated at points ({@code numpy.polyval}).
     *
     * @param p the coefficients (highest power first) or a {@link #poly1d}
     * @param x the points
     * @return the values
     */
    PyArray polyval(Object p, Object x);

    // ------------------------------------------------------------------ indexing and slicing
    /**
     * The element at one position per axis ({@code a[i, j]}).
     *
     * @param a         an array
     * @param positions one position per axis, negative ones from the end
     * @return the element as a number ({@code Double}, {@code Long}) or {@code Boolean}
     */
    Object get(Object a, long... positions);

    /**
     * The region named by one spec per axis ({@code a[0::2, :]}).
     *
     * @param a     an array
     * @param specs one per axis: a position ({@code Long}), a {@link #range} or {@link #ALL}
     * @return the region, a contiguous copy
     */
    PyArray slice(Object a, Object... specs);

    // ------------------------------------------------------------------ files
    /**
     * Writes an array to a {@code .npy} file on the worker's machine ({@code numpy.save}).
     *
     * @param file the file's path on the worker's machine
     * @param a    an array: a {@link PyArray}, a Java array, an {@link NdArray}, nested lists or a number
     */
    void save(String file, Object a);
    /**
     * Reads an array from a {@code .npy} file on the worker's machine ({@code numpy.load}).
     *
     * @param file the file's path on the worker's machine
     * @return the array
     */
    PyArray load(String file);
}
