package io.pyfleet.cli;

import io.pyfleet.client.PyFleetException;
import io.pyfleet.client.PythonException;
import java.io.PrintWriter;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** How a failed run is reported on stderr (by the CLI's execution exception handler), and its exit status. */
final class Failures {
    /** Exit status of a run that failed: a Python exception, a pyfleet error, a node that did not start. */
    static final int FAILED = 1;

    private Failures() {
    }

    /**
     * Writes {@code failure} to {@code err}: a Python exception as its traceback (which ends with the
     * exception's type and message), any other failure as {@code pyfleet: <class>: <message>}.
     */
    static void report(Throwable failure, PrintWriter err) {
        Throwable t = unwrap(failure);
        if (t instanceof PythonException p) {
            String tb = p.pythonTraceback().stripTrailing();
            if (tb.isEmpty()) {
                err.println(p.pythonType() + ": " + p.pythonMessage());
            } else {
                err.println(tb);
                if (!tb.contains(p.pythonMessage())) {
                    err.println(p.pythonType() + ": " + p.pythonMessage());
                }
            }
        } else if (t instanceof PyFleetException) {
            err.println("pyfleet: " + t.getClass().getSimpleName() + ": " + t.getMessage());
        } else {
            err.println("pyfleet: " + t.getClass().getName() + ": " + t.getMessage());
            if (Boolean.getBoolean("pyfleet.debug")) {
                t.printStackTrace(err);
            }
        }
        err.flush();
    }

    static Throwable unwrap(Throwable t) {
        Throwable e = t;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
