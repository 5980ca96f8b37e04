package io.pyfleet.node.gateway;

import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.protocol.Gateway;
import io.pyfleet.protocol.Incoming;
import io.pyfleet.protocol.Messages;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection as a stream stage between the TCP bytes in and out: it cuts frames
 * (checking each declared length before it buffers the body), runs the handshake, hands
 * requests to its {@link ClientSession}, and queues what goes back. Flow control: it reads
 * the next request only while the client has fewer than {@code max-in-flight} calls open,
 * less than {@code max-buffered} bytes wait to be written and its requests not yet ended hold
 * less than {@code max-connection-bytes}, so a client that does not read, or sends more than the
 * node can keep, stops being read. Each request's bytes are reserved from the node's
 * {@link NodeBudget} as its length is read: one that does not fit is refused (not run) and its
 * body skipped, never kept. A timer sends pings and closes idle, half-open or silent connections.
 */
final class ClientConnection extends GraphStage<FlowShape<ByteString, ByteString>> {
    private static final Logger log = LoggerFactory.getLogger(ClientConnection.class);
    /** Before the handshake a client may send only small frames: garbage never buys an allocation. */
    static final int PRE_AUTH_MAX_FRAME = 4096;
    /** How long a stopping node waits for a connection's last frames to leave. */
    private static final long FLUSH_NANOS = Duration.ofSeconds(2).toNanos();

