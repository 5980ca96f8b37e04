package io.pyfleet.client.internal.remote;

import io.pyfleet.client.Outcome;
import io.pyfleet.client.ProtocolException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The outcomes of a scatter or identical call sent with {@code opts.each}: the node sends each as an event
 * {@code [index, outcome]} as it comes, and then the number of items as the reply (PROTOCOL.md, "identical and
 * scatter"); no frame holds more than one item. Assembled here into the list the API returns, in input order.
 * A node that answers with the whole list (a cluster's fan-out) is read as before. Used by the connection's
 * reader only, so it needs no lock.
 */
final class StreamedOutcomes {
    private final Map<Integer, Outcome> byIndex = new HashMap<>();
    private ProtocolException malformed;

    /** One item's event. */
    void accept(Object event) {
        try {
            if (!(event instanceof List<?> pair) || pair.size() != 2 || !(pair.get(0) instanceof Long index)
                    || index < 0 || index > Integer.MAX_VALUE) {
                throw new ProtocolException("an item of an identical or scatter call is [index, outcome], got "
                        + event);
            }
            byIndex.put(index.intValue(), Replies.outcome(pair.get(1)));
        } catch (ProtocolException e) {
            malformed = e;
        }
    }

    /** The reply: the number of items (each came as an event), or the whole outcome list. */
    List<Outcome> result(Object reply) {
        if (reply instanceof List<?>) {
            return Replies.outcomes(reply);
        }
        if (!(reply instanceof Long n) || n < 0 || n > Integer.MAX_VALUE) {
            throw new ProtocolException("expected the number of outcomes or their list, got " + reply);
        }
        List<Outcome> outcomes = new ArrayList<>(n.intValue());
        for (int i = 0; i < n; i++) {
            Outcome o = byIndex.get(i);
            outcomes.add(o != null ? o : Outcome.failed(new ProtocolException("the node sent no outcome for item " + i
                    + (malformed == null ? "" : " (" + malformed.getMessage() + ")"))));
        }
        return outcomes;
    }
}
