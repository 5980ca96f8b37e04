package io.pyfleet.client;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One operation, ready to {@link Fleet#submit(Call)}: what to run, its arguments and its
 * {@link CallOptions}. Immutable; made with the static factories, and {@link #with(CallOptions)}
 * for other options.
 *
 * <pre>{@code
 * fleet.submit(Call.function("mymodule.train", List.of(10), Map.of("epochs", 3))
 *         .with(CallOptions.builder().timeout(Duration.ofMinutes(5)).build()));
 * }</pre>
 *
 * <p>Here the arguments are always a list of positional arguments and a map of keyword arguments; the
 * {@link Fleet} shorthands take them as varargs with an optional {@link Kwargs} last.
 */
public final class Call {
    private final String op;
    private final Object target;
    private final List<?> args;
    private final Map<String, ?> kwargs;
    private final CallOptions options;
    private final String coerce;

    Call(String op, Object target, List<?> args, Map<String, ?> kwargs, CallOptions options, String coerce) {
        this.op = Objects.requireNonNull(op, "op");
        this.target = target;
        this.args = args == null ? List.of() : args;
        this.kwargs = kwargs == null ? Map.of() : kwargs;
        this.options = options == null ? CallOptions.DEFAULT : options;
        this.coerce = coerce;
    }

    /**
     * Calls the function of a dotted name ({@code "os.path.isdir"}) with these arguments.
     *
     * @param dottedName {@code module.function}
     * @param args       the positional arguments; null: none
     * @param kwargs     the keyword arguments by name; null: none
     * @return the call, with the default options
     */
    public static Call function(String dottedName, List<?> args, Map<String, ?> kwargs) {
        return new Call("call", requireName(dottedName), args, kwargs, null, null);
    }

    /**
     * Reads a module constant ({@code "math.pi"}), optionally coerced to a type.
     *
     * @param dottedName {@code module.name}
     * @param coerce     the type to convert it to; null: as it is
     * @return the call, with the default options
     */
    public static Call constant(String dottedName, Coerce coerce) {
        return new Call("const", requireName(dottedName), null, null, null, coerce == null ? null : coerce.wire());
    }

    /**
     * Instantiates a class of a dotted name ({@code "collections.deque"}).
     *
     * @param className {@code module.Class}
     * @param args      the positional arguments; null: none
     * @param kwargs    the keyword arguments by name; null: none
     * @return the call, with the default options
     */
    public static Call init(String className, List<?> args, Map<String, ?> kwargs) {
        return new Call("init", requireName(className), args, kwargs, null, null);
    }

    /**
     * Calls a method on a {@link PyObject}, or on a plain value rebuilt in Python.
     *
     * @param target the object
     * @param method the method's name
     * @param args   the positional arguments
     * @param kwargs the keyword arguments by name; null: none
     * @return the call, with the default options
     */
    public static Call method(Object target, String method, List<?> args, Map<String, ?> kwargs) {
        List<Object> all = new ArrayList<>(args.size() + 1);
        all.add(requireName(method));
        all.addAll(args);
        return new Call("method", target, all, kwargs, null, null);
    }

    /**
     * Reads an attribute of a {@link PyObject} or of a plain value.
     *
     * @param target the object
     * @param name   the attribute's name
     * @return the call, with the default options
     */
    public static Call attr(Object target, String name) {
        return new Call("attr", target, List.of(requireName(name)), null, null, null);
    }

    /**
     * Calls a builtin ({@code "len"}, {@code "pow"}...).
     *
     * @param name   the builtin's name
     * @param args   the positional arguments; null: none
     * @param kwargs the keyword arguments by name; null: none
     * @return the call, with the default options
     */
    public static Call builtin(String name, List<?> args, Map<String, ?> kwargs) {
        return new Call("builtin", requireName(name), args, kwargs, null, null);
    }

    /**
     * Calls a function of Python's {@code operator} module ({@code "add"}, {@code "floordiv"}...).
     *
     * @param name the function's name
     * @param args the positional arguments; null: none
     * @return the call, with the default options
     */
    public static Call operator(String name, List<?> args) {
        return new Call("operator", requireName(name), args, null, null, null);
    }

    /**
     * Imports a module in a worker.
     *
     * @param module the module's dotted name
     * @return the call, with the default options
     */
    public static Call importModule(String module) {
        return new Call("import", requireName(module), null, null, null, null);
    }

    /**
     * Asks a worker for its Python, NumPy, worker package and protocol versions.
     *
     * @return the call, with the default options
     */
    public static Call versions() {
        return new Call("versions", null, null, null, null, null);
    }

    /**
     * The same call with other options.
     *
     * @param newOptions the options; null: the defaults
     * @return a new call; this one is unchanged
     */
    public Call with(CallOptions newOptions) {
        return new Call(op, target, args, kwargs, newOptions, coerce);
    }

    /**
     * The protocol operation.
     *
     * @return {@code call}, {@code const}, {@code init}, {@code method}, {@code attr}, {@code builtin},
     *         {@code operator}, {@code import} or {@code versions}
     */
    public String op() {
        return op;
    }

    /**
     * What the operation applies to.
     *
     * @return a dotted name, or the object of a method call or attribute read; null for {@code versions}
     */
    public Object target() {
        return target;
    }

    /**
     * The positional arguments.
     *
     * @return them, for a method call the method's name first; never null
     */
    public List<?> args() {
        return args;
    }

    /**
     * The keyword arguments.
     *
     * @return them by name; never null
     */
    public Map<String, ?> kwargs() {
        return kwargs;
    }

    /**
     * The options it runs with.
     *
     * @return the options, {@link CallOptions#DEFAULT} unless set
     */
    public CallOptions options() {
        return options;
    }

    /**
     * The coercion of a constant.
     *
     * @return {@code int}, {@code float}, {@code str}..., or null
     */
    public String coerce() {
        return coerce;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Call o && op.equals(o.op) && Objects.equals(target, o.target) && args.equals(o.args)
                && kwargs.equals(o.kwargs) && options.equals(o.options) && Objects.equals(coerce, o.coerce);
    }

    @Override
    public int hashCode() {
        return Objects.hash(op, target, args, kwargs, options, coerce);
    }

    @Override
    public String toString() {
        return "Call[" + op + (target == null ? "" : " " + target) + " " + args + (kwargs.isEmpty() ? "" : " " + kwargs)
                + (options.equals(CallOptions.DEFAULT) ? "" : " " + options) + "]";
    }

    /** The positional arguments of a varargs call: all but a trailing {@link Kwargs}. */
    static List<Object> positional(Object[] args) {
        if (args == null) {
            return java.util.Collections.singletonList(null); // call(name, (Object[]) null): one None
        }
        int n = args.length > 0 && args[args.length - 1] instanceof Kwargs ? args.length - 1 : args.length;
        for (int i = 0; i < n; i++) {
            if (args[i] instanceof Kwargs) {
                throw new IllegalArgumentException("keyword arguments (Kwargs) must come last, not at position " + i);
            }
        }
        return Arrays.asList(Arrays.copyOf(args, n));
    }

    /** The keyword arguments of a varargs call: its trailing {@link Kwargs}, if any. */
    static Map<String, Object> keywords(Object[] args) {
        return args != null && args.length > 0 && args[args.length - 1] instanceof Kwargs k ? k.asMap() : Map.of();
    }

    private static String requireName(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a name is required");
        }
        return name;
    }
}
