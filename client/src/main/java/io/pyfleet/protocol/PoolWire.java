package io.pyfleet.protocol;

import io.pyfleet.client.PoolInfo;
import io.pyfleet.client.PoolSpec;
import io.pyfleet.client.ProtocolException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gateway's pool ops on the wire (spec/PROTOCOL.md, "The client gateway"): a {@link PoolSpec}
 * as the {@code pool_start} argument and a {@link PoolInfo} as a reply. Both ends use it.
 */
public final class PoolWire {
    public static final String START = "pool_start";
    public static final String RESIZE = "pool_resize";
    public static final String STOP = "pool_stop";
    public static final String LIST = "pool_list";

    private PoolWire() {
    }

    /** {@code {workers, python, python_path, env, requires}}; the name is the request's target. */
    public static Map<String, Object> spec(PoolSpec spec) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("workers", (long) spec.workers());
        m.put("python", spec.python());
        m.put("python_path", spec.pythonPath());
        m.put("env", spec.environment());
        m.put("requires", spec.requires());
        return m;
    }

    /** The spec a {@code pool_start} request carries; a wrong shape or value is a {@link ProtocolException}. */
    public static PoolSpec spec(Object name, Object raw) {
        if (!(name instanceof String n) || !(raw instanceof Map<?, ?> m)) {
            throw new ProtocolException("pool_start takes the pool's name as target and [spec map] as args");
        }
        Object workers = m.get("workers");
        if (!(workers instanceof Long w) || w < 1 || w > PoolSpec.MAX_WORKERS) {
            throw new ProtocolException("pool_start: workers must be an int, 1.." + PoolSpec.MAX_WORKERS);
        }
        if (!(m.get("python") instanceof String python)) {
            throw new ProtocolException("pool_start: python must be a string");
        }
        Map<String, String> env = new LinkedHashMap<>();
        Object rawEnv = m.get("env");
        if (rawEnv instanceof Map<?, ?> e) {
            for (Map.Entry<?, ?> entry : e.entrySet()) {
                if (!(entry.getKey() instanceof String k) || !(entry.getValue() instanceof String v)) {
                    throw new ProtocolException("pool_start: env maps strings to strings");
                }
                env.put(k, v);
            }
        } else if (rawEnv != null) {
            throw new ProtocolException("pool_start: env must be a map");
        }
        try {
            return PoolSpec.builder(n, python).workers(w.intValue()).pythonPath(strings(m.get("python_path"), "python_path"))
                    .environment(env).requires(strings(m.get("requires"), "requires")).build();
        } catch (IllegalArgumentException e) {
            throw new ProtocolException("pool_start: " + e.getMessage());
        }
    }

    public static Map<String, Object> info(PoolInfo info) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", info.name());
        m.put("node", info.node());
        m.put("workers", (long) info.workers());
        m.put("ready", (long) info.ready());
        m.put("python", info.python());
        return m;
    }

    public static PoolInfo info(Object raw) {
        if (!(raw instanceof Map<?, ?> m) || !(m.get("name") instanceof String name)
                || !(m.get("node") instanceof String node) || !(m.get("workers") instanceof Long workers)
                || !(m.get("ready") instanceof Long ready) || !(m.get("python") instanceof String python)) {
            throw new ProtocolException("a pool is {name, node, workers, ready, python}, not " + raw);
        }
        return new PoolInfo(name, node, workers.intValue(), ready.intValue(), python);
    }

    public static List<PoolInfo> infos(Object raw) {
        if (!(raw instanceof List<?> l)) {
            throw new ProtocolException("pool_list answers a list, not " + raw);
        }
        List<PoolInfo> out = new ArrayList<>(l.size());
        l.forEach(i -> out.add(info(i)));
        return List.copyOf(out);
    }

    private static List<String> strings(Object raw, String what) {
        if (raw == null) {
            return List.of();
        }
        if (!(raw instanceof List<?> l)) {
            throw new ProtocolException("pool_start: " + what + " must be a list of strings");
        }
        List<String> out = new ArrayList<>(l.size());
        for (Object o : l) {
            if (!(o instanceof String s)) {
                throw new ProtocolException("pool_start: " + what + " must be a list of strings");
            }
            out.add(s);
        }
        return out;
    }
}
