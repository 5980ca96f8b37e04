package io.pyfleet.node.worker;

import io.pyfleet.protocol.Frames;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writing half of a worker's channel. Senders leave their calls in an outbox; the
 * thread that holds the write lock writes every call waiting there, in order, with one
 * flush, so concurrent callers neither park on the lock nor pay a write each. A call's id
 * is taken ({@code register}) as it is written, so ids follow the order of writes.
 */
final class RequestWriter {
    private static final Logger log = LoggerFactory.getLogger(RequestWriter.class);
    /**
     * The smallest pipe Linux gives (one page): a write that keeps the unanswered bytes
     * within it cannot block, whatever the worker is doing.
     */
    static final int NEVER_BLOCKING_BYTES = 4096;
    /** Calls waiting in the outbox beyond which a sender waits for the lock instead of leaving its call. */
    private static final int OUTBOX_LIMIT = 10_000;

    private final OutputStream out;
    private final int maxFrame;
    private final String workerId;
    private final Predicate<PendingCall> register;
    private final Consumer<List<PendingCall>> rejected;
    private final Runnable outboxWaiting;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ConcurrentLinkedQueue<PendingCall> outbox = new ConcurrentLinkedQueue<>();
    private final AtomicInteger outboxSize = new AtomicInteger();

    /**
     * @param register      gives a call its id and records it as in flight; false when the channel takes no more
     * @param rejected      receives calls that found the channel closed: they were never written
     * @param outboxWaiting told when a reader wrote while senders left calls for it to write
     */
    RequestWriter(OutputStream out, int maxFrame, String workerId, Predicate<PendingCall> register,
            Consumer<List<PendingCall>> rejected, Runnable outboxWaiting) {
        this.out = out;
        this.maxFrame = maxFrame;
        this.workerId = workerId;
        this.register = register;
        this.rejected = rejected;
        this.outboxWaiting = outboxWaiting;
    }

    /**
     * Sends a call: this thread may write other senders' calls too, and may block while the
     * pipe is full (the worker drains it). Calls from one thread keep their order.
     */
    void send(PendingCall call) {
        outbox.offer(call);
        outboxSize.incrementAndGet();
        drainOutbox();
    }

    void sendAll(List<PendingCall> calls) {
        for (PendingCall call : calls) {
            outbox.offer(call);
        }
        outboxSize.addAndGet(calls.size());
        drainOutbox();
    }

    void drainOutbox() {
        while (!outbox.isEmpty()) {
            if (outboxSize.get() > OUTBOX_LIMIT) {
                writeLock.lock(); // too many waiting: this sender waits its turn (back-pressure)
            } else if (!writeLock.tryLock()) {
                return; // the holder writes ours too: it looks at the outbox again after it unlocks
            }
            List<PendingCall> refused = null;
            try {
                for (PendingCall call; (call = outbox.poll()) != null; ) {
                    outboxSize.decrementAndGet();
                    if (!writeOne(call)) {
                        if (refused == null) {
                            refused = new ArrayList<>();
                        }
                        refused.add(call);
                    }
                }
                flushQuietly();
            } finally {
                writeLock.unlock();
            }
            if (refused != null) {
                rejected.accept(refused);
            }
        }
    }

    /**
     * For a thread that must never block: {@link #leave} a call, then {@link #drainWithoutBlocking}
     * writes what waits in the outbox only if the write lock is free at once and only as much as
     * surely fits in the pipe; what is left is written by the thread that holds the lock, or by one
     * {@link #outboxWaiting} asks for.
     */
    void leave(PendingCall call) {
        outbox.offer(call);
        outboxSize.incrementAndGet();
    }

    /** Writes what surely fits from the outbox; never blocks. */
    void drainWithoutBlocking(java.util.function.LongSupplier room) {
        if (!writeLock.tryLock()) {
            return; // the holder looks at the outbox again after it unlocks
        }
        List<PendingCall> refused = null;
        try {
            long left = room.getAsLong();
            for (PendingCall next; (next = outbox.peek()) != null; ) {
                int bytes = WorkerProcess.frameBytes(next);
                if (bytes > left) {
                    break;
                }
                outbox.poll();
                outboxSize.decrementAndGet();
                left -= bytes;
                if (!writeOne(next)) {
                    if (refused == null) {
                        refused = new ArrayList<>();
                    }
                    refused.add(next);
                }
            }
            flushQuietly();
        } finally {
            writeLock.unlock();
        }
        if (refused != null) {
            rejected.accept(refused);
        }
        if (!outbox.isEmpty()) {
            outboxWaiting.run();
        }
    }

    /**
     * For a thread that must never block (a reader): writes these calls, in order, only if the
     * write lock is free at once and only as many as surely fit in the pipe ({@code room},
     * read under the lock). Returns -1 when the lock was busy (nothing written), else how many
     * were written; the rest never started (no room, or the channel closed).
     */
    int tryWriteNow(List<PendingCall> calls, java.util.function.LongSupplier room) {
        if (!writeLock.tryLock()) {
            return -1;
        }
        try {
            // The room is read only now, under the lock every write takes: a sender that wrote
            // between the reader's first look and here cannot make this write block.
            long left = room.getAsLong();
            int written = 0;
            for (PendingCall call : calls) {
                int bytes = WorkerProcess.frameBytes(call);
                if (bytes > left || !writeOne(call)) {
                    break;
                }
                left -= bytes;
                written++;
            }
            flushQuietly();
            return written;
        } finally {
            writeLock.unlock();
            if (!outbox.isEmpty()) {
                outboxWaiting.run();
            }
        }
    }

    /** Registers and writes one call under the write lock; false when the channel took no more. */
    private boolean writeOne(PendingCall call) {
        if (!register.test(call)) {
            return false;
        }
        try {
            Frames.writeRequest(out, call.id, call.tail(), maxFrame);
        } catch (IOException e) {
            // The worker is gone; its reader sees the end of its output and settles this call.
            log.debug("write to worker {} failed: {}", workerId, e.toString());
        }
        return true;
    }

    private void flushQuietly() {
        try {
            out.flush();
        } catch (IOException e) {
            log.debug("flush to worker {} failed: {}", workerId, e.toString());
        }
    }

    /** Calls left in the outbox of a dead channel. */
    List<PendingCall> takeUnsent() {
        List<PendingCall> unsent = new ArrayList<>();
        for (PendingCall call; (call = outbox.poll()) != null; ) {
            outboxSize.decrementAndGet();
            unsent.add(call);
        }
        return unsent;
    }

    /** Closes the worker's input unless a sender is writing (never waits behind one blocked on a full pipe). */
    void closeIfIdle() {
        if (writeLock.tryLock()) {
            try {
                out.close();
            } catch (IOException ignored) {
                // already closed by a dead process
            } finally {
                writeLock.unlock();
            }
        }
    }
}
