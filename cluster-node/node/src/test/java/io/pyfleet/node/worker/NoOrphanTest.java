package io.pyfleet.node.worker;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.node.Eventually;
import io.pyfleet.node.TestPython;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A worker must not outlive its JVM, even after kill -9 and even in the middle of a call. */
class NoOrphanTest {

    @Test
    void workerExitsWhenItsJvmIsKilled() throws Exception {
        Process jvm = new ProcessBuilder(io.pyfleet.node.ChildJvm.java("-cp", System.getProperty("java.class.path"),
                OrphanProbe.class.getName(), TestPython.interpreter())).redirectErrorStream(true).start();
        long workerPid = -1;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith("worker-pid ")) {
                    workerPid = Long.parseLong(line.substring(11).trim());
                    break;
                }
            }
            assertTrue(workerPid > 0, "the probe JVM started a worker");
            Optional<ProcessHandle> worker = ProcessHandle.of(workerPid);
            assertTrue(worker.isPresent() && worker.get().isAlive(), "worker is running before the kill");
            new ProcessBuilder("kill", "-9", Long.toString(jvm.pid())).start().waitFor();
            jvm.waitFor();
            long orphan = workerPid;
            Eventually.await(Duration.ofSeconds(5), () -> !running(orphan), () -> "worker " + orphan + " outlived its JVM");
        } finally {
            jvm.destroyForcibly();
            if (workerPid > 0) {
                ProcessHandle.of(workerPid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    /** Alive and not a zombie waiting for a reaper that a container may not have. */
    private static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException gone) {
            return false;
        }
    }
}
