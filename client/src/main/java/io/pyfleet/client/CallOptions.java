package io.pyfleet.client;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How one call runs: its timeout, where it runs, and what comes back. Immutable; made with
 * {@link #builder()} (or {@link #toBuilder()} from other options), and {@link #DEFAULT} when none are given.
 *
 * <pre>{@code
 * CallOptions o = CallOptions.builder().timeout(Duration.ofMinutes(5)).onEvent(System.out::println).build();
 * fleet.submit(Call.function("mymodule.train", List.of(10), Map.of()).with(o));
 * }</pre>
 */
public final class CallOptions {
    /** No options: the node's timeout, any worker of the default pool, the result as a value. */
    public static final CallOptions DEFAULT = builder().build();

    private final Duration timeout;
    private final boolean asHandle;
    private final Consumer<Object> onEvent;
    private final boolean stream;
    private final String node;
    private final String pool;
    private final boolean idempotent;
    private final boolean asArray;

    private CallOptions(Builder b) {
        if (b.node != null && b.node.isBlank()) {
            throw new IllegalArgumentException("a node name must not be blank");
        }
        if (b.pool != null && b.pool.isBlank()) {
            throw new IllegalArgumentException("a pool name must not be blank");
        }
        if (b.stream && b.onEvent == null) {
            throw new IllegalArgumentException("a streamed call needs an event consumer");
        }
        if (b.timeout != null && (b.timeout.isNegative() || b.timeout.isZero())) {
            throw new IllegalArgumentException("timeout must be positive: " + b.timeout);
        }
        this.timeout = b.timeout;
        this.asHandle = b.asHandle;
        this.onEvent = b.onEvent;
        this.stream = b.stream;
        this.node = b.node;
        this.pool = b.pool;
        this.idempotent = b.idempotent;
        this.asArray = b.asArray;
    }

    /**
     * A builder with no options set.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder holding these options, to change some of them.
     *
     * @return a new builder; these options are unchanged
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.timeout = timeout;
        b.asHandle = asHandle;
        b.onEvent = onEvent;
        b.stream = stream;
        b.node = node;
        b.pool = pool;
        b.idempotent = idempotent;
        b.asArray = asArray;
        return b;
    }

    /**
     * The same options with the result kept as a handle.
     *
     * @return new options
     */
    public CallOptions withHandle() {
        return toBuilder().asHandle().build();
    }

    /**
     * The same options with the result as a {@link PyArray}.
     *
     * @return new options
     */
    public CallOptions withArray() {
        return toBuilder().asArray().build();
    }

    /**
     * How long the call may run on its worker.
     *
     * @return the timeout; null: the node's {@code pyfleet.pool.call-timeout}
     */
    public Duration timeout() {
        return timeout;
    }

    /**
     * Whether the whole result stays in the worker and comes back as a {@link PyObject}.
     *
     * @return true when asked for with {@link Builder#asHandle()}
     */
    public boolean asHandle() {
        return asHandle;
    }

    /**
     * Receives the values the call emits with {@code pyfleet.emit} (and a stream's items).
     *
     * @return the consumer; null: none
     */
    public Consumer<Object> onEvent() {
        return onEvent;
    }

    /**
     * Whether the result is iterated in the worker, each item going to {@link #onEvent()}.
     *
     * @return true for a streamed call, which returns the items' count
     */
    public boolean stream() {
        return stream;
    }

    /**
     * The cluster node that must run the call.
     *
     * @return its name; null: any (a call on an object runs where the object lives)
     */
    public String node() {
        return node;
    }

    /**
     * The named Python pool that runs the call.
     *
     * @return its name; null: the node's default pool
     */
    public String pool() {
        return pool;
    }

    /**
     * Whether the call may safely run twice: a cluster scatter re-runs such items elsewhere when their node is
     * lost mid-call, instead of reporting them as node-lost.
     *
     * @return true when declared with {@link Builder#idempotent()}
     */
    public boolean idempotent() {
        return idempotent;
    }

    /**
     * Whether the result comes back as a {@link PyArray} whatever its size (what {@code numpy.asarray} makes
     * of it): in node memory on an embedded fleet, kept on the node or by value over TCP.
     *
     * @return true when asked for with {@link Builder#asArray()}
     */
    public boolean asArray() {
        return asArray;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof CallOptions o && asHandle == o.asHandle && stream == o.stream
                && idempotent == o.idempotent && asArray == o.asArray && Objects.equals(timeout, o.timeout)
                && Objects.equals(onEvent, o.onEvent) && Objects.equals(node, o.node) && Objects.equals(pool, o.pool);
    }

    @Override
    public int hashCode() {
        return Objects.hash(timeout, asHandle, onEvent, stream, node, pool, idempotent, asArray);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("CallOptions[");
        if (timeout != null) {
            s.append("timeout=").append(timeout).append(", ");
        }
        if (node != null) {
            s.append("node=").append(node).append(", ");
        }
        if (pool != null) {
            s.append("pool=").append(pool).append(", ");
        }
        if (asHandle) {
            s.append("asHandle, ");
        }
        if (asArray) {
            s.append("asArray, ");
        }
        if (stream) {
            s.append("stream, ");
        } else if (onEvent != null) {
            s.append("onEvent, ");
        }
        if (idempotent) {
            s.append("idempotent, ");
        }
        if (s.charAt(s.length() - 1) == ' ') {
            s.setLength(s.length() - 2);
        }
        return s.append(']').toString();
    }

    /** Builds {@link CallOptions}; every option is unset until named. */
    public static final class Builder {
        private Duration timeout;
        private boolean asHandle;
        private Consumer<Object> onEvent;
        private boolean stream;
        private String node;
        private String pool;
        private boolean idempotent;
        private boolean asArray;

        private Builder() {
        }

        /**
         * How long the call may run on its worker before it is killed and the call fails as timed out
         * ({@link CallTimeoutException}).
         *
         * @param value a positive duration; null: the node's {@code pyfleet.pool.call-timeout}
         * @return this builder
         */
        public Builder timeout(Duration value) {
            this.timeout = value;
            return this;
        }

        /**
         * Keeps the result in the worker: the call returns a {@link PyObject}.
         *
         * @return this builder
         */
        public Builder asHandle() {
            this.asHandle = true;
            return this;
        }

        /**
         * Receives the values the call emits with {@code pyfleet.emit}, in order, before its result, on a callback
         * thread of the fleet.
         *
         * @param consumer the consumer; null: events are dropped
         * @return this builder
         */
        public Builder onEvent(Consumer<Object> consumer) {
            this.onEvent = consumer;
            return this;
        }

        /**
         * Streams the items of the result (a generator, any iterable) to the consumer; the call returns their count.
         *
         * @param consumer receives each item, in order
         * @return this builder
         */
        public Builder stream(Consumer<Object> consumer) {
            this.onEvent = Objects.requireNonNull(consumer, "consumer");
            this.stream = true;
            return this;
        }

        /**
         * Runs the call on the named cluster node.
         *
         * @param nodeName the node's name ({@code pyfleet.node-name}); null: any
         * @return this builder
         */
        public Builder on(String nodeName) {
            this.node = nodeName;
            return this;
        }

        /**
         * Runs the call in the named Python pool instead of the node's default one.
         *
         * @param poolName the pool's name; null: the default pool
         * @return this builder
         */
        public Builder pool(String poolName) {
            this.pool = poolName;
            return this;
        }

        /**
         * Declares that running the call twice is harmless (see {@link CallOptions#idempotent()}).
         *
         * @return this builder
         */
        public Builder idempotent() {
            this.idempotent = true;
            return this;
        }

        /**
         * Returns the result as a {@link PyArray} (see {@link CallOptions#asArray()}).
         *
         * @return this builder
         */
        public Builder asArray() {
            this.asArray = true;
            return this;
        }

        /**
         * The options.
         *
         * @return the options
         * @throws IllegalArgumentException for a blank node or pool name, a timeout that is not positive, or a
         *                                  stream without a consumer
         */
        public CallOptions build() {
            return new CallOptions(this);
        }
    }
}
