package io.pyfleet.client;

import java.time.Duration;
import java.util.function.Consumer;

/**
 * Per-call options; immutable, built with {@link #builder()}.
 *
 * @param timeout  how long the call may run on its worker (null: the node's default)
 * @param asHandle keep the whole result in the worker and return a handle to it
 * @param onEvent  receives values the call emits with {@code pyfleet.emit} (null: none)
 * @param stream   iterate the result in the worker and deliver each item to {@code onEvent};
 *                 the call then returns the number of items
 * @param node     the cluster node that must run the call (null: any; calls on an object always
 *                 run on the node that owns it)
 * @param pool     the named Python pool of that node that runs the call (null: the node's default pool)
 * @param idempotent the call may safely run twice: a cluster scatter re-runs such items elsewhere
 *                 when their node is lost mid-call, instead of reporting them as node-lost
 * @param asArray  the result comes back as a {@link PyArray} whatever its size (what {@code numpy.asarray}
 *                 makes of it); in node memory on an embedded fleet, by value over TCP
 */
public record CallOptions(Duration timeout, boolean asHandle, Consumer<Object> onEvent, boolean stream, String node,
        String pool, boolean idempotent, boolean asArray) {
    public static final CallOptions DEFAULT = new CallOptions(null, false, null, false);

    public CallOptions(Duration timeout, boolean asHandle, Consumer<Object> onEvent, boolean stream) {
        this(timeout, asHandle, onEvent, stream, null, null, false, false);
    }

    public CallOptions(Duration timeout, boolean asHandle, Consumer<Object> onEvent, boolean stream, String node,
            String pool, boolean idempotent) {
        this(timeout, asHandle, onEvent, stream, node, pool, idempotent, false);
    }

    /** The same options with the result kept as a handle. */
    public CallOptions withHandle() {
        return new CallOptions(timeout, true, onEvent, stream, node, pool, idempotent, asArray);
    }

    /** The same options with the result as a {@link PyArray}. */
    public CallOptions withArray() {
        return new CallOptions(timeout, asHandle, onEvent, stream, node, pool, idempotent, true);
    }

    public CallOptions {
        if (node != null && node.isBlank()) {
            throw new IllegalArgumentException("a node name must not be blank");
        }
        if (pool != null && pool.isBlank()) {
            throw new IllegalArgumentException("a pool name must not be blank");
        }
        if (stream && onEvent == null) {
            throw new IllegalArgumentException("a streamed call needs an event consumer");
        }
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link CallOptions}. */
    public static final class Builder {
        private Duration timeout;
        private boolean asHandle;
        private Consumer<Object> onEvent;
        private boolean stream;
        private String node;
        private String pool;
        private boolean idempotent;
        private boolean asArray;

        public Builder timeout(Duration value) {
            this.timeout = value;
            return this;
        }

        public Builder asHandle() {
            this.asHandle = true;
            return this;
        }

        public Builder onEvent(Consumer<Object> consumer) {
            this.onEvent = consumer;
            return this;
        }

        /** Streams the items of the result (a generator, any iterable) to the consumer. */
        public Builder stream(Consumer<Object> consumer) {
            this.onEvent = consumer;
            this.stream = true;
            return this;
        }

        /** Runs the call on the named cluster node. */
        public Builder on(String nodeName) {
            this.node = nodeName;
            return this;
        }

        /** Runs the call in the named Python pool instead of the node's default one. */
        public Builder pool(String poolName) {
            this.pool = poolName;
            return this;
        }

        /** Declares that running the call twice is harmless (see {@link CallOptions#idempotent()}). */
        public Builder idempotent() {
            this.idempotent = true;
            return this;
        }

        /** Returns the result as a {@link PyArray} (see {@link CallOptions#asArray()}). */
        public Builder asArray() {
            this.asArray = true;
            return this;
        }

        public CallOptions build() {
            return new CallOptions(timeout, asHandle, onEvent, stream, node, pool, idempotent, asArray);
        }
    }
}
