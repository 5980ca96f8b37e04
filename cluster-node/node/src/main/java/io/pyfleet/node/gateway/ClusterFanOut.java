package io.pyfleet.node.gateway;

import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.PoolStats;
import io.pyfleet.client.internal.Handle;
import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.client.internal.RemoteFailures;
import io.pyfleet.node.cluster.ClusterView;
import io.pyfleet.node.cluster.NodeAgent;
import io.pyfleet.node.worker.PendingCall;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The gateway's requests that span the cluster: an identical call on every worker of every
 * node, a scatter over all of them ({@link ClusterScatter}), the release of another node's
 * objects, the cluster's status; and the sessions this node serves for other nodes' clients.
 */
final class ClusterFanOut {
    private ClusterFanOut() {
    }

    /** One outcome per worker of every reachable node, node by node in name order. */
    static CompletableFuture<List<Object>> identical(ClientSession s, SessionForwarder f, List<?> args, Call call) {
        List<CompletableFuture<List<Object>>> parts = new ArrayList<>();
        for (ClusterView.Peer p : f.view().peers()) {
            CompletableFuture<List<Object>> part;
            if (p.self()) {
                part = s.context().path().identicalRemote(call).thenApply(Outcomes::toWire);
            } else if (p.reachable()) {
                Object timeout = args.get(4) instanceof Map<?, ?> inner ? inner.get("timeout_ms") : null;
                part = f.sub(p.name(), "identical", null, args, null, f.deadline("identical", timeout))
                        .thenApply(SessionForwarder::outcomes);
            } else {
                continue;
            }
            int workers = Math.max(1, p.info().workers());
            parts.add(part.exceptionally(failure -> errors(workers, failure)));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<Object> all = new ArrayList<>();
            for (CompletableFuture<List<Object>> part : parts) {
                all.addAll(part.join());
            }
            return all;
        });
    }

    /**
     * The items spread over every node's free workers; outcomes in input order, or each to {@code each} as its
     * chunk ends (then the result holds no values).
     */
    static CompletableFuture<List<Object>> scatter(ClientSession s, SessionForwarder f, String function,
            List<? extends List<?>> items, CallOptions options, boolean idempotent, Consumer<long[]> progress,
            java.util.function.BiConsumer<Integer, Object> each) {
        Map<String, Object> opts = options.timeout() == null ? null
                : Map.of("timeout_ms", Math.max(1, options.timeout().toMillis()));
        return new ClusterScatter(f.view(), items, idempotent, (node, chunk) -> {
            if (node.equals(f.view().self())) {
                return s.context().path().scatter(function, chunk, options, PendingCall.Decoding.PLAIN_HANDLES, false)
                        .thenApply(Outcomes::toWire);
            }
            return f.sub(node, "scatter", function, List.of(chunk), opts, f.deadline("scatter", null))
                    .thenApply(SessionForwarder::outcomes);
        }, progress, each).start();
    }

    /** Sends the release of another node's object there; an object of a node that left is gone already. */
    static void releaseElsewhere(SessionForwarder f, Handle h) {
        ClusterView.Peer owner = f.view().ownerOf(h.node());
        if (owner != null && owner.reachable()) {
            f.sub(owner.name(), "release", null, List.of(h), null, f.deadline("release", null));
        }
    }

    /** Every node of the cluster as this node knows it (only this node when it is in none). */
    static CompletableFuture<Object> status(GatewayContext ctx, ClusterView view) {
        if (view == null || view.peer(ctx.node()) == null) {
            return ctx.pool().stats().toCompletableFuture().thenApply(stats -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", ctx.node());
                m.put("self", true);
                m.put("reachable", true);
                m.put("gateway", "");
                m.put("roles", List.of());
                m.put("workers", (long) ctx.pool().poolSize());
                m.put("free_workers", free(stats));
                m.put("pools", ctx.pools().names());
                m.put("uptime_ms", (System.nanoTime() - ctx.startedNanos()) / 1_000_000);
                return List.of(m);
            });
        }
        List<Object> nodes = new ArrayList<>();
        for (ClusterView.Peer p : view.peers()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", p.name());
            m.put("self", p.self());
            m.put("reachable", p.reachable());
            m.put("gateway", p.info().gateway());
            m.put("roles", p.info().roles());
            m.put("workers", (long) p.info().workers());
            m.put("free_workers", (long) p.info().freeWorkers());
            m.put("pools", p.info().pools());
            m.put("uptime_ms", p.info().uptimeMs());
            nodes.add(m);
        }
        return CompletableFuture.completedFuture(nodes);
    }

    /** Workers that serve and have nothing in flight. */
    static long free(PoolStats stats) {
        return stats.workers().stream().filter(w -> w.ready() && w.inFlight() == 0).count();
    }

    /** The sessions this node serves for clients of other nodes: they answer only here. */
    static NodeAgent.Sessions servedSessions(GatewayContext ctx) {
        return (peer, out) -> {
            ClientSession session = new ClientSession(ctx,
                    (frame, endsCall) -> out.send(frame.toArrayUnsafe(), endsCall), peer, false);
            return new NodeAgent.Served() {
                @Override
                public void onFrame(byte[] payload) {
                    session.onFrame(payload);
                }

                @Override
                public void ended() {
                    session.ended();
                }
            };
        };
    }

    private static List<Object> errors(int n, Throwable failure) {
        RemoteError e = RemoteFailures.toRemoteError(failure);
        List<Object> entry = List.of(1L, e.fields());
        List<Object> all = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            all.add(entry);
        }
        return all;
    }
}
