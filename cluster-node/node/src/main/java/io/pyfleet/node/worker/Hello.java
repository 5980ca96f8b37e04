package io.pyfleet.node.worker;

import java.util.Map;

/** What a worker says when it starts: the first frame on its channel. */
public record Hello(int protocol, long pid, String python, String numpy, String packageVersion, String workerId,
        int maxFrame) {

    static Hello from(Map<?, ?> map) {
        return new Hello(((Number) map.get("protocol")).intValue(), ((Number) map.get("pid")).longValue(),
                String.valueOf(map.get("python")), map.get("numpy") == null ? null : String.valueOf(map.get("numpy")),
                String.valueOf(map.get("package")), String.valueOf(map.get("worker")),
                ((Number) map.get("max_frame")).intValue());
    }
}
