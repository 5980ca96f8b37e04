package io.pyfleet.client.internal.bind;

import io.pyfleet.client.BindException;
import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.Kw;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyName;
import io.pyfleet.client.PythonException;
import io.pyfleet.client.ResultTypeException;
import io.pyfleet.client.internal.ApiAccess;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Proxy;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A Python module bound to a Java interface ({@link Fleet#bind(Class, String)}): a proxy whose every
 * abstract method calls a function of the module with the method's arguments, positional in order, or as
 * keyword arguments where a parameter says {@link Kw}. The function is the method's own name if the module
 * has it, else its snake_case form ({@code medianGrouped} calls {@code median_grouped}, see {@link #snakeCase});
 * {@link PyName} names it instead (dotted names allowed, relative to the module).
 *
 * <p>Binding looks the module up once, in one round trip to a worker of the pool the calls will use (the
 * worker op {@code lookup}): a module that does not import, or methods with no callable to call, fail the
 * binding with a {@link BindException} naming every such method and the names looked for. The names found
 * are fixed then; a call does no lookup of its own.
 *
 * <p>The result is converted to the declared return type ({@link Returns}); a result that does not fit is
 * a {@link ResultTypeException}. A method declared to return {@code CompletableFuture<T>} submits the
 * call and returns at once. A varargs method with an object component type spreads its last argument
 * over positional arguments. Default methods run as Java; {@code equals}, {@code hashCode} and
 * {@code toString} are the proxy's own. Every method is checked before the lookup: a return type the
 * table does not know, or a bad {@link PyName} or {@link Kw}, is an {@link IllegalArgumentException}, never
 * a failure at a call.
 */
public final class Binding implements InvocationHandler {
    /** The worker op that looks the names up (spec/PROTOCOL.md). */
    public static final String LOOKUP = "lookup";

    /** {@code equals[class java.lang.Object]}...: the public methods of Object, which the proxy answers itself. */
    private static final Set<String> OBJECT_METHODS = Arrays.stream(Object.class.getMethods())
            .map(m -> m.getName() + Arrays.toString(m.getParameterTypes())).collect(Collectors.toUnmodifiableSet());

    /** A Python name relative to the module: identifiers, dotted. */
    private static final Pattern DOTTED = Pattern.compile("[\\p{L}_][\\p{L}\\p{N}_]*(\\.[\\p{L}_][\\p{L}\\p{N}_]*)*");

    private final Fleet fleet;
    private final Class<?> api;
    private final String module;
    private final CallOptions options;
    private final Map<Method, Bound> methods;

    /** One abstract method, resolved at bind time. */
    private record Bound(String label, String function, String[] keywords, boolean spreadLast, boolean async,
            String declared, Returns.Conversion conversion) {

        Call call(Object[] args, CallOptions base) {
            int n = args == null ? 0 : args.length;
            List<Object> positional = new ArrayList<>(n);
            Map<String, Object> kwargs = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                if (keywords[i] != null) {
                    if (args[i] != null) {
                        kwargs.put(keywords[i], args[i]);
                    }
                } else if (spreadLast && i == n - 1) {
                    if (args[i] != null) {
                        Collections.addAll(positional, (Object[]) args[i]);
                    }
                } else {
                    positional.add(args[i]);
                }
            }
            return Call.function(function, positional, kwargs).with(conversion.options().apply(base));
        }

        Object convert(Object value) {
            try {
                return conversion.converter().convert(value);
            } catch (Returns.Mismatch e) {
                String why = e.getMessage() == null ? "" : " (" + e.getMessage() + ")";
                throw new ResultTypeException(label, declared, Returns.describe(value) + why);
            }
        }
    }

    private Binding(Fleet fleet, Class<?> api, String module, CallOptions options, Map<Method, Bound> methods) {
        this.fleet = fleet;
        this.api = api;
        this.module = module;
        this.options = options;
        this.methods = methods;
    }

    /** One abstract method as declared, before the module is looked up: what it may call. */
    private record Declared(String label, List<String> candidates, String[] keywords, boolean spreadLast,
            boolean async, String declared, Returns.Conversion conversion) {

        Bound bind(String function) {
            return new Bound(label, function, keywords, spreadLast, async, declared, conversion);
        }
    }

    /**
     * Binds {@code module} to {@code api} on {@code fleet}; {@code options} apply to every call, and their pool,
     * node and timeout to the lookup.
     *
     * @param <T>     the interface
     * @param fleet   where the lookup and the calls run
     * @param api     the interface to implement
     * @param module  the module's dotted name
     * @param options the options of every call
     * @return the proxy
     * @throws IllegalArgumentException when {@code api} is not an interface, or a method declares a return
     *                                  type the table does not know, or a bad {@link PyName} or {@link Kw}
     * @throws BindException            when the module does not import, or methods have nothing to call
     * @throws io.pyfleet.client.NotAllowedException when the node's allow-list lets a remote caller reach none
     *                                  of the names a method may call
     */
    public static <T> T bind(Fleet fleet, Class<T> api, String module, CallOptions options) {
        Objects.requireNonNull(fleet, "fleet");
        Objects.requireNonNull(api, "api");
        Objects.requireNonNull(options, "options");
        if (!api.isInterface()) {
            throw new IllegalArgumentException(api.getName() + " is not an interface; only an interface can be bound");
        }
        if (module == null || module.isBlank()) {
            throw new IllegalArgumentException("a module name is required to bind " + api.getName());
        }
        Map<Method, Declared> declared = new LinkedHashMap<>();
        Arrays.stream(api.getMethods())
                .filter(m -> !m.isDefault() && !Modifier.isStatic(m.getModifiers()) && !isObjectMethod(m))
                .map(Binding::declare)
                .sorted(Comparator.comparing(d -> d.declared().label())) // messages list methods in a stable order
                .forEach(d -> declared.put(d.method(), d.declared()));
        Map<List<String>, String> found = lookup(fleet, api, module, options, declared.values());
        Map<Method, Bound> methods = new HashMap<>();
        declared.forEach((m, d) -> methods.put(m, d.bind(module + "." + found.get(d.candidates()))));
        Object proxy = Proxy.newProxyInstance(api.getClassLoader(), new Class<?>[] {api},
                new Binding(fleet, api, module, options, Map.copyOf(methods)));
        return api.cast(proxy);
    }

    /**
     * The Python name each group of candidates resolves to, in one round trip to a worker of the pool of
     * {@code options}; every method that has none is a problem of the one {@link BindException}.
     */
    private static Map<List<String>, String> lookup(Fleet fleet, Class<?> api, String module, CallOptions options,
            Collection<Declared> methods) {
        List<List<String>> groups = methods.stream().map(Declared::candidates).distinct().toList();
        String what = api.getSimpleName() + " to " + module;
        if (groups.isEmpty()) {
            return Map.of();
        }
        CallOptions where = CallOptions.builder().timeout(options.timeout()).on(options.node()).pool(options.pool())
                .build();
        List<?> answers;
        try {
            answers = (List<?>) Fleet.join(fleet.submit(ApiAccess.newCall(LOOKUP, module, List.of(groups), Map.of(),
                    where, null)));
        } catch (PythonException e) {
            throw new BindException(what, e);
        }
        if (answers == null || answers.size() != groups.size()) {
            throw new ProtocolException("the worker answered a lookup of " + groups.size() + " names with " + answers);
        }
        Map<List<String>, String> found = new HashMap<>();
        Map<List<String>, String> notCallable = new HashMap<>();
        for (int i = 0; i < groups.size(); i++) {
            if (answers.get(i) instanceof List<?> hit && hit.size() == 3 && hit.get(0) instanceof String name) {
                if (Boolean.TRUE.equals(hit.get(1))) {
                    found.put(groups.get(i), name);
                } else {
                    notCallable.put(groups.get(i), module + "." + name + " (a " + hit.get(2) + ")");
                }
            } else if (answers.get(i) != null) {
                throw new ProtocolException("the worker answered a lookup with " + answers.get(i));
            }
        }
        List<String> problems = new ArrayList<>();
        for (Declared d : methods) {
            if (found.containsKey(d.candidates())) {
                continue;
            }
            String why = notCallable.get(d.candidates());
            problems.add(why != null ? why + " is not callable, for " + d.label()
                    : module + " has no function for " + d.label() + " (looked for "
                            + String.join(", ", d.candidates()) + ")");
        }
        if (!problems.isEmpty()) {
            throw new BindException(what, problems);
        }
        return found;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        Bound bound = methods.get(method);
        if (bound == null) {
            if (method.isDefault()) {
                return InvocationHandler.invokeDefault(proxy, method, args);
            }
            return switch (method.getName()) {
                case "equals" -> proxy == args[0];
                case "hashCode" -> System.identityHashCode(proxy);
                case "toString" -> "pyfleet binding of " + api.getName() + " to the Python module " + module;
                default -> throw new IllegalStateException("unbound method " + method);
            };
        }
        CompletableFuture<Object> result = fleet.submit(bound.call(args, options));
        if (bound.async()) {
            return result.thenApply(bound::convert);
        }
        return bound.convert(Fleet.join(result));
    }

    /** A method and what it declares. */
    private record MethodDeclared(Method method, Declared declared) {
    }

    private static MethodDeclared declare(Method m) {
        String label = label(m);
        PyName pyName = m.getAnnotation(PyName.class);
        List<String> candidates;
        if (pyName != null) {
            if (!DOTTED.matcher(pyName.value()).matches()) {
                throw new IllegalArgumentException(label + ": @PyName must be a Python name, dotted or not (norm, "
                        + "linalg.norm), not '" + pyName.value() + "'");
            }
            candidates = List.of(pyName.value());
        } else {
            String snake = snakeCase(m.getName());
            candidates = snake.equals(m.getName()) ? List.of(snake) : List.of(m.getName(), snake);
        }
        String[] keywords = new String[m.getParameterCount()];
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < keywords.length; i++) {
            Kw kw = m.getParameters()[i].getAnnotation(Kw.class);
            if (kw != null) {
                if (kw.value().isBlank() || !seen.add(kw.value())) {
                    throw new IllegalArgumentException(label + ": @Kw names must be unique and not blank, got '"
                            + kw.value() + "'");
                }
                keywords[i] = kw.value();
            }
        }
        boolean spreadLast = m.isVarArgs() && keywords[keywords.length - 1] == null
                && !m.getParameterTypes()[keywords.length - 1].getComponentType().isPrimitive();
        Type declared = m.getGenericReturnType();
        boolean async = m.getReturnType() == CompletableFuture.class;
        if (async) {
            declared = declared instanceof ParameterizedType p ? p.getActualTypeArguments()[0] : Object.class;
            if (declared instanceof java.lang.reflect.WildcardType w && w.getLowerBounds().length == 0) {
                declared = w.getUpperBounds()[0];
            }
        }
        Returns.Conversion conversion = Returns.of(declared);
        if (conversion == null || declared == void.class && async) {
            throw new IllegalArgumentException(label + ": pyfleet cannot return " + declared.getTypeName()
                    + " (supported: void, Object, primitives and their boxes, BigInteger, String, byte[], List, Map, Set, "
                    + "PyTuple, double[], float[], long[], int[], boolean[], NdArray, PyObject, and CompletableFuture "
                    + "of any of them)");
        }
        return new MethodDeclared(m, new Declared(label, candidates, keywords, spreadLast, async, declared.getTypeName(),
                conversion));
    }

    /** {@code Stats.medianGrouped(List, Double)}: how messages name a method. */
    private static String label(Method m) {
        return m.getDeclaringClass().getSimpleName() + "." + m.getName()
                + Arrays.stream(m.getParameterTypes()).map(Class::getSimpleName).collect(Collectors.joining(", ", "(", ")"));
    }

    /**
     * The snake_case form of a Java method name: {@code failDeep} is {@code fail_deep}, {@code toHTML}
     * {@code to_html}, {@code parseHTMLString} {@code parse_html_string}, {@code getX2} {@code get_x2};
     * a name without capitals is itself ({@code log10}, {@code linspace}).
     *
     * @param javaName a Java method name
     * @return its snake_case form
     */
    public static String snakeCase(String javaName) {
        StringBuilder sb = new StringBuilder(javaName.length() + 4);
        for (int i = 0; i < javaName.length(); i++) {
            char c = javaName.charAt(i);
            if (Character.isUpperCase(c)) {
                char before = i > 0 ? javaName.charAt(i - 1) : '_';
                boolean wordStarts = Character.isLowerCase(before) || Character.isDigit(before)
                        || Character.isUpperCase(before) && i + 1 < javaName.length()
                                && Character.isLowerCase(javaName.charAt(i + 1));
                if (wordStarts && before != '_') {
                    sb.append('_');
                }
                sb.append(Character.toLowerCase(c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static boolean isObjectMethod(Method m) {
        return OBJECT_METHODS.contains(m.getName() + Arrays.toString(m.getParameterTypes()));
    }
}
