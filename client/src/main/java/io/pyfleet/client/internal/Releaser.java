package io.pyfleet.client.internal;

/** Releases a handle in its owner; called at most once per handle. */
@FunctionalInterface
public interface Releaser {
    /** Releases the object {@code handle} names. */
    void release(Handle handle);
}
