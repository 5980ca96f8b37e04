package io.pyfleet.node.worker;

import java.util.List;

/**
 * A separate JVM for {@link NoOrphanTest}: starts a worker busy in a long call, prints the
 * worker's pid and waits to be killed with {@code kill -9}.
 */
public final class OrphanProbe {
    private OrphanProbe() {
    }

    public static void main(String[] args) throws Exception {
        WorkerProcess worker = WorkerProcess.start(WorkerOptions.of(args[0], "orphan"));
        worker.submit("call", "time.sleep", List.of(600), null, null);
        System.out.println("worker-pid " + worker.pid());
        System.out.flush();
        Thread.sleep(600_000);
    }
}
