package io.pyfleet.node.call;

import io.pyfleet.node.worker.PendingCall;
import io.pyfleet.node.worker.WorkerProcess;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * The node queue: unbound calls that found every worker's pipeline full, in order, and
 * how lanes take them. A caller that queues fills the lanes with room itself; a reader
 * refills its own lane when it drops to half the depth, in one batch and only as far as
 * surely fits in the pipe; anything else is written by a callback thread. Every enqueue
 * is followed by a look at the lanes, and every ended call by a look at the queue, so no
 * call waits while a lane has room.
 */
final class NodeQueue {
    private final int depth;
    private final int lowWater;
    private final int bound;
    private final Executor callbacks;
    private final Supplier<Lane[]> lanes;
    private final Object lock = new Object();
    private final ArrayDeque<PendingCall> queue = new ArrayDeque<>();
    private volatile int size;

    NodeQueue(int depth, int bound, Executor callbacks, Supplier<Lane[]> lanes) {
        this.depth = depth;
        this.lowWater = depth / 2;
        this.bound = bound;
        this.callbacks = callbacks;
        this.lanes = lanes;
    }

    int size() {
        return size;
    }

    /** Queues a call at the back; false when the queue is full (nothing queued). */
    boolean offer(PendingCall call, boolean mayBlock) {
        synchronized (lock) {
            if (queue.size() >= bound) {
                return false;
            }
            queue.addLast(call);
            size = queue.size();
        }
        wake(mayBlock);
        return true;
    }

    /** Puts calls that never started back at the front, in order (admitted once, never refused). */
    void putBack(List<PendingCall> calls) {
        synchronized (lock) {
            for (int i = calls.size() - 1; i >= 0; i--) {
                queue.addFirst(calls.get(i));
            }
            size = queue.size();
        }
        wake(false);
    }

    /** Takes one call out of the queue; false when it is not there (written already, or never queued). */
    boolean remove(PendingCall call) {
        synchronized (lock) {
            boolean removed = queue.remove(call);
            size = queue.size();
            return removed;
        }
    }

    /** Empties the queue, for a pool that failed or a fleet that closes. */
    List<PendingCall> takeAll() {
        synchronized (lock) {
            List<PendingCall> all = new ArrayList<>(queue);
            queue.clear();
            size = 0;
            return all;
        }
    }

    /** A call on this lane ended (on its reader): refill it at half depth. */
    void callEnded(Lane lane) {
        if (size > 0 && lane.open && lane.inFlight.get() <= lowWater) {
            fillFromReader(lane);
        }
    }

    /** A lane opened: give it what waits. */
    void laneOpened(Lane lane) {
        scheduleFill(lane);
    }

    private void wake(boolean mayBlock) {
        for (Lane lane : lanes.get()) {
            if (size == 0) {
                return;
            }
            if (lane.inFlight.get() < depth) {
                if (mayBlock) {
                    fill(lane);
                } else {
                    scheduleFill(lane);
                }
            }
        }
    }

    private void scheduleFill(Lane lane) {
        if (lane.fillScheduled.compareAndSet(false, true)) {
            callbacks.execute(() -> {
                lane.fillScheduled.set(false);
                fill(lane);
            });
        }
    }

    /** Takes calls for a lane while it has room and, if {@code byteRoom} is not -1, while they fit in it. */
    private List<PendingCall> take(Lane lane, long byteRoom) {
        List<PendingCall> batch = null;
        synchronized (lock) {
            while (lane.open && !queue.isEmpty() && lane.inFlight.get() < depth) {
                if (byteRoom >= 0) {
                    int bytes = WorkerProcess.frameBytes(queue.peekFirst());
                    if (bytes > byteRoom) {
                        break;
                    }
                    byteRoom -= bytes;
                }
                lane.inFlight.incrementAndGet();
                if (batch == null) {
                    batch = new ArrayList<>();
                }
                batch.add(queue.pollFirst());
            }
            size = queue.size();
        }
        return batch;
    }

    /** On a thread that may block: moves queued calls into a lane while it has room, with one flush. */
    private void fill(Lane lane) {
        List<PendingCall> batch = take(lane, -1);
        if (batch != null) {
            lane.process.sendAll(batch);
        }
    }

    /**
     * On a reader thread, which must never block: only what surely fits in the pipe, and
     * only if the write lock is free at once; anything else is left to a callback thread.
     */
    private void fillFromReader(Lane lane) {
        List<PendingCall> batch = take(lane, Math.max(0, lane.process.nonBlockingRoom()));
        if (batch == null) {
            if (size > 0 && lane.open && lane.inFlight.get() < depth) {
                scheduleFill(lane);
            }
            return;
        }
        int written = lane.process.tryWriteNow(batch);
        if (written == batch.size()) {
            return;
        }
        // Not written (the lock was busy, the pipe had no sure room, or the channel closed):
        // they never started. Back to the front of the queue; a callback thread, which may
        // block, writes them, or another lane takes them if this one closed.
        List<PendingCall> back = new ArrayList<>(batch.subList(Math.max(0, written), batch.size()));
        lane.inFlight.addAndGet(-back.size());
        if (!lane.process.accepting()) {
            closed.accept(lane);
        }
        putBack(back);
        if (lane.open) {
            scheduleFill(lane);
        }
    }

    /** Told when a lane's channel refused calls: it takes no more unbound calls. */
    private java.util.function.Consumer<Lane> closed = lane -> lane.open = false;

    void onLaneClosed(java.util.function.Consumer<Lane> handler) {
        this.closed = handler;
    }
}
