package io.pyfleet.protocol;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Java arrays of a call too large to go by value ({@code double[]}, {@code float[]},
 * {@code long[]}, {@code int[]}, {@code short[]}, {@code boolean[]} and {@link io.pyfleet.client.NdArray}
 * of more than a size; never {@code byte[]}, which is Python {@code bytes}), found by the encoder
 * on its one walk over the arguments, and what stands for each once it is in node memory: a
 * {@link io.pyfleet.client.PyArray} that is sent by reference. A call without such arrays pays
 * one comparison per array argument, nothing else.
 *
 * <p>Use: encode with it; when {@link #takeFound()} lists arrays, put each in node memory,
 * {@link #place} its stand-in and encode again.
 */
public final class LargeArrays {
    private final long max;
    /** Made when first needed: most calls have no large array and pay for nothing. */
    private Map<Object, Object> placed;
    private List<Object> found;

    /**
     * @param max arrays of more than this many bytes are large
     */
    public LargeArrays(long max) {
        this.max = max;
    }

    /** The arrays met since the last call without a stand-in, in the order met; the list starts over. */
    public List<Object> takeFound() {
        if (found == null) {
            return List.of();
        }
        List<Object> out = List.copyOf(found);
        found = null;
        return out;
    }

    /** From now on {@code standIn} is written where {@code array} is met (the same object, not an equal one). */
    public void place(Object array, Object standIn) {
        if (placed == null) {
            placed = new IdentityHashMap<>();
        }
        placed.put(array, standIn);
    }

    /**
     * Writes {@code v}'s stand-in, or notes it and writes nil, when it is large: true then. False
     * leaves it to the caller to write by value.
     */
    boolean write(WireBuffer w, Object v, long bytes, int depth) {
        if (bytes <= max) {
            return false;
        }
        Object standIn = placed == null ? null : placed.get(v);
        if (standIn != null) {
            ValueWriter.write(w, standIn, depth);
            return true;
        }
        if (found == null) {
            found = new ArrayList<>(1);
        }
        boolean seen = false;
        for (Object f : found) {
            seen |= f == v;
        }
        if (!seen) {
            found.add(v);
        }
        w.nil();
        return true;
    }
}
