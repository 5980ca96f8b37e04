package io.pyfleet.client.internal;

import java.nio.ByteBuffer;
import java.util.List;

/** The memory behind a {@link io.pyfleet.client.PyArray}: a node's shared memory, a gateway's array, or heap bytes. */
public interface ArrayMemory {
    /** Where a worker on this host opens the memory: {@code /proc/<node pid>/fd/<n>}; empty for heap bytes. */
    String source();

    /** What that descriptor's link reads: a worker checks it names this memory. */
    String name();

    /** The size in bytes. */
    long byteSize();

    /** Read-only little-endian views that cover the memory in order, each under 2 GiB. */
    List<ByteBuffer> views();

    /**
     * Gives one reference back; the last frees the memory.
     *
     * @param unreachable the array was dropped unclosed: its views may still be in use
     */
    void release(boolean unreachable);

    /**
     * What a call carries instead of the bytes when the memory is a node's seen from a remote
     * client (the gateway's array reference); null for memory on this host or heap.
     */
    default Object reference() {
        return null;
    }

    /**
     * Holds the memory for a copy that is about to read it: a {@code close()} meanwhile frees it
     * only after {@link #unhold()}. False when it is freed already.
     */
    default boolean hold() {
        return true;
    }

    /** Ends a {@link #hold()}. */
    default void unhold() {
    }

    /**
     * {@link #views()} when the bytes are on this machine, else null without fetching them (a
     * gateway's array not pulled yet): what printing reads, which must never cost a round trip.
     */
    default List<ByteBuffer> viewsIfLocal() {
        return views();
    }
}
