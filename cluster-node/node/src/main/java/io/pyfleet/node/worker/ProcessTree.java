package io.pyfleet.node.worker;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kills a worker with everything it started. The worker makes itself the leader of its
 * own process group at start, so SIGKILL to the group reaches children that were
 * re-parented away (a double fork); its descendants still known to the kernel are killed
 * one by one as well, in case one left the group.
 */
final class ProcessTree {
    private static final Logger log = LoggerFactory.getLogger(ProcessTree.class);

    private ProcessTree() {
    }

    static void kill(Process process) {
        long pid = process.pid();
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        killGroup(pid);
        // The handle's kill only signals. Process.destroyForcibly() would also close our end of
        // the worker's stdout, and the replies and events still in the pipe would be lost: a call
        // that ran would then look as if it never started, and run again elsewhere.
        process.toHandle().destroyForcibly();
    }

    /** SIGKILL to process group {@code pgid}; a group that is already gone is not an error. */
    private static void killGroup(long pgid) {
        try {
            Process kill = new ProcessBuilder("kill", "-KILL", "--", "-" + pgid)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!kill.waitFor(2, TimeUnit.SECONDS)) {
                kill.destroyForcibly();
            }
        } catch (IOException e) {
            log.debug("cannot run kill for process group {}: {}", pgid, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
