package io.pyfleet.node.arrays;

import io.pyfleet.client.internal.ArrayElements;
import io.pyfleet.client.DType;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyArray;
import io.pyfleet.client.internal.ApiAccess;
import io.pyfleet.client.internal.ArrayMemory;
import io.pyfleet.client.internal.Handle;
import io.pyfleet.protocol.ArrayRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The node's arrays in shared memory: makes them from Java data and takes over those its
 * workers return (ext 12), so that only descriptions cross the pipes.
 */
public final class NodeArrays {
    private static final Pattern PROC_FD = Pattern.compile("/proc/[0-9]+/fd/[0-9]+");

    private final String node;
    private final Path dir;
    private final long byValueMax;
    private final long poolMax;
    /** Released node segments kept mapped for reuse, by size: fresh shared memory costs a fault per page. */
    private final java.util.Map<Long, java.util.ArrayDeque<Segment>> pool = new java.util.HashMap<>();
    private long pooledBytes;
    private boolean closed;
    /** Arrays the node made (from Java data, uploads) and not freed yet, and their bytes. */
    private final java.util.concurrent.atomic.AtomicLong madeLive = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong madeBytes = new java.util.concurrent.atomic.AtomicLong();
    /** Arrays taken over from workers and not freed yet, and their bytes: what a leak would grow. */
    private final java.util.concurrent.atomic.AtomicLong adoptedLive = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong adoptedBytes = new java.util.concurrent.atomic.AtomicLong();

    /**
     * @param node       the node name arrays carry as their owner
     * @param dir        where segments are created (and unlinked at once): a tmpfs, /dev/shm
     * @param byValueMax arrays of at most this many bytes come back by value; larger ones as {@link PyArray}
     * @param poolMax    bytes of released node arrays kept mapped for reuse
     */
    public NodeArrays(String node, Path dir, long byValueMax, long poolMax) {
        this.node = node;
        this.dir = dir;
        this.byValueMax = byValueMax;
        this.poolMax = poolMax;
    }

    /** One more hold on an array's memory (released with {@code release(false)}); false when it is freed already. */
    public static boolean retain(ArrayMemory memory) {
        return !(memory instanceof Segment s) || s.retain();
    }

    /** Where a released segment goes: back to the pool when it may be reused, else freed. */
    private void free(Segment seg) {
        madeLive.decrementAndGet();
        madeBytes.addAndGet(-seg.byteSize());
        if (seg.writable() && !seg.viewsMayLive() && seg.reusable() && seg.byteSize() > 0) {
            synchronized (pool) {
                if (!closed && pooledBytes + seg.byteSize() <= poolMax) {
                    pool.computeIfAbsent(seg.byteSize(), k -> new java.util.ArrayDeque<>()).push(seg);
                    pooledBytes += seg.byteSize();
                    return;
                }
            }
        }
        seg.destroy();
    }

    private Segment pooled(long size) {
        synchronized (pool) {
            java.util.ArrayDeque<Segment> free = pool.get(size);
            Segment seg = free == null ? null : free.poll();
            if (seg != null) {
                pooledBytes -= size;
                seg.reuse();
            }
            return seg;
        }
    }

    /** Frees the pooled memory; arrays still open keep theirs until they are closed. */
    public void close() {
        List<Segment> all = new java.util.ArrayList<>();
        synchronized (pool) {
            closed = true;
            pool.values().forEach(all::addAll);
            pool.clear();
            pooledBytes = 0;
        }
        all.forEach(Segment::destroy);
    }

    /** The worker option that makes a worker send larger arrays by reference: the first size that does. */
    public long referenceFrom() {
        return byValueMax == Long.MAX_VALUE ? Long.MAX_VALUE : byValueMax + 1;
    }

