package io.pyfleet.node.cluster;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Keeps a node's {@link ClusterView} current: the node agents the Receptionist lists (each
 * asked what it is, again every {@code describe-interval} for its free workers and pools),
 * members that become unreachable or reachable again, and members that leave (removed or
 * downed), whose calls in flight and objects then fail as node-lost. Announces the number
 * of members up whenever it changes.
 */
public final class ClusterWatcher extends AbstractBehavior<ClusterWatcher.Command> {
    public sealed interface Command {
    }

    private record Agents(Receptionist.Listing listing) implements Command {
    }

    private record Described(NodeInfo info, ActorRef<NodeAgent.Command> agent) implements Command {
    }

    private record NotDescribed(ActorRef<NodeAgent.Command> agent, String why) implements Command {
    }

    private record MemberChanged(ClusterEvent.MemberEvent event) implements Command {
    }

    private record ReachabilityChanged(ClusterEvent.ReachabilityEvent event) implements Command {
    }

    private enum Refresh implements Command {
        INSTANCE
    }

    private final ClusterView view;
    private final Consumer<String> announce;
    private final Map<ActorRef<NodeAgent.Command>, String> names = new HashMap<>();
    private final Set<Address> unreachable = new HashSet<>();
    private int upAnnounced = -1;

    public static Behavior<Command> create(ClusterView view, Duration describeInterval, Consumer<String> announce) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers ->
                new ClusterWatcher(context, timers, view, describeInterval, announce)));
    }

    private ClusterWatcher(ActorContext<Command> context, TimerScheduler<Command> timers, ClusterView view,
            Duration describeInterval, Consumer<String> announce) {
        super(context);
        this.view = view;
        this.announce = announce;
        context.getSystem().receptionist().tell(Receptionist.subscribe(NodeAgent.KEY,
                context.messageAdapter(Receptionist.Listing.class, Agents::new)));
        Cluster cluster = Cluster.get(context.getSystem());
        cluster.subscriptions().tell(Subscribe.create(
                context.messageAdapter(ClusterEvent.MemberEvent.class, MemberChanged::new), ClusterEvent.MemberEvent.class));
        cluster.subscriptions().tell(Subscribe.create(
                context.messageAdapter(ClusterEvent.ReachabilityEvent.class, ReachabilityChanged::new),
                ClusterEvent.ReachabilityEvent.class));
        timers.startTimerWithFixedDelay(Refresh.INSTANCE, describeInterval);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Agents.class, this::onAgents)
                .onMessage(Described.class, this::onDescribed)
                .onMessage(NotDescribed.class, this::onNotDescribed)
                .onMessage(MemberChanged.class, this::onMemberChanged)
                .onMessage(ReachabilityChanged.class, this::onReachabilityChanged)
                .onMessageEquals(Refresh.INSTANCE, this::onRefresh)
                .build();
    }

    private Behavior<Command> onAgents(Agents a) {
        Set<ActorRef<NodeAgent.Command>> listed = a.listing().getAllServiceInstances(NodeAgent.KEY);
        for (ActorRef<NodeAgent.Command> agent : listed) {
            if (!names.containsKey(agent)) {
                names.put(agent, null); // asked; named when it answers
                describe(agent);
            }
        }
        // an agent no longer listed (stopped, its node gone) takes no more work: its calls fail now
        names.entrySet().removeIf(e -> {
            if (listed.contains(e.getKey())) {
                return false;
            }
            if (e.getValue() != null) {
                getContext().getLog().warn("node {} is no longer listed: its calls and objects fail as node-lost",
                        e.getValue());
                view.nodeLeft(e.getValue(), e.getKey());
            }
            return true;
        });
        return this;
    }

    private void describe(ActorRef<NodeAgent.Command> agent) {
        getContext().ask(NodeInfo.class, agent, Duration.ofSeconds(5), NodeAgent.Describe::new,
                (info, failure) -> info != null ? new Described(info, agent)
                        : new NotDescribed(agent, String.valueOf(failure)));
    }

    private Behavior<Command> onDescribed(Described d) {
        if (!names.containsKey(d.agent())) {
            return this; // it left while it answered
        }
        if (!view.serving(d.info(), d.agent())) {
            getContext().getLog().error("two nodes are named {}: {} is ignored; give every node its own name (--name)",
                    d.info().name(), d.agent().path().address());
            return this;
        }
        if (names.put(d.agent(), d.info().name()) == null) {
            getContext().getLog().info("node {} serves in the cluster ({} worker(s), gateway {})", d.info().name(),
                    d.info().workers(), d.info().gateway().isEmpty() ? "none" : d.info().gateway());
            announceUp();
        }
        if (unreachable.contains(d.agent().path().address())) {
            view.reachable(d.info().name(), false);
        }
        return this;
    }

    private Behavior<Command> onNotDescribed(NotDescribed n) {
        if (names.get(n.agent()) == null && names.containsKey(n.agent())) {
            names.remove(n.agent()); // the next listing or refresh asks again
            getContext().getLog().debug("node agent {} did not describe itself: {}", n.agent(), n.why());
        }
        return this;
    }

    private Behavior<Command> onMemberChanged(MemberChanged m) {
        ClusterEvent.MemberEvent e = m.event();
        if (e instanceof ClusterEvent.MemberRemoved || e instanceof ClusterEvent.MemberDowned) {
            gone(e.member().address(), e.getClass().getSimpleName());
        } else if (e instanceof ClusterEvent.MemberLeft || e instanceof ClusterEvent.MemberExited) {
            // leaving in order: no new work goes there; what runs there may still answer
            names.forEach((agent, name) -> {
                if (name != null && agent.path().address().equals(e.member().address())) {
                    view.leaving(name);
                }
            });
        }
        announceUp();
        return this;
    }

    private Behavior<Command> onReachabilityChanged(ReachabilityChanged r) {
        Address address = r.event().member().address();
        boolean now = r.event() instanceof ClusterEvent.ReachableMember;
        if (now) {
            unreachable.remove(address);
        } else {
            unreachable.add(address);
        }
        for (Map.Entry<ActorRef<NodeAgent.Command>, String> e : names.entrySet()) {
            if (e.getValue() != null && e.getKey().path().address().equals(address)) {
                getContext().getLog().warn("node {} is {}", e.getValue(), now ? "reachable again" : "unreachable");
                view.reachable(e.getValue(), now);
            }
        }
        return this;
    }

    private Behavior<Command> onRefresh() {
        for (ActorRef<NodeAgent.Command> agent : names.keySet()) {
            if (!unreachable.contains(agent.path().address())) {
                describe(agent);
            }
        }
        announceUp();
        return this;
    }

    private void gone(Address address, String how) {
        names.entrySet().removeIf(e -> {
            if (!e.getKey().path().address().equals(address)) {
                return false;
            }
            if (e.getValue() != null) {
                getContext().getLog().warn("node {} left the cluster ({}): its calls and objects fail as node-lost",
                        e.getValue(), how);
                view.nodeLeft(e.getValue(), e.getKey());
            }
            return true;
        });
        unreachable.remove(address);
    }

    /**
     * Announces how many members are up and known to serve here: a member counts once its agent has
     * described it, so the line means that status, scatter and calls on that node already see it
     * (local-cluster.sh and the bench wait for it).
     */
    private void announceUp() {
        int up = 0;
        for (Member member : Cluster.get(getContext().getSystem()).state().getMembers()) {
            if (member.status() == MemberStatus.up() || member.status() == MemberStatus.weaklyUp()) {
                up++;
            }
        }
        up = Math.min(up, view.peers().size());
        if (up != upAnnounced && up > 0) {
            upAnnounced = up;
            announce.accept("cluster members up: " + up);
        }
    }
}
