package io.pyfleet.client;

import io.pyfleet.client.internal.ArrayMemory;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A NumPy array whose bytes stay in shared memory owned by a node on this host: only its
 * description crosses a worker's pipe. Over TCP a large result is the same kind of array on
 * the node that made it: its bytes are pulled in chunks on first read, and passing it to a call
 * sends only its reference. Its dtype, shape and owner are known here without a
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
     * An array on the heap holding {@code a}'s bytes: what a fleet without node memory (a thin
     * client over TCP) gives where a node array is asked for. It is sent by value when passed to
     * a call, and has no owner node ({@link #owner()} is empty).
     *
     * @param a the array by value
     * @return an array on the heap (a copy of the bytes)
     */
    public static PyArray of(NdArray a) {
        DType type = DType.parse(a.dtype());
        ByteBuffer bytes = ByteBuffer.wrap(a.data()).order(java.nio.ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer();
        return new PyArray(type, a.shape(), "", new HeapMemory(bytes));
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
            return List.of(bytes.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN));
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
     * The node whose memory holds the array.
     *
     * @return the node's name; empty for an array on the heap
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

    /**
     * The elements as doubles: {@code float64} copied exactly, other real dtypes converted.
     *
     * @return a new array, C order
     * @throws IllegalStateException when the array is closed, or has more elements than a Java array holds
     */
    public double[] toDoubles() {
        if (dtype != DType.FLOAT64) {
            return toNdArray().toDoubleArray();
        }
        double[] out = new double[elements()];
        int at = 0;
        hold(); // a close() from another thread waits for this copy
        try {
            for (ByteBuffer b : views()) {
                int n = b.remaining() / 8;
                b.asDoubleBuffer().get(out, at, n);
                at += n;
            }
        } finally {
            memory.unhold();
        }
        Reference.reachabilityFence(this);
        return out;
    }

    /**
     * The elements as floats: {@code float32} copied exactly, other real dtypes converted.
     *
     * @return a new array, C order
     * @throws IllegalStateException when the array is closed, or has more elements than a Java array holds, or a complex dtype
     */
    public float[] toFloats() {
        if (dtype != DType.FLOAT32) {
            return toNdArray().toFloatArray();
        }
        float[] out = new float[elements()];
        int at = 0;
        hold(); // a close() from another thread waits for this copy
        try {
            for (ByteBuffer b : views()) {
                int n = b.remaining() / 4;
                b.asFloatBuffer().get(out, at, n);
                at += n;
            }
        } finally {
            memory.unhold();
        }
        Reference.reachabilityFence(this);
        return out;
    }

    /**
     * The elements as longs: {@code int64}/{@code uint64} bits copied exactly, other integer dtypes converted.
     *
     * @return a new array, C order
     * @throws IllegalStateException when the array is closed, or has more elements than a Java array holds, or
     *                               is of a floating or complex dtype
     */
    public long[] toLongs() {
        if (dtype != DType.INT64 && dtype != DType.UINT64) {
            return toNdArray().toLongArray();
        }
        long[] out = new long[elements()];
        int at = 0;
        hold(); // a close() from another thread waits for this copy
        try {
            for (ByteBuffer b : views()) {
                int n = b.remaining() / 8;
                b.asLongBuffer().get(out, at, n);
                at += n;
            }
        } finally {
            memory.unhold();
        }
        Reference.reachabilityFence(this);
        return out;
    }

    /**
     * The elements as ints: {@code int32}/{@code uint32} bits copied exactly, other integer dtypes converted.
     *
     * @return a new array, C order
     * @throws IllegalStateException when the array is closed, or has more elements than a Java array holds, or
     *                               is of a floating or complex dtype
     */
    public int[] toInts() {
        if (dtype != DType.INT32 && dtype != DType.UINT32) {
            return toNdArray().toIntArray();
        }
        int[] out = new int[elements()];
        int at = 0;
        hold(); // a close() from another thread waits for this copy
        try {
            for (ByteBuffer b : views()) {
                int n = b.remaining() / 4;
                b.asIntBuffer().get(out, at, n);
                at += n;
            }
        } finally {
            memory.unhold();
        }
        Reference.reachabilityFence(this);
        return out;
    }

    /**
     * The elements of an {@code int16}/{@code uint16} array, bits exact.
     *
     * @return a new array, C order
     * @throws IllegalStateException when the array is closed, or has more elements than a Java array holds, or another dtype
     */
    public short[] toShorts() {
        if (dtype != DType.INT16 && dtype != DType.UINT16) {
            throw new IllegalStateException("toShorts() needs an int16 or uint16 array, not " + dtype);
        }
        short[] out = new short[elements()];
        int at = 0;
        hold(); // a close() from another thread waits for this copy
        try {
            for (ByteBuffer b : views()) {
                int n = b.remaining() / 2;
                b.asShortBuffer().get(out, at, n);
                at += n;
            }
        } finally {
            memory.unhold();
        }
        Reference.reachabilityFence(this);
        return out;
    }

    /**
     * The raw little-endian C-order bytes, of any dtype.
     *
     * @return a new array
     * @throws IllegalStateException when the array is closed, or has more bytes than a Java array holds
     */
    public byte[] toBytes() {
        long n = byteSize();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("the array has " + n + " bytes, more than a Java array holds");
        }
        byte[] out = new byte[(int) n];
        int at = 0;
        hold(); // a close() from another thread waits for this copy
        try {
            for (ByteBuffer b : views()) {
                int k = b.remaining();
                b.get(out, at, k);
                at += k;
            }
        } finally {
            memory.unhold();
        }
        Reference.reachabilityFence(this);
        return out;
    }

    /**
     * The elements as booleans (non-zero is true), from a boolean or integer dtype.
     *
     * @return a new array, C order
     * @throws IllegalStateException when the array is closed, or has more elements than a Java array holds, or
     *                               is of a floating or complex dtype
     */
    public boolean[] toBooleans() {
        return toNdArray().toBooleanArray();
    }

    /**
     * A copy by value.
     *
     * @return the array by value
     * @throws IllegalStateException when the array is closed, or has more bytes than a Java array holds
     */
    public NdArray toNdArray() {
        return new NdArray(dtype.descr(), shape, toBytes());
    }

    private int elements() {
        long n = size();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("the array has " + n + " elements, more than a Java array holds: "
                    + "read it through buffers()");
        }
        return (int) n;
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

    @Override
    public String toString() {
        return "PyArray[" + dtype.descr() + " " + Arrays.toString(shape) + " on " + owner + "]";
    }
}
