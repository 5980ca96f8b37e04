package io.pyfleet.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.Fleet;
import io.pyfleet.client.PoolFailedException;
import io.pyfleet.client.PythonException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An embedded node started as a user's project starts it, with an interpreter that cannot run workers:
 * the start fails at once (not after the start timeout) with a message that names the interpreter, what it
 * lacks and the remedy. And a call to a module off the workers' path says how to add it.
 */
class EmbeddedStartProblemsTest {
    /** Far longer than any of these starts may take: they fail on the worker's first words. */
    private static final String START_TIMEOUT = "120s";
    private static final String SET_IT = "EmbeddedFleet.builder().python(\"/path/to/python\") in Java, "
            + "pyfleet.worker.interpreter in the configuration, or the environment variable PYFLEET_PYTHON";

    private static PoolFailedException startFails(String interpreter) {
        long t0 = System.nanoTime();
        PoolFailedException e = assertThrows(PoolFailedException.class, () -> EmbeddedFleet.builder()
                .python(interpreter).workers(2).setting("pyfleet.worker.start-timeout", START_TIMEOUT).start()
                .close());
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertTrue(took.compareTo(Duration.ofSeconds(60)) < 0, "failed fast, not at the start timeout: " + took);
        assertTrue(e.getMessage().startsWith("the embedded node did not start: worker w"), e.getMessage());
        assertTrue(e.getMessage().endsWith(SET_IT), e.getMessage());
        return e;
    }

    @Test
    void aVenvWithoutMsgpackNamesItsPythonWhatItLacksAndTheRemedy(@TempDir Path dir) throws Exception {
        String python = TestVenv.bare(dir.resolve("venv")).toString();
        String message = startFails(python).getMessage();
        assertTrue(message.contains("the workers' Python interpreter '" + python + "' (Python "
                + TestPython.version() + ") lacks msgpack, which every worker needs."), message);
        assertTrue(message.contains("Install it into that interpreter (" + python + " -m pip install msgpack; "
                + "numpy too for arrays), or point pyfleet at a Python 3.11+ that has it, such as a virtual environment "
                + "(python3 -m venv .venv && .venv/bin/pip install msgpack numpy; then .venv/bin/python), with "), message);
        assertTrue(!message.contains("cool-down"), "this node does not try again: " + message);
    }

    @Test
    void anInterpreterThatIsNotOnThePathSaysWhereItWasLookedFor() {
        String message = startFails("no-such-python-pyfleet").getMessage();
        assertTrue(message.contains("the workers' Python interpreter 'no-such-python-pyfleet' was not found on this "
                + "JVM's PATH (" + System.getenv("PATH") + "). Install Python 3.11+ with msgpack, or point pyfleet "
                + "at one: "), message);
    }

    @Test
    void aPathThatDoesNotExistSaysSo() {
        String message = startFails("/nonexistent/bin/python3").getMessage();
        assertTrue(message.contains("'/nonexistent/bin/python3' does not exist (/nonexistent/bin/python3)"), message);
    }

    @Test
    void aPythonOlderThan311IsRefusedWithItsVersion(@TempDir Path dir) throws Exception {
        Optional<Path> older = TestPython.older();
        // Without a CPython 3.6 to 3.10 here, the test interpreter stands in: the node's own bootstrap, run by it
        // through a wrapper that raises the minimum to 3.99.
        String python = older.isPresent() ? older.get().toString() : raisedMinimum(dir).toString();
        String needs = older.isPresent() ? "3\\.11" : "3\\.99";
        String message = startFails(python).getMessage();
        assertTrue(message.matches("(?s).*the workers' Python interpreter '" + java.util.regex.Pattern.quote(python)
                + "' \\((\\S+, )?Python 3\\.\\d+\\.\\d+\\) is older than Python " + needs + ", the oldest pyfleet's "
                + "worker runs on\\. Point pyfleet at a Python " + needs + "\\+ with msgpack, such as a virtual "
                + "environment \\(python" + needs + " -m venv .*"), message);
    }

    /** An interpreter that runs the program it is given ({@code -c PROGRAM ...}) with the minimum at 3.99. */
    private static Path raisedMinimum(Path dir) throws java.io.IOException {
        Path script = dir.resolve("python-wanting-3.99");
        java.nio.file.Files.writeString(script, "#!/bin/sh\n"
                + "program=$(printf '%s' \"$2\" | sed -e 's/(3, 11)/(3, 99)/' -e 's/requires=3.11/requires=3.99/')\n"
                + "shift 2\nexec " + TestPython.interpreter() + " -c \"$program\" \"$@\"\n");
        java.nio.file.Files.setPosixFilePermissions(script,
                java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    @Test
    void aCallToAModuleOffThePathSaysHowToAddIt() {
        try (Fleet fleet = EmbeddedFleet.builder().python(TestPython.interpreter()).workers(1).start()) {
            PythonException e = assertThrows(PythonException.class, () -> fleet.call("mymodel_off_the_path.score", 1));
            assertEquals("builtins.ModuleNotFoundError", e.pythonType());
            assertTrue(e.getMessage().startsWith("builtins.ModuleNotFoundError: No module named 'mymodel_off_the_path' "
                    + "(not on the workers' sys.path: add the directory that holds it with "
                    + "EmbeddedFleet.builder().pythonPath(...) or pyfleet.worker.python-path, or install the package "
                    + "into the workers' interpreter: "), e.getMessage());
        }
    }
}
