package io.pyfleet.protocol;

import io.pyfleet.client.internal.Handle;

/**
 * A request's body, encoded: the msgpack of {@code [op, target, args, kwargs, opts]}
 * without the message type and id, which are written in front of it when the call goes
 * to a worker.
 *
 * @param tail       the five encoded fields
 * @param owner      the first handle among the values: its worker must run the call; null for none
 * @param otherOwner a handle of another worker in the same call, or null: such a call cannot run anywhere
 */
public record EncodedCall(byte[] tail, Handle owner, Handle otherOwner) {
}
