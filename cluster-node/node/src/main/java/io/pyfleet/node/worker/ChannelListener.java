package io.pyfleet.node.worker;

import io.pyfleet.client.internal.CallbackExecutor;
import java.util.List;

/** What the owner of a channel hears; called on the reader thread, so it must not block. */
public interface ChannelListener {
    /** A call written to this worker ended (answered, failed or timed out). */
    default void callEnded(WorkerProcess worker, PendingCall call, long busyNanos, boolean failed) {
    }

    /** Calls sent while the channel was closing or dead: they were not written, never started. */
    default void rejected(WorkerProcess worker, List<PendingCall> calls) {
        NotStartedException never = new NotStartedException("worker " + worker.describe()
                + " is no longer running; the call was not run");
        calls.forEach(c -> c.failNow(never));
    }

    /**
     * A reader thread wrote while senders left calls in the outbox; someone that may block
     * must write them ({@link WorkerProcess#flushOutbox}).
     */
    default void outboxWaiting(WorkerProcess worker) {
        CallbackExecutor.shared().execute(() -> worker.flushOutbox());
    }

    /**
     * The process is gone and every call that may have run has its outcome; {@code notStarted}
     * were written but never started, and may run elsewhere.
     */
    default void died(WorkerProcess worker, ExitStatus status, List<PendingCall> notStarted) {
        NotStartedException never = new NotStartedException("worker " + worker.describe() + " died ("
                + status.describe() + ") before this call started");
        notStarted.forEach(c -> c.failNow(never));
    }
}
