package io.pyfleet.node.gateway;

import io.pyfleet.client.OverloadedException;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyArray;
import io.pyfleet.client.PyTuple;
import io.pyfleet.client.StaleHandleException;
import io.pyfleet.client.internal.ApiAccess;
import io.pyfleet.client.internal.Handle;
import io.pyfleet.node.arrays.NodeArrays;
import io.pyfleet.node.call.CallPath;
import io.pyfleet.node.worker.RawValue;
import io.pyfleet.protocol.ArrayAdopter;
import io.pyfleet.protocol.ArrayRef;
import io.pyfleet.protocol.ArrayUpload;
import io.pyfleet.protocol.HandleScan;
import io.pyfleet.protocol.Messages;
import io.pyfleet.protocol.RemoteArrayRef;
import io.pyfleet.protocol.ValueCodec;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.util.ByteString;

/**
 * The arrays a node keeps for one client session: a worker's large results, taken over into
 * the node's shared memory and sent to the client as remote arrays (ext 13) that name them by
 * number, and the arrays the client uploads ({@code array_new}, then {@code array_write}s in
 * order). The client pulls their bytes with {@code array_read}, chunk by chunk, at its own pace;
 * a request that names one gets the node's array in its place (ext 12 toward the worker), so a
 * result goes on to the next call without crossing the network. They are freed by
 * {@code array_release} or when the session ends. Uploads count against
 * {@code pyfleet.gateway.array-upload-max} from their {@code array_new} until they are released.
 */
final class SessionArrays {
    private final GatewayContext ctx;
    private final Map<Long, Kept> kept = new ConcurrentHashMap<>();
    /** Bytes of the arrays this session uploaded and still keeps, those under way included. */
    private final AtomicLong uploaded = new AtomicLong();
    /** One counter for every session of the node: a number kept by another session is never one of this one's. */
    private static final AtomicLong IDS = new AtomicLong();
    private volatile boolean ended;

    SessionArrays(GatewayContext ctx) {
        this.ctx = ctx;
    }

    /**
     * One kept array and the calls in flight that use it: released while a worker may still be
     * about to map it, it is freed when the last of them ends.
     */
    static final class Kept {
        final PyArray array;
        /** The upload that fills it; null for a worker's result. */
        final NodeArrays.Upload upload;
        private int uses;
        private boolean released;

        Kept(PyArray array) {
            this(array, null);
        }

        Kept(PyArray array, NodeArrays.Upload upload) {
            this.array = array;
            this.upload = upload;
        }

        synchronized void use() {
            uses++;
        }

        void done() {
            synchronized (this) {
                if (--uses > 0 || !released) {
                    return;
                }
            }
            array.close();
        }

        void free() {
            synchronized (this) {
                released = true;
                if (uses > 0) {
                    return;
                }
            }
            array.close();
        }
    }

    /**
     * The worker options of a client's call on {@code path}, asking for references when this node
     * can keep them: on its default pool, whose workers map the node's memory.
     */
    Map<String, Object> workerOpts(Map<String, Object> opts, CallPath path) {
        if (opts.containsKey("arrays")) {
            throw new ProtocolException("opts.arrays is the node's: a remote client's large arrays come back as "
                    + "remote arrays by themselves");
        }
        if (ctx.arrays() != null && path == ctx.path()) {
            long max = ctx.settings().arrayByValueMax();
            opts.put("arrays", max == Long.MAX_VALUE ? max : max + 1);
        }
        return opts;
    }

    /** True when a worker's answer holds array references that must be taken over before it goes on. */
    static boolean holdsReferences(RawValue raw) {
        return HandleScan.holdsArray(raw.frame(), raw.offset(), raw.length(), false);
    }

    /** A worker's answer with its arrays taken over: each goes to the client as a remote array. */
    Object adopt(RawValue raw) {
        ArrayAdopter nodes = (ArrayAdopter) ctx.path().adopter();
        ArrayAdopter plainHandles = new ArrayAdopter() {
            @Override
            public Object apply(Handle h) {
                return h; // the client's objects: the session tracks and releases them as handles
            }

            @Override
            public Object adoptArray(ArrayRef ref) {
                return nodes.adoptArray(ref);
            }
        };
        return map(ValueCodec.decode(raw.frame(), raw.offset(), raw.length(), plainHandles), true);
    }

