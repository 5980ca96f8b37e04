package io.pyfleet.node.gateway;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Handshakes that failed, per address: a connection that ended without authenticating (wrong token, garbage,
 * no hello within the deadline, pushed out of a full handshake pool, closed by the peer). An address with
 * {@code before-slowing} failures in a row is slowed: it gets one handshake try per wait and its other new
 * connections are refused; the wait starts at {@link #FIRST_WAIT} and doubles with each further failure up to
 * {@code slowing-max}. A success from the address, or {@code failure-interval} without a failure, forgets it.
 * Refused tries do not lengthen the wait: a client that retries at once is not punished for it, only for
 * failing.
 *
 * <p>Each address is logged at most once per {@code failure-interval}: the first failure at once, the rest
 * summed into the line of the next failure after the interval (so a peer cannot fill the log by retrying).
 *
 * <p>IPv6 addresses count by their /64 prefix: a host gets a whole /64, so counting single addresses would let
 * it pick a fresh one for every try. The table keeps at most {@code maxTracked} addresses, dropping the least
 * recently seen; an attacker with more addresses than that is only slowed for its most recent ones.
 */
final class HandshakeFailures {
    /** The wait after the failure that starts the slowing. */
    static final Duration FIRST_WAIT = Duration.ofMillis(100);

    private final int beforeSlowing;
    private final long intervalNanos;
    private final long maxWaitNanos;
    private final LongSupplier clock;
    private final Consumer<String> warn;
    private final Map<String, Tally> byAddress;

    /** One address's record. */
    private static final class Tally {
        int failures;
        long lastFailure;
        long slowedUntil;
        long lastLogged;
        boolean logged;
        int unloggedFailures;
        int unloggedRefusals;
        String lastReason;
    }

    /**
     * @param beforeSlowing failures in a row after which an address is slowed
     * @param interval      how long a quiet address stays remembered, and the least time between two log lines
     *                      for one address
     * @param maxWait       the longest an address is refused for
     * @param maxTracked    the most addresses remembered
     * @param clock         nanoseconds, as {@link System#nanoTime()}
     * @param warn          where the log lines go
     */
    HandshakeFailures(int beforeSlowing, Duration interval, Duration maxWait, int maxTracked, LongSupplier clock,
            Consumer<String> warn) {
        this.beforeSlowing = beforeSlowing;
        this.intervalNanos = interval.toNanos();
        this.maxWaitNanos = maxWait.toNanos();
        this.clock = clock;
        this.warn = warn;
        this.byAddress = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Tally> eldest) {
                return size() > maxTracked;
            }
        };
    }

    /** The key an address is counted under: itself, or for IPv6 its /64. */
    static String key(InetAddress address) {
        if (address instanceof Inet6Address) {
            byte[] b = address.getAddress();
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < 8; i += 2) {
                s.append(Integer.toHexString(((b[i] & 0xff) << 8) | (b[i + 1] & 0xff))).append(':');
            }
            return s.append(":/64").toString();
        }
        return address.getHostAddress();
    }

    /**
     * How long the address must still wait before a new connection from it is served; 0 when it may connect
     * now. A positive answer counts as a refused try in the address's next log line.
     */
    synchronized long waitNanos(String address) {
        Tally e = byAddress.get(address);
        long now = clock.getAsLong();
        if (e == null || e.failures < beforeSlowing || now - e.lastFailure > intervalNanos) {
            return 0;
        }
        long left = e.slowedUntil - now;
        if (left <= 0) {
            // one try per wait: the next waits a whole wait again, even before this one fails
            e.slowedUntil = now + waitFor(e);
            return 0;
        }
        e.unloggedRefusals++;
        return left;
    }

    /** The wait of an address with this many failures in a row: doubling, up to the most. */
    private long waitFor(Tally e) {
        int doublings = Math.min(e.failures - beforeSlowing, 20); // 100 ms << 20 is 29 h: past any sane most
        return Math.min(maxWaitNanos, FIRST_WAIT.toNanos() << doublings);
    }

    /** A connection from the address ended without authenticating, for this reason. */
    synchronized void failed(String address, String reason) {
        long now = clock.getAsLong();
        Tally e = byAddress.get(address);
        if (e == null || now - e.lastFailure > intervalNanos) {
            Tally fresh = new Tally();
            if (e != null) { // forgotten failures, but the log's rhythm stays
                fresh.logged = e.logged;
                fresh.lastLogged = e.lastLogged;
                fresh.unloggedFailures = e.unloggedFailures;
                fresh.unloggedRefusals = e.unloggedRefusals;
            }
            e = fresh;
            byAddress.put(address, e);
        }
        e.failures++;
        e.lastFailure = now;
        e.lastReason = reason;
        e.unloggedFailures++;
        if (e.failures >= beforeSlowing) {
            e.slowedUntil = now + waitFor(e);
        }
        if (!e.logged || now - e.lastLogged >= intervalNanos) {
            long waitMs = Math.max(0, e.slowedUntil - now) / 1_000_000;
            warn.accept("client " + address + ": " + e.unloggedFailures + " handshake(s) failed"
                    + (e.logged ? " since the last report" : "") + " (last: " + reason + ")"
                    + (e.unloggedRefusals > 0 ? "; " + e.unloggedRefusals + " connection(s) refused while slowed" : "")
                    + (waitMs > 0 ? "; its new connections are refused for " + waitMs + " ms"
                    + " (pyfleet.gateway.handshake-failures-before-slowing, handshake-slowing-max)" : "")
                    + (e.logged ? "" : "; reported at most once per pyfleet.gateway.handshake-failure-interval"));
            e.logged = true;
            e.lastLogged = now;
            e.unloggedFailures = 0;
            e.unloggedRefusals = 0;
        }
    }

    /** A connection from the address authenticated: its failures are forgotten. */
    synchronized void succeeded(String address) {
        byAddress.remove(address);
    }

    /** Addresses remembered now. */
    synchronized int tracked() {
        return byAddress.size();
    }
}
