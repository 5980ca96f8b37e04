package io.pyfleet.client.internal;

import io.pyfleet.client.ProtocolException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An error as the worker reports it, in an error frame, as a value (ext 10) or as the error of a
 * scatter item: {@code [kind, type, message, traceback]}, and the traceback's frames as a 5th item
 * when there are any (spec/PROTOCOL.md, "Error"). {@link #fields()} is the one encoder of that shape
 * and {@link #fromFields(Object)} the one decoder.
 *
 * @param kind      {@code python}, {@code protocol}, {@code stale_handle} or {@code encode}
 * @param type      the qualified exception class, e.g. {@code builtins.ValueError}
 * @param message   the exception message
 * @param traceback the formatted traceback, possibly empty (never {@code null})
 * @param frames    the traceback's frames, outermost first as Python lists them; empty when none
 */
public record RemoteError(String kind, String type, String message, String traceback, List<Frame> frames) {
    /** Error kind: user code raised. */
    public static final String PYTHON = "python";
    /** Error kind: the request was malformed. */
    public static final String PROTOCOL = "protocol";
    /** Error kind: a handle the worker no longer holds. */
    public static final String STALE_HANDLE = "stale_handle";
    /** Error kind: the result could not be encoded. */
    public static final String ENCODE = "encode";

    /**
     * One frame of a Python traceback.
     *
     * @param file     the code's file name as Python has it (usually an absolute path)
     * @param line     the line number, -1 when Python has none
     * @param function the code object's name ({@code fail_deep}, {@code <module>})
     * @param module   the frame's {@code __name__}, or the file name's stem
     */
    public record Frame(String file, int line, String function, String module) implements Serializable {
        /**
         * Checks that no field is {@code null}.
         *
         * @param file     as {@link Frame}
         * @param line     as {@link Frame}
         * @param function as {@link Frame}
         * @param module   as {@link Frame}
         */
        public Frame {
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(function, "function");
            Objects.requireNonNull(module, "module");
        }

        /**
         * This frame as Java shows one, as Jep does for Python frames.
         *
         * @return declaring class the module, method the function, file the file's base name, and the line
         */
        public StackTraceElement toStackTraceElement() {
            int slash = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
            return new StackTraceElement(module, function, file.substring(slash + 1), line);
        }
    }

    /**
     * Checks that no field is {@code null}; copies the frames.
     *
     * @param kind      as {@link RemoteError}
     * @param type      as {@link RemoteError}
     * @param message   as {@link RemoteError}
     * @param traceback as {@link RemoteError}
     * @param frames    as {@link RemoteError}; null is none
     */
    public RemoteError {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(traceback, "traceback");
        frames = frames == null ? List.of() : List.copyOf(frames);
    }

    /**
     * An error without frames (every error the node makes itself).
     *
     * @param kind      as {@link RemoteError}
     * @param type      as {@link RemoteError}
     * @param message   as {@link RemoteError}
     * @param traceback as {@link RemoteError}
     */
    public RemoteError(String kind, String type, String message, String traceback) {
        this(kind, type, message, traceback, List.of());
    }

    /**
     * The wire form.
     *
     * @return the four strings, then the frames as {@code [file, line, function, module]} lists when not empty
     */
    public List<Object> fields() {
        if (frames.isEmpty()) {
            return List.of(kind, type, message, traceback);
        }
        List<Object> wire = new ArrayList<>(frames.size());
        for (Frame f : frames) {
            wire.add(List.of(f.file(), f.line(), f.function(), f.module()));
        }
        return List.of(kind, type, message, traceback, wire);
    }

    /**
     * Reads the wire form: four strings, and optionally a list of {@code [str, int, str, str]} frames.
     *
     * @param wire the decoded fields
     * @return the error
     * @throws ProtocolException for any other shape
     */
    public static RemoteError fromFields(Object wire) {
        if (!(wire instanceof List<?> l) || l.size() < 4 || l.size() > 5 || !(l.get(0) instanceof String kind)
                || !(l.get(1) instanceof String type) || !(l.get(2) instanceof String message)
                || !(l.get(3) instanceof String traceback)) {
            throw new ProtocolException("an error must be [kind, type, message, traceback] (all str), optionally "
                    + "followed by its frames, got " + describe(wire));
        }
        if (l.size() == 4) {
            return new RemoteError(kind, type, message, traceback);
        }
        if (!(l.get(4) instanceof List<?> items)) {
            throw new ProtocolException("an error's frames must be a list, got " + describe(l.get(4)));
        }
        List<Frame> frames = new ArrayList<>(items.size());
        for (Object item : items) {
            if (!(item instanceof List<?> f) || f.size() != 4 || !(f.get(0) instanceof String file)
                    || !(f.get(1) instanceof Long || f.get(1) instanceof Integer) || !(f.get(2) instanceof String function)
                    || !(f.get(3) instanceof String module)) {
                throw new ProtocolException("an error frame must be [file, line, function, module] (str, int, str, "
                        + "str), got " + describe(item));
            }
            long line = ((Number) f.get(1)).longValue();
            if (line != (int) line) {
                throw new ProtocolException("an error frame's line must fit a 32-bit int, got " + line);
            }
            frames.add(new Frame(file, (int) line, function, module));
        }
        return new RemoteError(kind, type, message, traceback, frames);
    }

    private static String describe(Object v) {
        if (v == null) {
            return "nil";
        }
        String s = String.valueOf(v);
        return v.getClass().getSimpleName() + " " + (s.length() > 200 ? s.substring(0, 200) + "..." : s);
    }

    @Override
    public String toString() {
        return "RemoteError[" + kind + "] " + type + ": " + message;
    }
}
