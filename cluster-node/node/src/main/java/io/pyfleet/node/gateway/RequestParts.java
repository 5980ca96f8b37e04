package io.pyfleet.node.gateway;

import io.pyfleet.client.ProtocolException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** The parts of a gateway request the node reads itself: its opts, kwargs, pool and timeout. */
final class RequestParts {
    private RequestParts() {
    }

    static Map<String, Object> opts(Object raw) {
        Map<String, Object> opts = new HashMap<>();
        if (raw instanceof Map<?, ?> m) {
            m.forEach((k, v) -> opts.put((String) k, v));
        } else if (raw != null) {
            throw new ProtocolException("opts must be a map");
        }
        return opts;
    }

    @SuppressWarnings("unchecked")
    static Map<String, ?> kwargs(Object raw) {
        if (raw != null && !(raw instanceof Map<?, ?>)) {
            throw new ProtocolException("kwargs must be a map");
        }
        return (Map<String, ?>) raw;
    }

    /**
     * Takes the placement opts out: {@code pool} names the node's pool that runs the call (null: the
     * default one, or the pool of the objects it names); {@code node} is the cluster's, which has
     * already sent the request here. Neither reaches the worker.
     */
    static String pool(Map<String, Object> opts) {
        opts.remove("node");
        Object pool = opts.remove("pool");
        if (pool != null && !(pool instanceof String)) {
            throw new ProtocolException("opts.pool must be a pool's name");
        }
        return (String) pool;
    }

    /** Takes {@code timeout_ms} out of the opts: the node's business, not the worker's. */
    static Duration timeout(Map<String, Object> opts) {
        Object ms = opts.remove("timeout_ms");
        if (ms == null) {
            return null;
        }
        if (!(ms instanceof Long l) || l < 1) {
            throw new ProtocolException("timeout_ms must be a positive int");
        }
        return Duration.ofMillis(l);
    }
}
