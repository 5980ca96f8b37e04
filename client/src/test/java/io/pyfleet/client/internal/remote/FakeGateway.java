package io.pyfleet.client.internal.remote;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.pyfleet.client.internal.RemoteError;
import io.pyfleet.protocol.Frames;
import io.pyfleet.protocol.Gateway;
import io.pyfleet.protocol.Incoming;
import io.pyfleet.protocol.Messages;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in for a node's gateway, speaking the documented wire (PROTOCOL.md, "The client
 * gateway") on a loopback ServerSocket, so the thin client can be tested without a node.
 * Each accepted connection is a {@link Session} that a test scripts by hand: it reads the
 * client's frames and answers them.
 */
final class FakeGateway implements AutoCloseable {
    static final String NODE = "fake-node";

    final String token;
    volatile int maxFrame = Frames.DEFAULT_MAX_FRAME;
    volatile long heartbeatMs = 60_000;
    volatile boolean badWelcomeMac;
    private final ServerSocket server;
    private final BlockingQueue<Session> sessions = new LinkedBlockingQueue<>();
    private final List<Session> all = new CopyOnWriteArrayList<>();
    private final Thread acceptor;
    private volatile boolean closed;

    FakeGateway(String token) throws IOException {
        this(token, null);
    }

    /** With {@code tls} non-null, a TLS server socket whose key and certificate come from that context. */
    FakeGateway(String token, javax.net.ssl.SSLContext tls) throws IOException {
        this.token = token;
        this.server = tls == null ? new ServerSocket(0, 50, InetAddress.getLoopbackAddress())
                : tls.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::accept, "fake-gateway-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** An address where nothing listens (a port just freed). */
    static String deadAddress() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "127.0.0.1:" + s.getLocalPort();
        }
    }

    /** The next connection that was accepted (handshake done or refused). */
    Session session() throws InterruptedException {
        Session s = sessions.poll(5, TimeUnit.SECONDS);
        assertNotNull(s, "no client connected to the stand-in gateway");
        return s;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                if (closed) {
                    socket.close(); // a close racing with accept must not let a client in
                    return;
                }
                Session s = new Session(socket);
                all.add(s);
                Thread t = new Thread(s::run, "fake-gateway-session");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Session s : all) {
            s.drop();
        }
    }

    /** One client connection as the gateway sees it. */
    final class Session {
        final Socket socket;
        /** Every frame after the auth, pings included, in arrival order. */
        final BlockingQueue<Incoming> received = new LinkedBlockingQueue<>();
        final CountDownLatch ended = new CountDownLatch(1);
        volatile Map<?, ?> auth;
        volatile boolean authenticated;
        private final InputStream in;
        private final OutputStream out;

        Session(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedInputStream(socket.getInputStream());
            this.out = socket.getOutputStream();
        }

        void run() {
            try {
                byte[] nonce = Gateway.nonce();
                Map<String, Object> challenge = new LinkedHashMap<>();
                challenge.put("protocol", 1);
                challenge.put("node", NODE);
                challenge.put("nonce", nonce);
                send(Gateway.message(Gateway.CHALLENGE, challenge));
                Incoming first = Incoming.parse(Frames.readFrame(in));
                auth = (Map<?, ?>) first.body();
                if (first.type() != Gateway.AUTH
                        || !Gateway.sameMac(Gateway.clientMac(token, nonce), (byte[]) auth.get("mac"))) {
                    send(Messages.error(0, new RemoteError("auth", "", "wrong token", "")));
                    sessions.add(this);
                    drainUntilEnd();
                    return;
                }
                byte[] clientNonce = (byte[]) auth.get("nonce");
                Map<String, Object> welcome = new LinkedHashMap<>();
                welcome.put("protocol", 1);
                welcome.put("node", NODE);
                welcome.put("mac", badWelcomeMac ? Gateway.nodeMac(token + "x", clientNonce)
                        : Gateway.nodeMac(token, clientNonce));
                welcome.put("max_frame", maxFrame);
                welcome.put("max_in_flight", 64);
                welcome.put("heartbeat_ms", heartbeatMs);
                send(Gateway.message(Gateway.WELCOME, welcome));
                authenticated = true;
                sessions.add(this);
                drainUntilEnd();
            } catch (IOException | RuntimeException e) {
                sessions.add(this);
                ended.countDown();
            }
        }

        /** Reads the client's frames (after a refusal too: nothing should come). */
        private void drainUntilEnd() {
            try {
                byte[] frame;
                while ((frame = Frames.readFrame(in)) != null) {
                    received.add(Incoming.parse(frame));
                }
            } catch (IOException | RuntimeException e) {
                // the connection ended
            } finally {
                ended.countDown();
            }
        }

        synchronized void send(byte[] payload) throws IOException {
            Frames.writeFrame(out, payload);
            out.flush();
        }

        /** The next frame that is not a ping. */
        Incoming next() throws InterruptedException {
            while (true) {
                Incoming m = received.poll(5, TimeUnit.SECONDS);
                assertNotNull(m, "the client sent nothing");
                if (m.type() != Gateway.PING) {
                    return m;
                }
            }
        }

        /** The next request's body {@code [op, target, args, kwargs, opts]} with its id in front. */
        Request request() throws InterruptedException {
            Incoming m = next();
            if (m.type() != Messages.REQUEST) {
                throw new AssertionError("expected a request, got type " + m.type());
            }
            List<?> b = (List<?>) m.body();
            return new Request(m.id(), (String) b.get(0), b.get(1), (List<?>) b.get(2), (Map<?, ?>) b.get(3),
                    (Map<?, ?>) b.get(4));
        }

        void reply(long id, Object value) throws IOException {
            send(Messages.reply(id, value));
        }

        void event(long id, Object value) throws IOException {
            send(Messages.event(id, value));
        }

        void error(long id, RemoteError error) throws IOException {
            send(Messages.error(id, error));
        }

        void drop() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // gone either way
            }
        }

        boolean awaitEnd() throws InterruptedException {
            return ended.await(5, TimeUnit.SECONDS);
        }
    }

    /** A request as the stand-in read it. */
    record Request(long id, String op, Object target, List<?> args, Map<?, ?> kwargs, Map<?, ?> opts) {
    }
}
