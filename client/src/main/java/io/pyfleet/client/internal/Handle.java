package io.pyfleet.client.internal;

import java.util.Objects;

/**
 * A reference to an object that stays in a Python worker (ext 9). Here it is only
 * a value; releasing it is the client's business.
 *
 * @param node       the node that owns the worker
 * @param worker     the worker id
 * @param generation the worker's generation (restart count): a handle from an older one is stale
 * @param id         the object's id within the worker
 * @param type       the qualified Python type name of the object, e.g. {@code builtins.object}
 */
public record Handle(String node, String worker, long generation, long id, String type) implements HandleRef {
    /** Checks that no field is {@code null}. */
    public Handle {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(worker, "worker");
        Objects.requireNonNull(type, "type");
    }

    /** True when both handles live in the same worker process (node, worker and generation). */
    public boolean sameOwner(Handle other) {
        return generation == other.generation && worker.equals(other.worker) && node.equals(other.node);
    }

    /** The handle {@code value} stands for (a Handle, a {@link io.pyfleet.client.PyObject}, any {@link HandleRef}), or null. */
    public static Handle of(Object value) {
        if (value instanceof Handle h) {
            return h;
        }
        if (value instanceof io.pyfleet.client.PyObject o) {
            return ApiAccess.handle(o);
        }
        return value instanceof HandleRef r ? r.handle() : null;
    }

    /** This handle itself. */
    @Override
    public Handle handle() {
        return this;
    }
}
