package io.pyfleet.client.internal.remote;

import io.pyfleet.client.NodeStatus;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.PoolStats;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.client.internal.RemoteFailures;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns the gateway's reply shapes (PROTOCOL.md, "The client gateway") into the API's
 * types: outcome lists of {@code identical} and {@code scatter}, and the {@code stats}
 * map. Kept apart from the connection so the wire shapes are read in one place.
 */
final class Replies {
    private Replies() {
    }

    /** {@code [[0, value] | [1, [kind, type, message, traceback]], ...]} to outcomes, in order. */
    static List<Outcome> outcomes(Object reply) {
        if (!(reply instanceof List<?> items)) {
            throw new ProtocolException("expected a list of outcomes, got " + describe(reply));
        }
        List<Outcome> outcomes = new ArrayList<>(items.size());
        for (Object item : items) {
            outcomes.add(outcome(item));
        }
        return outcomes;
    }

    static Outcome outcome(Object item) {
        if (item instanceof List<?> pair && pair.size() == 2 && pair.get(0) instanceof Long tag) {
            if (tag == 0) {
                return Outcome.ok(pair.get(1));
            }
            if (tag == 1) {
                return Outcome.failed(RemoteFailures.toException(pair.get(1) instanceof RemoteError e ? e
                        : RemoteError.fromFields(pair.get(1))));
            }
        }
        throw new ProtocolException("an outcome is [0, value] or [1, error], got " + describe(item));
    }

    /** The {@code stats} map to a {@link PoolStats}. */
    static PoolStats stats(Object reply) {
        Map<?, ?> m = map(reply, "stats");
        List<PoolStats.WorkerStats> workers = new ArrayList<>();
        Object list = m.get("workers");
        if (list != null) {
            if (!(list instanceof List<?> ws)) {
                throw new ProtocolException("stats workers must be a list, got " + describe(list));
            }
            for (Object w : ws) {
                Map<?, ?> wm = map(w, "a worker's stats");
                workers.add(new PoolStats.WorkerStats(string(wm, "id"), number(wm, "pid", -1),
                        Boolean.TRUE.equals(wm.get("ready")), (int) number(wm, "in_flight", 0), number(wm, "calls", 0),
                        number(wm, "errors", 0), Duration.ofNanos(number(wm, "busy_ns", 0)),
                        (int) number(wm, "restarts", 0), number(wm, "rss_bytes", -1)));
            }
        }
        Object failed = m.get("failed");
        return new PoolStats(string(m, "node"), Duration.ofMillis(number(m, "uptime_ms", 0)), List.copyOf(workers),
                (int) number(m, "queued", 0), failed == null ? null : failed.toString());
    }

    /** {@code pool_size} of the {@code stats} map. */
    static List<NodeStatus> nodes(Object reply) {
        if (!(reply instanceof List<?> l)) {
            throw new ProtocolException("cluster_status answered " + reply);
        }
        List<NodeStatus> nodes = new java.util.ArrayList<>(l.size());
        for (Object item : l) {
            Map<?, ?> m = map(item, "node");
            nodes.add(new NodeStatus(string(m, "name"), Boolean.TRUE.equals(m.get("self")),
                    Boolean.TRUE.equals(m.get("reachable")), string(m, "gateway"), strings(m.get("roles")),
                    (int) number(m, "workers", 0), (int) number(m, "free_workers", 0), strings(m.get("pools")),
                    java.time.Duration.ofMillis(number(m, "uptime_ms", 0))));
        }
        return nodes;
    }

    private static List<String> strings(Object value) {
        List<String> out = new java.util.ArrayList<>();
        if (value instanceof List<?> l) {
            for (Object o : l) {
                out.add(String.valueOf(o));
            }
        }
        return out;
    }

    static int poolSize(Object reply) {
        Map<?, ?> m = map(reply, "stats");
        if (!(m.get("pool_size") instanceof Long n)) {
            throw new ProtocolException("stats without an int pool_size: " + m.get("pool_size"));
        }
        return n.intValue();
    }

    private static Map<?, ?> map(Object value, String what) {
        if (value instanceof Map<?, ?> m) {
            return m;
        }
        throw new ProtocolException(what + " must be a map, got " + describe(value));
    }

    private static String string(Map<?, ?> m, String key) {
        Object v = m.get(key);
        return v == null ? "" : v.toString();
    }

    private static long number(Map<?, ?> m, String key, long absent) {
        Object v = m.get(key);
        if (v == null) {
            return absent;
        }
        if (v instanceof Long n) {
            return n;
        }
        throw new ProtocolException("stats field " + key + " must be an int, got " + describe(v));
    }

    static String describe(Object v) {
        return v == null ? "nil" : v.getClass().getSimpleName();
    }
}
