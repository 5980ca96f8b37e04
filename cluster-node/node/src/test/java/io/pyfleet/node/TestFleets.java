package io.pyfleet.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pyfleet.node.embedded.EmbeddedNode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Embedded fleets for tests: the real interpreter, the test modules on the path, small pools. */
public final class TestFleets {
    private TestFleets() {
    }

    public static Config config(int workers, Map<String, Object> overrides) {
        Map<String, Object> values = new HashMap<>();
        values.put("pyfleet.worker.interpreter", TestPython.interpreter());
        values.put("pyfleet.worker.python-path", List.of(TestPython.testModules().toString()));
        values.put("pyfleet.pool.size", workers);
        values.putAll(overrides);
        return ConfigFactory.parseMap(values).withFallback(ConfigFactory.load());
    }

    public static EmbeddedNode start(int workers) {
        return EmbeddedNode.start(config(workers, Map.of()));
    }

    public static EmbeddedNode start(int workers, Map<String, Object> overrides) {
        return EmbeddedNode.start(config(workers, overrides));
    }
}
