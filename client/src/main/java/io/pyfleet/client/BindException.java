package io.pyfleet.client;

import java.util.List;

/**
 * {@link Fleet#bind} found that the Python module does not offer what the Java interface declares: the module
 * does not import (the message is Python's, the {@link PythonException} the cause), or some methods have no
 * function to call, or name something that is not callable. The message names every such method and the names
 * looked for, e.g. {@code cannot bind Model to mymodel: mymodel has no function for Model.failDepp(int)
 * (looked for failDepp, fail_depp)}. Nothing was bound; nothing of the module ran but its import.
 */
public class BindException extends PyFleetException {
    private static final long serialVersionUID = 1L;

    /** One line per method that cannot be bound. */
    private final List<String> problems;

    /**
     * A binding refused for these problems, one per method that cannot be bound.
     *
     * @param what     what was bound, e.g. {@code Model to mymodel}
     * @param problems one line per method, e.g. {@code mymodel has no function for Model.f() (looked for f)}
     */
    public BindException(String what, List<String> problems) {
        super("cannot bind " + what + ": " + String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    /**
     * A binding refused because the module could not be looked up: it does not import, most often.
     *
     * @param what  what was bound, e.g. {@code Model to mymodel}
     * @param cause the Python error of the lookup
     */
    public BindException(String what, PythonException cause) {
        super("cannot bind " + what + ": " + cause.getMessage(), cause);
        this.problems = List.of(cause.getMessage());
    }

    /** A copy of {@code original}'s message and problems, its cause not set (see {@link #copy()}). */
    private BindException(BindException original) {
        super(original.getMessage());
        this.problems = original.problems;
    }

    /**
     * What is wrong, one line per method.
     *
     * @return one line per method that cannot be bound (or the one error of a module that does not import)
     */
    public List<String> problems() {
        return problems;
    }

    @Override
    PyFleetException copy() {
        return new BindException(this);
    }
}
