package io.pyfleet.node.worker;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The words of a failed worker start that the user acts on: which interpreter (as configured and as it
 * resolved), what it lacks, and the remedy: what to install into it, or how to point pyfleet at another.
 */
final class InterpreterAdvice {
    /** The oldest Python the worker runs on: the one the pinned NumPy supports (python/pyproject.toml). */
    static final String MIN_PYTHON = "3.11";

    /** Every place the interpreter can be set, in the words a user types. */
    static final String SET_IT = "EmbeddedFleet.builder().python(\"/path/to/python\") in Java, "
            + "pyfleet.worker.interpreter in the configuration, or the environment variable PYFLEET_PYTHON";

    private InterpreterAdvice() {
    }

    /** The interpreter lacks modules every worker needs (msgpack). */
    static String missing(String given, StartReport report) {
        String modules = String.join(" ", report.missing());
        String them = report.missing().size() == 1 ? "it" : "them";
        String python = report.executable().isEmpty() ? given : report.executable();
        return "the workers' Python interpreter " + describe(given, report) + " lacks "
                + String.join(" and ", report.missing()) + ", which every worker needs. Install " + them
                + " into that interpreter (" + python + " -m pip install " + modules + "; numpy too for arrays), "
                + "or point pyfleet at a Python " + MIN_PYTHON + "+ that has " + them + ", such as "
                + venv("python3", modules) + ", with " + SET_IT;
    }

    /** The interpreter is older than the worker runs on. */
    static String tooOld(String given, StartReport report) {
        String needs = report.requires() == null ? MIN_PYTHON : report.requires();
        return "the workers' Python interpreter " + describe(given, report) + " is older than Python " + needs
                + ", the oldest pyfleet's worker runs on. Point pyfleet at a Python " + needs + "+ with msgpack, "
                + "such as " + venv("python" + needs, "msgpack") + ", with " + SET_IT;
    }

    /** The interpreter could not be executed at all. */
    static String notStarted(String given, IOException e) {
        return "the workers' Python interpreter '" + given + "' " + whyNot(given, e) + ". Install Python "
                + MIN_PYTHON + "+ with msgpack, or point pyfleet at one: " + SET_IT;
    }

    /** Where a name or path leads: a missing file, one that is not executable, a name not on the PATH. */
    private static String whyNot(String given, IOException e) {
        if (given.indexOf('/') >= 0) {
            Path path = Path.of(given);
            if (!Files.exists(path)) {
                return "does not exist (" + path.toAbsolutePath().normalize() + ")";
            }
            if (!Files.isExecutable(path) || Files.isDirectory(path)) {
                return "is not an executable file (" + path.toAbsolutePath().normalize() + ")";
            }
            return "cannot be run: " + e.getMessage();
        }
        String searched = System.getenv("PATH");
        for (String dir : (searched == null ? "" : searched).split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, given))) {
                return "(" + Path.of(dir, given) + ") cannot be run: " + e.getMessage();
            }
        }
        return "was not found on this JVM's PATH (" + searched + ")";
    }

    /** {@code 'python3' (/usr/bin/python3, Python 3.11.2)}: as configured, and as it resolved. */
    private static String describe(String given, StartReport report) {
        StringBuilder sb = new StringBuilder("'").append(given).append("' (");
        if (!report.executable().isEmpty() && !report.executable().equals(given)) {
            sb.append(report.executable()).append(", ");
        }
        return sb.append("Python ").append(report.version()).append(')').toString();
    }

    private static String venv(String maker, String modules) {
        return "a virtual environment (" + maker + " -m venv .venv && .venv/bin/pip install "
                + (modules.contains("numpy") ? modules : modules + " numpy") + "; then .venv/bin/python)";
    }
}
