package io.pyfleet.node.cluster;

import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.protocol.Messages;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * A node's agent in the cluster, registered with the Receptionist: it serves the requests
 * other nodes forward for their clients (each client session of another node gets a gateway
 * session here, which answers with the worker's bytes), delivers the frames other nodes send
 * back to this node's client sessions, and tells what this node is. The sessions of a node
 * that left end, which releases the objects they received.
 */
public final class NodeAgent extends AbstractBehavior<NodeAgent.Command> {
    public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "pyfleet-node");

    public sealed interface Command extends ClusterMessage {
    }

    /**
     * A client session's request (a whole protocol request, its id the client's) to serve here;
     * {@code from}, {@code to}, {@code seq} and {@code mac} authenticate it ({@link MessageAuth}).
     */
    public record Forward(ActorRef<Command> origin, long session, byte[] payload, String from, String to, long seq,
            byte[] mac) implements Command {
    }

    /** A frame for one of this node's client sessions: an answer, an error or an event; authenticated. */
    public record Frames(long session, byte[] frame, boolean endsCall, String from, String to, long seq, byte[] mac)
            implements Command {
    }

    /** The client session ended on its node: release what it received here; authenticated. */
    public record SessionEnded(ActorRef<Command> origin, long session, String from, String to, long seq, byte[] mac)
            implements Command {
    }

    public record Describe(ActorRef<NodeInfo> replyTo) implements Command {
    }

    private record MemberGone(Address address) implements Command {
    }

    /** A client session served for another node, as the gateway makes it. */
    public interface Served {
        void onFrame(byte[] payload);

        void ended();
    }

    /** Makes served sessions; {@code out} takes each frame and whether it ends a request. */
    public interface Sessions {
        Served open(String peer, FrameOut out);
    }

    /** Where a served session's frames go; callable from any thread. */
    public interface FrameOut {
        void send(byte[] frame, boolean endsCall);
    }

    private final ClusterView view;
    private final Sessions sessions;
    private final Supplier<CompletionStage<NodeInfo>> describe;
    /** A served session: the origin's agent (its incarnation included) and the session's number there. */
    private record Key(ActorRef<Command> origin, long session) {
    }

    private final Map<Key, Served> served = new HashMap<>();
    private int refused;

    public static Behavior<Command> create(ClusterView view, Sessions sessions,
            Supplier<CompletionStage<NodeInfo>> describe) {
        return Behaviors.setup(context -> new NodeAgent(context, view, sessions, describe));
    }

    private NodeAgent(ActorContext<Command> context, ClusterView view, Sessions sessions,
            Supplier<CompletionStage<NodeInfo>> describe) {
        super(context);
        this.view = view;
        this.sessions = sessions;
        this.describe = describe;
        view.selfAgent(context.getSelf());
        context.getSystem().receptionist().tell(Receptionist.register(KEY, context.getSelf()));
        ActorRef<ClusterEvent.MemberRemoved> removed = context.messageAdapter(ClusterEvent.MemberRemoved.class,
                e -> new MemberGone(e.member().address()));
        Cluster.get(context.getSystem()).subscriptions().tell(Subscribe.create(removed, ClusterEvent.MemberRemoved.class));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Forward.class, this::onForward)
                .onMessage(Frames.class, this::onFrames)
                .onMessage(SessionEnded.class, this::onSessionEnded)
                .onMessage(Describe.class, this::onDescribe)
                .onMessage(MemberGone.class, this::onMemberGone)
                .build();
    }

    private Behavior<Command> onForward(Forward f) {
        MessageAuth auth = view.auth();
        if (!auth.accept(MessageAuth.FORWARD, f.from(), f.to(), f.seq(), f.session(), false, f.payload(), f.mac())) {
            return refuse("a call", f.origin());
        }
        Key key = new Key(f.origin(), f.session());
        Served s = served.get(key);
        if (s == null) {
            ActorRef<Command> origin = f.origin();
            long session = f.session();
            String originNode = f.from();
            int max = view.limits().maxMessage();
            s = sessions.open("session " + session + " of " + origin.path().address(), (frame, ends) -> {
                byte[] out = frame.length <= max ? frame : ends ? tooBig(frame, max) : null;
                if (out == null) {
                    getContext().getSystem().log().warn("an event of {} bytes cannot cross to node {} (at most {}, "
                            + "pyfleet.cluster.max-message-size): dropped; send smaller events, or raise the setting "
                            + "on every node", frame.length, originNode, max);
                    return;
                }
                MessageAuth.Seal seal = auth.seal(MessageAuth.FRAMES, originNode, session, ends, out);
                origin.tell(new Frames(session, out, ends, auth.self(), originNode, seal.seq(), seal.mac()));
            });
            served.put(key, s);
        }
        s.onFrame(f.payload());
        return this;
    }

    private Behavior<Command> onFrames(Frames f) {
        if (!view.auth().accept(MessageAuth.FRAMES, f.from(), f.to(), f.seq(), f.session(), f.endsCall(), f.frame(),
                f.mac())) {
            return refuse("an answer", null);
        }
        view.deliver(f.session(), f.frame(), f.endsCall(), f.from());
        return this;
    }

    private Behavior<Command> onSessionEnded(SessionEnded e) {
        if (!view.auth().accept(MessageAuth.SESSION_ENDED, e.from(), e.to(), e.seq(), e.session(), false, null,
                e.mac())) {
            return refuse("a session end", e.origin());
        }
        Served s = served.remove(new Key(e.origin(), e.session()));
        if (s != null) {
            s.ended();
        }
        return this;
    }

    /** An error frame that ends the call of an answer too big to cross: the call ran. */
    private static byte[] tooBig(byte[] frame, int max) {
        long id = ClusterView.frameId(frame);
        byte[] payload = Messages.error(Math.max(0, id), new RemoteError(RemoteError.PROTOCOL, "",
                "the call ran, but its answer is " + frame.length + " bytes and a message between nodes carries at "
                        + "most " + max + " (pyfleet.cluster.max-message-size): return it as an object "
                        + "(CallOptions.builder().asHandle()) or as a NumPy array (large arrays cross in chunks), or "
                        + "raise pyfleet.cluster.max-message-size on every node", ""));
        byte[] f = new byte[4 + payload.length];
        java.nio.ByteBuffer.wrap(f).putInt(payload.length).put(payload);
        return f;
    }

    /** Drops a message that is not sealed for this incarnation with the secret, or is a replay. */
    private Behavior<Command> refuse(String what, ActorRef<Command> claimed) {
        if (refused++ % 1000 == 0) {
            getContext().getLog().warn("refused {} that is not sealed with the cluster secret for this node, or is a "
                    + "replay (claimed origin {}; {} refused so far)", what, claimed, refused);
        }
        return this;
    }

    private Behavior<Command> onDescribe(Describe d) {
        describe.get().thenAccept(d.replyTo()::tell);
        return this;
    }

    private Behavior<Command> onMemberGone(MemberGone g) {
        Iterator<Map.Entry<Key, Served>> it = served.entrySet().iterator();
        int ended = 0;
        while (it.hasNext()) {
            Map.Entry<Key, Served> e = it.next();
            if (e.getKey().origin().path().address().equals(g.address())) {
                it.remove();
                e.getValue().ended();
                ended++;
            }
        }
        if (ended > 0) {
            getContext().getLog().info("{} left the cluster: ended the {} client session(s) it had here", g.address(),
                    ended);
        }
        return this;
    }
}
