package io.pyfleet.node.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a node knows of the cluster, read by the gateway on every request and written by the
 * {@link ClusterWatcher}: the nodes that serve (their agents and what they told), which of
 * them are reachable, which left (their objects fail as node-lost from then on), and the
 * client sessions that wait for frames from other nodes. Thread-safe; never blocks.
 */
public final class ClusterView {
    /** A node of the cluster as this node sees it. */
    public record Peer(NodeInfo info, ActorRef<NodeAgent.Command> agent, boolean reachable, boolean self) {
        public String name() {
            return info.name();
        }
    }

    /**
     * How long a node may take to answer a forwarded request before the caller stops waiting.
     *
     * @param call   a call without its own timeout: the node's call timeout (or worker start, if longer)
     * @param job    a scatter's chunk: the node's scatter job timeout
     * @param margin added to either (and to a call's own timeout): queueing and the trip
     * @param maxMessage the most a message between nodes carries
     */
    public record Limits(Duration call, Duration job, Duration margin, int maxMessage) {
    }

    /** A client session of this node that forwarded requests: frames from other nodes come to it. */
    public interface Inbox {
        /** A whole frame (length prefix included) that the node of incarnation {@code from} sent for this session. */
        void frame(byte[] frame, boolean endsCall, String from);

        /** A node became unreachable ({@code removed} false) or left the cluster for good. */
        void nodeLost(String node, boolean removed);
    }

    private final String self;
    private final String selfHandleNode;
    private final MessageAuth auth;
    private final Limits limits;
    private final ScheduledExecutorService timers;
    private volatile boolean stopping;
    private volatile ActorRef<NodeAgent.Command> selfAgent;
    private final Map<String, Peer> peers = new ConcurrentHashMap<>();
    private final Set<String> lostHandleNodes = ConcurrentHashMap.newKeySet();
    private final Map<Long, Inbox> inboxes = new ConcurrentHashMap<>();
    private final AtomicLong sessions = new AtomicLong();

