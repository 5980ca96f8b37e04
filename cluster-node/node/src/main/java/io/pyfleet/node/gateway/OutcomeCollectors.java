package io.pyfleet.node.gateway;

import io.pyfleet.client.Outcome;
import io.pyfleet.protocol.Messages;
import io.pyfleet.protocol.ValueCodec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a session does with the outcomes of a scatter or identical call as they come: streams each as an event
 * ({@code opts.each}) or keeps them for one reply, never more than a frame's worth. Either way every object an
 * outcome names is noted as the session's, even one not sent (too large, or the connection ended meanwhile), so
 * it is released with the session rather than left in its worker for nobody.
 */
final class OutcomeCollectors {
    private static final Logger log = LoggerFactory.getLogger(OutcomeCollectors.class);

    private OutcomeCollectors() {
    }

    /** Takes the outcomes of one call as they come (under the gather's lock), and ends the call once all came. */
    interface Collector extends BiConsumer<Integer, Outcome> {
        /** Every item ended ({@code outcomes} hold no values where an item was taken), or the call failed. */
        void finish(List<Outcome> outcomes, Throwable failure);
    }

    /** The streamed collector of request {@code id}, which a cluster's fan-out also feeds wire outcomes. */
    static Items streamed(ClientSession session, long id) {
        return new Items(session, id);
    }

    /** The collector of request {@code id}: streamed with {@code each}, else assembled within a frame. */
    static Collector of(ClientSession session, long id, boolean each) {
        return each ? new Items(session, id) : new Assembled(session, id);
    }

    /**
     * The outcomes of a call sent with {@code opts.each}: each leaves as an event {@code [index, outcome]} as it
     * comes, within the frame size (an item that would not fit is a typed error of its own: it ran), and the node
     * holds none of them; the reply is the number of items. Where no item was passed on (no worker served), the
     * reply is the outcome list itself, as without {@code each}.
     */
    static final class Items implements Collector {
        private final ClientSession session;
        private final long id;
        private final AtomicInteger sent = new AtomicInteger();

        Items(ClientSession session, long id) {
            this.session = session;
            this.id = id;
        }

        @Override
        public void accept(Integer index, Outcome outcome) {
            acceptWire(index, Outcomes.toWire(List.of(outcome)).get(0));
        }

        /** One outcome as the protocol lists it ({@code [0, value]} or {@code [1, error]}). */
        void acceptWire(Integer index, Object wire) {
            sent.incrementAndGet();
            int maxFrame = session.context().settings().maxFrameSize();
            byte[] payload;
            try {
                payload = Messages.event(id, List.of(index.longValue(), wire));
                session.objects().noteIssued(payload, 0, payload.length); // even where dropped below
                if (payload.length > maxFrame) {
                    payload = Messages.event(id, List.of(index.longValue(), Outcomes.tooLarge(index, payload.length,
                            maxFrame))); // never one frame over the limit
                }
            } catch (RuntimeException e) {
                log.warn("the outcome of item {} of call {} for client {} cannot be sent: {}", index, id,
                        session.peer(), e.toString());
                payload = Messages.event(id, List.of(index.longValue(), Outcomes.tooLarge(index, -1, maxFrame)));
            }
            session.sendItem(payload);
        }

        /** The end of a cluster's fan-out, whose outcomes come as wire lists: sends those not yet sent. */
        void finishWire(List<Object> wire, Throwable failure) {
            if (failure == null && sent.get() == 0) {
                for (int i = 0; i < wire.size(); i++) {
                    acceptWire(i, wire.get(i));
                }
            }
            session.finish(id, failure != null ? null : (long) wire.size(), failure);
        }

        @Override
        public void finish(List<Outcome> outcomes, Throwable failure) {
            if (failure != null || sent.get() > 0) {
                session.finish(id, failure != null ? null : (long) outcomes.size(), failure);
            } else {
                session.finishOutcomes(id, outcomes, null);
            }
        }
    }

    /**
     * The outcomes of a call sent without {@code opts.each}: one reply with the list, as before streaming. Each
     * item is kept only while the reply stays within the frame size: one that would take it past is a typed
     * error of its own as it comes (it ran), so a call holds at most a frame's worth of values, never all its
     * results, however many and large (a scatter of 30 x 40 MB filled a 1 GiB heap).
     */
    private static final class Assembled implements Collector {
        private final ClientSession session;
        private final long id;
        private final Map<Integer, Object> wire = new HashMap<>();
        private long total = Outcomes.REPLY_HEAD;

        Assembled(ClientSession session, long id) {
            this.session = session;
            this.id = id;
        }

        @Override
        public synchronized void accept(Integer index, Outcome outcome) {
            int maxFrame = session.context().settings().maxFrameSize();
            Object item = Outcomes.toWire(List.of(outcome)).get(0);
            byte[] encoded;
            try {
                encoded = ValueCodec.encode(item);
            } catch (RuntimeException e) {
                log.warn("the outcome of item {} of call {} for client {} cannot be sent: {}", index, id,
                        session.peer(), e.toString());
                item = Outcomes.tooLarge(index, -1, maxFrame);
                encoded = ValueCodec.encode(item);
            }
            session.objects().noteIssued(encoded, 0, encoded.length); // even where dropped below
            if (total + encoded.length > maxFrame) {
                item = Outcomes.tooLarge(index, encoded.length, maxFrame);
                encoded = ValueCodec.encode(item);
            }
            total += encoded.length;
            wire.put(index, item);
        }

        @Override
        public synchronized void finish(List<Outcome> outcomes, Throwable failure) {
            if (failure != null || wire.isEmpty()) { // no item taken: no worker served, the list says why
                session.finishOutcomes(id, outcomes, failure);
                return;
            }
            List<Object> list = new ArrayList<>(outcomes.size());
            for (int i = 0; i < outcomes.size(); i++) {
                Object item = wire.get(i);
                list.add(item != null ? item : Outcomes.toWire(List.of(outcomes.get(i))).get(0));
            }
            wire.clear();
            session.finish(id, list, null);
        }
    }
}
