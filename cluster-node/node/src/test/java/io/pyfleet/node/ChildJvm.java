package io.pyfleet.node;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** How tests start another JVM (a node, a probe): the same java, as quiet as the test's own. */
public final class ChildJvm {
    private ChildJvm() {
    }

    /**
     * This JVM's java with, on Java 24+, the flag that lets Pekko use {@code sun.misc.Unsafe} without the
     * "terminally deprecated method" warning (JEP 471, 498); the pom's jdk24+ profile gives the tests the same.
     *
     * @param args the rest of the command line (class path, properties, main class, its arguments)
     * @return a mutable command line
     */
    public static List<String> java(String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (Runtime.version().feature() >= 24) {
            command.add("--sun-misc-unsafe-memory-access=allow");
        }
        command.addAll(List.of(args));
        return command;
    }
}
