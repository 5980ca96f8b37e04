package io.pyfleet.node.gateway;

import io.pyfleet.client.Call;
import io.pyfleet.client.CallOptions;
import io.pyfleet.client.FleetClosedException;
import io.pyfleet.client.NodeLostException;
import io.pyfleet.client.Outcome;
import io.pyfleet.client.PoolStats;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.client.internal.ApiAccess;
import io.pyfleet.client.internal.Handle;
import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.client.internal.RemoteFailures;
import io.pyfleet.node.call.CallPath;
import io.pyfleet.node.worker.EventSink;
import io.pyfleet.node.worker.PendingCall;
import io.pyfleet.node.worker.RawValue;
import io.pyfleet.protocol.ArrayUpload;
import io.pyfleet.protocol.Gateway;
import io.pyfleet.protocol.Incoming;
import io.pyfleet.protocol.Messages;
import io.pyfleet.protocol.PoolWire;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One authenticated client's requests: each is decoded on the connection's thread, checked
 * against the allow-list and put on the node's call path, and ends in exactly one reply or
 * error frame. Worker replies and events are forwarded as the bytes the worker wrote (only
 * the id is the client's), so values are never decoded and encoded again on the way, except an
 * answer holding large arrays, which the node keeps ({@link SessionArrays}). The session remembers
 * the handles and arrays it handed out and releases those the client did not when the connection ends.
 *
 * <p>Objects are capabilities of the session that received them: a request that names a handle
 * of this node the session was not handed (another connection's, a forged one, one it released)
 * fails with {@code stale_handle} before any worker sees it, with the same message whatever the
 * reason, and a release of such a handle releases nothing. A session another node forwards to
 * stands for one client session there, so an object made through a forwarded call is that
 * session's alone.
 */
final class ClientSession {
    private static final Logger log = LoggerFactory.getLogger(ClientSession.class);
    /** Where the session's frames go; callable from any thread, never blocks. */
    interface Outbound {
        /**
         * @param frame    a whole frame, length prefix included
         * @param endsCall true for the one reply or error that ends a request, false for an event
         */
        void send(ByteString frame, boolean endsCall);
    }

    private final GatewayContext ctx;
    private final Outbound out;
    private final String peer;
    private final SessionObjects objects;
    /** Worker calls and scatters not yet ended, by request id: each cancels its work when the connection ends. */
    private final Map<Long, Runnable> running = new ConcurrentHashMap<>();
    private final SessionForwarder cluster;
    private final SessionArrays arrays;
    private volatile boolean ended;
    private volatile boolean draining;

    /**
     * @param forwards whether requests that belong to other nodes go there (a client's own session);
     *                 false for a session another node forwards to, which serves only here
     */
    ClientSession(GatewayContext ctx, Outbound out, String peer, boolean forwards) {
        this.ctx = ctx;
        this.out = out;
        this.peer = peer;
        this.cluster = forwards && ctx.cluster() != null ? new SessionForwarder(this, ctx.cluster()) : null;
        this.arrays = new SessionArrays(ctx);
        this.objects = new SessionObjects(ctx.pools(), h -> cluster == null || cluster.view().isLocal(h.node()));
    }

    /**
     * Takes one frame of an authenticated client. Returns true when it was a request, which ends
     * later in exactly one frame with {@code endsCall}: its answer, or a protocol error with its
     * id when it does not decode. False for a ping, and for a frame whose id cannot be read,
     * which is answered at once with an error of id 0. The frames around a bad one are served:
     * the framing is intact, so one bad value costs its own call, not the connection.
     */
    boolean onFrame(byte[] payload) {
        Incoming message;
        try {
            message = Incoming.parse(payload, null);
        } catch (ProtocolException e) {
            long[] header = Incoming.peekHeader(payload);
            if (header != null && header[0] == Messages.REQUEST && header[1] > 0) {
                ctx.callsInFlight().incrementAndGet();
                fail(header[1], new ProtocolException("request " + header[1] + " does not decode: " + e.getMessage()));
                return true;
            }
            outOfCall("a frame that is not a message: " + e.getMessage());
            return false;
        }
        if (message.type() == Gateway.PING) {
            return false;
        }
        if (message.type() != Messages.REQUEST || message.id() < 1) {
            outOfCall("expected a request or a ping, got a message of type " + message.type() + " with id "
                    + message.id());
            return false;
        }
        long id = message.id();
        List<?> body = (List<?>) message.body();
        String op = (String) body.get(0);
        ctx.callsInFlight().incrementAndGet();
        try {
            if (cluster != null && id >= SessionForwarder.SUB_BASE) {
                // the ids of this session's fan-out requests on other nodes: an answer to one would be taken as theirs
                throw new ProtocolException("request id " + id + " is 2^62 or more: in a cluster those ids are the "
                        + "node's own (its fan-out requests on other nodes); the call was not run. Use ids from 1 to "
                        + "2^62 - 1");
            }
            if (draining || (cluster == null && ctx.cluster() != null && ctx.cluster().isStopping())) {
                throw new FleetClosedException("the node is stopping and takes no new calls; the call was not run",
                        false);
            }
            List<?> args = body.get(2) == null ? List.of() : (List<?>) body.get(2);
            Map<String, Object> opts = RequestParts.opts(body.get(4));
            boolean pinned = opts.get("node") != null; // to this node, or forwarded: never across the cluster
            String node = otherNode(opts);
            if (node != null) {
                ctx.allow().check(op, body.get(1), args, body.get(3)); // this node's list holds for what it forwards too
                // as the client wrote it: that node serves it whole
                cluster.forward(node, id, payload, cluster.deadline(op, opts.get("timeout_ms")));
                return true;
            }
            switch (op) {
                case "identical" -> identical(id, args, opts, pinned, payload);
                case "scatter" -> scatter(id, body.get(1), args, opts, pinned, payload);
                case "release" -> release(id, args);
                case "array_read", "array_release", ArrayUpload.NEW, ArrayUpload.WRITE -> arrayOp(id, op, args, payload);
                case "stats" -> stats(id);
                case "resize" -> resize(id, args);
                case "cluster_status" -> clusterStatus(id);
                case PoolWire.START, PoolWire.RESIZE, PoolWire.STOP, PoolWire.LIST -> poolOp(id, op, body.get(1), args);
                default -> workerCall(id, op, body.get(1), args, RequestParts.kwargs(body.get(3)), opts, payload);
            }
        } catch (RuntimeException e) {
            fail(id, e instanceof PyFleetException p ? p : new ProtocolException("bad request: " + e));
        }
        return true;
    }

    /** New requests are refused from now on (the node is stopping). */
    void drain() {
        draining = true;
    }

    /** The connection ended: the handles it received and did not release are released now. */
    void ended() {
        ended = true;
        int cancelled = 0;
        for (Runnable cancel : running.values()) { // nobody reads what they would send: they must not run on
            cancel.run();
            cancelled++;
        }
        running.clear();
        if (cancelled > 0) {
            log.info("client {} left with {} call(s) queued or running: cancelled", peer, cancelled);
        }
        arrays.ended();
        if (cluster != null) {
            cluster.ended();
        }
        int n = objects.ended();
        if (n > 0) {
            log.debug("released {} object(s) left by client {}", n, peer);
        }
    }

    // ---------------------------------------------------------------------------------- ops

    private void workerCall(long id, String op, Object target, List<?> args, Map<String, ?> kwargs,
            Map<String, Object> opts, byte[] payload) {
        requireWorkerOp(op);
        ctx.allow().check(op, target, args, kwargs);
        args = ctx.allow().visible(op, target, args); // a bind's lookup asks only about names it may call
        opts.remove("idempotent"); // the cluster's business (scatter), not the worker's
        String owner = (cluster == null ? null : cluster.ownerElsewhere(payload));
        if (owner != null) {
            cluster.forward(owner, id, payload, cluster.deadline(op, opts.get("timeout_ms")));
            return;
        }
        objects.requireHeld(payload);
        Duration timeout = RequestParts.timeout(opts);
        boolean events = Boolean.TRUE.equals(opts.remove("events"));
        List<SessionArrays.Kept> using = new ArrayList<>(0);
        CallPath path;
        try {
            if (SessionArrays.namesArrays(payload)) { // this session's arrays: the node's own go to the worker
                target = arrays.resolve(target, using); // a method on one, say
                args = (List<?>) arrays.resolve(args, using);
                kwargs = RequestParts.kwargs(arrays.resolve(kwargs, using));
            }
            path = ctx.pools().path(RequestParts.pool(opts), target, args, kwargs);
            arrays.workerOpts(opts, path);
        } catch (RuntimeException e) {
            SessionArrays.done(using);
            throw e;
        }
        CompletableFuture<Object> result = new CompletableFuture<>();
        result.whenComplete((value, failure) -> {
            running.remove(id);
            SessionArrays.done(using); // an array released meanwhile is freed once no call may still map it
            finish(id, value, failure);
        });
        PendingCall pending = path.submitRemote(op, target, args, kwargs, opts.isEmpty() ? null : opts, timeout,
                result, events ? new Events(id) : null, PendingCall.Decoding.RAW);
        if (pending != null) {
            running.put(id, () -> path.cancel(pending));
            if (pending.isDone() || ended) { // it ended (or the connection did) before it was noted
                running.remove(id);
                if (ended) {
                    path.cancel(pending);
                }
            }
        }
    }

    private void identical(long id, List<?> args, Map<String, Object> outer, boolean pinned, byte[] payload) {
        if (args.size() != 5 || !(args.get(0) instanceof String op)) {
            throw new ProtocolException("identical takes [op, target, args, kwargs, opts]");
        }
        boolean each = Boolean.TRUE.equals(outer.remove("each"));
        List<?> innerArgs = args.get(2) == null ? List.of() : (List<?>) args.get(2);
        requireWorkerOp(op); // never a raw release of ids on every worker
        ctx.allow().check("identical", null, args);
        objects.requireHeld(payload);
        Map<String, Object> opts = RequestParts.opts(args.get(4));
        String inner = RequestParts.pool(opts);
        String named = inner != null ? inner : RequestParts.pool(outer);
        CallPath path = ctx.pools().path(named);
        if (opts.containsKey("stream") || opts.containsKey("events")) {
            throw new ProtocolException("an identical call cannot stream or send events");
        }
        Object coerce = opts.get("coerce");
        CallOptions.Builder b = CallOptions.builder().timeout(RequestParts.timeout(opts));
        CallOptions options = "handle".equals(opts.get("ret")) ? b.asHandle().build() : b.build();
        Call call = ApiAccess.newCall(op, args.get(1), innerArgs, RequestParts.kwargs(args.get(3)), options,
                coerce == null ? null : coerce.toString());
        if (!pinned && named == null && spansCluster()) {
            OutcomeCollectors.Items items = each ? OutcomeCollectors.streamed(this, id) : null;
            ClusterFanOut.identical(this, cluster, args, call).whenComplete((wire, failure) -> {
                if (items != null) { // one outcome per worker: gathered, then sent one frame each
                    items.finishWire(wire, failure);
                } else {
                    finish(id, wire == null ? null : Outcomes.withinFrame(wire, ctx.settings().maxFrameSize()), failure);
                }
            });
            return;
        }
        OutcomeCollectors.Collector items = OutcomeCollectors.of(this, id, each);
        CallPath.Job job = path.identicalJob(call, items);
        running.put(id, job.cancel());
        job.result().whenComplete((outcomes, failure) -> {
            running.remove(id);
            items.finish(outcomes, failure);
        });
        if (ended) {
            job.cancel().run(); // the connection ended while the calls were sent
        }
    }

    private void scatter(long id, Object target, List<?> args, Map<String, Object> opts, boolean pinned,
            byte[] payload) {
        if (!(target instanceof String function) || args.size() != 1 || !(args.get(0) instanceof List<?> sets)) {
            throw new ProtocolException("scatter takes a function name and [argument lists]");
        }
        ctx.allow().check("scatter", function, args); // each item's strings too
        List<List<?>> argumentSets = new ArrayList<>(sets.size());
        for (Object set : sets) {
            if (!(set instanceof List<?> l)) {
                throw new ProtocolException("each scatter item must be a list of arguments");
            }
            argumentSets.add(l);
        }
        boolean idempotent = Boolean.TRUE.equals(opts.remove("idempotent"));
        boolean progress = Boolean.TRUE.equals(opts.remove("events"));
        boolean each = Boolean.TRUE.equals(opts.remove("each"));
        CallOptions options = CallOptions.builder().timeout(RequestParts.timeout(opts)).build();
        if (!pinned && cluster != null && SessionForwarder.namesObjects(payload)) {
            // items that name objects run where those live: on their node, or here
            String owner = cluster.ownerElsewhere(payload);
            if (owner != null) {
                cluster.forward(owner, id, payload, cluster.deadline("scatter", null));
                return;
            }
            pinned = true;
        }
        objects.requireHeld(payload);
        if (!pinned && !opts.containsKey("pool") && spansCluster()) {
            OutcomeCollectors.Items items = each ? OutcomeCollectors.streamed(this, id) : null;
            ClusterFanOut.scatter(this, cluster, function, argumentSets, options, idempotent,
                    progress ? done -> event(id, Map.of("done", done[0], "total", done[1])) : null,
                    items == null ? null : items::acceptWire)
                    .whenComplete((wire, failure) -> {
                        if (items != null) {
                            items.finishWire(wire, failure);
                        } else {
                            finish(id, wire == null ? null : Outcomes.withinFrame(wire, ctx.settings().maxFrameSize()),
                                    failure);
                        }
                    });
            return;
        }
        OutcomeCollectors.Collector items = OutcomeCollectors.of(this, id, each);
        CallPath.Job job = ctx.pools().path(RequestParts.pool(opts)).scatterJob(function, argumentSets, options,
                PendingCall.Decoding.PLAIN_HANDLES, false, items);
        running.put(id, job.cancel());
        job.result().whenComplete((outcomes, failure) -> {
            running.remove(id);
            items.finish(outcomes, failure);
        });
        if (ended) {
            job.cancel().run(); // the connection ended while the job started
        }
    }

    private void release(long id, List<?> args) {
        int n = 0;
        for (Object a : args) {
            if (!(a instanceof Handle h)) {
                throw new ProtocolException("release takes handles");
            }
            n++;
            if (cluster != null && !cluster.view().isLocal(h.node())) {
                ClusterFanOut.releaseElsewhere(cluster, h); // that node's session for this one decides
                continue;
            }
            objects.release(h); // only the session's own: never another connection's object
        }
        finish(id, (long) n, null);
    }

    private void stats(long id) {
        ctx.pool().stats().whenComplete((stats, failure) -> {
            Object value = null;
            Throwable why = failure;
            try {
                value = failure == null ? statsMap(stats) : null;
            } catch (RuntimeException e) {
                why = e;
            }
            finish(id, value, why);
        });
    }

    private void resize(long id, List<?> args) {
        ctx.allow().check("resize", null, args);
        if (args.size() != 1 || !(args.get(0) instanceof Long n) || n < 1 || n > 10_000) {
            throw new ProtocolException("resize takes [workers], 1..10000");
        }
        ctx.pool().resize(n.intValue());
        finish(id, null, null);
    }

    /** array_read, array_release, array_new, array_write: served by the node that keeps the array, answered at once. */
    private void arrayOp(long id, String op, List<?> args, byte[] payload) {
        String owner = null;
        if (cluster != null && !ArrayUpload.NEW.equals(op) && !(ArrayUpload.WRITE.equals(op)
                && cluster.view().isLocal(ArrayUpload.Write.parse(args).array().node()))) {
            owner = cluster.ownerElsewhere(payload); // not for a write here: no scan of a chunk for handles
        }
        if (owner != null) {
            cluster.forward(owner, id, payload, cluster.deadline(op, null));
            return;
        }
        switch (op) {
            case "array_read" -> {
                ByteString frame = arrays.readReply(id, args);
                ctx.callsInFlight().decrementAndGet();
                out.send(frame, true);
            }
            case ArrayUpload.NEW -> finish(id, arrays.newArray(args), null);
            case ArrayUpload.WRITE -> finish(id, arrays.write(args), null);
            default -> finish(id, arrays.release(args), null);
        }
    }

    /** pool_start, pool_resize, pool_stop, pool_list: answered when the pool has started, stopped, ... */
    private void poolOp(long id, String op, Object target, List<?> args) {
        ctx.allow().check(op, target, args);
        PoolOps.serve(ctx.pools(), op, target, args).whenComplete((value, failure) -> finish(id, value, failure));
    }

    /** Workers also know release, map and imap; those are the node's, never a client's to send as such. */
    private static void requireWorkerOp(String op) {
        if (!AllowList.isWorkerOp(op)) {
            throw new ProtocolException("unknown op '" + op + "'");
        }
    }

    // ---------------------------------------------------------------------------------- the cluster

    /** The node named in {@code opts.node} when it is another one; the key leaves the opts either way. */
    private String otherNode(Map<String, Object> opts) {
        Object node = opts.remove("node");
        if (node == null || node.equals(ctx.node())) {
            return null;
        }
        if (!(node instanceof String name)) {
            throw new ProtocolException("node must be a node's name");
        }
        if (cluster == null) {
            throw new NodeLostException("no node named '" + name + "' here: node '" + ctx.node()
                    + (ctx.cluster() == null ? "' is in no cluster" : "' serves only its own calls for other nodes")
                    + "; the call was not run", false);
        }
        return name;
    }

    /** True when identical calls and scatters run on every node: this one is in a cluster of several. */
    private boolean spansCluster() {
        return cluster != null && cluster.view().peer(ctx.node()) != null
                && !cluster.view().reachableOthers().isEmpty();
    }

    /** An answer another node sent for a forwarded request: it ends that request here. */
    void endForwarded(ByteString frame, boolean send) {
        ctx.callsInFlight().decrementAndGet();
        if (send && frame != null) {
            out.send(frame, true);
        }
    }

    /** An event another node sent for a forwarded request. */
    void sendEvent(ByteString frame) {
        out.send(frame, false);
    }

    GatewayContext context() {
        return ctx;
    }

    SessionObjects objects() {
        return objects;
    }

    String peer() {
        return peer;
    }

    /** One item of a streamed scatter or identical call; nothing once the connection ended. */
    void sendItem(byte[] payload) {
        if (!ended) {
            out.send(frame(payload), false);
        }
    }

    private void event(long id, Object value) {
        if (!ended) {
            out.send(frame(Messages.event(id, value)), false);
        }
    }

    private void clusterStatus(long id) {
        ClusterFanOut.status(ctx, cluster == null ? ctx.cluster() : cluster.view())
                .whenComplete((value, failure) -> finish(id, value, failure));
    }

    // ---------------------------------------------------------------------------------- answers

    /** Ends a request; runs on whatever thread ended it (a worker's reader, the connection's). */
    void finish(long id, Object value, Throwable failure) {
        ByteString frame;
        try {
            if (value instanceof RawValue raw && SessionArrays.holdsReferences(raw)) {
                value = arrays.adopt(raw); // large arrays: kept here, the client gets references
            }
            if (failure != null) {
                frame = frame(Messages.error(id, RemoteFailures.toRemoteError(failure)));
            } else if (value instanceof RawValue raw) {
                objects.noteIssued(raw.frame(), raw.offset(), raw.length());
                frame = GatewayFrames.rawFrame(Messages.REPLY, id, raw);
            } else {
                byte[] payload = Messages.reply(id, value);
                objects.noteIssued(payload, 0, payload.length);
                frame = frame(payload);
            }
        } catch (RuntimeException e) {
            log.warn("cannot send the outcome of call {} to client {}: {}", id, peer, e.toString());
            frame = frame(Messages.error(id, new RemoteError(RemoteError.PROTOCOL, "",
                    "the node could not forward the call's outcome: " + e.getMessage(), "")));
        }
        if (frame.size() - 4 > ctx.settings().maxFrameSize()) {
            // the client would drop the connection, and every call on it, on a frame over its limit
            frame = frame(Messages.error(id, new RemoteError(RemoteError.PROTOCOL, "", tooBig("answer", frame.size()
                    - 4) + "; the call ran. Return large data as a NumPy array (it stays on the node and the client "
                    + "reads it in chunks) or as an object (CallOptions.builder().asHandle()), or raise "
                    + "pyfleet.gateway.max-frame-size on the node", "")));
        }
        ctx.callsInFlight().decrementAndGet();
        out.send(frame, true);
    }

    private String tooBig(String what, long size) {
        return "the " + what + " is " + size + " bytes, over the maximum frame size of " + ctx.settings().maxFrameSize()
                + " bytes between this node and its clients (pyfleet.gateway.max-frame-size)";
    }

    void fail(long id, PyFleetException error) {
        finish(id, null, error);
    }

    /** A protocol error that belongs to no call: error frame with id 0; the connection serves on. */
    private void outOfCall(String why) {
        log.debug("client {} sent {}", peer, why);
        out.send(frame(Messages.error(0, new RemoteError(RemoteError.PROTOCOL, "", why, ""))), false);
    }

    void finishOutcomes(long id, List<Outcome> outcomes, Throwable failure) {
        if (failure != null) {
            finish(id, null, failure);
            return;
        }
        finish(id, Outcomes.withinFrame(Outcomes.toWire(outcomes), ctx.settings().maxFrameSize()), null);
    }

    /** Forwards a call's events as the worker wrote them. Runs on the worker's reader, in order. */
    private final class Events implements EventSink {
        private final long id;

        Events(long id) {
            this.id = id;
        }

        @Override
        public void event(Object value) {
            ByteString frame;
            try {
                if (value instanceof RawValue raw && SessionArrays.holdsReferences(raw)) {
                    value = arrays.adopt(raw);
                }
                if (value instanceof RawValue raw) {
                    objects.noteIssued(raw.frame(), raw.offset(), raw.length());
                    frame = GatewayFrames.rawFrame(Messages.EVENT, id, raw);
                } else {
                    byte[] payload = Messages.event(id, value);
                    objects.noteIssued(payload, 0, payload.length);
                    frame = frame(payload);
                }
                if (frame.size() - 4 > ctx.settings().maxFrameSize()) {
                    throw new ProtocolException(tooBig("event", frame.size() - 4) + ": send smaller events, or "
                            + "raise the setting on the node");
                }
            } catch (RuntimeException e) {
                // on the worker's reader: a bad event is dropped, never the worker
                log.warn("an event of call {} for client {} cannot be forwarded: {}", id, peer, e.toString());
                return;
            }
            out.send(frame, false);
        }

        @Override
        public void undecodable(RuntimeException failure) {
            log.warn("an event of call {} for client {} could not be decoded: {}", id, peer, failure.getMessage());
        }

        @Override
        public void thenComplete(Runnable completion) {
            completion.run(); // events left in order before it, on this same thread
        }

        @Override
        public void abandon() {
            // nothing is held back here: events already sent stay sent
        }
    }

    // ---------------------------------------------------------------------------------- frames

    static ByteString frame(byte[] payload) {
        byte[] f = new byte[4 + payload.length];
        GatewayFrames.putLength(f, payload.length);
        System.arraycopy(payload, 0, f, 4, payload.length);
        return ByteString.fromArrayUnsafe(f);
    }

    private Map<String, Object> statsMap(PoolStats stats) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("node", stats.node());
        m.put("uptime_ms", (System.nanoTime() - ctx.startedNanos()) / 1_000_000);
        m.put("pool_size", (long) ctx.pool().poolSize());
        m.put("queued", (long) stats.queued());
        m.put("failed", stats.failed());
        List<Object> workers = new ArrayList<>();
        for (PoolStats.WorkerStats w : stats.workers()) {
            Map<String, Object> wm = new LinkedHashMap<>();
            wm.put("id", w.id());
            wm.put("pid", w.pid());
            wm.put("ready", w.ready());
            wm.put("in_flight", (long) w.inFlight());
            wm.put("calls", w.calls());
            wm.put("errors", w.errors());
            wm.put("busy_ns", w.busy().toNanos());
            wm.put("restarts", (long) w.restarts());
            wm.put("rss_bytes", w.rssBytes());
            workers.add(wm);
        }
        m.put("workers", workers);
        return m;
    }
}
