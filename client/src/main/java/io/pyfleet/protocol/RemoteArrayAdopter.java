package io.pyfleet.protocol;

import io.pyfleet.client.internal.Handle;
import java.util.function.Function;

/**
 * A handle mapper that also takes in the arrays a gateway keeps for its client (ext 13). A
 * reader without one decodes them as {@link RemoteArrayRef}s (a node reading a request does).
 */
public interface RemoteArrayAdopter extends Function<Handle, Object> {
    /** What the caller sees for a remote array: a {@code PyArray} whose reads pull the bytes. */
    Object adoptRemoteArray(RemoteArrayRef ref);
}
