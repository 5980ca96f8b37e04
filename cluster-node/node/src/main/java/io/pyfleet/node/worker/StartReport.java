package io.pyfleet.node.worker;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * What a worker says on stderr when its interpreter cannot run it, before it exits with status 4 or 5
 * (spec/PROTOCOL.md, "Starting a worker"): one line of tab-separated fields,
 * {@code pyfleet-worker: cannot start}, {@code executable=/usr/bin/python3}, {@code version=3.9.18} and
 * {@code requires=3.11} (too old; written by the bootstrap) or {@code missing=msgpack} (written by the
 * worker's first import).
 *
 * @param executable the interpreter as the worker saw it ({@code sys.executable})
 * @param version    its version, {@code 3.11.2}
 * @param missing    the modules it lacks; empty when it is too old
 * @param requires   the oldest Python pyfleet runs on, when this one is older; else null
 */
record StartReport(String executable, String version, List<String> missing, String requires) {
    /** How the line starts. */
    static final String PREFIX = "pyfleet-worker: cannot start\t";

    /** The last report among {@code lines} (a worker's stderr), if any. */
    static Optional<StartReport> find(List<String> lines) {
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (lines.get(i).startsWith(PREFIX)) {
                return Optional.of(parse(lines.get(i)));
            }
        }
        return Optional.empty();
    }

    static StartReport parse(String line) {
        String executable = "";
        String version = "";
        List<String> missing = List.of();
        String requires = null;
        for (String field : line.substring(PREFIX.length()).split("\t")) {
            int eq = field.indexOf('=');
            String value = eq < 0 ? "" : field.substring(eq + 1);
            switch (eq < 0 ? field : field.substring(0, eq)) {
                case "executable" -> executable = value;
                case "version" -> version = value;
                case "missing" -> missing = value.isEmpty() ? List.of() : Arrays.asList(value.split(","));
                case "requires" -> requires = value;
                default -> { } // a field a newer worker adds
            }
        }
        return new StartReport(executable, version, List.copyOf(missing), requires);
    }
}
