package io.pyfleet.node.pool;

import io.pyfleet.client.Call;
import io.pyfleet.client.StaleHandleException;
import io.pyfleet.protocol.Handle;
import io.pyfleet.protocol.HandleRef;
import io.pyfleet.protocol.PyTuple;
import java.util.List;
import java.util.Map;

/** Finds the worker that owns the handles of a call. */
final class Affinity {
    private Affinity() {
    }

    /** The handle whose owner must run the call, null when the call has none. */
    static Handle ownerOf(Call call) {
        Handle owner = visit(call.target(), null);
        for (Object arg : call.args()) {
            owner = visit(arg, owner);
        }
        for (Object value : call.kwargs().values()) {
            owner = visit(value, owner);
        }
        return owner;
    }

    private static Handle visit(Object value, Handle owner) {
        if (value instanceof HandleRef ref) {
            return merge(owner, ref.handle());
        }
        if (value instanceof List<?> list) {
            for (Object item : list) {
                owner = visit(item, owner);
            }
        } else if (value instanceof Map<?, ?> map) {
            for (Object item : map.values()) {
                owner = visit(item, owner);
            }
        } else if (value instanceof PyTuple tuple) {
            for (Object item : tuple.items()) {
                owner = visit(item, owner);
            }
        }
        return owner;
    }

    private static Handle merge(Handle owner, Handle found) {
        if (owner == null || (owner.worker().equals(found.worker()) && owner.node().equals(found.node())
                && owner.generation() == found.generation())) {
            return owner == null ? found : owner;
        }
        throw new StaleHandleException("one call cannot combine objects of different workers ("
                + owner.worker() + " and " + found.worker() + "): pass one of them by value");
    }
}
