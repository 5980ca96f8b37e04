package io.pyfleet.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** How the CLI starts another JVM (a bench node, the shell's): the same java, as quiet as this one. */
public final class ChildJvm {
    private ChildJvm() {
    }

    /**
     * The options a JVM of this Java needs: on Java 24+, Pekko and msgpack-core use {@code sun.misc.Unsafe}
     * and would print a "terminally deprecated method" warning (JEP 471, 498); the flag allows it quietly.
     *
     * @return the options, empty on Java 17 to 23
     */
    public static List<String> options() {
        return Runtime.version().feature() >= 24 ? List.of("--sun-misc-unsafe-memory-access=allow") : List.of();
    }

    /**
     * The start of a command line that runs this JVM's java with {@link #options()}.
     *
     * @return a mutable list to add the class path, properties and main class to
     */
    public static List<String> java() {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(options());
        return command;
    }
}
