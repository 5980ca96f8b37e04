package io.pyfleet.node.gateway;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes all client connections of a node hold together: requests read and not yet ended,
 * and answers and events waiting to be written (pyfleet.gateway.max-node-bytes). A request is
 * reserved as its length is read, before its body is kept, and refused when it does not fit;
 * answers are counted as they are made (they cannot be refused: their calls ran), so they leave
 * less room for new requests.
 */
final class NodeBudget {
    /** Requests this small may use an eighth more than the limit: small calls go on while large ones are refused. */
    static final int SMALL = 256 * 1024;
    /**
     * How many times its size a request costs while it is read and decoded: its bytes as they arrived, the frame
     * cut from them, the decoded value and the call encoded from it live at once. Once its call is made, it holds
     * about its own size until it ends.
     */
    static final int WHILE_DECODED = 4;

    private final long limit;
    private final AtomicLong used = new AtomicLong();

    NodeBudget(long limit) {
        this.limit = limit;
    }

    /** Reserves {@code bytes} of a request; false (nothing reserved) when they do not fit. */
    boolean tryReserve(long bytes) {
        long max = bytes <= SMALL ? limit + limit / 8 : limit;
        while (true) {
            long now = used.get();
            if (now + bytes > max) {
                return false;
            }
            if (used.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /** Counts bytes that cannot be refused (answers). */
    void add(long bytes) {
        used.addAndGet(bytes);
    }

    void release(long bytes) {
        used.addAndGet(-bytes);
    }

    long used() {
        return used.get();
    }

    long limit() {
        return limit;
    }
}
