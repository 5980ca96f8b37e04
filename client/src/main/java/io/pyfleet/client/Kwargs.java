package io.pyfleet.client;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Python keyword arguments, given as the last argument of a call:
 * {@code fleet.call("builtins.int", "101010", Kwargs.of("base", 2))} runs {@code int("101010", base=2)}.
 *
 * <p>Only a {@code Kwargs} is ever read as keyword arguments: a {@code Map} or a {@code List} among a call's
 * arguments is always one positional argument (a Python {@code dict} or {@code list}), so the same call never
 * means two things. Immutable; {@link #and(String, Object)} returns a new one.
 */
public final class Kwargs {
    private static final Kwargs NONE = new Kwargs(Map.of());

    private final Map<String, Object> map;

    private Kwargs(Map<String, Object> map) {
        this.map = map;
    }

    /**
     * No keyword arguments.
     *
     * @return the empty {@code Kwargs}
     */
    public static Kwargs none() {
        return NONE;
    }

    /**
     * One keyword argument.
     *
     * @param name  its name, a Python identifier
     * @param value its value
     * @return the keyword arguments
     * @throws IllegalArgumentException when a name is not a Python identifier or is given twice
     */
    public static Kwargs of(String name, Object value) {
        return NONE.and(name, value);
    }

    /**
     * Two keyword arguments.
     *
     * @param name1  the first's name
     * @param value1 its value
     * @param name2  the second's name
     * @param value2 its value
     * @return the keyword arguments
     * @throws IllegalArgumentException when a name is not a Python identifier or is given twice
     */
    public static Kwargs of(String name1, Object value1, String name2, Object value2) {
        return of(name1, value1).and(name2, value2);
    }

    /**
     * Three keyword arguments.
     *
     * @param name1  the first's name
     * @param value1 its value
     * @param name2  the second's name
     * @param value2 its value
     * @param name3  the third's name
     * @param value3 its value
     * @return the keyword arguments
     * @throws IllegalArgumentException when a name is not a Python identifier or is given twice
     */
    public static Kwargs of(String name1, Object value1, String name2, Object value2, String name3, Object value3) {
        return of(name1, value1, name2, value2).and(name3, value3);
    }

    /**
     * The entries of a map, in its iteration order.
     *
     * @param kwargs values by name
     * @return the keyword arguments
     * @throws IllegalArgumentException when a name is not a Python identifier or is given twice
     */
    public static Kwargs of(Map<String, ?> kwargs) {
        Kwargs k = NONE;
        for (Map.Entry<String, ?> e : kwargs.entrySet()) {
            k = k.and(e.getKey(), e.getValue());
        }
        return k;
    }

    /**
     * These keyword arguments and one more.
     *
     * @param name  its name, a Python identifier
     * @param value its value
     * @return new keyword arguments; these are unchanged
     * @throws IllegalArgumentException when {@code name} is not a Python identifier or is given already
     */
    public Kwargs and(String name, Object value) {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || !Character.isJavaIdentifierStart(name.codePointAt(0)) || name.contains(".")
                || !name.codePoints().allMatch(Character::isJavaIdentifierPart) || name.contains("$")) {
            throw new IllegalArgumentException("'" + name + "' is not a Python keyword argument name");
        }
        if (map.containsKey(name)) {
            throw new IllegalArgumentException("the keyword argument '" + name + "' is given twice");
        }
        Map<String, Object> m = new LinkedHashMap<>(map);
        m.put(name, value);
        return new Kwargs(Collections.unmodifiableMap(m));
    }

    /**
     * The keyword arguments.
     *
     * @return values by name, in the order given; unmodifiable
     */
    public Map<String, Object> asMap() {
        return map;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Kwargs k && k.map.equals(map);
    }

    @Override
    public int hashCode() {
        return map.hashCode();
    }

    /**
     * The keyword arguments as text.
     *
     * @return {@code Kwargs(base=2, sep=,)}: names and values in order
     */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Kwargs(");
        map.forEach((k, v) -> s.append(s.length() > 7 ? ", " : "").append(k).append('=').append(v));
        return s.append(')').toString();
    }
}
