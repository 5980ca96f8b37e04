package io.pyfleet.node;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits on a condition instead of sleeping a fixed time. */
public final class Eventually {
    private Eventually() {
    }

    /** Polls every few milliseconds until {@code condition} holds; fails with {@code what} after {@code limit}. */
    public static void await(Duration limit, BooleanSupplier condition, Supplier<String> what) {
        awaitValue(limit, () -> condition.getAsBoolean() ? Boolean.TRUE : null, what);
    }

    /**
     * Polls every few milliseconds until {@code untilNonNull} gives a value, and returns it; fails with
     * {@code what} after {@code limit}.
     */
    public static <T> T awaitValue(Duration limit, Supplier<T> untilNonNull, Supplier<String> what) {
        long deadline = System.nanoTime() + limit.toNanos();
        T value = untilNonNull.get();
        while (value == null) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + limit + ": " + what.get());
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for: " + what.get());
            }
            value = untilNonNull.get();
        }
        return value;
    }
}
