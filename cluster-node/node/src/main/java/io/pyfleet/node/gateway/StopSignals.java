package io.pyfleet.node.gateway;

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGTERM and SIGINT handled before the JVM begins to shut down. A node must leave its cluster
 * in order, which needs remoting alive; but once the JVM shuts down, Pekko's Artery stops its
 * connections from a shutdown hook of its own, so a stop run from a shutdown hook leaves the
 * others to find the node unreachable instead. Only for a process that is a node
 * ({@code ./pyfleet node}); an embedded library never takes its host's signals.
 */
public final class StopSignals {
    private static final Logger log = LoggerFactory.getLogger(StopSignals.class);

    private StopSignals() {
    }

    /** Runs {@code stop} on a thread of its own at the first SIGTERM or SIGINT. */
    @SuppressWarnings("removal")
    public static void onStop(Runnable stop) {
        Thread stopper = new Thread(stop, "pyfleet-node-stop");
        for (String name : List.of("TERM", "INT")) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), s -> {
                    synchronized (stopper) {
                        if (stopper.getState() == Thread.State.NEW) {
                            stopper.start();
                        }
                    }
                });
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                log.debug("SIG{} cannot be handled here ({}); the shutdown hook stops the node", name, e.toString());
            }
        }
    }
}
