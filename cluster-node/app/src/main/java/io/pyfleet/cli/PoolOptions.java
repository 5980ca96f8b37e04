package io.pyfleet.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The pool options of every command that starts a node, declared once: a picocli {@code @Mixin}. */
public final class PoolOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    private Integer workers;

    @Option(names = "--workers", paramLabel = "N",
            description = "Worker processes in the node's pool (default: one per core, or the configured "
                    + "pyfleet.pool.size).")
    void setWorkers(Integer n) {
        if (n != null && n < 1) {
            throw new ParameterException(command.commandLine(), "--workers must be at least 1, got " + n);
        }
        workers = n;
    }

    /** The pool size asked for, or null for the configured one. */
    public Integer workers() {
        return workers;
    }

    /** The configuration settings these options make (a new map the caller may add to). */
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        if (workers != null) {
            settings.put("pyfleet.pool.size", workers);
        }
        return settings;
    }
}
