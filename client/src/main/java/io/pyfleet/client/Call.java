package io.pyfleet.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One operation of the protocol, ready to submit: the op, its target, arguments and
 * options. Immutable; made with the static factories.
 */
public record Call(String op, Object target, List<?> args, Map<String, ?> kwargs, CallOptions options,
        String coerce) {

    public Call {
        Objects.requireNonNull(op, "op");
        args = args == null ? List.of() : args;
        kwargs = kwargs == null ? Map.of() : kwargs;
        options = options == null ? CallOptions.DEFAULT : options;
    }

    public static Call function(String dottedName, List<?> args, Map<String, ?> kwargs) {
        return new Call("call", requireName(dottedName), args, kwargs, null, null);
    }

    public static Call constant(String dottedName, Coerce coerce) {
        return new Call("const", requireName(dottedName), null, null, null, coerce == null ? null : coerce.wire());
    }

    public static Call init(String className, List<?> args, Map<String, ?> kwargs) {
        return new Call("init", requireName(className), args, kwargs, null, null);
    }

    public static Call method(Object target, String method, List<?> args, Map<String, ?> kwargs) {
        List<Object> all = new ArrayList<>(args.size() + 1);
        all.add(requireName(method));
        all.addAll(args);
        return new Call("method", target, all, kwargs, null, null);
    }

    public static Call attr(Object target, String name) {
        return new Call("attr", target, List.of(requireName(name)), null, null, null);
    }

    public static Call builtin(String name, List<?> args, Map<String, ?> kwargs) {
        return new Call("builtin", requireName(name), args, kwargs, null, null);
    }

    public static Call operator(String name, List<?> args) {
        return new Call("operator", requireName(name), args, null, null, null);
    }

    public static Call importModule(String module) {
        return new Call("import", requireName(module), null, null, null, null);
    }

    public static Call versions() {
        return new Call("versions", null, null, null, null, null);
    }

    /**
     * The worker protocol's {@code opts} for this call ({@code ret}, {@code stream}, {@code coerce};
     * spec/PROTOCOL.md), as a new map the caller may add to, or null when it has none.
     */
    public Map<String, Object> workerOptions() {
        if (!options.asHandle() && !options.stream() && coerce == null) {
            return null;
        }
        Map<String, Object> opts = new java.util.HashMap<>(8);
        if (options.asHandle()) {
            opts.put("ret", "handle");
        }
        if (options.stream()) {
            opts.put("stream", true);
        }
        if (coerce != null) {
            opts.put("coerce", coerce);
        }
        return opts;
    }

    /** The same call with other options. */
    public Call with(CallOptions newOptions) {
        return new Call(op, target, args, kwargs, newOptions, coerce);
    }

    private static String requireName(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a name is required");
        }
        return name;
    }
}