    public ClusterView(String self, String selfHandleNode, String secret, Limits limits) {
        this.self = self;
        this.selfHandleNode = selfHandleNode;
        this.auth = new MessageAuth(secret, selfHandleNode);
        this.limits = limits;
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pyfleet-cluster-deadlines");
            t.setDaemon(true);
            return t;
        });
    }

    MessageAuth auth() {
        return auth;
    }

    public Limits limits() {
        return limits;
    }

    /** Runs {@code task} after {@code delay} (a forwarded request's deadline); cancel the result to drop it. */
    public ScheduledFuture<?> after(Duration delay, Runnable task) {
        return timers.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** The node is stopping: the sessions it serves for other nodes take no new requests. */
    public void stopping() {
        stopping = true;
    }

    public boolean isStopping() {
        return stopping;
    }

    /** Stops the deadline timer (the node stopped). */
    public void close() {
        timers.shutdownNow();
    }

    public String self() {
        return self;
    }

    public String selfHandleNode() {
        return selfHandleNode;
    }

    ActorRef<NodeAgent.Command> selfAgent() {
        return selfAgent;
    }

    void selfAgent(ActorRef<NodeAgent.Command> agent) {
        this.selfAgent = agent;
    }

    /** A node by name, or null when none of that name serves in the cluster. */
    public Peer peer(String name) {
        return peers.get(name);
    }

    /** Every serving node, this one included, by name. */
    public List<Peer> peers() {
        List<Peer> all = new ArrayList<>(peers.values());
        all.sort(Comparator.comparing(Peer::name));
        return all;
    }

    /** The reachable nodes other than this one. */
    public List<Peer> reachableOthers() {
        List<Peer> all = new ArrayList<>();
        for (Peer p : peers()) {
            if (!p.self() && p.reachable()) {
                all.add(p);
            }
        }
        return all;
    }

    /** The node whose objects carry this handle node (the part before any '/'), or null. */
    public Peer ownerOf(String handleNode) {
        String base = base(handleNode);
        for (Peer p : peers.values()) {
            if (p.info().handleNode().equals(base)) {
                return p;
            }
        }
        return null;
    }

    /** True when the node that made objects with this handle node left the cluster. */
    public boolean left(String handleNode) {
        return lostHandleNodes.contains(base(handleNode));
    }

    /** True for this node's own objects (any of its pools). */
    public boolean isLocal(String handleNode) {
        return selfHandleNode.equals(base(handleNode));
    }

    /** The id of a frame {@code [type, id, ...]} behind its length prefix; -1 when unreadable. */
    public static long frameId(byte[] frame) {
        try (org.msgpack.core.MessageUnpacker u = io.pyfleet.protocol.MsgpackInput.unpacker(frame, 4,
                frame.length - 4)) {
            u.unpackArrayHeader();
            u.unpackInt();
            return u.unpackLong();
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    public static String base(String handleNode) {
        int slash = handleNode.indexOf('/');
        return slash < 0 ? handleNode : handleNode.substring(0, slash);
    }

    // ------------------------------------------------------------------ sessions that forward

    public long newSession() {
        return sessions.incrementAndGet();
    }

    public void open(long session, Inbox inbox) {
        inboxes.put(session, inbox);
    }

    public void close(long session) {
        inboxes.remove(session);
    }

    /** Sends a request of a client session to another node; its frames come back to the inbox. */
    public void forward(Peer to, long session, byte[] payload) {
        String target = to.info().handleNode();
        MessageAuth.Seal seal = auth.seal(MessageAuth.FORWARD, target, session, false, payload);
        to.agent().tell(new NodeAgent.Forward(selfAgent, session, payload, selfHandleNode, target, seal.seq(),
                seal.mac()));
    }

    /** Tells a node that a client session ended: it releases the objects the session got there. */
    public void sessionEnded(Peer at, long session) {
        String target = at.info().handleNode();
        MessageAuth.Seal seal = auth.seal(MessageAuth.SESSION_ENDED, target, session, false, null);
        at.agent().tell(new NodeAgent.SessionEnded(selfAgent, session, selfHandleNode, target, seal.seq(), seal.mac()));
    }

    void deliver(long session, byte[] frame, boolean endsCall, String from) {
        Inbox inbox = inboxes.get(session);
        if (inbox != null) {
            inbox.frame(frame, endsCall, from);
        }
    }

    // ------------------------------------------------------------------ written by the watcher

    /**
     * A node described itself. Returns false when another live node already serves under that
     * name: names must be unique, and the first keeps it.
     */
    boolean serving(NodeInfo info, ActorRef<NodeAgent.Command> agent) {
        Peer old = peers.get(info.name());
        if (old != null && !old.agent().equals(agent)) {
            return false;
        }
        boolean reachable = old == null || old.reachable();
        peers.put(info.name(), new Peer(info, agent, reachable, info.name().equals(self)));
        return true;
    }

    /** The node is leaving: no new work goes there; what runs there may end (it fails if the node goes). */
    void leaving(String name) {
        Peer p = peers.get(name);
        if (p != null && p.reachable()) {
            peers.put(name, new Peer(p.info(), p.agent(), false, p.self()));
        }
    }

    void reachable(String name, boolean now) {
        Peer p = peers.get(name);
        if (p == null || p.reachable() == now) {
            return;
        }
        peers.put(name, new Peer(p.info(), p.agent(), now, p.self()));
        if (!now) {
            for (Inbox inbox : inboxes.values()) {
                inbox.nodeLost(name, false);
            }
        }
    }

    /** The node of that agent left (removed, downed, its agent gone): its calls and objects fail from now on. */
    void nodeLeft(String name, ActorRef<NodeAgent.Command> agent) {
        Peer p = peers.get(name);
        if (p == null || !p.agent().equals(agent) || !peers.remove(name, p)) {
            return; // another incarnation of that name, or gone already
        }
        lostHandleNodes.add(p.info().handleNode());
        for (Inbox inbox : inboxes.values()) {
            inbox.nodeLost(name, true);
        }
    }
}
