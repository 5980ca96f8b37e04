package io.pyfleet.node.gateway;

import com.typesafe.config.Config;
import io.pyfleet.client.PoolStats;
import io.pyfleet.node.config.GatewaySettings;
import io.pyfleet.node.embedded.EmbeddedFleet;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A long-lived node: the supervised worker pool of an {@link EmbeddedFleet} and the client
 * gateway in front of it, which remote programs reach with {@code Fleet.connect}. What
 * {@code ./pyfleet node} runs. {@link #stop()} stops it in order and leaves no worker
 * process behind.
 */
public final class NodeServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeServer.class);

    private final EmbeddedFleet fleet;
    private final GatewayServer gateway;
    private final GatewayToken token;
    private final GatewaySettings settings;
    private final AtomicBoolean stopped = new AtomicBoolean();

    private NodeServer(EmbeddedFleet fleet, GatewayServer gateway, GatewayToken token, GatewaySettings settings) {
        this.fleet = fleet;
        this.gateway = gateway;
        this.token = token;
        this.settings = settings;
    }

    /** Starts the pool, then the gateway; returns once both serve. */
    public static NodeServer start(Config config, GatewaySettings settings) {
        GatewayToken token = GatewayToken.resolve(settings, System.getenv(), Path.of(System.getProperty("user.home")));
        AllowList allow = new AllowList(settings.allow());
        EmbeddedFleet fleet = EmbeddedFleet.start(config);
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
            GatewayContext ctx = new GatewayContext(fleet.settings().nodeName(), settings, token.value(), allow,
                    fleet.callPath(), pool, System.nanoTime(), new AtomicInteger(), fleet.pools());
            GatewayServer gateway = GatewayServer.start(fleet.system(), ctx);
            NodeServer node = new NodeServer(fleet, gateway, token, settings);
            InetSocketAddress at = gateway.address();
            log.info("pyfleet node {} serves {} worker(s); gateway on {}:{}{}; token {}", ctx.node(), fleet.poolSize(),
                    at.getHostString(), at.getPort(), settings.tls().enabled() ? " (TLS)" : "", token.source());
            return node;
        } catch (RuntimeException e) {
            fleet.close();
            throw e;
        }
    }

    /** Where the gateway listens. */
    public InetSocketAddress address() {
        return gateway.address();
    }

    public GatewayToken token() {
        return token;
    }

    public EmbeddedFleet fleet() {
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
        int left = gateway.drain(grace);
        if (left > 0) {
            log.warn("{} remote call(s) still running after {}: they fail as closed (they may have run)", left, grace);
        }
        fleet.callPath().close();
        fleet.pools().closeCalls();
        gateway.closeConnections(Duration.ofSeconds(3));
        fleet.close();
        log.info("node {} stopped", fleet.settings().nodeName());
    }

    @Override
    public void close() {
        stop();
    }
}
