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
 */
public record CallOptions(Duration timeout, boolean asHandle, Consumer<Object> onEvent, boolean stream) {
    public static final CallOptions DEFAULT = new CallOptions(null, false, null, false);

    public CallOptions {
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

        public CallOptions build() {
            return new CallOptions(timeout, asHandle, onEvent, stream);
        }
    }
}
