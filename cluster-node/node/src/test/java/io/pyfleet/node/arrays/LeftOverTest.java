package io.pyfleet.node.arrays;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node sweeps the files a killed node could leave in the instant between creating and unlinking one. */
class LeftOverTest {
    @Test
    void filesOfDeadNodesGoFilesOfLiveOnesStay(@TempDir Path dir) throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path dead = Files.createFile(dir.resolve("pyfleet-" + gone.pid() + "-abc-def"));
        Path live = Files.createFile(dir.resolve("pyfleet-" + ProcessHandle.current().pid() + "-abc-def"));
        Path other = Files.createFile(dir.resolve("pyfleet-notes.txt"));
        NodeArrays.checkedDir(dir);
        assertFalse(Files.exists(dead), "a dead node's file is removed");
        assertTrue(Files.exists(live), "a running node's file stays");
        assertTrue(Files.exists(other), "other files stay");
    }
}
