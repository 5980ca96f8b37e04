package io.pyfleet.client;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A Python {@code tuple} (ext 2). Immutable: the items are copied into an
 * unmodifiable list, which may hold {@code null} (Python {@code None}).
 *
 * @param items the items, in order
 */
public record PyTuple(List<Object> items) {
    private static final PyTuple EMPTY = new PyTuple(List.of());

    /**
     * Copies {@code items}; {@code null} items are allowed.
     *
     * @param items the items, in order
     */
    public PyTuple {
        Objects.requireNonNull(items, "items");
        items = Collections.unmodifiableList(new ArrayList<>(items));
    }

    /**
     * A tuple of the given items ({@code null} items allowed).
     *
     * @param items the items, in order
     * @return the tuple
     */
    public static PyTuple of(Object... items) {
        return items.length == 0 ? EMPTY : new PyTuple(Arrays.asList(items));
    }

    /**
     * The number of items.
     *
     * @return the count
     */
    public int size() {
        return items.size();
    }

    /**
     * The item at a position.
     *
     * @param index its position, from 0
     * @return the item
     * @throws IndexOutOfBoundsException when there is none at {@code index}
     */
    public Object get(int index) {
        return items.get(index);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("PyTuple(");
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(items.get(i));
        }
        return sb.append(items.size() == 1 ? ",)" : ")").toString();
    }
}
