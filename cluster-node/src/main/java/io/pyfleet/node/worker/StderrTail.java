package io.pyfleet.node.worker;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;

/**
 * Reads a worker's stderr (fd 2) on its own thread: every line goes to the worker's log,
 * and the last lines are kept, so that the error of a worker that dies carries its last
 * words: a Python fault trace after a segfault, an abort message from a C extension.
 */
final class StderrTail {
    private static final int LINES = 20;

    private final InputStream stream;
    private final Logger workerLog;
    private final Thread thread;
    private final Deque<String> tail = new ArrayDeque<>();

    StderrTail(InputStream stream, Logger workerLog, String threadName) {
        this.stream = stream;
        this.workerLog = workerLog;
        this.thread = new Thread(this::drain, threadName);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void drain() {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                workerLog.warn("[stderr] {}", line);
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

    /** "; its last output:\n  ..." or empty. */
    String summary() {
        synchronized (tail) {
            return tail.isEmpty() ? "" : "; its last output:\n  " + String.join("\n  ", tail);
        }
    }
}
