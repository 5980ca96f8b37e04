package io.pyfleet.node.gateway;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * The slots of connections that have not authenticated yet, apart from the {@code max-connections} of served
 * ones: a peer without the token can fill these, never a token holder's. They are bounded node-wide
 * ({@code handshake-slots}) and per address ({@code handshake-slots-per-address}).
 *
 * <p>A new connection always gets a slot, so an honest handshake is never turned away: when its address holds
 * its share already, that address's oldest pending connection is closed; when the pool is full, the oldest
 * pending connection of the address that holds the most is. One address can thus only ever push out its own
 * connections. An honest handshake takes a round trip or two, so to push it out an attacker must hold more
 * slots than its address does (one, usually) and open a pool's worth of connections within that round trip.
 */
final class HandshakeSlots {
    private final int total;
    private final int perAddress;
    private final Map<String, ArrayDeque<Pending>> byAddress = new HashMap<>();
    private int count;
    private long order;

    /**
     * One pending connection's slot. The gateway takes it when it accepts the connection, before the
     * connection's stage runs, so a burst of connections is counted as it arrives.
     */
    static final class Pending {
        final String address;
        long seq;
        private boolean evicted;
        private Runnable evict;

        Pending(String address) {
            this.address = address;
        }

        /** What closes the connection when it is pushed out; run at once when it already was. */
        void onEvict(Runnable action) {
            boolean now;
            synchronized (this) {
                evict = action;
                now = evicted;
            }
            if (now) {
                action.run();
            }
        }

        /** Closes it (from any thread): a newer connection has its slot. */
        void evict() {
            Runnable action;
            synchronized (this) {
                evicted = true;
                action = evict;
            }
            if (action != null) {
                action.run();
            }
        }

        synchronized boolean evicted() {
            return evicted;
        }
    }

    HandshakeSlots(int total, int perAddress) {
        this.total = total;
        this.perAddress = Math.min(perAddress, total);
    }

    /**
     * Gives the connection a slot. When none is free, another pending connection loses its own: that one is
     * returned, for the caller to {@link Pending#evict} (outside this lock) and count as a failure.
     */
    synchronized Pending take(Pending p) {
        Pending victim = makeRoom(p.address);
        p.seq = order++;
        byAddress.computeIfAbsent(p.address, a -> new ArrayDeque<>()).addLast(p);
        count++;
        return victim;
    }

    private Pending makeRoom(String address) {
        ArrayDeque<Pending> own = byAddress.get(address);
        ArrayDeque<Pending> from = null;
        if (own != null && own.size() >= perAddress) {
            from = own;
        } else if (count >= total) {
            for (ArrayDeque<Pending> q : byAddress.values()) {
                if (from == null || q.size() > from.size()
                        || q.size() == from.size() && q.peekFirst().seq < from.peekFirst().seq) {
                    from = q;
                }
            }
        }
        if (from == null) {
            return null;
        }
        Pending victim = from.pollFirst();
        count--;
        if (from.isEmpty()) {
            byAddress.remove(victim.address);
        }
        return victim;
    }

    /** Frees the connection's slot (it authenticated or ended); nothing when it was pushed out already. */
    synchronized void release(Pending p) {
        ArrayDeque<Pending> q = byAddress.get(p.address);
        if (q != null && q.remove(p)) {
            count--;
            if (q.isEmpty()) {
                byAddress.remove(p.address);
            }
        }
    }

    /** Pending connections now. */
    synchronized int size() {
        return count;
    }
}
