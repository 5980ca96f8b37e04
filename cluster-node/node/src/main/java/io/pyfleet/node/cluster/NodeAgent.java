package io.pyfleet.node.cluster;

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

    /** A client session's request (a whole protocol request, its id the client's) to serve here. */
    public record Forward(ActorRef<Command> origin, long session, byte[] payload) implements Command {
    }

    /** A frame for one of this node's client sessions: an answer, an error or an event. */
    public record Frames(long session, byte[] frame, boolean endsCall) implements Command {
    }

    /** The client session ended on its node: release what it received here. */
    public record SessionEnded(ActorRef<Command> origin, long session) implements Command {
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
    private final Map<String, Served> served = new HashMap<>();
    private final Map<String, ActorRef<Command>> origins = new HashMap<>();

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
        String key = key(f.origin(), f.session());
        Served s = served.get(key);
        if (s == null) {
            ActorRef<Command> origin = f.origin();
            long session = f.session();
            s = sessions.open("session " + session + " of " + origin.path().address(),
                    (frame, ends) -> origin.tell(new Frames(session, frame, ends)));
            served.put(key, s);
            origins.put(key, origin);
        }
        s.onFrame(f.payload());
        return this;
    }

    private Behavior<Command> onFrames(Frames f) {
        view.deliver(f.session(), f.frame(), f.endsCall());
        return this;
    }

    private Behavior<Command> onSessionEnded(SessionEnded e) {
        String key = key(e.origin(), e.session());
        Served s = served.remove(key);
        origins.remove(key);
        if (s != null) {
            s.ended();
        }
        return this;
    }

    private Behavior<Command> onDescribe(Describe d) {
        describe.get().thenAccept(d.replyTo()::tell);
        return this;
    }

    private Behavior<Command> onMemberGone(MemberGone g) {
        Iterator<Map.Entry<String, ActorRef<Command>>> it = origins.entrySet().iterator();
        int ended = 0;
        while (it.hasNext()) {
            Map.Entry<String, ActorRef<Command>> e = it.next();
            if (e.getValue().path().address().equals(g.address())) {
                it.remove();
                Served s = served.remove(e.getKey());
                if (s != null) {
                    s.ended();
                    ended++;
                }
            }
        }
        if (ended > 0) {
            getContext().getLog().info("{} left the cluster: ended the {} client session(s) it had here", g.address(),
                    ended);
        }
        return this;
    }

    private static String key(ActorRef<Command> origin, long session) {
        return origin.path() + "#" + session;
    }
}
