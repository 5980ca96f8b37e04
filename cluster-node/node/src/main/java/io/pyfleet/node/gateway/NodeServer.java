package io.pyfleet.node.gateway;

import com.typesafe.config.Config;
import io.pyfleet.client.PoolStats;
import io.pyfleet.node.cluster.ClusterConfig;
import io.pyfleet.node.cluster.ClusterView;
import io.pyfleet.node.cluster.ClusterWatcher;
import io.pyfleet.node.cluster.NodeAgent;
import io.pyfleet.node.cluster.NodeInfo;
import io.pyfleet.node.config.ClusterSettings;
import io.pyfleet.node.config.GatewaySettings;
import io.pyfleet.node.embedded.EmbeddedNode;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Leave;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A long-lived node: the supervised worker pool of an {@link EmbeddedNode} and the client
 * gateway in front of it, which remote programs reach with {@code Fleet.connect}. What
 * {@code ./pyfleet node} runs. {@link #stop()} stops it in order and leaves no worker
 * process behind.
 */
public final class NodeServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeServer.class);

    private final EmbeddedNode fleet;
    private final GatewayServer gateway;
    private final GatewayToken token;
    private final GatewaySettings settings;
    private final AtomicBoolean stopped = new AtomicBoolean();
    private volatile ClusterView cluster;

    private NodeServer(EmbeddedNode fleet, GatewayServer gateway, GatewayToken token, GatewaySettings settings) {
        this.fleet = fleet;
        this.gateway = gateway;
        this.token = token;
        this.settings = settings;
    }

    /** Starts the pool, then the gateway; returns once both serve. */
    public static NodeServer start(Config config, GatewaySettings settings) {
        return start(config, settings, ClusterSettings.from(config), line -> log.info("{}", line));
    }

    /**
     * Starts the pool, then the gateway, and with {@code cluster} enabled joins the cluster its
     * seeds name; returns once the pool and gateway serve (joining goes on). {@code announce}
     * receives the cluster lines: where this node is, and the number of members up whenever
     * it changes.
     */
    public static NodeServer start(Config config, GatewaySettings settings, ClusterSettings cluster,
            Consumer<String> announce) {
        GatewayToken token = GatewayToken.resolve(settings, System.getenv(), Path.of(System.getProperty("user.home")));
        AllowList allow = new AllowList(settings.allow());
        if (cluster.enabled()) {
            if (settings.arrayReadMax() + 1024L > cluster.maxMessageSize()) { // a chunk crosses nodes in one message
                throw new com.typesafe.config.ConfigException.BadValue("pyfleet.gateway.array-read-max",
                        "must be below pyfleet.cluster.max-message-size (" + cluster.maxMessageSize() + " bytes)");
            }
            String host = cluster.host().isBlank() ? settings.bind() : cluster.host();
            config = ClusterConfig.overlay(cluster, host, cluster.secret().isEmpty() ? token.value() : cluster.secret(),
                    config);
        }
        EmbeddedNode fleet = EmbeddedNode.start(config);
        try {
            GatewayContext.PoolControl pool = new GatewayContext.PoolControl() {
                @Override
                public CompletionStage<PoolStats> stats() {
                    return fleet.statsAsync();
                }

                @Override
                public int poolSize() {
                    return fleet.poolSize();
                }

                @Override
                public void resize(int workers) {
                    fleet.resize(workers);
                }
            };
            String name = fleet.settings().nodeName();
            ClusterView view = cluster.enabled() ? new ClusterView(name, fleet.settings().handleNode(),
                    cluster.secret().isEmpty() ? token.value() : cluster.secret(), limits(fleet.settings(), cluster))
                    : null;
            GatewayContext ctx = new GatewayContext(name, settings, token.value(), allow, fleet.callPath(), pool,
                    System.nanoTime(), new AtomicInteger(), fleet.pools(), view, fleet.arrays(),
                    fleet.settings().handleNode(), new NodeBudget(settings.maxNodeBytes()));
            GatewayServer gateway = GatewayServer.start(fleet.system(), ctx);
            NodeServer node = new NodeServer(fleet, gateway, token, settings);
            InetSocketAddress at = gateway.address();
            if (view != null) {
                node.joinCluster(ctx, view, cluster, at, announce);
            }
            log.info("pyfleet node {} serves {} worker(s); gateway on {}:{}{}; token {}", ctx.node(), fleet.poolSize(),
                    at.getHostString(), at.getPort(), settings.tls().enabled() ? " (TLS)" : "", token.source());
            return node;
        } catch (RuntimeException e) {
            fleet.close();
            throw e;
        }
    }

    private void joinCluster(GatewayContext ctx, ClusterView view, ClusterSettings cluster, InetSocketAddress at,
            Consumer<String> announce) {
        String gatewayAddress = at.getHostString() + ":" + at.getPort();
        long started = System.nanoTime();
        Supplier<CompletionStage<NodeInfo>> describe = () -> fleet.statsAsync().thenApply(stats -> new NodeInfo(
                ctx.node(), fleet.settings().handleNode(), gatewayAddress, cluster.roles(), fleet.poolSize(),
                (int) ClusterFanOut.free(stats), fleet.pools().names(), (System.nanoTime() - started) / 1_000_000));
        org.apache.pekko.actor.Address self = Cluster.get(fleet.system()).selfMember().address();
        announce.accept("cluster: " + ctx.node() + " at " + self.host().get() + ":" + self.port().get());
        fleet.system().systemActorOf(NodeAgent.create(view, ClusterFanOut.servedSessions(ctx), describe), "pyfleet-agent",
                Props.empty());
        fleet.system().systemActorOf(ClusterWatcher.create(view, cluster.describeInterval(), announce),
                "pyfleet-cluster-watcher", Props.empty());
        this.cluster = view;
        log.info("node {} joins the cluster through {} ({})", ctx.node(), cluster.seeds(), cluster);
    }

    private static ClusterView.Limits limits(io.pyfleet.node.config.PyfleetSettings s, ClusterSettings c) {
        Duration call = s.pool().callTimeout().compareTo(s.worker().startTimeout()) >= 0 ? s.pool().callTimeout()
                : s.worker().startTimeout();
        return new ClusterView.Limits(call, s.scatter().jobTimeout(), c.answerMargin(), c.maxMessageSize());
    }

    /** True once {@link #stop()} began. */
    public boolean isStopping() {
        return stopped.get();
    }

    /** Completes when the node's actor system ended: stopped, or downed by the cluster. */
    public CompletionStage<?> whenTerminated() {
        return fleet.system().getWhenTerminated();
    }

    /** Where the gateway listens. */
    public InetSocketAddress address() {
        return gateway.address();
    }

    public GatewayToken token() {
        return token;
    }

    public EmbeddedNode fleet() {
        return fleet;
    }

    /** Client connections open now. */
    public int connections() {
        return gateway.connections();
    }

    /**
     * Stops in order: no new connections or calls; the calls in flight get
     * {@code pyfleet.gateway.shutdown-grace} to end; what still runs then fails with a
     * closed error that says it may have run; replies are flushed; the workers stop.
     */
    public void stop() {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        Duration grace = settings.shutdownGrace();
        log.info("node {} stopping: new calls are refused; calls in flight have {} to end", fleet.settings().nodeName(),
                grace);
        if (cluster != null) {
            cluster.stopping(); // the sessions served for other nodes refuse new requests (closed, not run)
        }
        int left = gateway.drain(grace);
        if (cluster != null) {
            leaveCluster(); // after the calls in flight here ended: others fail what is left as node-lost
        }
        if (left > 0) {
            log.warn("{} remote call(s) still running after {}: they fail as closed (they may have run)", left, grace);
        }
        fleet.callPath().close();
        fleet.pools().closeCalls();
        gateway.closeConnections(Duration.ofSeconds(3));
        fleet.close();
        if (cluster != null) {
            cluster.close();
        }
        log.info("node {} stopped", fleet.settings().nodeName());
    }

    /** Leaves the cluster and waits (a few seconds at most) until the others have let it go. */
    private void leaveCluster() {
        Cluster c = Cluster.get(fleet.system());
        c.manager().tell(Leave.create(c.selfMember().address()));
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < deadline) {
            MemberStatus st = c.selfMember().status();
            if (st == MemberStatus.exiting() || st == MemberStatus.removed() || st == MemberStatus.down()
                    || c.isTerminated()) {
                return;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        log.warn("node {} did not leave the cluster within 5 s; stopping anyway", fleet.settings().nodeName());
    }

    @Override
    public void close() {
        stop();
    }
}
