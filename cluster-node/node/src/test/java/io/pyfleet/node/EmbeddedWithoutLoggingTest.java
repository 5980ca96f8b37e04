package io.pyfleet.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.Fleet;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A user's project with no SLF4J provider (no logback on its class path): what its workers print still
 * reaches the user, on System.err, after one line that says why. Run in a JVM whose class path is this
 * one's without logback.
 */
class EmbeddedWithoutLoggingTest {

    /** The user's program: an embedded node whose worker prints, to stdout and to fd 2. */
    public static void main(String[] args) {
        try (Fleet fleet = EmbeddedFleet.builder().python(args[0]).workers(1).start()) {
            fleet.call("builtins.print", "hello from python");
            fleet.call("os.write", 2, "to fd 2\n".getBytes(StandardCharsets.UTF_8));
            fleet.call("builtins.print", "and again");
        }
        System.out.println("done");
    }

    @Test
    void workerOutputGoesToStderrWhenNoProviderIsBound() throws Exception {
        String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !Path.of(entry).getFileName().toString().startsWith("logback-"))
                .collect(Collectors.joining(File.pathSeparator));
        assertTrue(!classPath.equals(System.getProperty("java.class.path")), "logback is left out");
        Process p = new ProcessBuilder(ChildJvm.java("-cp", classPath, EmbeddedWithoutLoggingTest.class.getName(),
                TestPython.interpreter())).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), err);
        assertEquals("done", out.trim());
        List<String> lines = err.lines().toList();
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("SLF4J(W): No SLF4J providers were found")), err);
        List<String> ours = lines.stream().filter(l -> l.startsWith("[pyfleet")).toList();
        assertEquals("[pyfleet] no SLF4J provider is bound, so the output of pyfleet's Python workers comes "
                + "here, one line each; add a provider to send it to your log instead (for example "
                + "ch.qos.logback:logback-classic or org.slf4j:slf4j-simple): loggers io.pyfleet.worker.<id>, "
                + "prints at INFO", ours.get(0), err);
        // fd 2 is read apart from the prints (which come as frames), so only the prints keep their order.
        assertEquals(List.of("[pyfleet w1] hello from python", "[pyfleet w1] and again"),
                ours.stream().filter(l -> l.startsWith("[pyfleet w1] ")).toList(), err);
        assertEquals(List.of("[pyfleet w1 stderr] to fd 2"),
                ours.stream().filter(l -> l.startsWith("[pyfleet w1 stderr] ")).toList(), err);
        assertEquals(4, ours.size(), err);
    }
}
