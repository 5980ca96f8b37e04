package io.pyfleet.node.call;

import io.pyfleet.client.Call;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyArray;
import io.pyfleet.client.internal.ApiAccess;
import io.pyfleet.client.internal.ArrayMemory;
import io.pyfleet.client.internal.Handle;
import io.pyfleet.client.internal.Releaser;
import io.pyfleet.node.arrays.NodeArrays;
import io.pyfleet.protocol.ArrayAdopter;
import io.pyfleet.protocol.ArrayRef;
import io.pyfleet.protocol.LargeArrays;
import io.pyfleet.protocol.Messages;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/** What the call path needs of the node's arrays: the worker option that asks for references, and their adoption. */
final class CallerArrays {
    private volatile NodeArrays arrays;
    private volatile Map<String, ?> arrayOpts;

    void use(NodeArrays nodeArrays) {
        this.arrays = nodeArrays;
        this.arrayOpts = Map.of("arrays", nodeArrays.referenceFrom());
    }

    NodeArrays get() {
        return arrays;
    }

    /**
     * Keeps the memory of every node array a call names (its target, arguments and keyword
     * arguments, and lists, tuples and maps in them) until {@code done} completes: a worker maps
     * it when it reads the call, which may be long after this thread returns, and by then a
     * {@code close()} or a Cleaner must neither free it nor hand it to another array.
     *
     * @throws ProtocolException when a named array was closed already (nothing stays pinned)
     */
    void pin(Object target, List<?> args, Map<String, ?> kwargs, CompletableFuture<?> done) {
        NodeArrays a = arrays;
        if (a == null) {
            return;
        }
        List<ArrayMemory> held = new ArrayList<>(2);
        try {
            collect(target, held, 0);
            collect(args, held, 0);
            if (kwargs != null) {
                collect(kwargs.values(), held, 0);
            }
        } catch (ProtocolException e) {
            held.forEach(m -> m.release(false));
            throw e;
        }
        if (!held.isEmpty()) {
            done.whenComplete((v, e) -> held.forEach(m -> m.release(false)));
        }
    }

    /** What finds a call's large Java arrays, sized by the node's by-value limit; null when it keeps no arrays. */
    LargeArrays large() {
        NodeArrays a = arrays;
        return a == null ? null : new LargeArrays(a.byValueMax());
    }

    /**
     * Copies a call's large arrays into node memory, each placed in {@code large} as its stand-in,
     * and frees the copies when {@code done} completes (the call ended, or failed before it was sent).
     */
    void copyIn(List<Object> found, LargeArrays large, CompletableFuture<?> done) {
        NodeArrays a = arrays;
        List<PyArray> copies = new ArrayList<>(found.size());
        try {
            for (Object array : found) {
                PyArray copy = a.ofArgument(array);
                copies.add(copy);
                large.place(array, copy);
            }
        } catch (RuntimeException e) {
            copies.forEach(PyArray::close);
            if (e instanceof io.pyfleet.client.PyFleetException p) {
                throw p;
            }
            // memory the node cannot make (a full or missing pyfleet.arrays.dir): a typed error, as the caller's
            // future must end with one (it frees what the call holds)
            throw new ProtocolException("cannot copy the call's large array arguments into node memory in "
                    + a.dir() + " (pyfleet.arrays.dir); the call was not run: " + e.getMessage() + ". Make room "
                    + "there, point pyfleet.arrays.dir at a tmpfs with room, or raise pyfleet.arrays.by-value-max "
                    + "to send them by value", e);
        }
        done.whenComplete((v, e) -> copies.forEach(PyArray::close));
    }

    private static void collect(Object v, List<ArrayMemory> held, int depth) {
        if (v instanceof PyArray array) {
            if (!array.onHeap()) {
                if (!NodeArrays.retain(ApiAccess.memory(array))) {
                    throw new ProtocolException("an argument array was closed before the call: " + array);
                }
                held.add(ApiAccess.memory(array));
            }
        } else if (depth < 4 && v instanceof Iterable<?> items) {
            for (Object item : items) {
                collect(item, held, depth + 1);
            }
        } else if (depth < 4 && v instanceof Map<?, ?> m) {
            collect(m.values(), held, depth + 1);
        } else if (depth < 4 && v instanceof io.pyfleet.client.PyTuple t) {
            collect(t.items(), held, depth + 1);
        }
    }

    /** Handles become releasing PyObjects, array references PyArrays the node took over. */
    ArrayAdopter adopter(CallPath path) {
        Releaser releaser = path::release;
        Consumer<Handle> releaseWithoutBlocking = path::releaseWithoutBlocking;
        NodeArrays.KeeperRelease whenFreed = (keeper, discard) -> {
            if (discard) {
                path.submit(Call.method(keeper, "discard", List.of(), Map.of()));
            }
            path.release(keeper);
        };
        return new ArrayAdopter() {
            @Override
            public Object apply(Handle handle) {
                return ApiAccess.newObject(handle, releaser);
            }

            @Override
            public Object adoptArray(ArrayRef ref) {
                NodeArrays a = arrays;
                if (a == null) {
                    if (ref.keeper() instanceof Handle h) {
                        releaseWithoutBlocking.accept(h);
                    }
                    throw new ProtocolException("a worker sent an array reference, but this node keeps no arrays");
                }
                return a.adopt(ref, releaseWithoutBlocking, whenFreed);
            }
        };
    }

    /** The worker options of {@code call}: with what asks for references when its reply is decoded here. */
    Map<String, ?> opts(io.pyfleet.client.Call call, io.pyfleet.node.worker.PendingCall.Decoding decoding, boolean asArray) {
        if (decoding != io.pyfleet.node.worker.PendingCall.Decoding.ADOPT) {
            return Messages.workerOptions(call);
        }
        return withArrays(Messages.workerOptions(call), asArray);
    }

    /** {@code opts} plus what makes a worker send large arrays by reference, for a caller in this node. */
    Map<String, ?> withArrays(Map<String, ?> opts, boolean asArray) {
        NodeArrays a = arrays;
        if (a == null) {
            if (asArray) {
                throw new ProtocolException("this node keeps no arrays in shared memory");
            }
            return opts;
        }
        if ((opts == null || opts.isEmpty()) && !asArray) {
            return arrayOpts;
        }
        Map<String, Object> out = opts == null ? new HashMap<>(4) : new HashMap<>(opts);
        out.put("arrays", a.referenceFrom());
        if (asArray) {
            out.put("ret", "array");
        }
        return out;
    }
}
