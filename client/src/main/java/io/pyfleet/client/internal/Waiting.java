package io.pyfleet.client.internal;

import java.util.concurrent.Future;

/**
 * How a synchronous caller waits for a short call. Parking the thread and being woken by
 * the thread that reads the reply costs tens of microseconds on a busy VM, as much as the
 * round trip to Python itself; a short spin first catches the fast answers without it.
 */
public final class Waiting {
    /** Longest spin before parking; a call slower than this hardly notices the wake-up. */
    private static final long SPIN_NANOS = 100_000;
    /** Spinning only pays when another core can run the Python worker meanwhile. */
    private static final boolean SPIN = Runtime.getRuntime().availableProcessors() > 1;

    private Waiting() {
    }

    /** Spins up to {@value #SPIN_NANOS} ns or until the future is done; not for a call over the network. */
    public static void spinBriefly(Future<?> future) {
        if (!SPIN || future.isDone() || future instanceof FleetFuture<?> f && !f.spinWorthIt()) {
            return;
        }
        long deadline = System.nanoTime() + SPIN_NANOS;
        while (!future.isDone() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
    }
}
