package io.pyfleet.node.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pyfleet.client.PoolFailedException;
import io.pyfleet.client.PoolStats;
import io.pyfleet.node.Eventually;
import io.pyfleet.node.TestFleets;
import io.pyfleet.node.TestPython;
import io.pyfleet.node.embedded.EmbeddedNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pools that recover: a worker that cannot start fails alone; a failed pool tries again after its cool-down. */
class RecoveryTest {

    @TempDir
    Path dir;

    /** An interpreter that refuses to start while the marker file exists. */
    private Path flakyInterpreter(Path marker) throws IOException {
        Path script = dir.resolve("flaky-python");
        Files.writeString(script, "#!/bin/sh\nif [ -e '" + marker + "' ]; then echo 'broken on purpose' >&2; exit 1; fi\n"
                + "exec " + TestPython.interpreter() + " \"$@\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    @Test
    void aWorkerAddedByAResizeThatCannotStartFailsAlone() throws Exception {
        Path marker = dir.resolve("broken");
        try (EmbeddedNode fleet = TestFleets.start(2,
                Map.of("pyfleet.worker.interpreter", flakyInterpreter(marker).toString()))) {
            Files.createFile(marker);
            fleet.resize(3);
            Eventually.await(Duration.ofSeconds(10), () -> fleet.stats().workers().size() == 2
                    && fleet.stats().workers().stream().noneMatch(w -> w.id().equals("w3")),
                    () -> "w3 dropped: " + fleet.stats());
            PoolStats stats = fleet.stats();
            assertEquals(null, stats.failed(), "the pool serves on");
            for (int i = 0; i < 20; i++) {
                assertEquals((long) i + 1, fleet.call("operator.add", i, 1));
            }
        }
    }

    @Test
    void aPoolThatGaveUpTriesAgainAfterItsCoolDown() throws Exception {
        Path marker = dir.resolve("broken");
        try (EmbeddedNode fleet = TestFleets.start(1, Map.of(
                "pyfleet.worker.interpreter", flakyInterpreter(marker).toString(),
                "pyfleet.supervision.max-restarts", 2,
                "pyfleet.supervision.within", "30s",
                "pyfleet.supervision.cool-down", "2s"))) {
            Files.createFile(marker);
            fleet.killWorker("w1");
            Eventually.await(Duration.ofSeconds(15), () -> fleet.stats().failed() != null
                    && fleet.stats().failed().contains("gave up"), () -> "the pool gives up: " + fleet.stats());
            PoolFailedException failed = assertThrows(PoolFailedException.class, () -> fleet.call("operator.add", 1, 1));
            assertEquals(true, failed.getMessage().contains("cool-down"), failed.getMessage());
            Files.delete(marker);
            Eventually.await(Duration.ofSeconds(15), () -> fleet.stats().workers().get(0).ready(),
                    () -> "the worker serves again: " + fleet.stats());
            assertEquals(2L, fleet.call("operator.add", 1, 1));
        }
    }
}
