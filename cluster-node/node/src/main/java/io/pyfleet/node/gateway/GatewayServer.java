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
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
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
    private final HandshakeSlots pending;
    private final HandshakeFailures failures;
    /** Connections of slowed addresses held open until their refusal's hold ends. */
    private final AtomicInteger held = new AtomicInteger();

    /**
     * The live connections, so that a stop can reach them, and the count of authenticated ones against
     * {@code max-connections}. Connections still in their handshake hold a {@link HandshakeSlots} slot instead.
     */
    static final class Registry {
        private final Set<ClientConnection.Logic> live = ConcurrentHashMap.newKeySet();
        private final AtomicInteger served = new AtomicInteger();
        private volatile boolean stopping;

        boolean stopping() {
            return stopping;
        }

        void add(ClientConnection.Logic c) {
            live.add(c);
        }

        void remove(ClientConnection.Logic c) {
            live.remove(c);
        }

        /** Takes a served slot for a connection that authenticated; false when all are taken. */
        boolean admit(int max) {
            if (served.incrementAndGet() > max) {
                served.decrementAndGet();
                return false;
            }
            return true;
        }

        /** Frees a slot {@link #admit} gave. */
        void unadmit() {
            served.decrementAndGet();
        }

        boolean full(int max) {
            return served.get() >= max;
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
        GatewaySettings.Handshake h = ctx.settings().handshake();
        this.pending = new HandshakeSlots(h.slots(), h.slotsPerAddress());
        this.failures = new HandshakeFailures(h.failuresBeforeSlowing(), h.failureInterval(), h.slowingMax(),
                TRACKED_ADDRESSES, System::nanoTime, log::warn);
    }

    /** Addresses whose failed handshakes are remembered: a few hundred KiB at most. */
    private static final int TRACKED_ADDRESSES = 4096;

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
        InetSocketAddress remote = connection.remoteAddress();
        String peer = remote.getAddress().getHostAddress() + ":" + remote.getPort();
        String address = HandshakeFailures.key(remote.getAddress());
        GatewaySettings s = ctx.settings();
        if (registry.full(s.maxConnections())) {
            // no slot to serve it once authenticated: say so now rather than after its handshake
            log.warn("refusing client {}: {} connections already (pyfleet.gateway.max-connections)", peer,
                    s.maxConnections());
            refuse(connection, ClientConnection.overloaded(s));
            return;
        }
        long wait = failures.waitNanos(address);
        if (wait > 0) {
            // counted and logged by HandshakeFailures, once per interval: not here, once per try
            byte[] refusal = Messages.error(0, new RemoteError("overloaded", "", "too many failed handshakes from "
                    + address + ": its new connections are refused for another " + Math.max(1, wait / 1_000_000)
                    + " ms. Check the token the client uses (pyfleet.gateway.token on the node); the node's log says "
                    + "why the handshakes failed (pyfleet.gateway.handshake-failures-before-slowing)", ""));
            if (held.incrementAndGet() > s.handshake().slowedHeldMax()) {
                held.decrementAndGet();
                refuse(connection, refusal);
                return;
            }
            // Told at once, closed only after the handshake timeout: a client reads the refusal and goes, a
            // peer that reconnects when dropped is slowed to one try per timeout on each of its connections.
            // Jittered (half to all of it): connections opened together must not all come back together.
            Duration hold = s.handshakeTimeout().dividedBy(2)
                    .plusMillis(ThreadLocalRandom.current().nextLong(s.handshakeTimeout().toMillis() / 2 + 1));
            Source<ByteString, NotUsed> answer = Source.single(ClientSession.frame(refusal))
                    .concat(Source.<ByteString>never().takeWithin(hold))
                    .watchTermination((m, done) -> {
                        done.whenComplete((d, e) -> held.decrementAndGet());
                        return m;
                    });
            connection.handleWith(Flow.fromSinkAndSource(Sink.ignore(), answer), materializer);
            return;
        }
        HandshakeSlots.Pending slot = new HandshakeSlots.Pending(address);
        HandshakeSlots.Pending victim = pending.take(slot);
        if (victim != null) {
            // counted here, as it happens: a burst of connections meets the slowing before it is all accepted
            failures.failed(victim.address, ClientConnection.PUSHED_OUT);
            victim.evict();
        }
        try {
            connection.handleWith(Flow.fromGraph(new ClientConnection(ctx, registry, pending, slot, failures, peer)),
                    materializer);
        } catch (RuntimeException e) {
            pending.release(slot);
            log.warn("cannot serve client {}: {}", peer, e.toString());
        }
    }

    /** Answers one error frame and closes. */
    private void refuse(Tcp.IncomingConnection connection, byte[] error) {
        connection.handleWith(Flow.fromSinkAndSource(Sink.ignore(), Source.single(ClientSession.frame(error))),
                materializer);
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
