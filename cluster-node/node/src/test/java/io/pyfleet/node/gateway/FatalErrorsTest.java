package io.pyfleet.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A standalone node's JVM exits, non-zero and at once, when a thread of it dies of an OutOfMemoryError. */
class FatalErrorsTest {

    /** A process that is a node: the handler installed, then a thread (a reader, say) runs out of memory. */
    public static final class OutOfMemoryMain {
        private OutOfMemoryMain() {
        }

        public static void main(String[] args) throws InterruptedException {
            FatalErrors.exitOnFatalErrors();
            Thread reader = new Thread(() -> {
                throw new OutOfMemoryError("Java heap space (test)");
            }, "pyfleet-reader-test");
            reader.start();
            Thread.sleep(60_000); // a node serving on: it must not get to here
            System.exit(0);
        }
    }

    @Test
    void anOutOfMemoryErrorInAnyThreadEndsTheProcessNonZeroPromptly() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(io.pyfleet.node.ChildJvm.java("-cp",
                System.getProperty("java.class.path"), OutOfMemoryMain.class.getName()));
        pb.redirectErrorStream(true);
        long start = System.nanoTime();
        Process p = pb.start();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "the process exits instead of serving on");
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(FatalErrors.EXIT_STATUS, p.exitValue(), output);
        assertTrue(output.contains("OutOfMemoryError") && output.contains("pyfleet-reader-test"), output);
        // the remedy names settings that exist
        assertTrue(output.contains("PYFLEET_JAVA_OPTS") && output.contains("pyfleet.gateway.max-node-bytes"), output);
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(15));
    }
}
