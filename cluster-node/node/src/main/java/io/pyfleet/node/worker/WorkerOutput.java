package io.pyfleet.node.worker;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.helpers.NOPLogger;

/**
 * Where a worker's output goes: what user code prints (stdout, at INFO), its stderr (WARN) and the
 * worker's own notices (WARN), to the logger {@code io.pyfleet.worker.<id>}. In a JVM with no SLF4J
 * provider, where SLF4J would drop them, the lines go to {@link System#err} instead, as
 * {@code [pyfleet w1] text}, after one line that says why and how to add a provider: a print in
 * Python is never lost in silence.
 */
final class WorkerOutput {
    /** The stream of the worker's own notices (python: worker.NOTICE_STREAM). */
    static final String NOTICES = "pyfleet";
    private static final AtomicBoolean EXPLAINED = new AtomicBoolean();

    private final Logger log;
    private final String tag;
    private final PrintStream fallback;

    /** The output of worker {@code workerId}. */
    WorkerOutput(String workerId) {
        this(LoggerFactory.getLogger("io.pyfleet.worker." + workerId), workerId, System.err);
    }

    WorkerOutput(Logger log, String workerId, PrintStream fallback) {
        this.log = log;
        this.tag = "[pyfleet " + workerId;
        // SLF4J without a provider hands out its no-operation logger: nothing would ever be written.
        this.fallback = log instanceof NOPLogger ? fallback : null;
    }

    /** A line the worker sent on {@code stream}: stdout (prints), or its own notices. */
    void line(String stream, String text) {
        if (fallback != null) {
            print(("stdout".equals(stream) ? tag + "] " : tag + " " + stream + "] ") + text);
        } else if (NOTICES.equals(stream)) {
            log.warn("[{}] {}", stream, text); // the worker's own notices: a dropped event, a limit not enforced
        } else {
            log.info("[{}] {}", stream, text);
        }
    }

    /** A line of the worker's stderr (fd 2): a C extension's output, a fault report. */
    void stderr(String text) {
        if (fallback != null) {
            print(tag + " stderr] " + text);
        } else {
            log.warn("[stderr] {}", text);
        }
    }

    private void print(String line) {
        if (EXPLAINED.compareAndSet(false, true)) {
            fallback.println("[pyfleet] no SLF4J provider is bound, so the output of pyfleet's Python workers comes "
                    + "here, one line each; add a provider to send it to your log instead (for example "
                    + "ch.qos.logback:logback-classic or org.slf4j:slf4j-simple): loggers io.pyfleet.worker.<id>, "
                    + "prints at INFO");
        }
        fallback.println(line);
    }
}
