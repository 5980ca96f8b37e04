package io.pyfleet.node.arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.DType;
import io.pyfleet.client.PyArray;
import io.pyfleet.node.Eventually;
import io.pyfleet.node.TestFleets;
import io.pyfleet.node.embedded.EmbeddedNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Shared memory is given back: after releases, and after a kill -9 of the node. */
class ArrayMemoryTest {
    private static final long MIB = 1 << 20;
    private static final int STEP = 16 * 4096;

    /** Shmem of /proc/meminfo: every tmpfs and memfd page of the machine, unlinked files included. */
    static long shmemBytes() throws IOException {
        return kib(Files.readAllLines(Path.of("/proc/meminfo")).stream(), "Shmem:");
    }

    static long rssBytes() throws IOException {
        return kib(Files.readAllLines(Path.of("/proc/self/status")).stream(), "VmRSS:");
    }

    private static long kib(Stream<String> lines, String key) {
        return lines.filter(l -> l.startsWith(key)).mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024)
                .findFirst().orElseThrow();
    }

    static long ourFiles(Path dir, long pid) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith("pyfleet-" + pid + "-")).count();
        }
    }

    @Test
    void aThousandCyclesOf64MiBLeaveMemoryFlat() throws Exception {
        try (EmbeddedNode fleet = TestFleets.start(1)) {
            int n = (int) (64 * MIB / 8);
            long shmemBefore = 0;
            long rssBefore = 0;
            for (int i = 0; i < 1000; i++) {
                if (i == 20) { // after warm-up: JIT, worker imports, the first mappings
                    System.gc();
                    shmemBefore = shmemBytes();
                    rssBefore = rssBytes();
                }
                // Every 16th page is touched (4 MiB of each array): a leak would still show as
                // gigabytes, and the test runs in seconds rather than minutes.
                if (i % 2 == 0) {
                    // a worker's array, adopted by the node
                    try (PyArray x = fleet.callArray("arraytest.sparse", n, (double) i, STEP / 8)) {
                        assertEquals(i, x.doubleBuffer().get(n - STEP / 8));
                    }
                } else {
                    // a node array, filled here and read by a worker
                    PyArray x = fleet.arrays().create(DType.FLOAT64, new long[] {n}, maps -> {
                        for (var m : maps) {
                            for (int at = 0; at < m.capacity(); at += STEP) {
                                m.putDouble(at, 1.0);
                            }
                        }
                    });
                    try (x) {
                        assertEquals(n / (STEP / 8.0), fleet.call("arraytest.sparse_sum", x, STEP / 8));
                    }
                }
            }
            long shmemGrowth = shmemBytes() - shmemBefore;
            long rssGrowth = rssBytes() - rssBefore;
            System.out.printf("1000 cycles of 64 MiB: Shmem %+d MiB, node RSS %+d MiB%n", shmemGrowth / MIB,
                    rssGrowth / MIB);
            assertTrue(shmemGrowth < 128 * MIB, "shared memory grew by " + shmemGrowth / MIB + " MiB");
            assertTrue(rssGrowth < 256 * MIB, "the node's RSS grew by " + rssGrowth / MIB + " MiB");
            assertEquals(0, ourFiles(Path.of("/dev/shm"), ProcessHandle.current().pid()));
        }
    }

    @Test
    void nothingIsLeftAfterTheNodeIsKilled() throws Exception {
        long size = 256 * MIB;
        long shmemBefore = shmemBytes();
        Process jvm = new ProcessBuilder(io.pyfleet.node.ChildJvm.java("-cp", System.getProperty("java.class.path"),
                "-Dpyfleet.repo=" + System.getProperty("pyfleet.repo", "../.."),
                "-Dpyfleet.python=" + io.pyfleet.node.TestPython.interpreter(),
                ArrayNodeMain.class.getName(), Long.toString(size)))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            String line;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(),
                    StandardCharsets.UTF_8))) {
                do {
                    line = out.readLine();
                } while (line != null && !line.startsWith("ready "));
                assertTrue(line != null, "the node started and made its arrays");
                long held = shmemBytes() - shmemBefore;
                assertTrue(held >= 2 * size - 16 * MIB, "the node holds its two arrays: " + held / MIB + " MiB");
                assertEquals(0, ourFiles(Path.of("/dev/shm"), jvm.pid()), "no file stays in /dev/shm while it runs");
                new ProcessBuilder("kill", "-9", Long.toString(jvm.pid())).start().waitFor();
                assertTrue(jvm.waitFor(30, TimeUnit.SECONDS));
            }
            Eventually.await(Duration.ofSeconds(20), () -> {
                try {
                    return shmemBytes() - shmemBefore < 32 * MIB;
                } catch (IOException e) {
                    return false;
                }
            }, () -> "shared memory still held after the kill: " + line(ArrayMemoryTest::shmemBytes, shmemBefore));
            assertEquals(0, ourFiles(Path.of("/dev/shm"), jvm.pid()), "nothing left in /dev/shm");
        } finally {
            jvm.destroyForcibly();
        }
    }

    private interface IoLong {
        long get() throws IOException;
    }

    private static String line(IoLong now, long before) {
        try {
            return (now.get() - before) / MIB + " MiB";
        } catch (IOException e) {
            return e.toString();
        }
    }
}
