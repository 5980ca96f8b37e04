package io.pyfleet.node.worker;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Reads a worker's stderr (fd 2) on its own thread: every line goes to the worker's log ({@link WorkerOutput}),
 * and the last lines are kept, so that the error of a worker that dies carries its last
 * words: a Python fault trace after a segfault, an abort message from a C extension.
 */
final class StderrTail {
    /** Lines kept: a fault report lists every thread, the one that crashed last. */
    private static final int LINES = 200;
    /** Lines shown when the process left no fault report. */
    private static final int SHOWN = 20;
    private static final java.util.regex.Pattern FRAME =
            java.util.regex.Pattern.compile("\\s*File \"(.*)\", line (\\d+) in (.*)");

    private final InputStream stream;
    private final WorkerOutput output;
    private final Thread thread;
    private final Deque<String> tail = new ArrayDeque<>();

    StderrTail(InputStream stream, WorkerOutput output, String threadName) {
        this.stream = stream;
        this.output = output;
        this.thread = new Thread(this::drain, threadName);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void drain() {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                output.stderr(line);
                synchronized (tail) {
                    tail.addLast(line);
                    if (tail.size() > LINES) {
                        tail.removeFirst();
                    }
                }
            }
        } catch (IOException ignored) {
            // the process is gone
        }
    }

    /** Waits a little for the last lines of a process that died. */
    void awaitEnd(long millis) {
        try {
            thread.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * "; its fault report: ..." (the fatal error line and the crashed thread's frames) when the
     * process wrote a faulthandler report, else "; its last output: ..." (the last lines), or empty.
     */
    String summary() {
        List<String> lines = snapshot();
        int fatal = lastIndexStartingWith(lines, "Fatal Python error");
        if (fatal >= 0) {
            List<String> report = new ArrayList<>();
            report.add(lines.get(fatal));
            int current = lastIndexStartingWith(lines, "Current thread");
            if (current > fatal) {
                for (int i = current; i < lines.size() && !lines.get(i).isBlank(); i++) {
                    report.add(lines.get(i));
                }
            }
            return "; its fault report:\n  " + String.join("\n  ", report);
        }
        List<String> last = lines.subList(Math.max(0, lines.size() - SHOWN), lines.size());
        return last.isEmpty() ? "" : "; its last output:\n  " + String.join("\n  ", last);
    }

    /**
     * Where the crashed thread was, from a faulthandler report: " in ctypes/__init__.py line 519
     * (string_at)", or empty when there is no report.
     */
    String faultLocation() {
        List<String> lines = snapshot();
        int current = lastIndexStartingWith(lines, "Current thread");
        for (int i = current + 1; current >= 0 && i < lines.size(); i++) {
            java.util.regex.Matcher m = FRAME.matcher(lines.get(i));
            if (m.matches()) {
                java.nio.file.Path file = java.nio.file.Path.of(m.group(1));
                int n = file.getNameCount();
                String shortName = n >= 2 ? file.subpath(n - 2, n).toString() : file.toString();
                return " in " + shortName + " line " + m.group(2) + " (" + m.group(3) + ")";
            }
        }
        return "";
    }

    /** The last lines read so far. */
    List<String> lines() {
        return snapshot();
    }

    private List<String> snapshot() {
        synchronized (tail) {
            return new ArrayList<>(tail);
        }
    }

    private static int lastIndexStartingWith(List<String> lines, String prefix) {
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }
}
