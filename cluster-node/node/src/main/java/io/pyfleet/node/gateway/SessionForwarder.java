package io.pyfleet.node.gateway;

import io.pyfleet.client.FleetClosedException;
import io.pyfleet.client.NodeLostException;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.StaleHandleException;
import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.client.internal.RemoteFailures;
import io.pyfleet.node.cluster.ClusterView;
import io.pyfleet.protocol.HandleScan;
import io.pyfleet.protocol.Incoming;
import io.pyfleet.protocol.Messages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.util.ByteString;

/**
 * The cluster side of one client session: requests that belong to another node (named with
 * {@code node}, or on an object that node owns) go there whole, as the client wrote them, and
 * their frames come back as that node wrote them. A fan-out (identical, scatter) sends
 * sub-requests with ids of its own ({@link #SUB_BASE} and up) in the same session, so what they
 * return is released with the session. Each request ends exactly once: by its answer (from the
 * node it was sent to, never another), when that node becomes unreachable or leaves (node-lost,
 * it may have run), or at its deadline (its timeout, or the node's, plus a margin) when no
 * answer came.
 */
final class SessionForwarder implements ClusterView.Inbox {
    /** Ids of sub-requests: far above any id a client uses. */
    static final long SUB_BASE = 1L << 62;

    /** Where a request went: the node's name and its incarnation, and its deadline. */
    private static final class Target {
        final String node;
        final String incarnation;
        volatile ScheduledFuture<?> deadline;

        Target(ClusterView.Peer peer) {
            this.node = peer.name();
            this.incarnation = peer.info().handleNode();
        }

        void cancel() {
            ScheduledFuture<?> d = deadline;
            if (d != null) {
                d.cancel(false);
            }
        }
    }

    private record Sub(Target target, CompletableFuture<Incoming> result) {
    }

    private final ClientSession owner;
    private final ClusterView view;
    private final long session;
    private final Map<Long, Target> forwarded = new ConcurrentHashMap<>();
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

    /**
     * Sends request {@code id} to {@code node}; its frames reach the client as that node wrote them.
     *
     * @param wait how long the node may take to answer before the call fails as node-lost
     */
    void forward(String node, long id, byte[] payload, Duration wait) {
        ClusterView.Peer to = live(node);
        checkSize(payload);
        Target t = new Target(to);
        forwarded.put(id, t);
        touched.add(node);
        t.deadline = view.after(wait, () -> {
            if (forwarded.remove(id, t)) {
                owner.fail(id, silent(node, wait));
            }
        });
        view.forward(to, session, payload);
        if ((ended || !isReachable(node)) && forwarded.remove(id, t)) {
            t.cancel();
            owner.fail(id, ended ? closed() : lost(node, true));
        }
    }

    /** A request of this session's own to {@code node}; completes with its reply or error message. */
    CompletableFuture<Incoming> sub(String node, String op, Object target, List<?> args, Map<String, ?> opts,
            Duration wait) {
        CompletableFuture<Incoming> result = new CompletableFuture<>();
        try {
            if (ended) {
                throw closed();
            }
            ClusterView.Peer to = live(node);
            long id = subIds.incrementAndGet();
            byte[] payload = Messages.request(id, op, target, args, null, opts);
            checkSize(payload);
            Target t = new Target(to);
            Sub s = new Sub(t, result);
            subs.put(id, s);
            touched.add(node);
            t.deadline = view.after(wait, () -> {
                if (subs.remove(id, s)) {
                    result.completeExceptionally(silent(node, wait));
                }
            });
            view.forward(to, session, payload);
            if ((ended || !isReachable(node)) && subs.remove(id, s)) {
                t.cancel();
                result.completeExceptionally(ended ? closed() : lost(node, true));
            }
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
        }
        return result;
    }

    @Override
    public void frame(byte[] frame, boolean endsCall, String from) {
        long id = ClusterView.frameId(frame);
        if (id >= SUB_BASE) {
            Sub s = subs.get(id);
            if (endsCall && s != null && s.target().incarnation.equals(from) && subs.remove(id, s)) {
                s.target().cancel();
                try {
                    s.result().complete(Incoming.parse(frame, 4, frame.length - 4));
                } catch (RuntimeException e) {
                    s.result().completeExceptionally(e);
                }
            }
            return;
        }
        Target t = forwarded.get(id);
        if (t == null || !t.incarnation.equals(from)) {
            return; // a late answer of a call that ended already (its node was lost, or its deadline passed)
        }
        if (endsCall) {
            if (forwarded.remove(id, t)) {
                t.cancel();
                owner.endForwarded(ByteString.fromArrayUnsafe(frame), !ended);
            }
        } else if (!ended) {
            owner.sendEvent(ByteString.fromArrayUnsafe(frame));
        }
    }

