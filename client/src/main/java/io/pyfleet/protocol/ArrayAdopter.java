package io.pyfleet.protocol;

import io.pyfleet.client.internal.Handle;
import java.util.function.Function;

/**
 * A handle mapper that also takes in arrays a worker left in shared memory (ext 12). Only a
 * node decodes its workers' replies with one; any other reader refuses array references.
 */
public interface ArrayAdopter extends Function<Handle, Object> {
    /**
     * What the caller sees for an array reference: the node opens the memory and answers a
     * {@code PyArray}.
     *
     * @throws io.pyfleet.client.ProtocolException when the memory cannot be taken over
     */
    Object adoptArray(ArrayRef ref);
}