    /** True when a request names remote arrays (it is then decoded again with them resolved). */
    static boolean namesArrays(byte[] payload) {
        return HandleScan.holdsArray(payload, 0, payload.length, true);
    }

    /**
     * A request's value with this session's remote arrays replaced by the node's arrays; each one
     * is added to {@code using}, in use until {@link #done} with it.
     */
    Object resolve(Object value, List<Kept> using) {
        return map(value, false, using);
    }

    /** The call that used these arrays ended: those released meanwhile are freed now. */
    static void done(List<Kept> using) {
        using.forEach(Kept::done);
    }

    private Object map(Object v, boolean keep) {
        return map(v, keep, null);
    }

    /** Walks containers: {@code keep} turns node arrays into remote ones, otherwise remote ones into node arrays. */
    private Object map(Object v, boolean keep, List<Kept> using) {
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            l.forEach(x -> out.add(map(x, keep, using)));
            return out;
        }
        if (v instanceof PyTuple t) {
            List<Object> out = new ArrayList<>(t.size());
            t.items().forEach(x -> out.add(map(x, keep, using)));
            return new PyTuple(out);
        }
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(map(k, keep, using), map(x, keep, using)));
            return out;
        }
        if (v instanceof Set<?> s) {
            Set<Object> out = new LinkedHashSet<>();
            s.forEach(x -> out.add(map(x, keep, using)));
            return out;
        }
        if (keep && v instanceof PyArray a) {
            return keep(a);
        }
        if (!keep && v instanceof RemoteArrayRef r) {
            Kept k = complete(lookup(r));
            k.use();
            using.add(k);
            return k.array;
        }
        return v;
    }

    private RemoteArrayRef keep(PyArray a) {
        return keep(new Kept(a));
    }

    private RemoteArrayRef keep(Kept k) {
        long id = IDS.incrementAndGet();
        kept.put(id, k);
        if (ended && forget(id) != null) {
            k.free(); // the client left while the call ran
        }
        return new RemoteArrayRef(k.array.dtype(), k.array.shape(), ctx.handleNode(), id);
    }

    /** Takes an array out of the table; an upload's bytes no longer count against the cap. */
    private Kept forget(long id) {
        Kept k = kept.remove(id);
        if (k != null && k.upload != null) {
            uploaded.addAndGet(-k.array.byteSize());
        }
        return k;
    }

    private Kept lookup(Object named) {
        if (!(named instanceof RemoteArrayRef r)) {
            throw new ProtocolException("expected a remote array, got " + named);
        }
        Kept a = r.node().equals(ctx.handleNode()) ? kept.get(r.id()) : null;
        if (a == null) {
            throw new StaleHandleException("no array #" + r.id() + " of " + r.node() + " is kept for this connection "
                    + "on node " + ctx.node() + ": it was released, or received on an earlier connection"
                    + (r.node().equals(ctx.handleNode()) ? "" : " (an array lives on the node that keeps it: a call "
                    + "that names it runs there, without CallOptions.node)"));
        }
        return a;
    }

    /** An array whose every byte is there: an upload under way is no argument, nor read. */
    private static Kept complete(Kept k) {
        if (k.upload != null && !k.upload.complete()) {
            throw new ProtocolException("the array is still being uploaded: " + k.upload.written() + " of "
                    + k.array.byteSize() + " bytes written");
        }
        return k;
    }

    /**
     * {@code array_new [dtype, shape]}: node memory for an upload; the reply is the remote array that
     * names it.
     *
     * @throws OverloadedException when it would take the session's uploads past {@code array-upload-max}
     */
    RemoteArrayRef newArray(List<?> args) {
        ArrayUpload.New asked = ArrayUpload.New.parse(args);
        NodeArrays memory = ctx.arrays();
        if (memory == null) {
            throw new ProtocolException("this node keeps no arrays: it takes no uploads");
        }
        long size = asked.byteLength();
        long max = ctx.settings().arrayUploadMax();
        long before = uploaded.getAndAdd(size);
        if (before + size > max || before + size < 0) {
            uploaded.addAndGet(-size);
            throw new OverloadedException("an array of " + size + " bytes would take this connection's uploads to "
                    + (before + size) + " bytes, over pyfleet.gateway.array-upload-max (" + max + " bytes) of node "
                    + ctx.node() + ": close the arrays it no longer needs, or raise the setting; nothing was run");
        }
        NodeArrays.Upload upload;
        try {
            upload = memory.upload(asked.dtype(), asked.shape(), asked.argument());
        } catch (RuntimeException e) {
            uploaded.addAndGet(-size);
            throw new ProtocolException("node " + ctx.node() + " cannot make an array of " + size + " bytes in "
                    + memory.dir() + ": " + e.getMessage(), e);
        }
        return keep(new Kept(upload.array(), upload));
    }

    /** {@code array_write [array, offset, bytes]}: the next bytes of an upload; the reply is how many are there. */
    long write(List<?> args) {
        ArrayUpload.Write w = ArrayUpload.Write.parse(args);
        Kept k = lookup(w.array());
        if (k.upload == null) {
            throw new ProtocolException("array_write names an array the node made, not one being uploaded");
        }
        return k.upload.write(w.offset(), w.bytes());
    }

    /**
     * {@code array_read [array, offset, length]}: the reply frame of request {@code id}, a bin of at
     * most {@code array-read-max} bytes from {@code offset}, copied once from the node's memory into it.
     */
    ByteString readReply(long id, List<?> args) {
        if (args.size() != 3 || !(args.get(1) instanceof Long offset) || !(args.get(2) instanceof Long length)
                || offset < 0 || length < 0) {
            throw new ProtocolException("array_read takes [array, offset, length], offset and length >= 0");
        }
        PyArray a = complete(lookup(args.get(0))).array;
        long size = a.byteSize();
        if (offset > size) {
            throw new ProtocolException("array_read at " + offset + " past the end of an array of " + size + " bytes");
        }
        int n = (int) Math.min(Math.min(length, ctx.settings().arrayReadMax()), size - offset);
        byte[] head = Messages.reply(id, new byte[0]); // [1, id, bin8 0]: its bin header is widened to bin32
        byte[] f = new byte[4 + head.length - 2 + 5 + n];
        int at = 4 + head.length - 2;
        GatewayFrames.putLength(f, f.length - 4);
        System.arraycopy(head, 0, f, 4, head.length - 2);
        f[at] = (byte) 0xc6;
        f[at + 1] = (byte) (n >>> 24);
        f[at + 2] = (byte) (n >>> 16);
        f[at + 3] = (byte) (n >>> 8);
        f[at + 4] = (byte) n;
        int done = 0;
        long start = 0;
        if (!ApiAccess.memory(a).hold()) { // the copy holds the memory: nothing may unmap it under the read
            throw new io.pyfleet.client.StaleHandleException("the array was released");
        }
        try {
            for (ByteBuffer view : a.buffers()) {
                long end = start + view.remaining();
                if (done < n && offset + done < end) {
                    int from = (int) (offset + done - start);
                    int k = Math.min(n - done, view.remaining() - from);
                    view.get(from, f, at + 5 + done, k);
                    done += k;
                }
                start = end;
            }
        } finally {
            ApiAccess.memory(a).unhold();
        }
        return ByteString.fromArrayUnsafe(f);
    }

    /** {@code array_release [arrays]}: frees them; the reply is how many were still kept. */
    long release(List<?> args) {
        long n = 0;
        for (Object named : args) {
            if (!(named instanceof RemoteArrayRef r)) {
                throw new ProtocolException("array_release takes remote arrays");
            }
            Kept k = r.node().equals(ctx.handleNode()) ? forget(r.id()) : null;
            if (k != null) {
                k.free();
                n++;
            }
        }
        return n;
    }

    /** The session ended: every array it kept is freed. */
    void ended() {
        ended = true;
        for (Long id : kept.keySet()) {
            Kept k = forget(id);
            if (k != null) {
                k.free();
            }
        }
    }
}
