package io.pyfleet.node.arrays;

import io.pyfleet.client.PyArray;
import io.pyfleet.client.internal.ArrayMemory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shared memory the node holds by an open descriptor to an unlinked file (a file it made in
 * /dev/shm, or a worker's memfd it opened through /proc): the memory lives while the node
 * holds the descriptor or anyone maps it, and the kernel frees it when the last goes, also
 * after a {@code kill -9} of the node. Reference counted by the {@link PyArray}s on it.
 */
final class Segment implements ArrayMemory {
    private static final Logger LOG = LoggerFactory.getLogger(Segment.class);
    /** Mappings are cut in pieces of this size beyond 2 GiB (a multiple of every item size). */
    static final long CHUNK = 1L << 30;
    private static final Path SELF_FD = Path.of("/proc/self/fd");
    private static final long PID = ProcessHandle.current().pid();
    private static final Method INVOKE_CLEANER;
    private static final Object UNSAFE;
    /** Reads FileDescriptor's private descriptor number (Unsafe needs no opened module), or null. */
    private static final Method GET_INT;
    private static final long FD_OFFSET;

    static {
        Method m = null;
        Object unsafe = null;
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            java.lang.reflect.Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            unsafe = f.get(null);
            m = c.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LoggerFactory.getLogger(Segment.class).warn("cannot unmap arrays at once (memory goes at GC): {}", e.toString());
        }
        INVOKE_CLEANER = m;
        UNSAFE = unsafe;
        Method getInt = null;
        long offset = -1;
        if (unsafe != null) {
            try {
                Class<?> c = unsafe.getClass();
                offset = (Long) c.getMethod("objectFieldOffset", java.lang.reflect.Field.class)
                        .invoke(unsafe, java.io.FileDescriptor.class.getDeclaredField("fd"));
                getInt = c.getMethod("getInt", Object.class, long.class);
            } catch (ReflectiveOperationException | RuntimeException e) {
                LoggerFactory.getLogger(Segment.class).debug("descriptor numbers come from /proc/self/fd: {}", e.toString());
            }
        }
        GET_INT = getInt;
        FD_OFFSET = offset;
    }

    /** The number of an open descriptor, or -1 when it cannot be read (then /proc/self/fd is scanned). */
    private static int numberOf(java.io.FileDescriptor d) {
        if (GET_INT == null) {
            return -1;
        }
        try {
            return (Integer) GET_INT.invoke(UNSAFE, d, FD_OFFSET);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return -1;
        }
    }

    private final FileChannel channel;
    private final long size;
    /** What /proc/self/fd/N of our descriptor links to. */
    private final String name;
    private final List<MappedByteBuffer> maps;
    private final AtomicInteger refs = new AtomicInteger(1);
    private final boolean writable;
    private volatile boolean viewsMayLive;
    /** False for memory a worker may go on mapping after its array is freed: never handed to another array. */
    private volatile boolean reusable = true;
    private volatile int fd;
    /** Told when the last array on it is released: it pools or destroys the segment. */
    private volatile java.util.function.Consumer<Segment> onFree = Segment::destroy;

    private Segment(FileChannel channel, long size, String name, int fd, boolean writable) throws IOException {
        this.channel = channel;
        this.size = size;
        this.name = name;
        this.fd = fd;
        this.writable = writable;
        this.maps = map(channel, size, writable);
    }

    Segment onFree(java.util.function.Consumer<Segment> action) {
        this.onFree = action;
        return this;
    }

    /** Made by this node (writable), as opposed to a worker's memory it took over. */
    boolean writable() {
        return writable;
    }

    /** Some array on it was dropped unclosed: views of it may still be read. */
    boolean viewsMayLive() {
        return viewsMayLive;
    }

    /** Whether it may go back to the pool once freed. */
    boolean reusable() {
        return reusable;
    }

    /** Its memory is never handed to another array: Python code may keep what it was passed (a call's argument). */
    void neverReuse() {
        reusable = false;
    }

    /** A pooled segment handed out again, to one new array. */
    void reuse() {
        viewsMayLive = false;
        reusable = true;
        refs.set(1);
    }

    /** A new zero-filled segment in {@code dir}: created, its descriptor number noted, unlinked at once. */
    static Segment create(Path dir, long size) {
        Path file = dir.resolve("pyfleet-" + PID + "-" + Long.toUnsignedString(System.nanoTime(), 36) + "-"
                + Integer.toUnsignedString(java.util.concurrent.ThreadLocalRandom.current().nextInt(), 36));
        java.io.RandomAccessFile raf = null;
        try {
            raf = new java.io.RandomAccessFile(file.toFile(), "rw");
            try {
                raf.setLength(size); // sparse: pages come when written
                String link = file.toString();
                int fd = numberOf(raf.getFD());
                return new Segment(raf.getChannel(), size, link + " (deleted)", fd >= 0 ? fd : findFd(link), true);
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            closeQuietly(raf);
            throw new UncheckedIOException("cannot create " + size + " bytes of shared memory in " + dir + ": " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(raf);
            throw e;
        }
    }

    /**
     * Takes over memory another process holds: opens {@code /proc/<pid>/fd/<n>}, which must be
     * at least {@code size} bytes. Constant time: nothing is copied.
     */
    static Segment adopt(String source, long size) throws IOException {
        Path path = Path.of(source);
        // only a worker's memfd: never a FIFO that would block the reader, nor a file of the node's
        // own (its poolable memory taken for a new array), nor any other file a descriptor names
        String linked = Files.readSymbolicLink(path).toString();
        if (!linked.startsWith("/memfd:")) {
            throw new IOException(source + " names " + linked + ", not a worker's memfd");
        }
        java.io.RandomAccessFile raf = new java.io.RandomAccessFile(path.toFile(), "r");
        try {
            String name = Files.readSymbolicLink(path).toString();
            if (!name.equals(linked)) {
                throw new IOException(source + " changed while it was opened");
            }
            long actual = raf.length();
            if (actual < size) {
                throw new IOException(source + " has " + actual + " bytes, the array needs " + size);
            }
            // Its own descriptor number: another descriptor of the same memfd (the same array
            // handed over twice) links to the same name, so a scan could pick the wrong one.
            return new Segment(raf.getChannel(), size, name, numberOf(raf.getFD()), false);
        } catch (IOException | RuntimeException e) {
            closeQuietly(raf);
            throw e;
        }
    }

    private static List<MappedByteBuffer> map(FileChannel ch, long size, boolean writable) throws IOException {
        FileChannel.MapMode mode = writable ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.READ_ONLY;
        List<MappedByteBuffer> out = new ArrayList<>();
        if (size <= Integer.MAX_VALUE) {
            if (size > 0) {
                out.add(ch.map(mode, 0, size));
            }
            return out;
        }
        for (long at = 0; at < size; at += CHUNK) {
            out.add(ch.map(mode, at, Math.min(CHUNK, size - at)));
        }
        return out;
    }

    /** The number of our descriptor that links to {@code link}, scanning /proc/self/fd. */
    private static int findFd(String link) throws IOException {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(SELF_FD)) {
            for (Path p : fds) {
                try {
                    if (Files.readSymbolicLink(p).toString().equals(link)) {
                        return Integer.parseInt(p.getFileName().toString());
                    }
                } catch (IOException | NumberFormatException e) {
                    // closed meanwhile, or the directory's own descriptor: not ours
                }
            }
        }
        throw new IOException("no descriptor of this process links to " + link);
    }

    /** Writable views for filling a segment this node created; the caller owns them until it hands the segment out. */
    List<MappedByteBuffer> writableMaps() {
        return maps;
    }

    @Override
    public synchronized String source() {
        int n = fd;
        if (n < 0) {
            try {
                n = findFd(name);
            } catch (IOException e) {
                throw new UncheckedIOException("the array's memory is no longer open in the node", e);
            }
            fd = n;
        }
        return "/proc/" + PID + "/fd/" + n;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long byteSize() {
        return size;
    }

    @Override
    public List<ByteBuffer> views() {
        List<ByteBuffer> out = new ArrayList<>(maps.size());
        for (MappedByteBuffer m : maps) {
            out.add(m.duplicate());
        }
        return out;
    }

    @Override
    public boolean hold() {
        return retain();
    }

    @Override
    public void unhold() {
        release(false);
    }

    /** One more array on this memory; false when it is already freed. */
    boolean retain() {
        while (true) {
            int n = refs.get();
            if (n <= 0) {
                return false;
            }
            if (refs.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    @Override
    public void release(boolean unreachable) {
        if (unreachable) {
            viewsMayLive = true;
        }
        if (refs.decrementAndGet() == 0) {
            onFree.accept(this);
        }
    }

    /** Gives the memory back: closes the descriptor and, unless views may live, unmaps at once. */
    void destroy() {
        closeQuietly(channel);
        if (!viewsMayLive && INVOKE_CLEANER != null) {
            // Every array on it was closed: unmap now rather than at some later GC.
            for (MappedByteBuffer m : maps) {
                try {
                    INVOKE_CLEANER.invoke(UNSAFE, m);
                } catch (ReflectiveOperationException e) {
                    LOG.debug("cannot unmap: {}", e.toString());
                }
            }
        }
    }

    int refs() {
        return refs.get();
    }

    private static void closeQuietly(java.io.Closeable ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                // nothing left to do
            }
        }
    }
}
