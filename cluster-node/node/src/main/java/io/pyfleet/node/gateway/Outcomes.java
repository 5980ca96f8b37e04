package io.pyfleet.node.gateway;

import io.pyfleet.client.Outcome;
import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.client.internal.RemoteFailures;
import java.util.ArrayList;
import java.util.List;

/** The outcomes of scatter and identical as the gateway sends them, each within the frame size. */
final class Outcomes {
    private Outcomes() {
    }

    /** Outcomes as the protocol lists them: {@code [0, value]} or {@code [1, [kind, type, message, traceback]]}. */
    static List<Object> toWire(List<Outcome> outcomes) {
        List<Object> wire = new ArrayList<>(outcomes.size());
        for (Outcome o : outcomes) {
            if (o.isOk()) {
                wire.add(java.util.Arrays.asList(0L, o.value()));
            } else {
                RemoteError e = RemoteFailures.toRemoteError(o.error());
                wire.add(List.of(1L, e.fields()));
            }
        }
        return wire;
    }

    /** Room a reply's head and list header take besides its items. */
    static final int REPLY_HEAD = 64;

    /**
     * Outcomes that fit one frame: an item whose value would take the reply past {@code maxFrame}
     * becomes a typed error of its own (it ran), and the other items still come back; one large
     * result no longer costs the whole scatter or identical call.
     */
    static List<Object> withinFrame(List<Object> wire, int maxFrame) {
        long total = REPLY_HEAD;
        List<Object> fitted = null;
        for (int i = 0; i < wire.size(); i++) {
            long size = io.pyfleet.protocol.ValueCodec.encode(wire.get(i)).length;
            if (total + size <= maxFrame) {
                total += size;
                continue;
            }
            if (fitted == null) {
                fitted = new ArrayList<>(wire);
            }
            Object error = tooLarge(i, size, maxFrame);
            fitted.set(i, error);
            total += io.pyfleet.protocol.ValueCodec.encode(error).length;
        }
        return fitted == null ? wire : fitted;
    }

    /** The outcome {@code [1, error]} that stands for an item whose value does not fit a frame: it ran. */
    static List<Object> tooLarge(int index, long size, int maxFrame) {
        RemoteError e = new RemoteError(RemoteError.PROTOCOL, "", (size < 0 ? "the result of item " + index
                + " could not be encoded" : "the result of item " + index + " is " + size + " bytes, and the frame "
                + "that carries it would pass the maximum frame size of " + maxFrame + " bytes between this node and "
                + "its clients (pyfleet.gateway.max-frame-size)") + "; the item ran. Return large data as a NumPy "
                + "array from a plain call (it stays on the node and the client reads it in chunks), or as an object "
                + "(asHandle), or raise pyfleet.gateway.max-frame-size", "");
        return List.of(1L, e.fields());
    }
}