    /**
     * A worker's array taken over: the node opens the worker's memory (constant time, no copy)
     * and releases the worker's keeper. The array then lives in the node, whatever happens to
     * the worker.
     *
     * @param releaseKeeper releases the keeper handle in its worker, without blocking
     * @throws ProtocolException when the memory cannot be opened (the worker died meanwhile, say)
     */
    public PyArray adopt(ArrayRef ref, Consumer<Handle> releaseKeeper, KeeperRelease whenFreed) {
        Handle keeper = ref.keeper() instanceof Handle h ? h : null;
        boolean adopted = false;
        try {
            if (keeper == null) {
                throw new ProtocolException("an array reference from a worker must carry its keeper handle");
            }
            if (!PROC_FD.matcher(ref.source()).matches()) {
                throw new ProtocolException("an array reference must name /proc/<pid>/fd/<n>, not " + ref.source());
            }
            Segment seg;
            try {
                seg = Segment.adopt(ref.source(), ref.byteLength());
            } catch (IOException | UncheckedIOException e) {
                throw new ProtocolException("cannot take over the array " + ref + " from worker " + keeper.worker()
                        + " (did it exit?): " + e.getMessage(), e);
            }
            // The worker keeps its memfd until the array is freed here, then reuses it for a next
            // result, unless views of it may still be read here.
            long size = ref.byteLength();
            seg.onFree(s -> {
                adoptedLive.decrementAndGet();
                adoptedBytes.addAndGet(-size);
                s.destroy();
                whenFreed.release(keeper, s.viewsMayLive());
            });
            adopted = true;
            adoptedLive.incrementAndGet();
            adoptedBytes.addAndGet(size);
            return ApiAccess.newArray(ref.dtype(), ref.shape(), node, seg);
        } finally {
            if (keeper != null && !adopted) {
                releaseKeeper.accept(keeper);
            }
        }
    }

    /** Arrays the node made (from Java data, uploads, large call arguments) that it still holds. */
    public long madeArrays() {
        return madeLive.get();
    }

    /** Their bytes. */
    public long madeBytes() {
        return madeBytes.get();
    }

    /** Arrays taken over from workers that the node still holds. */
    public long adoptedArrays() {
        return adoptedLive.get();
    }

    /** Their bytes. */
    public long adoptedBytes() {
        return adoptedBytes.get();
    }

    /** Releases a worker's keeper once the node has freed the array it kept. */
    @FunctionalInterface
    public interface KeeperRelease {
        /**
         * @param discard the worker must not reuse the memory (the node may still have views of it)
         */
        void release(Handle keeper, boolean discard);
    }

    /**
     * A new array in node memory, zero-filled, then filled by {@code fill} through writable
     * little-endian buffers that cover it in order (one, unless it is over 2 GiB).
     */
    public PyArray create(DType dtype, long[] shape, Consumer<List<MappedByteBuffer>> fill) {
        return create(dtype, shape, fill, false);
    }

    /** {@code fillsAll}: {@code fill} writes every byte, so released memory may be reused unzeroed. */
    private PyArray create(DType dtype, long[] shape, Consumer<List<MappedByteBuffer>> fill, boolean fillsAll) {
        long size = ArrayRef.byteLength(dtype, shape);
        Segment seg = fillsAll ? pooled(size) : null;
        if (seg == null) {
            seg = Segment.create(dir, size).onFree(this::free);
        }
        madeLive.incrementAndGet(); // free() takes it back, also when the fill fails
        madeBytes.addAndGet(size);
        try {
            List<MappedByteBuffer> maps = new java.util.ArrayList<>();
            for (MappedByteBuffer m : seg.writableMaps()) {
                maps.add((MappedByteBuffer) m.duplicate().order(ByteOrder.LITTLE_ENDIAN));
            }
            fill.accept(maps);
        } catch (RuntimeException | Error e) {
            seg.release(false);
            throw e;
        }
        return ApiAccess.newArray(dtype, shape, node, seg);
    }

    /** An array of {@code dtype} and {@code shape} holding a copy of {@code data}'s remaining bytes (C order, little-endian). */
    public PyArray copyOf(DType dtype, long[] shape, ByteBuffer data) {
        long need = ArrayRef.byteLength(dtype, shape);
        if (data.remaining() != need) {
            throw new IllegalArgumentException("an array " + dtype.descr() + " of shape " + Arrays.toString(shape)
                    + " needs " + need + " bytes, got " + data.remaining());
        }
        ByteBuffer src = data.duplicate();
        return create(dtype, shape, maps -> {
            for (MappedByteBuffer m : maps) {
                ByteBuffer part = src.slice();
                part.limit(m.remaining());
                m.duplicate().put(part);
                src.position(src.position() + m.remaining());
            }
        }, true);
    }

