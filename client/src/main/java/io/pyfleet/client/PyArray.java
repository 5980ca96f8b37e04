package io.pyfleet.client;

import io.pyfleet.client.internal.ApiAccess;
import io.pyfleet.client.internal.ArrayElements;
import io.pyfleet.client.internal.ArrayMemory;
import io.pyfleet.client.internal.NumPyRepr;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * A NumPy array whose bytes stay in shared memory owned by a node on this host: only its
 * description crosses a worker's pipe. Over TCP a large result is the same kind of array on
 * the node that made it: its bytes are pulled in chunks on first read, and passing it to a call
 * sends only its reference; an array a thin client made with {@code Fleet.array(...)} was sent to
 * its node in chunks and keeps the client's bytes too. Its dtype, shape and owner are known here without a
 * round trip; Java reads it through read-only views ({@link #buffer()}, constant time) or
 * copies it out ({@link #toDoubles()} and the like). Pass it as an argument and the worker
 * maps the same memory (no copy); any worker of the node may use it, and it outlives the
 * worker that made it.
 *
 * <p>Close it to free the memory (once the last array on it is closed). A view must not be
 * used after its array is closed. An unreachable PyArray is released by a {@link Cleaner}
 * too; its memory then goes when its views are unreachable as well.
 */
public final class PyArray implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final DType dtype;
    private final long[] shape;
    private final String owner;
    private final ArrayMemory memory;
    private final Release release;
    private final Cleaner.Cleanable cleanable;

    /** An array on {@code memory}, which holds one reference for it; {@code owner} is the node that owns it. */
    PyArray(DType dtype, long[] shape, String owner, ArrayMemory memory) {
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        this.shape = shape.clone();
        this.owner = Objects.requireNonNull(owner, "owner");
        this.memory = Objects.requireNonNull(memory, "memory");
        this.release = new Release(memory, new AtomicBoolean());
        this.cleanable = CLEANER.register(this, release);
    }

    /**
     * An array on the heap holding {@code a}'s bytes: what a bound method declared to return a {@code PyArray}
     * gives for an array that came by value. It is sent by value when passed to a call, and has no owner node
     * ({@link #owner()} is empty).
     *
     * @param a the array to hold
     * @return an array on the heap holding {@code a}'s bytes
     */
    public static PyArray of(NdArray a) {
        ByteBuffer bytes = ByteBuffer.wrap(a.toBytes()).order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer();
        return new PyArray(a.dtype(), a.shape(), "", new HeapMemory(bytes));
    }

    /**
     * Whether the array's bytes live in this JVM's heap ({@link #of(NdArray)}), not in a node's memory.
     *
     * @return true for an array on the heap
     */
    public boolean onHeap() {
        return memory instanceof HeapMemory;
    }

    /** Heap bytes: no source for a worker to map, so the array travels by value. */
    private record HeapMemory(ByteBuffer bytes) implements ArrayMemory {
        @Override
        public String source() {
            return "";
        }

        @Override
        public String name() {
            return "";
        }

        @Override
        public long byteSize() {
            return bytes.capacity();
        }

        @Override
        public List<ByteBuffer> views() {
            return List.of(bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN));
        }

        @Override
        public void release(boolean unreachable) {
            // the garbage collector frees it
        }
    }

    /** What the Cleaner runs: it must not reference the PyArray. */
    private record Release(ArrayMemory memory, AtomicBoolean done) implements Runnable {
        @Override
        public void run() {
            if (done.compareAndSet(false, true)) {
                memory.release(true);
            }
        }

        void closeNow() {
            if (done.compareAndSet(false, true)) {
                memory.release(false);
            }
        }
    }

    /**
     * The elements' type.
     *
     * @return the dtype
     */
    public DType dtype() {
        return dtype;
    }

    /**
     * The dimensions.
     *
     * @return a copy of them (empty for a 0-d array)
     */
    public long[] shape() {
        return shape.clone();
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
     * The number of elements.
     *
     * @return the product of the shape (1 for a 0-d array)
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
     * @return {@code size() * dtype().itemSize()}
     */
    public long byteSize() {
        return size() * dtype.itemSize();
    }

    /**
     * The node whose memory holds the array; empty for an array on the heap ({@link #of(NdArray)}).
     *
     * @return the node whose memory holds the array
     */
    public String owner() {
        return owner;
    }

    /** The memory behind the array: for the wire codec. */
    ArrayMemory memory() {
        checkOpen();
        return memory;
    }

    /**
     * Whether {@link #close()} was called (or the Cleaner released it).
     *
     * @return true once closed; reads then fail
     */
    public boolean isClosed() {
        return release.done().get();
    }

    /**
     * A read-only little-endian view of the whole array, in constant time.
     *
     * @return the view; valid until the array is closed
     * @throws IllegalStateException when the array is closed, or over 2 GiB (use {@link #buffers()})
     */
    public ByteBuffer buffer() {
        List<ByteBuffer> views = views();
        if (views.isEmpty()) {
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer();
        }
        if (views.size() > 1) {
            throw new IllegalStateException("the array has " + byteSize() + " bytes, more than one ByteBuffer holds "
                    + "(2 GiB): read it through buffers()");
        }
        return views.get(0);
    }

    /**
     * Read-only little-endian views covering the array in order, in constant time.
     *
     * @return the views, one unless the array is over 2 GiB; valid until it is closed
     * @throws IllegalStateException when the array is closed
     */
    public List<ByteBuffer> buffers() {
        return views();
    }

    /**
     * {@link #buffer()} as doubles, for a {@code float64} array.
     *
     * @return the view; valid until the array is closed
     * @throws IllegalStateException when the array is closed, over 2 GiB, or not {@code float64}
     */
    public DoubleBuffer doubleBuffer() {
        requireType(DType.FLOAT64, "doubleBuffer()");
        return buffer().asDoubleBuffer();
    }

    private void hold() {
        if (!memory.hold()) {
            throw new IllegalStateException("the array was closed");
        }
    }

    private List<ByteBuffer> views() {
        checkOpen();
        List<ByteBuffer> out = new ArrayList<>();
        for (ByteBuffer b : memory.views()) {
            out.add(b.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN));
        }
        return out;
    }

    /** Reads the elements while holding the memory: a {@code close()} from another thread waits for the copy. */
    private <T> T read(Function<ArrayElements, T> copy) {
        hold();
        try {
            return copy.apply(new ArrayElements(dtype, views()));
        } finally {
            memory.unhold();
            Reference.reachabilityFence(this);
        }
    }

    /**
     * The elements as doubles, from any dtype; a {@code complex128} array gives real and imaginary parts
     * interleaved.
     *
     * @return the elements as doubles, from any dtype
     */
    public double[] toDoubles() {
        return read(ArrayElements::toDoubles);
    }

    /**
     * The elements as floats: {@code float32} exactly, other real dtypes rounded.
     *
     * @return the elements as floats
     * @throws IllegalStateException for a complex array
     */
    public float[] toFloats() {
        return read(ArrayElements::toFloats);
    }

    /**
     * The elements as longs, from a boolean or integer dtype.
     *
     * @return the elements as longs, from a boolean or integer dtype
     * @throws IllegalStateException for a floating or complex array
     * @throws ArithmeticException for a {@code uint64} value over {@link Long#MAX_VALUE}
     */
    public long[] toLongs() {
        return read(ArrayElements::toLongs);
    }

    /**
     * The elements as ints, from a boolean or integer dtype.
     *
     * @return the elements as ints, from a boolean or integer dtype
     * @throws IllegalStateException for a floating or complex array
     * @throws ArithmeticException for a value outside the int range
     */
    public int[] toInts() {
        return read(ArrayElements::toInts);
    }

    /**
     * The elements as shorts, from a boolean or integer dtype.
     *
     * @return the elements as shorts, from a boolean or integer dtype
     * @throws IllegalStateException for a floating or complex array
     * @throws ArithmeticException for a value outside the short range
     */
    public short[] toShorts() {
        return read(ArrayElements::toShorts);
    }

    /**
     * The elements as booleans (non-zero is true), from a boolean or integer dtype.
     *
     * @return the elements as booleans (non-zero is true), from a boolean or integer dtype
     * @throws IllegalStateException for a floating or complex array
     */
    public boolean[] toBooleans() {
        return read(ArrayElements::toBooleans);
    }

    /**
     * A copy of the raw little-endian C-order bytes, of any dtype.
     *
     * @return a copy of the raw little-endian C-order bytes, of any dtype
     * @throws IllegalStateException when the array is over 2 GiB (read it through {@link #buffers()})
     */
    public byte[] toBytes() {
        return read(ArrayElements::toBytes);
    }

    /**
     * A copy by value.
     *
     * @return a copy by value
     * @throws IllegalStateException when the array is over 2 GiB
     */
    public NdArray toNdArray() {
        return ApiAccess.newNdArray(dtype, shape, toBytes());
    }

    private void requireType(DType type, String what) {
        if (dtype != type) {
            throw new IllegalStateException(what + " needs a " + type + " array, not " + dtype);
        }
    }

    private void checkOpen() {
        if (release.done().get()) {
            throw new IllegalStateException("the array was closed");
        }
    }

    /** Frees the memory once no other array uses it; later reads fail. Idempotent. */
    @Override
    public void close() {
        release.closeNow();
        cleanable.clean();
    }

    /**
     * The values as NumPy's {@code repr} prints them, then where the array lives:
     * {@code PyArray(array([1., 2.]), on n1)}. An array whose bytes are not on this machine yet (a
     * node's array a thin client has not read) is never fetched to be printed, nor is a closed one
     * read: they show their dtype, shape and owner.
     */
    @Override
    public String toString() {
        String where = onHeap() ? "" : ", on " + owner;
        if (!isClosed() && memory.hold()) {
            try {
                List<ByteBuffer> local = memory.viewsIfLocal();
                if (local != null) {
                    return "PyArray(" + NumPyRepr.repr(dtype, shape, local) + where + ")";
                }
                return "PyArray(" + description() + where + ", not read yet)";
            } finally {
                memory.unhold();
            }
        }
        return "PyArray(" + description() + where + ", closed)";
    }

    /** {@code dtype=float64, shape=(2, 3)}. */
    private String description() {
        StringBuilder sb = new StringBuilder("dtype=").append(dtype.numpyName()).append(", shape=(");
        for (int i = 0; i < shape.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return sb.append(shape.length == 1 ? ",)" : ")").toString();
    }
}
