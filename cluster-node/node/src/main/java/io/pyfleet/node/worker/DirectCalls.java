package io.pyfleet.node.worker;

import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.client.internal.CallbackExecutor;
import io.pyfleet.client.internal.FleetFuture;
import io.pyfleet.client.internal.OrderedEvents;
import io.pyfleet.protocol.EncodedCall;
import io.pyfleet.protocol.Frames;
import io.pyfleet.protocol.Messages;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Calls straight to one worker, outside any pool: for tools, the bench and tests
 * ({@link WorkerProcess#submit}). Encoded and written on the caller's thread; the answer
 * completes a {@link FleetFuture} on the shared callback executor.
 */
final class DirectCalls {
    private DirectCalls() {
    }

    static CompletableFuture<Object> submit(WorkerProcess worker, String op, Object target, List<?> args,
            Map<String, ?> kwargs, Map<String, ?> opts, Consumer<Object> onEvent, Duration timeout) {
        FleetFuture<Object> result = new FleetFuture<>(CallbackExecutor.shared());
        EncodedCall encoded;
        try {
            encoded = Messages.encodeCall(op, target, args, kwargs, opts);
        } catch (PyFleetException e) {
            result.completeExceptionally(e);
            return result;
        } catch (RuntimeException e) {
            result.completeExceptionally(new ProtocolException("cannot encode the call: " + e.getMessage(), e));
            return result;
        }
        int maxFrame = worker.options().maxFrame();
        if (encoded.tail().length + Frames.REQUEST_HEAD_MAX > maxFrame) {
            result.completeExceptionally(new Frames.FrameTooLargeException(
                    encoded.tail().length + Frames.REQUEST_HEAD_MAX, maxFrame, Frames.WORKER_SETTING));
            return result;
        }
        EventSink sink = onEvent == null ? null : EventSink.ordered(new OrderedEvents(onEvent,
                CallbackExecutor.shared(), "call on " + worker.options().workerId()));
        worker.send(new PendingCall(encoded, timeout == null ? 0 : timeout.toNanos(), null, 0, result, sink));
        return result;
    }
}