    @Override
    public void nodeLost(String node, boolean removed) {
        for (Map.Entry<Long, Target> e : forwarded.entrySet()) {
            Target t = e.getValue();
            if (t.node.equals(node) && forwarded.remove(e.getKey(), t)) {
                t.cancel();
                if (ended) {
                    owner.endForwarded(null, false);
                } else {
                    owner.fail(e.getKey(), lost(node, true));
                }
            }
        }
        for (Map.Entry<Long, Sub> e : subs.entrySet()) {
            Sub s = e.getValue();
            if (s.target().node.equals(node) && subs.remove(e.getKey(), s)) {
                s.target().cancel();
                s.result().completeExceptionally(lost(node, true));
            }
        }
        if (removed) {
            touched.remove(node);
        }
    }

    /**
     * The client left: the nodes it used release what it got there; its answers in flight are
     * dropped, and its fan-outs end now (their parts may have run).
     */
    void ended() {
        ended = true;
        for (String node : touched) {
            ClusterView.Peer p = view.peer(node);
            if (p != null) {
                view.sessionEnded(p, session);
            }
        }
        for (Map.Entry<Long, Target> e : forwarded.entrySet()) {
            if (forwarded.remove(e.getKey(), e.getValue())) {
                e.getValue().cancel();
                owner.endForwarded(null, false);
            }
        }
        for (Map.Entry<Long, Sub> e : subs.entrySet()) {
            if (subs.remove(e.getKey(), e.getValue())) {
                e.getValue().target().cancel();
                e.getValue().result().completeExceptionally(closed());
            }
        }
        view.close(session);
    }

    /** How long a forwarded request may go unanswered: its own timeout, or the node's for its kind, plus the margin. */
    Duration deadline(String op, Object timeoutMs) {
        ClusterView.Limits l = view.limits();
        // a scatter's timeout_ms is per item: the whole job may take up to the job timeout
        Duration base = "scatter".equals(op) ? l.job()
                : timeoutMs instanceof Long ms && ms > 0 ? Duration.ofMillis(ms) : l.call();
        return base.plus(l.margin());
    }

    /** The wire outcomes of a fan-out reply, or the error it carried as an exception. */
    static List<Object> outcomes(Incoming reply) {
        if (reply.type() == Messages.ERROR) {
            throw RemoteFailures.toException((RemoteError) reply.body());
        }
        if (!(reply.body() instanceof List<?> l)) {
            throw new ProtocolException("a node answered a fan-out with " + reply.body());
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
            throw new NodeLostException("node '" + node + "' is unreachable or leaving; the call was not run", false);
        }
        return to;
    }

    private void checkSize(byte[] payload) {
        int max = view.limits().maxMessage();
        if (payload.length > max) {
            throw new ProtocolException("the request is " + payload.length + " bytes; a message between nodes carries "
                    + "at most " + max + " (pyfleet.cluster.max-message-size); the call was not run. Keep large data on "
                    + "the node that uses it, as an object (CallOptions.builder().asHandle()) or an array made there, "
                    + "or raise pyfleet.cluster.max-message-size on every node");
        }
    }

    private boolean isReachable(String node) {
        ClusterView.Peer p = view.peer(node);
        return p != null && p.reachable();
    }

    static NodeLostException lost(String node, boolean mayHaveRun) {
        return new NodeLostException("node '" + node + "' left the cluster or became unreachable while serving the call"
                + (mayHaveRun ? "; it may have run" : "; it was not run"), mayHaveRun);
    }

    private static NodeLostException silent(String node, Duration wait) {
        return new NodeLostException("node '" + node + "' did not answer within " + wait.toMillis() + " ms (the "
                + "call's timeout, else pyfleet.pool.call-timeout or for a scatter pyfleet.scatter.job-timeout, plus "
                + "pyfleet.cluster.answer-margin); the call may have run. Give a call that needs longer a longer "
                + "timeout, or raise those settings", true);
    }

    private static FleetClosedException closed() {
        return new FleetClosedException("the client's connection ended; the call's parts may have run", true);
    }

    /** The node that owns the objects (handles, remote arrays) a request names, when that is another node; null when local. */
    String ownerElsewhere(byte[] payload) {
        String[] foreign = new String[2];
        HandleScan.forEachOwner(payload, 0, payload.length, node -> {
            if (!view.isLocal(node)) {
                String base = ClusterView.base(node);
                if (foreign[0] == null) {
                    foreign[0] = base;
                } else if (!foreign[0].equals(base)) {
                    foreign[1] = base;
                }
            }
        });
        if (foreign[0] == null) {
            return null;
        }
        if (foreign[1] != null) {
            throw new StaleHandleException("one call cannot combine objects of different nodes (" + foreign[0] + " and "
                    + foreign[1] + "): pass one of them by value");
        }
        if (view.left(foreign[0])) {
            throw new NodeLostException("the node that owned this object (" + foreign[0]
                    + ") left the cluster; the call was not run", false);
        }
        ClusterView.Peer owner = view.ownerOf(foreign[0]);
        if (owner == null) {
            throw new StaleHandleException("no node of this cluster owns the object (it was made by " + foreign[0]
                    + ", which is not a member now)");
        }
        return owner.name();
    }

    /** True when the request names any object (a handle anywhere in it). */
    static boolean namesObjects(byte[] payload) {
        boolean[] any = {false};
        HandleScan.forEachHandle(payload, 0, payload.length, h -> any[0] = true);
        return any[0];
    }
}