    private final Inlet<ByteString> in = Inlet.create("ClientConnection.in");
    private final Outlet<ByteString> out = Outlet.create("ClientConnection.out");
    private final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);
    private final GatewayContext ctx;
    private final GatewayServer.Registry registry;
    private final HandshakeSlots pendingSlots;
    /** The handshake slot the gateway took for it when it accepted it. */
    private final HandshakeSlots.Pending slot;
    private final HandshakeFailures failures;
    private final String peer;
    /** The gateway runs TLS beneath this stage. */
    private final boolean tls;

    /** Why a connection was pushed out of the handshake pool. */
    static final String PUSHED_OUT = "pushed out of a full handshake pool by a newer connection before it "
            + "authenticated (pyfleet.gateway.handshake-slots, handshake-slots-per-address)";

    ClientConnection(GatewayContext ctx, GatewayServer.Registry registry, HandshakeSlots pendingSlots,
            HandshakeSlots.Pending slot, HandshakeFailures failures, String peer) {
        this.ctx = ctx;
        this.registry = registry;
        this.pendingSlots = pendingSlots;
        this.slot = slot;
        this.failures = failures;
        this.peer = peer;
        this.tls = ctx.settings().tls().enabled();
    }

    /** The refusal of a connection when every {@code max-connections} slot is taken. */
    static byte[] overloaded(io.pyfleet.node.config.GatewaySettings s) {
        return Messages.error(0, new RemoteError("overloaded", "", overloadedText(s), ""));
    }

    private static String overloadedText(io.pyfleet.node.config.GatewaySettings s) {
        return "the node has " + s.maxConnections() + " client connections already (pyfleet.gateway.max-connections): "
                + "share one Fleet between the threads of a program (it is thread-safe), close fleets you no longer "
                + "use, or raise pyfleet.gateway.max-connections on the node";
    }

    @Override
    public FlowShape<ByteString, ByteString> shape() {
        return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes attributes) {
        return new Logic();
    }

    /** A frame for the client, from any thread. */
    private record Out(ByteString frame, boolean endsCall) {
    }

    /** Commands from the gateway, from any thread. EVICT: a newer connection needs this one's handshake slot. */
    enum Command { DRAIN, FINISH, EVICT }

    /** What {@code nextFrame} returns for a request refused for want of room (answered already). */
    private static final byte[] REFUSED = new byte[0];

    /** How long a client may take nothing while more than four times max-buffered waits for it. */
    private static final long STALLED_NANOS = 1_000_000_000L;

    /** The stage's signal that frames wait in its inbox. */
    private static final Object INBOX = new Object();

    /** The running connection; everything here runs on the stage's own thread. */
    final class Logic extends TimerGraphStageLogic {
        private final byte[] nonce = Gateway.nonce();
        private final long openedNanos = System.nanoTime();
        private final ArrayDeque<ByteString> outbox = new ArrayDeque<>();
        private final AsyncCallback<Object> mailbox;
        private final java.util.concurrent.ConcurrentLinkedQueue<Out> inbox = new java.util.concurrent.ConcurrentLinkedQueue<>();
        private final java.util.concurrent.atomic.AtomicBoolean signalled = new java.util.concurrent.atomic.AtomicBoolean();
        private final ClientSession session;
        private ByteString buffer = ByteString.emptyByteString();
        private long outboxBytes;
        private final java.util.concurrent.atomic.AtomicLong inboxBytes = new java.util.concurrent.atomic.AtomicLong();
        private int inFlight;
        /**
         * The calls in flight by id, with the request bytes each holds from when its frame was read until its
         * answer (0 for one refused for want of room): a request reusing one of these ids is not run.
         */
        private final Map<Long, Long> held = new java.util.HashMap<>();
        /** Bytes of {@link #held} plus {@link #reserved}: the connection's requests in the node. */
        private long heldBytes;
        /** The length reserved for the frame being read; -1 between frames. */
        private long reserved = -1;
        /** Bytes of a refused frame still to be discarded as they arrive. */
        private long skipping;
        /** The next frame does not fit in max-connection-bytes: nothing is read until a call ends. */
        private boolean waitingForRoom;
        /** The stage stopped: what calls still send is dropped (their calls are being cancelled). */
        private volatile boolean stopped;
        private boolean authed;
        /** It holds its handshake slot: until it authenticates or ends. */
        private boolean pending = true;
        /** It holds one of max-connections' slots. */
        private boolean served;
        /** Why it ended before authenticating, for {@link HandshakeFailures}. */
        private String failure;
        /** Bytes arrived: under TLS, its handshake is done. */
        private boolean receivedAny;
        /** No more requests are read; the stage ends once what is queued has left. */
        private boolean closing;
        /** The client closed its side: requests already here are served, then the stage ends. */
        private boolean inputDone;
        private long finishDeadline;
        private long lastIn = openedNanos;
        private long lastOut = openedNanos;
        private long lastPush = openedNanos;

        Logic() {
            super(shape);
            this.mailbox = createAsyncCallback(this::onMessage);
            this.session = new ClientSession(ctx, this::offer, peer, true);
            setHandler(in, new AbstractInHandler() {
                @Override
                public void onPush() {
                    lastIn = System.nanoTime();
                    receivedAny = true;
                    buffer = buffer.concat(grab(in));
                    proceed();
                }

                @Override
                public void onUpstreamFinish() {
                    inputDone = true;
                    proceed();
                    finishIfDone();
                }
            });
            setHandler(out, new AbstractOutHandler() {
                @Override
                public void onPull() {
                    flush();
                    proceed();
                    finishIfDone();
                }
            });
        }

        @Override
        public void preStart() {
            registry.add(this);
            slot.onEvict(() -> command(Command.EVICT)); // at once when it was pushed out already
            // its own timer, not the tick: the deadline holds to the millisecond, TLS handshake included
            scheduleOnce("handshake", ctx.settings().handshakeTimeout());
            if (registry.stopping()) {
                session.drain(); // accepted while the node began to stop
            }
            Duration hb = ctx.settings().heartbeatInterval();
            Duration tick = hb.dividedBy(2).compareTo(Duration.ofSeconds(1)) < 0 ? hb.dividedBy(2) : Duration.ofSeconds(1);
            scheduleWithFixedDelay("tick", tick, tick);
            Map<String, Object> challenge = new LinkedHashMap<>();
            challenge.put("protocol", (long) Messages.PROTOCOL_VERSION);
            challenge.put("node", ctx.node());
            challenge.put("nonce", nonce);
            enqueue(ClientSession.frame(Gateway.message(Gateway.CHALLENGE, challenge)));
            pull(in);
        }

        @Override
        public void postStop() {
            stopped = true;
            registry.remove(this);
            if (served) {
                registry.unadmit();
            }
            if (pending) {
                pendingSlots.release(slot);
                pending = false;
            }
            if (!authed && !slot.evicted()) { // a push-out was counted when it happened
                failures.failed(slot.address, failure != null ? failure : "closed before authenticating");
            }
            for (Out o; (o = inbox.poll()) != null; ) {
                inboxBytes.addAndGet(-o.frame().size());
                ctx.budget().release(o.frame().size());
            }
            ctx.budget().release(outboxBytes + heldBytes);
            outbox.clear();
            outboxBytes = 0;
            held.clear();
            heldBytes = 0;
            session.ended(); // cancels its calls still queued or running: nothing produces for nobody
        }

        /**
         * A frame from any thread (a worker's reader, mostly). Frames wait in {@link #inbox}; the
         * stage is woken once per burst, not once per frame: under load one wake-up carries many.
         */
        private void offer(ByteString frame, boolean endsCall) {
            if (stopped) {
                return; // the connection is gone: nobody will read it
            }
            Out o = new Out(frame, endsCall);
            inboxBytes.addAndGet(frame.size()); // counted at once: a burst of answers made on this thread
            ctx.budget().add(frame.size()); // (array reads) must stop the reading of requests too
            inbox.add(o);
            if (stopped && inbox.remove(o)) { // postStop drained the inbox meanwhile: this one is ours to uncount
                inboxBytes.addAndGet(-frame.size());
                ctx.budget().release(frame.size());
                return;
            }
            if (signalled.compareAndSet(false, true)) {
                mailbox.invoke(INBOX);
            }
        }

        /** Called by the gateway from any thread. */
        void command(Command command) {
            mailbox.invoke(command);
        }

        private void onMessage(Object message) {
            if (message == INBOX) {
                signalled.set(false); // before draining: a frame offered from now on signals again
                for (Out o; (o = inbox.poll()) != null; ) {
                    inboxBytes.addAndGet(-o.frame().size());
                    outbox.add(o.frame()); // counted in the node's budget when offered
                    outboxBytes += o.frame().size();
                    if (o.endsCall()) {
                        inFlight--;
                        ended(o.frame());
                    }
                }
                // Requests stop being read at max-buffered; past four times that (events of a stream,
                // answers of calls already running) a client that does not read is closed: one that took
                // nothing for a second, or that fell sixteen times behind. A client that reads, if slower
                // than a scatter's large results come, is not cut off. One answer alone may be bigger: it
                // is bounded by the frame size.
                long behind = 4 * ctx.settings().maxBuffered();
                boolean stalled = System.nanoTime() - lastPush > STALLED_NANOS;
                if (outbox.size() > 1 && outboxBytes > behind && !isAvailable(out)
                        && (stalled || outboxBytes > 4 * behind)) {
                    log.warn("client {} does not read what its calls send ({} bytes waiting): closing it", peer,
                            outboxBytes);
                    failStage(new ProtocolException("the client does not read what its calls send: "
                            + outboxBytes + " bytes wait, over four times pyfleet.gateway.max-buffered ("
                            + ctx.settings().maxBuffered() + " bytes), and it " + (stalled ? "took none for a second"
                            : "fell sixteen times behind") + ". Read the events of a stream as they come (a "
                            + "consumer that keeps up), or raise pyfleet.gateway.max-buffered on the node"));
                    return;
                }
                flush();
                proceed();
                finishIfDone();
            } else if (message == Command.DRAIN) {
                session.drain();
            } else if (message == Command.EVICT) {
                if (!authed) { // one that authenticated meanwhile has left the pool: it stays
                    refuse("auth", PUSHED_OUT);
                }
            } else if (message == Command.FINISH) {
                closing = true;
                finishDeadline = System.nanoTime() + FLUSH_NANOS;
                finishIfDone();
            }
        }

        @Override
        public void onTimer(Object key) {
            if ("handshake".equals(key)) {
                if (!authed && tls && !receivedAny) {
                    // The TLS handshake itself stalled: a TLS layer that never finished its handshake would not
                    // close on a completion (it waits to send close_notify), so the connection is failed, which
                    // aborts it.
                    failure = "no TLS handshake within " + ctx.settings().handshakeTimeout().toMillis()
                            + " ms (pyfleet.gateway.handshake-timeout)";
                    failStage(new ProtocolException(failure));
                } else if (!authed && !closing) {
                    refuse("auth", "no authentication within " + ctx.settings().handshakeTimeout().toMillis()
                            + " ms (pyfleet.gateway.handshake-timeout)");
                } else if (!authed) {
                    completeStage(); // its refusal could not leave: the peer does not read
                }
                return;
            }
            long now = System.nanoTime();
            if (authed && now - lastOut > ctx.settings().heartbeatInterval().toNanos() && outbox.isEmpty()) {
                enqueue(ClientSession.frame(Gateway.message(Gateway.PING, null)));
                flush();
            }
            if (finishDeadline != 0 && now > finishDeadline) {
                if (authed) {
                    completeStage();
                } else {
                    failStage(new ProtocolException("closed unauthenticated")); // aborts, under TLS too
                }
                return;
            }
            if (!authed) {
                return; // the handshake deadline ends it; no log line per unauthenticated peer
            }
            long idle = ctx.settings().idleTimeout().toNanos();
            if (hasBeenPulled(in) && now - lastIn > idle) {
                log.info("closing connection of client {}: nothing arrived for {}", peer, ctx.settings().idleTimeout());
                completeStage();
            } else if (!outbox.isEmpty() && !isAvailable(out) && now - lastPush > idle) {
                log.warn("closing connection of client {}: it read nothing for {}", peer, ctx.settings().idleTimeout());
                completeStage();
            }
        }

        /** Cuts and handles the frames that arrived, as far as flow control allows; then reads on. */
        private void proceed() {
            ctx.path().batch(this::handleFrames);
            if (!closing && !hasBeenPulled(in) && !isClosed(in) && (skipping > 0 || reserved >= 0 || canRead())) {
                lastIn = System.nanoTime(); // idle counts from when input is wanted again, not from a pause
                pull(in);
            }
        }

        /** Whether the next request may be read: flow control by calls and by bytes. */
        private boolean canRead() {
            return !closing && !waitingForRoom && inFlight < ctx.settings().maxInFlight()
                    && waitingBytes() < ctx.settings().maxBuffered() && heldBytes < ctx.settings().maxConnectionBytes();
        }

        private void handleFrames() {
            while (skip() && (reserved >= 0 || canRead())) {
                byte[] frame;
                try {
                    frame = nextFrame();
                } catch (ProtocolException e) {
                    refuse(authed ? RemoteError.PROTOCOL : "auth", e.getMessage());
                    return;
                }
                if (frame == null) {
                    break;
                }
                if (frame == REFUSED) {
                    continue;
                }
                if (!authed) {
                    authenticate(frame);
                    continue;
                }
                // decoded and made into a call: from now on its call holds about its size (the encoded call)
                long length = frame.length;
                heldBytes -= reserved - length;
                ctx.budget().release(reserved - length);
                reserved = -1;
                long[] header = Incoming.peekHeader(frame);
                if (header != null && header[0] == Messages.REQUEST && held.containsKey(header[1])) {
                    heldBytes -= length;
                    ctx.budget().release(length);
                    refuseReusedId(header[1]);
                    continue;
                }
                if (session.onFrame(frame)) {
                    inFlight++;
                    if (header != null) {
                        held.merge(header[1], length, Long::sum); // until its answer leaves: see ended()
                        continue;
                    }
                }
                heldBytes -= length; // a ping, or a frame whose id nobody answers: not held
                ctx.budget().release(length);
            }
        }

        /** Discards what arrived of a refused frame; true once nothing of it is left to skip. */
        private boolean skip() {
            if (skipping > 0) {
                int n = (int) Math.min(skipping, buffer.size());
                buffer = buffer.drop(n);
                skipping -= n;
            }
            return skipping == 0;
        }

        /** A call's answer is on its way: the bytes its request held are free, and reading may go on. */
        private void ended(ByteString answer) {
            long[] header = Incoming.peekHeader(answer.slice(4, Math.min(answer.size(), 4 + 40)).toArray());
            Long length = header == null ? null : held.remove(header[1]);
            if (length != null) {
                heldBytes -= length;
                ctx.budget().release(length);
            }
            waitingForRoom = false;
        }

        /**
         * A request the node has no room for (pyfleet.gateway.max-node-bytes): answered at once with
         * OverloadedException (not run) once its id has arrived; its body is skipped as it arrives.
         * Returns false while its first bytes are still on their way.
         */
        private boolean refuseFrame(long length) {
            int head = (int) Math.min(length, 40);
            if (buffer.size() < 4 + head) {
                return false;
            }
            long[] header = Incoming.peekHeader(buffer.slice(4, 4 + head).toArray());
            skipping = 4 + length;
            skip();
            String why = "the node holds " + ctx.budget().used() + " bytes of its clients' requests and answers, and a "
                    + "request of " + length + " bytes (counted " + NodeBudget.WHILE_DECODED + " times while it is "
                    + "decoded) would pass pyfleet.gateway.max-node-bytes (" + ctx.budget().limit()
                    + " bytes); the call was refused and not run. Retry it later, send large data as an array "
                    + "(Fleet.array) or in parts, or raise pyfleet.gateway.max-node-bytes (and the node's heap, -Xmx)";
            if (header != null && header[0] == Messages.REQUEST && held.containsKey(header[1])) {
                refuseReusedId(header[1]);
            } else if (header != null && header[0] == Messages.REQUEST && header[1] > 0) {
                held.put(header[1], 0L); // in flight until its refusal leaves: its id is taken until then
                log.debug("client {}: request {} of {} bytes refused, the node is at pyfleet.gateway.max-node-bytes",
                        peer, header[1], length);
                ctx.callsInFlight().incrementAndGet();
                inFlight++;
                session.fail(header[1], new io.pyfleet.client.OverloadedException(why));
            } else {
                enqueue(ClientSession.frame(Messages.error(0, new RemoteError(RemoteError.PROTOCOL, "", why, ""))));
            }
            return true;
        }

        /**
         * A request whose id is that of a call still in flight on this connection: not run, and answered on id 0,
         * since an answer with its id would end the other call for the client. The node keeps a call's bytes and
         * its cancel under its id: a reused id answered at once would free the first call's bytes while its
         * arguments still wait in the queue, and a connection could hold any amount past max-connection-bytes.
         */
        private void refuseReusedId(long id) {
            log.debug("client {}: request {} reuses the id of a call in flight: not run", peer, id);
            enqueue(ClientSession.frame(Messages.error(0, new RemoteError(RemoteError.PROTOCOL, "", "request " + id
                    + " was not run: its id is that of a call still in flight on this connection (ids must be unique "
                    + "among a connection's calls in flight, spec/PROTOCOL.md); send it again with an id of its own",
                    ""))));
            flush();
        }

        /** The next whole frame's payload, null when it has not fully arrived. */
        private byte[] nextFrame() {
            if (buffer.size() < 4) {
                return null;
            }
            long length = buffer.iterator().getInt(ByteOrder.BIG_ENDIAN) & 0xffffffffL;
            int max = authed ? ctx.settings().maxFrameSize() : PRE_AUTH_MAX_FRAME;
            if (length == 0 || length > max) {
                throw new ProtocolException(length == 0 ? "an empty frame" : !authed ? "a frame of " + length
                        + " bytes before authentication, over the limit of " + max
                        : "a frame of " + length + " bytes, over the node's maximum frame size of " + max
                        + " bytes (pyfleet.gateway.max-frame-size): a client must not send it (pyfleet's client "
                        + "refuses such a call before sending); raise pyfleet.gateway.max-frame-size on the node");
            }
            if (authed && reserved < 0) { // a new request: its bytes are reserved before any of them is kept
                long cost = length * NodeBudget.WHILE_DECODED;
                if (heldBytes > 0 && heldBytes + cost > ctx.settings().maxConnectionBytes()) {
                    waitingForRoom = true; // max-connection-bytes: read on once a call ends
                    return null;
                }
                if (!ctx.budget().tryReserve(cost)) {
                    return refuseFrame(length) ? REFUSED : null;
                }
                reserved = cost;
                heldBytes += cost;
            }
            if (buffer.size() < 4 + length) {
                return null;
            }
            byte[] frame = buffer.slice(4, 4 + (int) length).toArray();
            buffer = buffer.drop(4 + (int) length);
            return frame;
        }

        private void authenticate(byte[] frame) {
            Incoming message;
            try {
                message = Incoming.parse(frame);
            } catch (ProtocolException e) {
                refuse("auth", "the first frame must be an auth message: " + e.getMessage());
                return;
            }
            if (message.type() != Gateway.AUTH || !(message.body() instanceof Map<?, ?> body)) {
                refuse("auth", "the first frame must be an auth message, got one of type " + message.type());
                return;
            }
            Object mac = body.get("mac");
            Object clientNonce = body.get("nonce");
            if (!(mac instanceof byte[] m) || !(clientNonce instanceof byte[] cn) || cn.length != Gateway.NONCE_BYTES
                    || !Gateway.sameMac(Gateway.clientMac(ctx.token(), nonce), m)) {
                refuse("auth", "authentication failed: wrong token");
                return;
            }
            authed = true;
            pendingSlots.release(slot);
            pending = false;
            failures.succeeded(slot.address);
            if (!registry.admit(ctx.settings().maxConnections())) {
                refuse("overloaded", overloadedText(ctx.settings()));
                return;
            }
            served = true;
            Map<String, Object> welcome = new LinkedHashMap<>();
            welcome.put("protocol", (long) Messages.PROTOCOL_VERSION);
            welcome.put("node", ctx.node());
            welcome.put("mac", Gateway.nodeMac(ctx.token(), cn));
            welcome.put("max_frame", (long) ctx.settings().maxFrameSize());
            welcome.put("max_in_flight", (long) ctx.settings().maxInFlight());
            welcome.put("heartbeat_ms", ctx.settings().heartbeatInterval().toMillis());
            welcome.put("array_by_value_max", ctx.settings().arrayByValueMax());
            enqueue(ClientSession.frame(Gateway.message(Gateway.WELCOME, welcome)));
            flush();
            log.debug("client {} ({}) authenticated", peer, body.get("client"));
        }

        /**
         * Answers an error with id 0 and closes once it has left. Before authentication the reason goes to
         * {@link HandshakeFailures}, which logs it once per interval per address, not once per try.
         */
        private void refuse(String kind, String why) {
            if (closing) {
                return;
            }
            if (authed) {
                log.warn("closing connection of client {}: {}", peer, why);
            } else {
                failure = why;
            }
            enqueue(ClientSession.frame(Messages.error(0, new RemoteError(kind, "", why, ""))));
            closing = true;
            finishDeadline = System.nanoTime() + FLUSH_NANOS;
            flush();
            finishIfDone();
        }

        /** Answers waiting for the client: queued to send, and offered but not yet taken in. */
        private long waitingBytes() {
            return outboxBytes + inboxBytes.get();
        }

        private void enqueue(ByteString frame) {
            outbox.add(frame);
            outboxBytes += frame.size();
            ctx.budget().add(frame.size());
        }

        /** Sends everything queued as one element when the TCP side wants more. */
        private void flush() {
            if (outbox.isEmpty() || !isAvailable(out)) {
                return;
            }
            ByteString all = outbox.poll();
            while (!outbox.isEmpty()) {
                all = all.concat(outbox.poll());
            }
            ctx.budget().release(outboxBytes);
            outboxBytes = 0;
            lastOut = lastPush = System.nanoTime();
            push(out, all);
        }

        private void finishIfDone() {
            if (outbox.isEmpty() && (closing || inputDone && inFlight == 0)) {
                completeStage();
            }
        }

        int inFlight() {
            return inFlight;
        }
    }

    @Override
    public String toString() {
        return "ClientConnection[" + peer + "]";
    }
}
