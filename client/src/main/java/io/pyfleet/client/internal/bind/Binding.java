package io.pyfleet.client.internal.bind;

import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.Fleet;
import io.pyfleet.client.Kw;
import io.pyfleet.client.PyName;
import io.pyfleet.client.ResultTypeException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Proxy;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/**
 * A Python module bound to a Java interface ({@link Fleet#bind(Class, String)}): a proxy whose every
 * abstract method calls the module's function of the same name ({@link PyName} overrides it) with the
 * method's arguments, positional in order, or as keyword arguments where a parameter says {@link Kw}.
 * The result is converted to the declared return type ({@link Returns}); a result that does not fit is
 * a {@link ResultTypeException}. A method declared to return {@code CompletableFuture<T>} submits the
 * call and returns at once. A varargs method with an object component type spreads its last argument
 * over positional arguments. Default methods run as Java; {@code equals}, {@code hashCode} and
 * {@code toString} are the proxy's own. Every method is checked when the interface is bound: a return
 * type the table does not know is an {@link IllegalArgumentException} then, never at a call.
 */
public final class Binding implements InvocationHandler {
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

    /**
     * Binds {@code module} to {@code api} on {@code fleet}; {@code options} apply to every call.
     *
     * @throws IllegalArgumentException when {@code api} is not an interface, or a method declares a return
     *                                  type the table does not know, or a bad {@link PyName} or {@link Kw}
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
        Map<Method, Bound> methods = new HashMap<>();
        for (Method m : api.getMethods()) {
            if (!m.isDefault() && !Modifier.isStatic(m.getModifiers()) && !isObjectMethod(m)) {
                methods.put(m, resolve(module, m));
            }
        }
        Object proxy = Proxy.newProxyInstance(api.getClassLoader(), new Class<?>[] {api},
                new Binding(fleet, api, module, options, Map.copyOf(methods)));
        return api.cast(proxy);
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

    private static Bound resolve(String module, Method m) {
        String label = m.getDeclaringClass().getSimpleName() + "." + m.getName()
                + Arrays.stream(m.getParameterTypes()).map(Class::getSimpleName).collect(Collectors.joining(", ", "(", ")"));
        PyName pyName = m.getAnnotation(PyName.class);
        String name = pyName == null ? m.getName() : pyName.value();
        if (name.isBlank()) {
            throw new IllegalArgumentException(label + ": @PyName must not be blank");
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
        return new Bound(label, module + "." + name, keywords, spreadLast, async, declared.getTypeName(), conversion);
    }

    private static boolean isObjectMethod(Method m) {
        try {
            Object.class.getMethod(m.getName(), m.getParameterTypes());
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }
}
