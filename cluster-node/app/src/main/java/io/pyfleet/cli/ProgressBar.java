package io.pyfleet.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Progress of a batch of tasks on stderr: on a terminal one line redrawn in place with carriage
 * returns ({@code [########........]  24/64 tasks  1.2 s}); otherwise a plain line at each quarter
 * ({@code   16/64 tasks  0.8 s}), so logs and pipes get a few readable lines.
 */
final class ProgressBar {
    private static final int BAR = 30;

    private final PrintWriter err;
    private final boolean terminal;
    private final int total;
    private final String unit;
    private final long started = System.nanoTime();
    private int lastQuarter;
    private int lastWidth;

    ProgressBar(PrintWriter err, boolean terminal, int total, String unit) {
        this.err = err;
        this.terminal = terminal;
        this.total = total;
        this.unit = unit;
    }

    /** Whether this process's stderr is a terminal (on Linux; elsewhere whether there is a console). */
    static boolean stderrIsTerminal() {
        if ("dumb".equals(System.getenv("TERM"))) {
            return false;
        }
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (Exception e) {
            return System.console() != null;
        }
    }

    /** Reports {@code done} of the tasks finished. */
    synchronized void update(int done) {
        String counts = String.format(Locale.ROOT, "%" + String.valueOf(total).length() + "d/%d %s  %.1f s",
                done, total, unit, (System.nanoTime() - started) / 1e9);
        if (terminal) {
            int filled = total == 0 ? BAR : (int) ((long) done * BAR / total);
            String line = "  [" + "#".repeat(filled) + ".".repeat(BAR - filled) + "]  " + counts;
            err.print("\r" + line + " ".repeat(Math.max(0, lastWidth - line.length())));
            lastWidth = line.length();
            err.flush();
        } else {
            int quarter = total == 0 ? 4 : (int) ((long) done * 4 / total);
            if (quarter > lastQuarter) {
                lastQuarter = quarter;
                err.println("  " + counts);
                err.flush();
            }
        }
    }

    /** Ends the progress line. */
    synchronized void finish() {
        if (terminal) {
            err.println();
            err.flush();
        }
    }
}
