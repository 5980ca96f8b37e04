package io.pyfleet.protocol;

import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.client.internal.Handle;
import io.pyfleet.client.internal.RemoteError;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The messages frames carry (spec/PROTOCOL.md, "Frames"): msgpack arrays {@code [type, id, ...]}. The
 * builders return a frame's payload (the msgpack bytes, without the length prefix); {@link Incoming#parse}
 * reads one.
 */
public final class Messages {
    /** {@code [0, id, op, target, args, kwargs, opts]}, node to worker. */
    public static final int REQUEST = 0;
    /** {@code [1, id, value]}. */
    public static final int REPLY = 1;
    /** {@code [2, id, [kind, type, message, traceback]]}. */
    public static final int ERROR = 2;
    /** {@code [3, id, value]}, before the request's reply or error. */
    public static final int EVENT = 3;
    /** {@code [4, 0, [stream, text]]}. */
    public static final int LOG = 4;
    /** {@code [5, 0, {protocol, pid, python, numpy, package, worker, max_frame}]}, the worker's first frame. */
    public static final int HELLO = 5;

    /** The protocol version this codec implements. */
    public static final int PROTOCOL_VERSION = 1;

    private Messages() {
    }

    /**
     * The worker protocol's {@code opts} for a call ({@code ret}, {@code stream}, {@code coerce};
     * spec/PROTOCOL.md), as a new map the caller may add to, or null when it has none.
     */
    public static Map<String, Object> workerOptions(io.pyfleet.client.Call call) {
        io.pyfleet.client.CallOptions options = call.options();
        if (!options.asHandle() && !options.stream() && call.coerce() == null) {
            return null;
        }
        Map<String, Object> opts = new java.util.HashMap<>(8);
        if (options.asHandle()) {
            opts.put("ret", "handle");
        }
        if (options.stream()) {
            opts.put("stream", true);
        }
        if (call.coerce() != null) {
            opts.put("coerce", call.coerce());
        }
        return opts;
    }

    /**
     * A request. Empty or {@code null} {@code args}, {@code kwargs} and {@code opts} are sent as nil.
     *
     * @param id     the request id, 1..2^63-1
     * @param op     the operation ({@code call}, {@code method}, ...)
     * @param target a dotted name or an object (often a {@link Handle}); may be {@code null}
     * @throws ProtocolException if a value cannot be encoded
     */
    public static byte[] request(long id, String op, Object target, List<?> args, Map<String, ?> kwargs,
                                 Map<String, ?> opts) {
        checkId(id, 1);
        byte[] head = requestHead(id);
        byte[] tail = encodeCall(op, target, args, kwargs, opts).tail();
        byte[] payload = java.util.Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, payload, head.length, tail.length);
        return payload;
    }

    /**
     * The first bytes of a request's payload: {@code fixarray(7), 0, id}. The rest is an
     * {@link EncodedCall#tail()}; the two are joined as the call is written, so that the id
     * follows the order of writes.
     */
    public static byte[] requestHead(long id) {
        checkId(id, 1);
        WireBuffer w = WireBuffer.acquire();
        try {
            w.arrayHeader(7);
            w.integer(REQUEST);
            w.integer(id);
            return w.toByteArray();
        } finally {
            w.release();
        }
    }

    /** The largest request head: fixarray, type, and a uint64 id. */
    public static final int REQUEST_HEAD_MAX = 11;

    /**
     * A request without its id: {@code [op, target, args, kwargs, opts]} as the tail of the
     * frame, encoded once on the caller's thread (cyclic, too deep or unencodable arguments
     * fail here, as a {@link ProtocolException}), plus the handles the walk met. The id is
     * put in front when the call is written to a worker ({@link Frames#writeRequest}).
     */
    public static EncodedCall encodeCall(String op, Object target, List<?> args, Map<String, ?> kwargs,
                                         Map<String, ?> opts) {
        return encodeCall(op, target, args, kwargs, opts, null);
    }

    /**
     * {@link #encodeCall(String, Object, List, Map, Map)} that writes large Java arrays as their stand-ins
     * in {@code large}, and notes (writing nil) those that have none yet: the tail is good only when
     * {@link LargeArrays#takeFound()} is empty after it.
     */
    public static EncodedCall encodeCall(String op, Object target, List<?> args, Map<String, ?> kwargs,
                                         Map<String, ?> opts, LargeArrays large) {
        Objects.requireNonNull(op, "op");
        WireBuffer w = WireBuffer.acquire();
        try {
            w.large = large;
            w.string(op);
            ValueCodec.write(w, target, 1);
            if (args == null || args.isEmpty()) {
                w.nil();
            } else {
                ValueCodec.writeList(w, args, 1);
            }
            writeOptionalMap(w, kwargs);
            writeOptionalMap(w, opts);
            return new EncodedCall(w.toByteArray(), w.firstHandle, w.otherOwner);
        } catch (StackOverflowError e) {
            throw new ProtocolException("the call's arguments nest too deep to encode (or a container holds itself): "
                    + "flatten them, or keep the value in Python as an object", e);
        } catch (PyFleetException e) {
            throw e;
        } catch (RuntimeException e) {
            // a value the walk cannot read (a collection that throws while iterated, say)
            throw new ProtocolException("cannot encode the call's arguments: " + e, e);
        } finally {
            w.release();
        }
    }

    private static void writeOptionalMap(WireBuffer w, Map<String, ?> map) {
        if (map == null || map.isEmpty()) {
            w.nil();
        } else {
            ValueCodec.writeMap(w, map, 1);
        }
    }

    /** A reply: {@code [1, id, value]}. */
    public static byte[] reply(long id, Object value) {
        return withValue(REPLY, checkId(id, 1), value);
    }

    /** An event: {@code [3, id, value]}. */
    public static byte[] event(long id, Object value) {
        return withValue(EVENT, checkId(id, 1), value);
    }

    /** An error frame: {@code [2, id, [kind, type, message, traceback(, frames)]]}; id 0 when no request applies. */
    public static byte[] error(long id, RemoteError error) {
        checkId(id, 0);
        return withValue(ERROR, id, error.fields());
    }

    /** A log line: {@code [4, 0, [stream, text]]}. */
    public static byte[] log(String stream, String text) {
        return withValue(LOG, 0, List.of(stream, text));
    }

    /** A hello: {@code [5, 0, info]}. */
    public static byte[] hello(Map<String, ?> info) {
        return withValue(HELLO, 0, Objects.requireNonNull(info, "info"));
    }

    private static byte[] withValue(int type, long id, Object value) {
        WireBuffer w = WireBuffer.acquire();
        try {
            w.arrayHeader(3);
            w.integer(type);
            w.integer(id);
            ValueCodec.write(w, value, 1);
            return w.toByteArray();
        } finally {
            w.release();
        }
    }

    private static long checkId(long id, long min) {
        if (id < min) {
            throw new IllegalArgumentException("request id " + id + " out of range " + min + "..2^63-1");
        }
        return id;
    }
}
