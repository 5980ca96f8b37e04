package io.pyfleet.node.worker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process's resident memory, for the pool's statistics (the CLI's status, the gateway's {@code stats}):
 * Linux's /proc, -1 elsewhere or when unknown.
 */
public final class ProcessMemory {
    private ProcessMemory() {
    }

    /** The VmRSS of process {@code pid} in bytes, or -1 when it is gone, unknown or not on Linux. */
    public static long rssBytes(long pid) {
        if (pid <= 0) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    String[] parts = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone, or not Linux
        }
        return -1;
    }
}
