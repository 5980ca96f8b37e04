package io.pyfleet.node.gateway;

import io.pyfleet.client.NodeLostException;
import io.pyfleet.client.RemoteFailures;
import io.pyfleet.node.cluster.ClusterView;
import io.pyfleet.protocol.Incoming;
import io.pyfleet.protocol.Messages;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.util.ByteString;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;

/**
 * The cluster side of one client session: requests that belong to another node (named with
 * {@code node}, or on an object that node owns) go there whole, as the client wrote them, and
 * their frames come back as that node wrote them. A fan-out (identical, scatter) sends
 * sub-requests with ids of its own ({@link #SUB_BASE} and up) in the same session, so what they
 * return is released with the session. A node that becomes unreachable or leaves fails every
 * request in flight there at once, exactly once, as node-lost (it may have run).
 */
final class SessionForwarder implements ClusterView.Inbox {
    /** Ids of sub-requests: far above any id a client uses. */
    static final long SUB_BASE = 1L << 62;

    private record Sub(String node, CompletableFuture<Incoming> result) {
    }

    private final ClientSession owner;
    private final ClusterView view;
    private final long session;
    private final Map<Long, String> forwarded = new ConcurrentHashMap<>();
    private final Map<Long, Sub> subs = new ConcurrentHashMap<>();
    private final Set<String> touched = ConcurrentHashMap.newKeySet();
    private final AtomicLong subIds = new AtomicLong(SUB_BASE);
    private volatile boolean ended;

    SessionForwarder(ClientSession owner, ClusterView view) {
        this.owner = owner;
        this.view = view;
        this.session = view.newSession();
        view.open(session, this);
    }

    ClusterView view() {
        return view;
    }

    /** Sends request {@code id} to {@code node}; its frames reach the client as that node wrote them. */
    void forward(String node, long id, byte[] payload) {
        ClusterView.Peer to = live(node);
        forwarded.put(id, node);
        touched.add(node);
        view.forward(to, session, payload);
        if (!isReachable(node) && forwarded.remove(id) != null) {
            owner.fail(id, lost(node, true));
        }
    }

    /** A request of this session's own to {@code node}; completes with its reply or error message. */
    CompletableFuture<Incoming> sub(String node, String op, Object target, List<?> args, Map<String, ?> opts) {
        CompletableFuture<Incoming> result = new CompletableFuture<>();
        ClusterView.Peer to;
        try {
            to = live(node);
        } catch (NodeLostException e) {
            result.completeExceptionally(e);
            return result;
        }
        long id = subIds.incrementAndGet();
        subs.put(id, new Sub(node, result));
        touched.add(node);
        view.forward(to, session, Messages.request(id, op, target, args, null, opts));
        if (!isReachable(node)) {
            Sub s = subs.remove(id);
            if (s != null) {
                s.result().completeExceptionally(lost(node, true));
            }
        }
        return result;
    }

    @Override
    public void frame(byte[] frame, boolean endsCall) {
        long id = idOf(frame);
        if (id >= SUB_BASE) {
            Sub s = endsCall ? subs.remove(id) : null;
            if (s != null) {
                try {
                    s.result().complete(Incoming.parse(frame, 4, frame.length - 4));
                } catch (RuntimeException e) {
                    s.result().completeExceptionally(e);
                }
            }
            return;
        }
        if (endsCall) {
            if (forwarded.remove(id) != null) {
                owner.endForwarded(ByteString.fromArrayUnsafe(frame), !ended);
            }
        } else if (!ended && forwarded.containsKey(id)) {
            owner.sendEvent(ByteString.fromArrayUnsafe(frame));
        }
    }

    @Override
    public void nodeLost(String node, boolean removed) {
        for (Map.Entry<Long, String> e : forwarded.entrySet()) {
            if (e.getValue().equals(node) && forwarded.remove(e.getKey()) != null) {
                if (ended) {
                    owner.endForwarded(null, false);
                } else {
                    owner.fail(e.getKey(), lost(node, true));
                }
            }
        }
        for (Map.Entry<Long, Sub> e : subs.entrySet()) {
            if (e.getValue().node().equals(node) && subs.remove(e.getKey()) != null) {
                e.getValue().result().completeExceptionally(lost(node, true));
            }
        }
        if (removed) {
            touched.remove(node);
        }
    }

    /** The client left: the nodes it used release what it got there; its answers in flight are dropped. */
    void ended() {
        ended = true;
        for (String node : touched) {
            ClusterView.Peer p = view.peer(node);
            if (p != null) {
                view.sessionEnded(p, session);
            }
        }
        for (Long id : new ArrayList<>(forwarded.keySet())) {
            if (forwarded.remove(id) != null) {
                owner.endForwarded(null, false);
            }
        }
        view.close(session);
    }

    /** The wire outcomes of a fan-out reply, or the error it carried as an exception. */
    static List<Object> outcomes(Incoming reply) {
        if (reply.type() == Messages.ERROR) {
            throw RemoteFailures.toException((io.pyfleet.client.RemoteError) reply.body());
        }
        if (!(reply.body() instanceof List<?> l)) {
            throw new io.pyfleet.client.ProtocolException("a node answered a fan-out with " + reply.body());
        }
        return new ArrayList<>(l);
    }

    private ClusterView.Peer live(String node) {
        ClusterView.Peer to = view.peer(node);
        if (to == null) {
            throw new NodeLostException("no node named '" + node + "' serves in this cluster; the call was not run",
                    false);
        }
        if (!to.reachable()) {
            throw new NodeLostException("node '" + node + "' is unreachable; the call was not run", false);
        }
        return to;
    }

    private boolean isReachable(String node) {
        ClusterView.Peer p = view.peer(node);
        return p != null && p.reachable();
    }

    static NodeLostException lost(String node, boolean mayHaveRun) {
        return new NodeLostException("node '" + node + "' left the cluster or became unreachable while serving the call"
                + (mayHaveRun ? "; it may have run" : "; it was not run"), mayHaveRun);
    }

    /** The id of a frame {@code [type, id, ...]} behind its length prefix; -1 when unreadable. */
    private static long idOf(byte[] frame) {
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(frame, 4, frame.length - 4)) {
            u.unpackArrayHeader();
            u.unpackInt();
            return u.unpackLong();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