    /** A float64 array of {@code data}, 1-d or of {@code shape}. */
    public PyArray of(double[] data, long... shape) {
        long[] sh = ArrayElements.shapeOf(data.length, shape);
        int[] at = {0};
        return create(DType.FLOAT64, sh, maps -> maps.forEach(m -> {
            int n = m.remaining() / 8;
            m.asDoubleBuffer().put(data, at[0], n);
            at[0] += n;
        }), true);
    }

    /** A float32 array of {@code data}, 1-d or of {@code shape}. */
    public PyArray of(float[] data, long... shape) {
        long[] sh = ArrayElements.shapeOf(data.length, shape);
        int[] at = {0};
        return create(DType.FLOAT32, sh, maps -> maps.forEach(m -> {
            int n = m.remaining() / 4;
            m.asFloatBuffer().put(data, at[0], n);
            at[0] += n;
        }), true);
    }

    /** An int64 array of {@code data}, 1-d or of {@code shape}. */
    public PyArray of(long[] data, long... shape) {
        long[] sh = ArrayElements.shapeOf(data.length, shape);
        int[] at = {0};
        return create(DType.INT64, sh, maps -> maps.forEach(m -> {
            int n = m.remaining() / 8;
            m.asLongBuffer().put(data, at[0], n);
            at[0] += n;
        }), true);
    }

    /** An int32 array of {@code data}, 1-d or of {@code shape}. */
    public PyArray of(int[] data, long... shape) {
        long[] sh = ArrayElements.shapeOf(data.length, shape);
        int[] at = {0};
        return create(DType.INT32, sh, maps -> maps.forEach(m -> {
            int n = m.remaining() / 4;
            m.asIntBuffer().put(data, at[0], n);
            at[0] += n;
        }), true);
    }

    /** An int16 array of {@code data}, 1-d or of {@code shape}. */
    public PyArray of(short[] data, long... shape) {
        long[] sh = ArrayElements.shapeOf(data.length, shape);
        int[] at = {0};
        return create(DType.INT16, sh, maps -> maps.forEach(m -> {
            int n = m.remaining() / 2;
            m.asShortBuffer().put(data, at[0], n);
            at[0] += n;
        }), true);
    }

    /** An int8 array of {@code data}, 1-d or of {@code shape}. */
    public PyArray of(byte[] data, long... shape) {
        return copyOf(DType.INT8, ArrayElements.shapeOf(data.length, shape), ByteBuffer.wrap(data));
    }

    /** A bool array of {@code data}, 1-d or of {@code shape}. */
    public PyArray of(boolean[] data, long... shape) {
        long[] sh = ArrayElements.shapeOf(data.length, shape);
        int[] at = {0};
        return create(DType.BOOL, sh, maps -> maps.forEach(m -> {
            int n = m.remaining();
            for (int i = 0; i < n; i++) {
                m.put(i, data[at[0] + i] ? (byte) 1 : 0);
            }
            at[0] += n;
        }), true);
    }

    /** A copy of an array by value in node memory. */
    public PyArray of(io.pyfleet.client.NdArray a) {
        return copyOf(a.dtype(), a.shape(), a.buffer());
    }

    /**
     * A copy in node memory of a call's large argument ({@link io.pyfleet.protocol.LargeArrays}): a
     * {@code double[]}, {@code float[]}, {@code long[]}, {@code int[]}, {@code short[]}, {@code boolean[]}
     * or {@code NdArray}. Its memory is never reused for another array once freed: the Java array was the
     * function's by value, and Python code may keep it beyond the call.
     *
     * @throws IllegalArgumentException for anything else
     */
    public PyArray ofArgument(Object v) {
        PyArray copy;
        if (v instanceof double[] d) {
            copy = of(d);
        } else if (v instanceof float[] f) {
            copy = of(f);
        } else if (v instanceof long[] l) {
            copy = of(l);
        } else if (v instanceof int[] i) {
            copy = of(i);
        } else if (v instanceof short[] sh) {
            copy = of(sh);
        } else if (v instanceof boolean[] b) {
            copy = of(b);
        } else if (v instanceof io.pyfleet.client.NdArray a) {
            copy = of(a);
        } else {
            throw new IllegalArgumentException("not an array argument: " + v.getClass().getName());
        }
        neverReuse(copy);
        return copy;
    }

