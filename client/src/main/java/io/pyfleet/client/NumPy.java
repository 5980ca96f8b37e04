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

    /** NumPy on {@code fleet}. */
    static NumPy on(Fleet fleet) {
        return fleet.bind(NumPy.class, "pyfleet.numpy_api");
    }

    /** A {@link #slice} spec: {@code start:stop:step} (null for a default). */
    static List<Long> range(Long start, Long stop, Long step) {
        return Arrays.asList(start, stop, step);
    }

    // ------------------------------------------------------------------ creation
    PyArray empty(long... shape);
    PyArray zeros(long... shape);
    PyArray ones(long... shape);
    PyArray full(long[] shape, Object fillValue);
    PyArray eye(long n);
    PyArray identity(long n);
    @PyName("empty_like") PyArray emptyLike(Object a);
    @PyName("zeros_like") PyArray zerosLike(Object a);
    @PyName("ones_like") PyArray onesLike(Object a);
    @PyName("full_like") PyArray fullLike(Object a, Object fillValue);
    PyArray array(Object data);
    @PyName("array") PyArray array(Object data, @Kw("dtype") String dtype);
    PyArray asarray(Object data);
    PyArray copy(Object a);
    PyArray frombuffer(byte[] buffer, @Kw("dtype") String dtype);
    PyArray arange(double stop);
    PyArray arange(double start, double stop, double step);
    PyArray linspace(double start, double stop, long num);
    List<PyArray> meshgrid(Object... axes);

    // ------------------------------------------------------------------ element-wise
    PyArray sin(Object x);
    PyArray cos(Object x);
    PyArray tan(Object x);
    PyArray arcsin(Object x);
    PyArray arccos(Object x);
    PyArray arctan(Object x);
    PyArray sinh(Object x);
    PyArray cosh(Object x);
    PyArray tanh(Object x);
    PyArray exp(Object x);
    PyArray expm1(Object x);
    PyArray log(Object x);
    PyArray log10(Object x);
    PyArray log2(Object x);
    PyArray log1p(Object x);
    PyArray sqrt(Object x);
    PyArray square(Object x);
    PyArray absolute(Object x);
    PyArray floor(Object x);
    PyArray ceil(Object x);
    PyArray add(Object a, Object b);
    PyArray subtract(Object a, Object b);
    PyArray multiply(Object a, Object b);
    PyArray divide(Object a, Object b);
    PyArray power(Object a, Object b);
    PyArray mod(Object a, Object b);
    PyArray maximum(Object a, Object b);
    PyArray minimum(Object a, Object b);

    // ------------------------------------------------------------------ reductions
    double max(Object a);
    @PyName("max") PyArray max(Object a, @Kw("axis") int axis);
    long argmax(Object a);
    @PyName("argmax") PyArray argmax(Object a, @Kw("axis") int axis);
    double min(Object a);
    @PyName("min") PyArray min(Object a, @Kw("axis") int axis);
    long argmin(Object a);
    @PyName("argmin") PyArray argmin(Object a, @Kw("axis") int axis);
    double sum(Object a);
    @PyName("sum") PyArray sum(Object a, @Kw("axis") int axis);
    PyArray cumsum(Object a);
    double prod(Object a);
    @PyName("prod") PyArray prod(Object a, @Kw("axis") int axis);
    double mean(Object a);
    @PyName("mean") PyArray mean(Object a, @Kw("axis") int axis);
    double var(Object a);
    @PyName("var") PyArray var(Object a, @Kw("axis") int axis);
    double std(Object a);
    @PyName("std") PyArray std(Object a, @Kw("axis") int axis);
    boolean all(Object a);
    boolean any(Object a);

    // ------------------------------------------------------------------ shape
    PyArray reshape(Object a, long... shape);
    PyArray transpose(Object a);
    PyArray ravel(Object a);
    PyArray squeeze(Object a);

    // ------------------------------------------------------------------ linear algebra, polynomials
    PyArray dot(Object a, Object b);
    PyArray matmul(Object a, Object b);
    PyArray polyfit(Object x, Object y, int degree);
    PyObject poly1d(Object coefficients);
    PyArray polyval(Object p, Object x);

    // ------------------------------------------------------------------ indexing and slicing
    /** The element at one position per axis, as a number ({@code Double}, {@code Long}) or {@code Boolean}. */
    Object get(Object a, long... positions);

    /** The region named by one spec per axis: a position, {@link #range} or {@link #ALL}; a contiguous copy. */
    PyArray slice(Object a, Object... specs);

    // ------------------------------------------------------------------ files
    void save(String file, Object a);
    PyArray load(String file);
}
