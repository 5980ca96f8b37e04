package io.pyfleet.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pyfleet.client.PyName;
import io.pyfleet.client.PythonException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * What a failure of {@code fleettest.fail_deep} (python/tests/workerlib/fleettest.py) must show: its three
 * Python frames on top of the stack, innermost first, with the line numbers of the lines marked
 * {@code # frame: <function>} in that file (read from it, never written here), then the caller's frames.
 */
public final class FailureStacks {
    private FailureStacks() {
    }

    /** fleettest's fail_deep, bound with {@code Fleet.bind(Failing.class, "fleettest")}. */
    public interface Failing {
        /** Fails with {@code KeyError('missing-key-<n>')} three frames deep. */
        @PyName("fail_deep")
        Object failDeep(int n);

        /** The same, without waiting. */
        @PyName("fail_deep")
        CompletableFuture<Object> failDeepAsync(int n);
    }

    /** The functions of fail_deep's traceback, innermost first (Java's order). */
    public static final List<String> FUNCTIONS = List.of("_fail_key", "_fail_lookup", "fail_deep");

    /** Line numbers of fleettest.py's marked lines, by function. */
    public static Map<String, Integer> markedLines() {
        Map<String, Integer> lines = new HashMap<>();
        try {
            List<String> text = Files.readAllLines(TestPython.testModules().resolve("fleettest.py"));
            for (int i = 0; i < text.size(); i++) {
                int at = text.get(i).indexOf("# frame: ");
                if (at >= 0) {
                    lines.put(text.get(i).substring(at + "# frame: ".length()).trim(), i + 1);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return lines;
    }

    /** fail_deep's three frames, innermost first, as StackTraceElements. */
    public static List<StackTraceElement> pythonFrames() {
        Map<String, Integer> lines = markedLines();
        return FUNCTIONS.stream().map(f -> new StackTraceElement("fleettest", f, "fleettest.py", lines.get(f))).toList();
    }

    /** The failure of {@code fail_deep(n)}: its message, type and traceback. */
    public static void assertFailDeep(Throwable t, int n) {
        PythonException e = assertInstanceOf(PythonException.class, t);
        assertEquals("builtins.KeyError: 'missing-key-" + n + "'", e.getMessage());
        assertEquals("builtins.KeyError", e.pythonType());
        assertTrue(e.pythonTraceback().contains("in _fail_key") && e.pythonTraceback().contains("KeyError"),
                e.pythonTraceback());
        assertEquals(pythonFrames(), e.pythonFrames());
    }

    /**
     * A future's failure of {@code fail_deep(n)}: the Python frames and nothing else (no frame of the
     * thread that read the answer).
     */
    public static void assertAsync(Throwable t, int n) {
        assertFailDeep(t, n);
        assertEquals(pythonFrames(), Arrays.asList(t.getStackTrace()), "the Python frames only");
    }

    /**
     * A synchronous failure of {@code fail_deep(n)}: the Python frames, then {@code caller} (where the call
     * was made: class, method and line), then the rest of the caller's thread; its cause the future's failure.
     */
    public static void assertSync(Throwable t, int n, StackTraceElement caller) {
        assertFailDeep(t, n);
        List<StackTraceElement> stack = Arrays.asList(t.getStackTrace());
        assertEquals(pythonFrames(), stack.subList(0, 3), "the Python frames on top: " + stack);
        StackTraceElement below = stack.get(3);
        assertEquals(caller.getClassName() + "." + caller.getMethodName() + ":" + caller.getLineNumber(),
                below.getClassName() + "." + below.getMethodName() + ":" + below.getLineNumber(),
                "then the frame that made the call: " + stack);
        assertAsync(t.getCause(), n);
    }

    /** The frame of the line after the caller's: put it on the line before the call. */
    public static StackTraceElement nextLine() {
        StackTraceElement here = new Throwable().getStackTrace()[1];
        return new StackTraceElement(here.getClassName(), here.getMethodName(), here.getFileName(),
                here.getLineNumber() + 1);
    }

    /** What a future failed with, as a continuation sees it (a derived stage wraps it). */
    public static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException c && c.getCause() != null ? c.getCause() : t;
    }

    /** Asserts that no frame of a thread of pyfleet's own shows (a reader, a watchdog, an actor). */
    public static void assertNoInternalThread(Throwable t) {
        for (StackTraceElement e : t.getStackTrace()) {
            assertTrue(!e.getClassName().startsWith("io.pyfleet.node.worker.")
                    && !e.getClassName().startsWith("io.pyfleet.client.internal.")
                    && !e.getClassName().startsWith("org.apache.pekko."), "an internal frame: " + e + " in "
                    + Arrays.asList(t.getStackTrace()));
        }
    }
}
