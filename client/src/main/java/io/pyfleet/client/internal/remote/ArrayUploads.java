package io.pyfleet.client.internal.remote;

import io.pyfleet.client.internal.ArrayElements;
import io.pyfleet.client.CallInterruptedException;
import io.pyfleet.client.ConnectionLostException;
import io.pyfleet.client.DType;
import io.pyfleet.client.FleetClosedException;
import io.pyfleet.client.NdArray;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyArray;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.client.internal.ApiAccess;
import io.pyfleet.protocol.ArrayRef;
import io.pyfleet.protocol.ArrayUpload;
import io.pyfleet.protocol.RemoteArrayRef;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Java data sent to the memory of the node a thin client is connected to, as reads come back:
 * {@code array_new}, then {@code array_write}s of at most {@link RemoteArrayMemory#CHUNK} bytes
 * (less when the gateway's frames are smaller), {@link RemoteArrayMemory#WINDOW} in flight, by the
 * thread that asked. The result is a {@link PyArray} naming the node's array, sent by reference when
 * passed to a call, which keeps the client's bytes as its own: reading it back pulls nothing.
 */
final class ArrayUploads {
    private ArrayUploads() {
    }

    /** An array's element type, shape and little-endian bytes in pieces of {@link RemoteArrayMemory#PIECE}. */
    record Data(DType dtype, long[] shape, List<ByteBuffer> pieces) {
    }

    /**
     * Uploads {@code data} on {@code c}; {@code argument}: for a call, which frees it when it ends (the node
     * then never reuses its memory for another array, as Python code may keep what it was passed).
     *
     * @throws io.pyfleet.client.OverloadedException when the node refuses it: over the connection's
     *         {@code pyfleet.gateway.array-upload-max}
     * @throws ConnectionLostException when the connection ends meanwhile (the node frees what it got)
     * @throws FleetClosedException when the fleet is closed meanwhile
     * @throws CallInterruptedException when the thread is interrupted meanwhile (the node frees what it got)
     */
    static PyArray upload(Connection c, Data data, boolean argument) {
        return upload(c, data, argument, null);
    }

    /**
     * {@link #upload(Connection, Data, boolean)} to the memory of {@code node} of the gateway's cluster (null:
     * the gateway's own), through the gateway: a call sent there finds its arguments there. The writes follow
     * the array to its node by themselves.
     */
    static PyArray upload(Connection c, Data data, boolean argument, String node) {
        long size = ArrayRef.byteLength(data.dtype(), data.shape());
        Object made;
        CompletableFuture<Object> asked = c.request(ArrayUpload.NEW,
                new ArrayUpload.New(data.dtype(), data.shape(), argument).args(), node == null ? null
                        : java.util.Map.of("node", node));
        try {
            made = await(asked);
        } catch (ConnectionLostException | FleetClosedException e) {
            throw notRun(c, size, 0, e); // an upload runs nothing, whenever it is cut short
        } catch (CallInterruptedException e) {
            asked.thenAccept(late -> close(late)); // the node's array, when its answer comes
            throw e;
        }
        if (!(made instanceof PyArray array) || !(ApiAccess.memory(array) instanceof RemoteArrayMemory memory)
                || !(memory.reference() instanceof RemoteArrayRef ref) || ref.dtype() != data.dtype()
                || !Arrays.equals(ref.shape(), data.shape())) {
            close(made);
            throw new ProtocolException("the node answered " + ArrayUpload.NEW + " with " + made);
        }
        long acknowledged = 0;
        try {
            int chunk = (int) Math.min(RemoteArrayMemory.CHUNK, c.maxFrame - ArrayUpload.writeOverhead(ref));
            if (chunk < 1) {
                throw new ProtocolException("the gateway's max-frame-size (" + c.maxFrame + " bytes) leaves no room "
                        + "for array bytes in a frame");
            }
            record Write(long offset, int length, CompletableFuture<Object> written) {
            }
            ArrayDeque<Write> inFlight = new ArrayDeque<>(RemoteArrayMemory.WINDOW);
            long next = 0;
            while (next < size || !inFlight.isEmpty()) {
                while (inFlight.size() < RemoteArrayMemory.WINDOW && next < size) {
                    ByteBuffer piece = data.pieces().get((int) (next / RemoteArrayMemory.PIECE));
                    int within = (int) (next % RemoteArrayMemory.PIECE);
                    int length = Math.min(chunk, piece.remaining() - within);
                    ByteBuffer bytes = piece.duplicate();
                    bytes.position(within).limit(within + length);
                    inFlight.add(new Write(next, length, c.writeArray(ref, next, bytes)));
                    next += length;
                }
                Write w = inFlight.poll();
                if (!(await(w.written()) instanceof Long got) || got != w.offset() + w.length()) {
                    throw new ProtocolException("the node answered a write of " + w.length() + " bytes at " + w.offset()
                            + " of " + ref + " with something else");
                }
                acknowledged = w.offset() + w.length();
            }
            memory.provide(data.pieces());
            return array;
        } catch (ConnectionLostException | FleetClosedException e) {
            array.close();
            throw notRun(c, size, acknowledged, e);
        } catch (RuntimeException e) {
            array.close(); // the node frees the part it got
            throw e;
        }
    }

    /** The end of an upload cut short: nothing ran, though its requests were written ({@code mayHaveRun} false). */
    private static PyFleetException notRun(Connection c, long size, long acknowledged, PyFleetException e) {
        String what = "an array of " + size + " bytes was uploaded (" + acknowledged + " written); the node frees "
                + "what it got and nothing was run";
        if (e instanceof FleetClosedException) {
            PyFleetException closed = new FleetClosedException("the fleet was closed while " + what, false);
            closed.initCause(e);
            return closed;
        }
        return new ConnectionLostException("the connection to the gateway " + c.address + " ended while " + what,
                false, e);
    }

    private static void close(Object made) {
        if (made instanceof PyArray a) {
            a.close();
        }
    }

    /** The answer; an interrupt ends the wait at once (the caller then frees what the node made). */
    private static Object await(CompletableFuture<Object> f) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof PyFleetException p) {
                throw p;
            }
            throw new CompletionException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CallInterruptedException("interrupted while an array was uploaded to the node; the upload "
                    + "stops, the node frees what it got, and nothing was run", e);
        }
    }

    // ---------------------------------------------------------------------------------- the bytes

    /** Zeroed little-endian pieces holding {@code bytes} in all. */
    private static List<ByteBuffer> pieces(long bytes) {
        List<ByteBuffer> out = new ArrayList<>();
        for (long at = 0; at < bytes || out.isEmpty(); at += RemoteArrayMemory.PIECE) {
            out.add(ByteBuffer.allocate((int) Math.min(RemoteArrayMemory.PIECE, bytes - at)).order(ByteOrder.LITTLE_ENDIAN));
        }
        return out;
    }

    static Data of(double[] d, long... shape) {
        List<ByteBuffer> p = pieces(8L * d.length);
        int at = 0;
        for (ByteBuffer b : p) {
            int n = b.capacity() / 8;
            b.asDoubleBuffer().put(d, at, n);
            at += n;
        }
        return new Data(DType.FLOAT64, ArrayElements.shapeOf(d.length, shape), p);
    }

    static Data of(float[] d, long... shape) {
        List<ByteBuffer> p = pieces(4L * d.length);
        int at = 0;
        for (ByteBuffer b : p) {
            int n = b.capacity() / 4;
            b.asFloatBuffer().put(d, at, n);
            at += n;
        }
        return new Data(DType.FLOAT32, ArrayElements.shapeOf(d.length, shape), p);
    }

    static Data of(long[] d, long... shape) {
        List<ByteBuffer> p = pieces(8L * d.length);
        int at = 0;
        for (ByteBuffer b : p) {
            int n = b.capacity() / 8;
            b.asLongBuffer().put(d, at, n);
            at += n;
        }
        return new Data(DType.INT64, ArrayElements.shapeOf(d.length, shape), p);
    }

    static Data of(int[] d, long... shape) {
        List<ByteBuffer> p = pieces(4L * d.length);
        int at = 0;
        for (ByteBuffer b : p) {
            int n = b.capacity() / 4;
            b.asIntBuffer().put(d, at, n);
            at += n;
        }
        return new Data(DType.INT32, ArrayElements.shapeOf(d.length, shape), p);
    }

    static Data of(short[] d, long... shape) {
        List<ByteBuffer> p = pieces(2L * d.length);
        int at = 0;
        for (ByteBuffer b : p) {
            int n = b.capacity() / 2;
            b.asShortBuffer().put(d, at, n);
            at += n;
        }
        return new Data(DType.INT16, ArrayElements.shapeOf(d.length, shape), p);
    }

    static Data of(byte[] d, long... shape) {
        return of(DType.INT8, ByteBuffer.wrap(d), ArrayElements.shapeOf(d.length, shape));
    }

    static Data of(boolean[] d, long... shape) {
        List<ByteBuffer> p = pieces(d.length);
        int at = 0;
        for (ByteBuffer b : p) {
            int n = b.capacity();
            for (int i = 0; i < n; i++) {
                b.put(i, d[at + i] ? (byte) 1 : 0);
            }
            at += n;
        }
        return new Data(DType.BOOL, ArrayElements.shapeOf(d.length, shape), p);
    }

    /**
     * A copy of the remaining bytes of {@code data}, of {@code shape} exactly.
     *
     * @throws IllegalArgumentException when they do not fill the shape
     */
    static Data of(DType dtype, ByteBuffer data, long... shape) {
        long need = ArrayRef.byteLength(dtype, shape);
        if (data.remaining() != need) {
            throw new IllegalArgumentException("an array " + dtype.numpyName() + " of shape " + Arrays.toString(shape)
                    + " needs " + need + " bytes, got " + data.remaining());
        }
        List<ByteBuffer> p = pieces(need);
        ByteBuffer src = data.duplicate();
        for (ByteBuffer b : p) {
            ByteBuffer part = src.slice();
            part.limit(b.capacity());
            b.duplicate().put(part);
            src.position(src.position() + b.capacity());
        }
        return new Data(dtype, shape.clone(), p);
    }

    /** An array by value as it is: it never changes, so its bytes are the upload's and the local copy. */
    static Data of(NdArray a) {
        byte[] bytes = ApiAccess.bytes(a);
        List<ByteBuffer> p = new ArrayList<>();
        for (long at = 0; at < bytes.length || p.isEmpty(); at += RemoteArrayMemory.PIECE) {
            int n = (int) Math.min(RemoteArrayMemory.PIECE, bytes.length - at);
            p.add(ByteBuffer.wrap(bytes, (int) at, n).slice().order(ByteOrder.LITTLE_ENDIAN)); // never written to
        }
        return new Data(a.dtype(), a.shape(), p);
    }

    /** A large argument of a call ({@link io.pyfleet.protocol.LargeArrays}) as the data to upload. */
    static Data ofArgument(Object v) {
        if (v instanceof double[] d) {
            return of(d);
        } else if (v instanceof float[] f) {
            return of(f);
        } else if (v instanceof long[] l) {
            return of(l);
        } else if (v instanceof int[] i) {
            return of(i);
        } else if (v instanceof short[] s) {
            return of(s);
        } else if (v instanceof boolean[] b) {
            return of(b);
        } else if (v instanceof NdArray a) {
            return of(a);
        }
        throw new IllegalArgumentException("not an array argument: " + v.getClass().getName());
    }
}