    private static void neverReuse(PyArray array) {
        if (ApiAccess.memory(array) instanceof Segment s) {
            s.neverReuse();
        }
    }

    /** Arrays over this many bytes stay in node memory, as results and as call arguments. */
    public long byValueMax() {
        return byValueMax;
    }

    /**
     * A new array to be filled in order by a remote client ({@code array_write}): every byte is
     * written before it is used, so released memory is reused for it unzeroed.
     */
    public Upload upload(DType dtype, long[] shape) {
        return upload(dtype, shape, false);
    }

    /**
     * {@link #upload(DType, long[])}; {@code argument}: a call's argument the client uploads for it, whose
     * memory is never reused for another array once freed (as {@link #ofArgument}).
     */
    public Upload upload(DType dtype, long[] shape, boolean argument) {
        List<MappedByteBuffer> into = new java.util.ArrayList<>();
        PyArray array = create(dtype, shape, into::addAll, true);
        if (argument) {
            neverReuse(array);
        }
        return new Upload(array, into);
    }

    /** An array being filled in order; its memory is the node's until {@link #array()} is handed on. */
    public static final class Upload {
        private final PyArray array;
        private final List<MappedByteBuffer> maps;
        private long written;

        private Upload(PyArray array, List<MappedByteBuffer> maps) {
            this.array = array;
            this.maps = maps;
        }

        /** The array (whose bytes are not all there until {@link #complete()}). */
        public PyArray array() {
            return array;
        }

        /** The bytes written so far. */
        public synchronized long written() {
            return written;
        }

        /** Every byte is written. */
        public synchronized boolean complete() {
            return written == array.byteSize();
        }

        /**
         * Writes the next bytes.
         *
         * @return the bytes written so far
         * @throws ProtocolException when {@code offset} is not where the last write ended, or the bytes
         *                           go past the end
         */
        public synchronized long write(long offset, byte[] bytes) {
            long size = array.byteSize();
            if (offset != written) {
                throw new ProtocolException("array_write at " + offset + ", but " + written + " bytes of the array are "
                        + "written: writes go in order");
            }
            if (bytes.length > size - written) {
                throw new ProtocolException("array_write of " + bytes.length + " bytes at " + offset
                        + " past the end of an array of " + size + " bytes");
            }
            int done = 0;
            long start = 0;
            for (MappedByteBuffer m : maps) {
                long end = start + m.capacity();
                if (done < bytes.length && offset + done < end) {
                    int from = (int) (offset + done - start);
                    int k = Math.min(bytes.length - done, m.capacity() - from);
                    m.put(from, bytes, done, k);
                    done += k;
                }
                start = end;
            }
            written += bytes.length;
            return written;
        }
    }

    /** Where segments are created. */
    public Path dir() {
        return dir;
    }

    /**
     * The directory, checked: it must exist and be writable. Files a node left there (killed
     * in the instant between creating one and unlinking it) are removed when that node's
     * process is gone.
     */
    public static Path checkedDir(Path dir) {
        if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
            throw new IllegalArgumentException("pyfleet.arrays.dir " + dir + " is not a writable directory");
        }
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            files.filter(NodeArrays::leftOver).forEach(f -> {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException e) {
                    // another user's, or gone meanwhile
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // nothing to sweep
        }
        return dir;
    }

    /** {@code pyfleet-<pid>-...} of a process that no longer runs. */
    private static boolean leftOver(Path file) {
        java.util.regex.Matcher m = LEFT_OVER.matcher(file.getFileName().toString());
        return m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).map(p -> !p.isAlive()).orElse(true);
    }

    private static final Pattern LEFT_OVER = Pattern.compile("pyfleet-([0-9]{1,18})-[0-9a-z]+-[0-9a-z]+");
}
