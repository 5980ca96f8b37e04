package io.pyfleet.node.gateway;

/**
 * A standalone node exits at once, non-zero, on an {@link OutOfMemoryError} (or any other
 * {@link VirtualMachineError}) that reaches the top of a thread. A node that limps on after one
 * has typically lost threads its gateway, watchdog or readers needed, with its port closed or
 * calls that never end; a supervisor that restarts on exit sees nothing wrong. Only for a process
 * that is a node ({@code ./pyfleet node}): an embedded library never exits its host JVM. The
 * launcher also starts the node's JVM with {@code -XX:+ExitOnOutOfMemoryError}, which covers an
 * error some code catches before it reaches the top of its thread.
 */
public final class FatalErrors {
    /** The exit status of a node that ran out of memory. */
    public static final int EXIT_STATUS = 70;

    private FatalErrors() {
    }

    /**
     * Installs the handler for every thread that has none of its own. Not Pekko's dispatcher threads: they have
     * the actor system's, which with {@code pekko.jvm-exit-on-fatal-error = off} only terminates the system and
     * leaves the JVM up; there the launcher's {@code -XX:+ExitOnOutOfMemoryError} is what ends the process.
     */
    public static void exitOnFatalErrors() {
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((thread, error) -> {
            if (error instanceof VirtualMachineError) {
                halt(thread, error);
            }
            if (previous != null) {
                previous.uncaughtException(thread, error);
            } else {
                System.err.print("Exception in thread \"" + thread.getName() + "\" ");
                error.printStackTrace();
            }
        });
    }

    /**
     * Ends the process now: no shutdown hooks (a stop that waits for calls could hang on a full heap)
     * and no logging framework (it may need memory there is none of).
     */
    static void halt(Thread thread, Throwable error) {
        try {
            System.err.println("pyfleet node: " + error + " in thread " + thread.getName()
                    + "; exiting with status " + EXIT_STATUS + " (raise the node's heap with -Xmx in "
                    + "PYFLEET_JAVA_OPTS, or lower pyfleet.gateway.max-node-bytes)");
            System.err.flush();
        } finally {
            Runtime.getRuntime().halt(EXIT_STATUS);
        }
    }
}
