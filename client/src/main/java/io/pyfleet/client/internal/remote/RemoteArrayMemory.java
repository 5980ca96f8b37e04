package io.pyfleet.client.internal.remote;

import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.client.internal.ArrayMemory;
import io.pyfleet.protocol.RemoteArrayRef;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The memory of an array a node keeps for this client: nothing is here until it is first read,
 * then the bytes are pulled with {@code array_read} in chunks of {@link #CHUNK} bytes, at most
 * {@link #WINDOW} requests in flight, by the reading thread. Pulling at the reader's pace is the
 * backpressure: the node sends a chunk only when asked. The bytes are kept for later reads;
 * passing the array to a call sends its reference, so the node uses its own copy in place. An
 * array this client uploaded ({@link ArrayUploads}) has its bytes here from the start.
 */
final class RemoteArrayMemory implements ArrayMemory {
    /** Bytes per read request: far below any frame or cluster message limit. */
    static final int CHUNK = 1 << 20;
    /** Reads in flight at once: enough to keep the link busy, few enough to bound what is buffered. */
    static final int WINDOW = 4;
    /** Views are this large at most (a multiple of CHUNK, under 2 GiB). */
    static final long PIECE = 1L << 30;

    private final Connection connection;
    private final RemoteArrayRef ref;
    // guarded by this
    private List<ByteBuffer> pulled;

    RemoteArrayMemory(Connection connection, RemoteArrayRef ref) {
        this.connection = connection;
        this.ref = ref;
    }

    /** The bytes are here now (an upload finished): reads use them and pull nothing. */
    synchronized void provide(List<ByteBuffer> local) {
        pulled = List.copyOf(local);
    }

    @Override
    public synchronized List<ByteBuffer> viewsIfLocal() {
        return pulled == null ? null : copies(pulled);
    }

    @Override
    public String source() {
        return ""; // nothing on this host for a worker to map
    }

    @Override
    public String name() {
        return "";
    }

    @Override
    public long byteSize() {
        return ref.byteLength();
    }

    @Override
    public Object reference() {
        return ref;
    }

    /**
     * The bytes, pulled on the first call.
     *
     * @throws PyFleetException when a read fails: the connection ended (the node dropped the array
     *                          with it), or the array was released on the node
     */
    @Override
    public synchronized List<ByteBuffer> views() {
        if (pulled == null) {
            pulled = pull();
        }
        return copies(pulled);
    }

    private static List<ByteBuffer> copies(List<ByteBuffer> views) {
        List<ByteBuffer> out = new ArrayList<>(views.size());
        for (ByteBuffer b : views) {
            out.add(b.duplicate().order(ByteOrder.LITTLE_ENDIAN));
        }
        return out;
    }

    private record Read(long offset, int length, CompletableFuture<Object> bytes) {
    }

    private List<ByteBuffer> pull() {
        long size = byteSize();
        List<ByteBuffer> pieces = new ArrayList<>();
        for (long at = 0; at < size; at += PIECE) {
            pieces.add(ByteBuffer.allocate((int) Math.min(PIECE, size - at)).order(ByteOrder.LITTLE_ENDIAN));
        }
        ArrayDeque<Read> inFlight = new ArrayDeque<>(WINDOW);
        long next = 0;
        while (next < size || !inFlight.isEmpty()) {
            while (inFlight.size() < WINDOW && next < size) {
                int length = (int) Math.min(CHUNK, size - next);
                inFlight.add(new Read(next, length, connection.request("array_read", List.of(ref, next, (long) length))));
                next += length;
            }
            Read r = inFlight.poll();
            if (!(await(r.bytes()) instanceof byte[] b) || b.length == 0 || b.length > r.length()) {
                throw new ProtocolException("the node answered a read of " + r.length() + " bytes at " + r.offset()
                        + " of " + ref + " with something else");
            }
            pieces.get((int) (r.offset() / PIECE)).put((int) (r.offset() % PIECE), b);
            if (b.length < r.length()) { // the node reads less at a time (its array-read-max): ask for the rest
                long rest = r.offset() + b.length;
                int left = r.length() - b.length;
                inFlight.add(new Read(rest, left, connection.request("array_read", List.of(ref, rest, (long) left))));
            }
        }
        return pieces;
    }

    private static Object await(CompletableFuture<Object> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof PyFleetException p) {
                throw p;
            }
            throw e;
        }
    }

    /** Tells the node to free its copy (whoever calls: a close, the Cleaner); never blocks. */
    @Override
    public void release(boolean unreachable) {
        synchronized (this) {
            pulled = null;
        }
        connection.releaseArray(ref);
    }
}
