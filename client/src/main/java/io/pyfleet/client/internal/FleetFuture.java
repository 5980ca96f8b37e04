package io.pyfleet.client.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The future a call returns. Whatever the caller attaches to it — {@code thenApply},
 * {@code whenComplete}, any dependent stage, also on the stages derived from it — runs on
 * the fleet's callback executor, never on the thread that completes the call (a worker's
 * reader, the node's timers): a continuation that blocks, makes a synchronous call or
 * throws affects only its own call. Waiting with {@code join}/{@code get} involves no
 * executor at all.
 */
public final class FleetFuture<T> extends CompletableFuture<T> {
    private final Executor callbacks;
    private final boolean spinWorthIt;

    public FleetFuture(Executor callbacks) {
        this(callbacks, true);
    }

    /**
     * @param spinWorthIt whether a synchronous caller should spin briefly before parking
     *                    ({@link Waiting}): true for a call to a worker on this host, whose answer
     *                    often comes within the spin; false over the network, where the spin only
     *                    takes a core from the threads that bring the answer
     */
    public FleetFuture(Executor callbacks, boolean spinWorthIt) {
        this.callbacks = callbacks;
        this.spinWorthIt = spinWorthIt;
    }

    /** See {@link #FleetFuture(Executor, boolean)}. */
    public boolean spinWorthIt() {
        return spinWorthIt;
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new FleetFuture<>(callbacks, spinWorthIt);
    }

    @Override
    public Executor defaultExecutor() {
        return callbacks;
    }

    @Override
    public <U> CompletableFuture<U> thenApply(Function<? super T, ? extends U> fn) {
        return thenApplyAsync(fn, callbacks);
    }

    @Override
    public CompletableFuture<Void> thenAccept(Consumer<? super T> action) {
        return thenAcceptAsync(action, callbacks);
    }

    @Override
    public CompletableFuture<Void> thenRun(Runnable action) {
        return thenRunAsync(action, callbacks);
    }

    @Override
    public <U, V> CompletableFuture<V> thenCombine(CompletionStage<? extends U> other,
            BiFunction<? super T, ? super U, ? extends V> fn) {
        return thenCombineAsync(other, fn, callbacks);
    }

    @Override
    public <U> CompletableFuture<Void> thenAcceptBoth(CompletionStage<? extends U> other,
            BiConsumer<? super T, ? super U> action) {
        return thenAcceptBothAsync(other, action, callbacks);
    }

    @Override
    public CompletableFuture<Void> runAfterBoth(CompletionStage<?> other, Runnable action) {
        return runAfterBothAsync(other, action, callbacks);
    }

    @Override
    public <U> CompletableFuture<U> applyToEither(CompletionStage<? extends T> other, Function<? super T, U> fn) {
        return applyToEitherAsync(other, fn, callbacks);
    }

    @Override
    public CompletableFuture<Void> acceptEither(CompletionStage<? extends T> other, Consumer<? super T> action) {
        return acceptEitherAsync(other, action, callbacks);
    }

    @Override
    public CompletableFuture<Void> runAfterEither(CompletionStage<?> other, Runnable action) {
        return runAfterEitherAsync(other, action, callbacks);
    }

    @Override
    public <U> CompletableFuture<U> thenCompose(Function<? super T, ? extends CompletionStage<U>> fn) {
        return thenComposeAsync(fn, callbacks);
    }

    @Override
    public <U> CompletableFuture<U> handle(BiFunction<? super T, Throwable, ? extends U> fn) {
        return handleAsync(fn, callbacks);
    }

    @Override
    public CompletableFuture<T> whenComplete(BiConsumer<? super T, ? super Throwable> action) {
        return whenCompleteAsync(action, callbacks);
    }

    @Override
    public CompletableFuture<T> exceptionally(Function<Throwable, ? extends T> fn) {
        return exceptionallyAsync(fn, callbacks);
    }

    @Override
    public CompletableFuture<T> exceptionallyCompose(Function<Throwable, ? extends CompletionStage<T>> fn) {
        return exceptionallyComposeAsync(fn, callbacks);
    }
}
