package io.pyfleet.node.gateway;

import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.node.config.GatewaySettings;
import io.pyfleet.protocol.Messages;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's client gateway: a Pekko Streams TCP server (with TLS when configured) whose
 * every connection is a {@link ClientConnection}. It counts connections against
 * {@code max-connections} and stops in order: stop accepting, refuse new calls, let the
 * calls in flight end within the grace period, then let the connections flush and close.
 */
public final class GatewayServer {
    private static final Logger log = LoggerFactory.getLogger(GatewayServer.class);

    private final GatewayContext ctx;
    private final Registry registry = new Registry();

    /** The live connections, so that a stop can reach them. */
    static final class Registry {
        private final Set<ClientConnection.Logic> live = ConcurrentHashMap.newKeySet();
        private final AtomicInteger count = new AtomicInteger();
        private volatile boolean stopping;

        boolean stopping() {
            return stopping;
        }

        void add(ClientConnection.Logic c) {
            live.add(c);
        }

        void remove(ClientConnection.Logic c) {
            if (live.remove(c)) {
                count.decrementAndGet();
            }
        }

        void unadmit() {
            count.decrementAndGet();
        }

        /** Takes a slot for a new connection; its stage frees it when it stops (or {@link #unadmit}). */
        boolean admit(int max) {
            if (count.incrementAndGet() > max) {
                count.decrementAndGet();
                return false;
            }
            return true;
        }

        void tellAll(ClientConnection.Command command) {
            live.forEach(c -> c.command(command));
        }

        int size() {
            return live.size();
        }
    }

    private final Materializer materializer;
    private volatile Tcp.ServerBinding binding;

    private GatewayServer(GatewayContext ctx, Materializer materializer) {
        this.ctx = ctx;
        this.materializer = materializer;
    }

    /** Binds and starts serving; returns once the port is bound (or throws why it could not). */
    static GatewayServer start(ActorSystem<?> system, GatewayContext ctx) {
        GatewaySettings s = ctx.settings();
        SSLContext tls = s.tls().enabled() ? GatewayTls.serverContext(s.tls()) : null;
        Source<Tcp.IncomingConnection, CompletionStage<Tcp.ServerBinding>> connections = tls == null
                ? Tcp.get(system).bind(s.bind(), s.port(), 1024, List.of(), false, Optional.empty())
                : Tcp.get(system).bindWithTls(s.bind(), s.port(), () -> GatewayTls.serverEngine(tls, s.tls().protocols()));
        GatewayServer server = new GatewayServer(ctx, Materializer.createMaterializer(system));
        try {
            server.binding = connections.to(Sink.foreach(server::accept)).run(server.materializer)
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("the gateway cannot listen on " + s.bind() + ":" + s.port() + ": "
                    + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding the gateway");
        } catch (TimeoutException e) {
            throw new IllegalStateException("the gateway could not bind " + s.bind() + ":" + s.port() + " in 30 s");
        }
        return server;
    }

    private void accept(Tcp.IncomingConnection connection) {
        String peer = connection.remoteAddress().getAddress().getHostAddress() + ":"
                + connection.remoteAddress().getPort();
        if (!registry.admit(ctx.settings().maxConnections())) {
            log.warn("refusing client {}: {} connections already (pyfleet.gateway.max-connections)", peer,
                    ctx.settings().maxConnections());
            byte[] refusal = Messages.error(0, new RemoteError("overloaded", "", "the node has "
                    + ctx.settings().maxConnections() + " client connections already (pyfleet.gateway.max-connections)"
                    + ": share one Fleet between the threads of a program (it is thread-safe), close fleets you no "
                    + "longer use, or raise pyfleet.gateway.max-connections on the node", ""));
            connection.handleWith(Flow.fromSinkAndSource(Sink.ignore(), Source.single(ClientSession.frame(refusal))),
                    materializer);
            return;
        }
        try {
            connection.handleWith(Flow.fromGraph(new ClientConnection(ctx, registry, peer)), materializer);
        } catch (RuntimeException e) {
            registry.unadmit(); // the stage never started: its slot is free again
            log.warn("cannot serve client {}: {}", peer, e.toString());
        }
    }

    /** Where the gateway listens (the port the OS chose when 0 was asked). */
    public InetSocketAddress address() {
        return binding.localAddress();
    }

    public int connections() {
        return registry.size();
    }

    /**
     * Stops in order: no new connections, new calls refused as not run, the calls in flight get
     * {@code grace} to end. Returns how many were still running when the grace ran out.
     */
    int drain(Duration grace) {
        registry.stopping = true; // a connection accepted from now on refuses calls from its start
        try {
            binding.unbind().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            log.warn("the gateway did not unbind cleanly: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        registry.tellAll(ClientConnection.Command.DRAIN);
        long deadline = System.nanoTime() + grace.toNanos();
        while (ctx.callsInFlight().get() > 0 && System.nanoTime() < deadline) {
            sleep(10);
        }
        return ctx.callsInFlight().get();
    }

    /** Lets every connection send what it has and close; waits up to {@code limit}. */
    void closeConnections(Duration limit) {
        registry.tellAll(ClientConnection.Command.FINISH);
        long deadline = System.nanoTime() + limit.toNanos();
        while (registry.size() > 0 && System.nanoTime() < deadline) {
            sleep(10);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
