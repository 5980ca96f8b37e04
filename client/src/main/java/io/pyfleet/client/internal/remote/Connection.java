package io.pyfleet.client.internal.remote;

import io.pyfleet.client.ClientOptions;
import io.pyfleet.client.ConnectionLostException;
import io.pyfleet.client.ProtocolException;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.client.internal.ApiAccess;
import io.pyfleet.client.internal.Handle;
import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.client.internal.RemoteFailures;
import io.pyfleet.protocol.ArrayUpload;
import io.pyfleet.protocol.Frames;
import io.pyfleet.protocol.Gateway;
import io.pyfleet.protocol.Incoming;
import io.pyfleet.protocol.Messages;
import io.pyfleet.protocol.RemoteArrayAdopter;
import io.pyfleet.protocol.RemoteArrayRef;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One authenticated connection to a gateway. Exists to own everything that lives and dies
 * with the socket: the table of calls in flight (ids from 1, per connection), the reader
 * thread, the write lock, the heartbeat, and the handles received on it (the node drops
 * them when the connection ends, so they are tracked and released here).
 *
 * <p>Threads: callers write under {@link #writeLock} and may block on TCP backpressure;
 * the last of several queued writers flushes for all. The reader only reads, decodes and
 * hands results over; it never writes and runs no user code. The client's timer thread
 * sends pings and batched releases. Whoever finds the connection broken calls
 * {@link #die}, which closes the socket without taking the write lock and fails every
 * call in flight once.
 */
final class Connection {
    private static final Logger log = LoggerFactory.getLogger(Connection.class);
    private static final int BUFFER = 64 * 1024;
    /** Handles per release request at most (well under any sane max_frame). */
    private static final int RELEASE_BATCH = 1000;

    final String address;
    final String node;
    final int maxFrame;
    final long maxInFlight;
    /** Java arrays of a call over this many bytes are uploaded first; {@link Long#MAX_VALUE}: never. */
    final long arrayByValueMax;
    private final long heartbeatNanos;
    private final long idleMillis;
    private final Socket raw;
    private final InputStream in;
    private final OutputStream out;
    private final ScheduledExecutorService timer;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ConcurrentHashMap<Long, Pending<?>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final ConcurrentLinkedQueue<Handle> releases = new ConcurrentLinkedQueue<>();
    private final ConcurrentHashMap<Handle, Integer> live = new ConcurrentHashMap<>();
    private final AtomicBoolean releaseScheduled = new AtomicBoolean();
    private final Function<Handle, Object> adopt = new RemoteArrayAdopter() {
        @Override
        public Object apply(Handle handle) {
            return adopt(handle);
        }

        @Override
        public Object adoptRemoteArray(RemoteArrayRef ref) {
            return ApiAccess.newArray(ref.dtype(), ref.shape(), ref.node(), new RemoteArrayMemory(Connection.this, ref));
        }
    };
    private final Thread reader;
    private volatile boolean dead;
    private volatile long lastSent = System.nanoTime();
    /** An error frame with id 0: the node's last word before it closes. */
    private volatile RemoteError nodeError;
    private volatile ScheduledFuture<?> heartbeat;

    private Connection(String address, Handshake.Welcome welcome, long heartbeatNanos, long idleMillis, Socket raw,
            InputStream in, OutputStream out, ScheduledExecutorService timer) {
        this.address = address;
        this.node = welcome.node();
        this.maxFrame = welcome.maxFrame();
        this.maxInFlight = welcome.maxInFlight();
        this.arrayByValueMax = welcome.arrayByValueMax();
        this.heartbeatNanos = heartbeatNanos;
        this.idleMillis = idleMillis;
        this.raw = raw;
        this.in = in;
        this.out = out;
        this.timer = timer;
        this.reader = new Thread(this::readLoop, "pyfleet-client-reader-" + address);
        reader.setDaemon(true);
    }

    /**
     * Connects, runs the handshake and starts the reader and heartbeat.
     *
     * @throws io.pyfleet.client.AuthenticationException when the token is refused or the node fails its proof
     * @throws IOException or {@link PyFleetException} when the node cannot be reached or spoken to
     */
    static Connection open(String address, ClientOptions options, ScheduledExecutorService timer) throws IOException {
        InetSocketAddress unresolved = ClientOptions.parseAddress(address);
        InetSocketAddress target = new InetSocketAddress(unresolved.getHostString(), unresolved.getPort());
        if (target.isUnresolved()) {
            throw new UnknownHostException("unknown host " + unresolved.getHostString());
        }
        int timeoutMs = (int) Math.min(Integer.MAX_VALUE, Math.max(1, options.connectTimeout().toMillis()));
        Socket raw = new Socket();
        try {
            raw.setTcpNoDelay(true);
            raw.setKeepAlive(true);
            raw.connect(target, timeoutMs);
            Socket socket = raw;
            if (options.sslContext() != null) {
                SSLSocket ssl = (SSLSocket) options.sslContext().getSocketFactory().createSocket(raw,
                        unresolved.getHostString(), unresolved.getPort(), true);
                if (options.verifyHostname()) {
                    SSLParameters params = ssl.getSSLParameters();
                    params.setEndpointIdentificationAlgorithm("HTTPS");
                    ssl.setSSLParameters(params);
                }
                ssl.setUseClientMode(true);
                ssl.setSoTimeout(timeoutMs);
                ssl.startHandshake();
                socket = ssl;
            }
            socket.setSoTimeout(timeoutMs);
            InputStream in = new BufferedInputStream(socket.getInputStream(), BUFFER);
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), BUFFER);
            Handshake.Welcome welcome = Handshake.run(in, out, options.token(), options.clientName(), address);
            long idleMillis = Math.max(1, options.idleTimeout().toMillis());
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, idleMillis));
            long heartbeat = welcome.heartbeatMs() > 0 ? TimeUnit.MILLISECONDS.toNanos(welcome.heartbeatMs())
                    : options.heartbeatInterval().toNanos();
            if (TimeUnit.NANOSECONDS.toMillis(heartbeat) * 2 > idleMillis) {
                log.warn("the gateway {} pings every {} ms, close to this client's idle timeout of {} ms: a healthy "
                        + "connection may be taken for dead", address, TimeUnit.NANOSECONDS.toMillis(heartbeat),
                        idleMillis);
            }
            Connection c = new Connection(address, welcome, heartbeat, idleMillis, raw, in, out, timer);
            c.start();
            return c;
        } catch (IOException | RuntimeException e) {
            closeQuietly(raw);
            throw e;
        }
    }

    private void start() {
        reader.start();
        long tick = Math.max(TimeUnit.MILLISECONDS.toNanos(5), heartbeatNanos / 4);
        try {
            heartbeat = timer.scheduleAtFixedRate(this::tick, tick, tick, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            die("the client is closing", null, null);
        }
        log.debug("connected to gateway {} (node {}, max_frame {}, max_in_flight {}, heartbeat {} ms)", address, node,
                maxFrame, maxInFlight, TimeUnit.NANOSECONDS.toMillis(heartbeatNanos));
    }

    boolean isOpen() {
        return !dead;
    }

    /**
     * Sends a request. Returns false, leaving {@code call} untouched, when the connection
     * turned out dead before anything was written (the caller may use a new connection).
     *
     * @throws Frames.FrameTooLargeException when the request is over the node's max_frame; nothing is sent
     */
    boolean trySend(Pending<?> call, byte[] tail) {
        return trySend(call, tail, null, null);
    }

    /**
     * {@link #trySend(Pending, byte[])} of a request whose tail goes on with {@code data} and {@code end}
     * (an {@code array_write}: its bytes are written from where they are).
     */
    private boolean trySend(Pending<?> call, byte[] tail, ByteBuffer data, byte[] end) {
        long length = (long) tail.length + (data == null ? 0 : data.remaining() + end.length);
        if (length + Frames.REQUEST_HEAD_MAX > maxFrame) {
            throw new Frames.FrameTooLargeException(length + Frames.REQUEST_HEAD_MAX, maxFrame,
                    Frames.GATEWAY_SETTING);
        }
        long id = ids.incrementAndGet();
        pending.put(id, call);
        writeLock.lock();
        try {
            if (dead) {
                // whoever removes it finishes it: here, the caller retries; else die() failed it (not run)
                return pending.remove(id) == null;
            }
            // Releases first: an object closed before this call was made is released before it runs,
            // as on the embedded fleet (a call on it then fails as stale).
            writeReleases();
            call.written = true;
            if (data == null) {
                Frames.writeRequest(out, id, tail, maxFrame);
            } else {
                Frames.writeRequest(out, id, tail, data, end, maxFrame);
            }
            afterWrite();
        } catch (IOException e) {
            die("writing to the gateway failed", e, null);
        } finally {
            writeLock.unlock();
        }
        return true;
    }

    /** Flushes unless another writer is queued behind us: the last one flushes for all. Holds the write lock. */
    private void afterWrite() throws IOException {
        lastSent = System.nanoTime();
        if (!writeLock.hasQueuedThreads()) {
            out.flush();
        }
    }

    /** Releases queued handles now (timer thread, or close). Returns the release requests' futures. */
    List<CompletableFuture<Object>> flushReleases() {
        releaseScheduled.set(false);
        if (releases.isEmpty() || dead) {
            return List.of();
        }
        writeLock.lock();
        try {
            if (dead) {
                return List.of();
            }
            List<CompletableFuture<Object>> sent = writeReleases();
            afterWrite();
            return sent;
        } catch (IOException e) {
            die("writing to the gateway failed", e, null);
            return List.of();
        } finally {
            writeLock.unlock();
        }
    }

    /** Writes the queued releases as requests; holds the write lock. */
    private List<CompletableFuture<Object>> writeReleases() throws IOException {
        List<CompletableFuture<Object>> sent = new ArrayList<>(0);
        while (!releases.isEmpty()) {
            List<Handle> batch = new ArrayList<>();
            Handle h;
            while (batch.size() < RELEASE_BATCH && (h = releases.poll()) != null) {
                batch.add(h);
            }
            if (!batch.isEmpty()) {
                writeRelease(batch, sent);
            }
        }
        return sent;
    }

    /** One release request, halved until it fits max_frame. */
    private void writeRelease(List<Handle> batch, List<CompletableFuture<Object>> sent) throws IOException {
        long id = ids.incrementAndGet();
        byte[] payload = Messages.request(id, "release", null, batch, null, null);
        if (payload.length > maxFrame) {
            if (batch.size() == 1) {
                log.warn("cannot release {}: its request is over max_frame {}", batch.get(0), maxFrame);
                return;
            }
            int half = batch.size() / 2;
            writeRelease(batch.subList(0, half), sent);
            writeRelease(batch.subList(half, batch.size()), sent);
            return;
        }
        CompletableFuture<Object> done = new CompletableFuture<>();
        Pending<Object> p = new Pending<>(done, "release of " + batch.size() + " handle(s)", v -> v, null);
        p.written = true;
        pending.put(id, p);
        Frames.writeFrame(out, payload, 0, payload.length, maxFrame);
        sent.add(done);
    }

    private void tick() {
        try {
            if (dead) {
                return;
            }
            flushReleases();
            if (System.nanoTime() - lastSent >= heartbeatNanos) {
                ping();
            }
        } catch (RuntimeException e) {
            log.warn("heartbeat of the connection to {} failed", address, e);
        }
    }

    private void ping() {
        writeLock.lock();
        try {
            if (dead) {
                return;
            }
            if (System.nanoTime() - lastSent < heartbeatNanos) {
                // A writer that saw us queued left its flush to us (afterWrite): do it.
                out.flush();
                return;
            }
            Frames.writeFrame(out, Gateway.message(Gateway.PING, null));
            afterWrite();
        } catch (IOException e) {
            die("sending a ping to the gateway failed", e, null);
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * A request of the client's own on this connection only: an array the node keeps lives and
     * dies with the connection that received it. Completes on the reader with the reply's value.
     */
    CompletableFuture<Object> request(String op, List<?> args) {
        return request(op, args, null);
    }

    /** {@link #request(String, List)} with the gateway's {@code opts} ({@code node}: served by that node). */
    CompletableFuture<Object> request(String op, List<?> args, Map<String, ?> opts) {
        CompletableFuture<Object> done = new CompletableFuture<>();
        Pending<Object> p = new Pending<>(done, op, v -> v, null);
        try {
            if (!trySend(p, Messages.encodeCall(op, null, args, null, opts).tail())) {
                p.fail(new ConnectionLostException("the connection to the gateway " + address + " ended, and the "
                        + "arrays the node kept for it with it; " + op + " was not sent", false));
            }
        } catch (PyFleetException e) {
            p.fail(e);
        }
        return done;
    }

    /**
     * Writes the next bytes of an array being uploaded ({@code array_write}); completes on the reader
     * with the bytes the node has so far.
     */
    CompletableFuture<Object> writeArray(RemoteArrayRef ref, long offset, ByteBuffer bytes) {
        CompletableFuture<Object> done = new CompletableFuture<>();
        Pending<Object> p = new Pending<>(done, ArrayUpload.WRITE, v -> v, null);
        try {
            if (!trySend(p, ArrayUpload.writeHead(ref, offset, bytes.remaining()), bytes, ArrayUpload.writeEnd())) {
                p.fail(new ConnectionLostException("the connection to the gateway " + address + " ended, and the "
                        + "array being uploaded with it", false));
            }
        } catch (PyFleetException e) {
            p.fail(e);
        }
        return done;
    }

    /** Frees an array the node keeps for this connection: sent by the timer thread, never blocks here. */
    void releaseArray(RemoteArrayRef ref) {
        if (dead) {
            return; // the node freed it when the connection ended
        }
        try {
            timer.execute(() -> {
                if (!dead) {
                    request("array_release", List.of(ref));
                }
            });
        } catch (RejectedExecutionException e) {
            // the client is closing: the connection's end frees it on the node
        }
    }

    /** Wraps a handle received on this connection; its release is queued here. */
    private Object adopt(Handle handle) {
        live.merge(handle, 1, Integer::sum);
        return ApiAccess.newObject(handle, this::releaseLater);
    }

    /** The Releaser of this connection's PyObjects: never blocks (Cleaner thread); the timer sends it. */
    private void releaseLater(Handle handle) {
        if (dead) {
            return; // the node released it when the connection ended
        }
        boolean[] held = new boolean[1];
        live.computeIfPresent(handle, (h, n) -> {
            held[0] = true;
            return n == 1 ? null : n - 1;
        });
        if (!held[0]) {
            return;
        }
        releases.add(handle);
        if (releaseScheduled.compareAndSet(false, true)) {
            try {
                timer.execute(this::flushReleases);
            } catch (RejectedExecutionException e) {
                releaseScheduled.set(false); // the client is closing; close() releases what is left
            }
        }
    }

    /** Queues a release of every handle still held through this connection and sends it. */
    List<CompletableFuture<Object>> releaseAllLive() {
        for (Map.Entry<Handle, Integer> e : live.entrySet()) {
            if (live.remove(e.getKey(), e.getValue())) {
                for (int i = 0; i < e.getValue(); i++) {
                    releases.add(e.getKey());
                }
            }
        }
        return flushReleases();
    }

    /** Live handle count (tests, diagnostics). */
    int liveHandles() {
        return live.values().stream().mapToInt(Integer::intValue).sum();
    }

    private void readLoop() {
        try {
            while (!dead) {
                byte[] frame = Frames.readFrame(in, maxFrame, Frames.GATEWAY_SETTING);
                if (frame == null) {
                    die("the gateway closed the connection", null, null);
                    return;
                }
                Incoming message;
                try {
                    message = Incoming.parse(frame, adopt);
                } catch (ProtocolException e) {
                    die("the gateway sent a frame that does not parse", e, null);
                    return;
                }
                dispatch(message);
            }
        } catch (SocketTimeoutException e) {
            die("nothing arrived from the gateway for " + idleMillis + " ms", e, null);
        } catch (IOException | RuntimeException e) {
            die("reading from the gateway failed", e, null);
        }
    }

    private void dispatch(Incoming m) {
        switch (m.type()) {
            case Messages.REPLY -> {
                Pending<?> p = pending.remove(m.id());
                if (p == null) {
                    log.debug("reply to unknown request {} from {} ignored", m.id(), address);
                } else {
                    p.reply(m.body());
                }
            }
            case Messages.ERROR -> {
                RemoteError error = (RemoteError) m.body();
                if (m.id() == 0) {
                    nodeError = error;
                    log.warn("the gateway {} reports: {} {} {}", address, error.kind(), error.type(), error.message());
                    return;
                }
                Pending<?> p = pending.remove(m.id());
                if (p == null) {
                    log.debug("error for unknown request {} from {} ignored", m.id(), address);
                } else {
                    p.error(error);
                }
            }
            case Messages.EVENT -> {
                Pending<?> p = pending.get(m.id());
                if (p == null) {
                    log.debug("event for unknown request {} from {} ignored", m.id(), address);
                } else {
                    p.event(m.body());
                }
            }
            case Gateway.PING -> {
                // its arrival was the point: the read timeout starts over
            }
            default -> log.debug("message type {} from gateway {} ignored", m.type(), address);
        }
    }

    /**
     * Ends the connection once: closes the socket (which wakes a writer blocked on it and
     * the reader) and fails every call in flight. {@code closing}: the client is closing,
     * and the calls fail with what it makes of them instead of a lost connection.
     */
    void die(String why, Throwable cause, Function<Pending<?>, PyFleetException> closing) {
        synchronized (this) {
            if (dead) {
                return;
            }
            dead = true;
        }
        ScheduledFuture<?> hb = heartbeat;
        if (hb != null) {
            hb.cancel(false);
        }
        closeQuietly(raw);
        RemoteError last = nodeError;
        Throwable reason = cause;
        String message = "connection to the gateway " + address + " lost: " + why;
        if (last != null) {
            message += " (the node said: " + last.kind() + ": " + last.message() + ")";
            if (reason == null) {
                reason = RemoteFailures.toException(last);
            }
        } else if (cause != null) {
            message += ": " + cause;
        }
        if (closing == null) {
            log.info("{}", message);
        }
        int failed = 0;
        for (Long id : pending.keySet()) {
            Pending<?> p = pending.remove(id);
            if (p != null) {
                failed++;
                p.fail(closing != null ? closing.apply(p) : new ConnectionLostException(message + "; the call "
                        + (p.written ? "may have run" : "was not sent"), p.written, reason));
            }
        }
        releases.clear();
        live.clear();
        if (failed > 0) {
            log.debug("{} call(s) in flight on {} failed", failed, address);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing is all we wanted
        }
    }
}
