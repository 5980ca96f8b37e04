package io.pyfleet.node.worker;

/**
 * How a worker process ended, in words: exit code or signal, and why the node thinks it did.
 *
 * @param code   the exit value Java reports (128 + n for signal n)
 * @param reason what the node knows beyond the code: requested stop, timeout kill, EOF...
 */
public record ExitStatus(int code, String reason) {
    private static final String[] SIGNALS = {"", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT",
        "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM"};

    /** Exit status 3 is the worker's own: it read a frame it could not trust. */
    public static final int PROTOCOL_VIOLATION = 3;
    /** Exit status 4 is the worker's own: a required package is missing. */
    public static final int MISSING_PACKAGE = 4;
    /** Exit status 5 is the worker's own: the Python is older than the worker runs on. */
    public static final int PYTHON_TOO_OLD = 5;

    /**
     * Whether a signal ended the process.
     *
     * @return true for codes 129 to 192
     */
    public boolean signalled() {
        return code > 128 && code < 128 + 65;
    }

    /**
     * The status in words: {@code killed by signal 9 (SIGKILL), killed by the node}.
     *
     * @return the code or signal, what the worker's own codes mean, and the reason if any
     */
    public String describe() {
        String what;
        if (signalled()) {
            int signal = code - 128;
            String name = signal < SIGNALS.length ? " (" + SIGNALS[signal] + ")" : "";
            what = "killed by signal " + signal + name;
        } else if (code == PROTOCOL_VIOLATION) {
            what = "exit status 3 (protocol violation: it read a frame it could not trust)";
        } else if (code == MISSING_PACKAGE) {
            what = "exit status 4 (a required Python package is missing)";
        } else if (code == PYTHON_TOO_OLD) {
            what = "exit status 5 (the Python is too old for the worker)";
        } else {
            what = "exit status " + code;
        }
        return reason == null || reason.isEmpty() ? what : what + ", " + reason;
    }
}
